// The CA certificates already on the node, and whether the service's CAs are the same ones. A node
// whose ca.crt differs from the service's is pointed at the wrong cluster: nothing may be installed.
import { X509Certificate } from "node:crypto";
import { access, readFile } from "node:fs/promises";
import { CaName } from "../config/index.js";
import { pemBlocks, toPem } from "./pem.js";
import { caCertPath, caKeyPath, type NodeDirs } from "./node-paths.js";

export interface NodeCa {
  readonly name: CaName;
  readonly path: string;
  /** Every certificate in the file (a bundle is allowed, spec §2.4); empty when the file is missing. */
  readonly certificates: readonly X509Certificate[];
  /** The file's bytes as text; undefined when missing. */
  readonly pem: string | undefined;
  /** ca.key next to it: kubeadm then does not consider the CA external. */
  readonly keyPresent: boolean;
}

export function describeCertificate(cert: X509Certificate): string {
  return `${cert.subject.replace(/\n/g, ", ")}, SHA-256 ${cert.fingerprint256}`;
}

export function parseCertificates(pem: string): X509Certificate[] {
  return pemBlocks(pem)
    .filter((b) => b.label === "CERTIFICATE")
    .map((b) => new X509Certificate(toPem("CERTIFICATE", b.der)));
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export async function readNodeCa(dirs: NodeDirs, name: CaName): Promise<NodeCa> {
  const path = caCertPath(dirs, name);
  const keyPresent = await exists(caKeyPath(dirs, name));
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { name, path, certificates: [], pem: undefined, keyPresent };
    throw e;
  }
  let certificates: X509Certificate[];
  try {
    certificates = parseCertificates(pem);
  } catch (e) {
    throw new Error(`${path} does not hold readable certificates: ${(e as Error).message}`);
  }
  if (certificates.length === 0) throw new Error(`${path} holds no CERTIFICATE block`);
  return { name, path, certificates, pem, keyPresent };
}

export async function readNodeCas(dirs: NodeDirs): Promise<ReadonlyMap<CaName, NodeCa>> {
  const all = await Promise.all(CaName.options.map((n) => readNodeCa(dirs, n)));
  return new Map(all.map((ca) => [ca.name, ca]));
}

function samePublicKey(a: X509Certificate, b: X509Certificate): boolean {
  const der = (c: X509Certificate) => c.publicKey.export({ format: "der", type: "spki" });
  return der(a).equals(der(b));
}

/**
 * Undefined when leaves from `service` will chain to the node's file (same subject and key as one of its
 * certificates), else the sentence that says which CA differs.
 */
export function caDifference(node: NodeCa, service: X509Certificate): string | undefined {
  if (node.certificates.some((c) => c.subject === service.subject && samePublicKey(c, service))) return undefined;
  const onNode = node.certificates.map(describeCertificate).join("; ");
  return `the service's ${node.name} (${describeCertificate(service)}) is not the CA in ${node.path} (${onNode}); is --server the signing service of this cluster?`;
}
