// Every certificate is checked before anything on the node is touched: it is for the local key, it
// chains to the CA the service reports and to the CA file on the node, and it says what kubeadm expects.
// The checks read the certificates with @peculiar/x509 (fields by OID, extensions typed, signatures
// verified through WebCrypto): an implementation independent of the service's encoder, off its
// request path.
import { createPublicKey, type X509Certificate as NodeX509Certificate } from "node:crypto";
import type { SignResult } from "../issuance/types.js";
import type { ExtKeyUsage } from "../kubeadm/index.js";
import { x509 } from "../pki/peculiar-x509.js";
import type { FileProblem } from "./discover.js";
import { describeCertificate, type NodeCa } from "./node-cas.js";
import { pemBlocks, toPem } from "./pem.js";
import type { PreparedFile } from "./preflight.js";
import { Reasons } from "./reasons.js";

export const EKU_OIDS: Readonly<Record<ExtKeyUsage, string>> = { serverAuth: "1.3.6.1.5.5.7.3.1", clientAuth: "1.3.6.1.5.5.7.3.2" };

const OIDS = { commonName: "2.5.4.3", organization: "2.5.4.10", basicConstraints: "2.5.29.19", extKeyUsage: "2.5.29.37" } as const;

/** The service backdates NotBefore; a node clock this far behind is still accepted. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface VerifyContext {
  readonly now: Date;
  /** The issuing CA as GET /v1/ca reported it. */
  readonly serviceCa: NodeX509Certificate;
  /** The node's CA file; its certificates are empty on first setup (the service's CA is then written). */
  readonly nodeCa: NodeCa;
}

export interface VerifiedCertificate {
  readonly file: PreparedFile;
  readonly result: SignResult;
  readonly leaf: x509.X509Certificate;
  /** Leaf first, then any intermediates, as installed. */
  readonly chainPem: string;
}

export type VerifyOutcome = { readonly ok: true; readonly verified: VerifiedCertificate } | { readonly ok: false; readonly problem: FileProblem };

const sameBytes = (a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array) => Buffer.from(a as Uint8Array).equals(Buffer.from(b as Uint8Array));

function readCertificates(pem: string): x509.X509Certificate[] {
  return pemBlocks(pem)
    .filter((b) => b.label === "CERTIFICATE")
    .map((b) => new x509.X509Certificate(b.der));
}

/** `cert`'s issuer name is `issuer`'s subject, byte for byte, and its signature verifies with that key. */
async function issuedBy(cert: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  if (!sameBytes(cert.issuerName.toArrayBuffer(), issuer.subjectName.toArrayBuffer())) return false;
  return cert.verify({ publicKey: issuer.publicKey, signatureOnly: true }).catch(() => false);
}

/** Does `leaf`, through `intermediates`, verify up to `anchor`? */
async function chainsTo(leaf: x509.X509Certificate, intermediates: readonly x509.X509Certificate[], anchor: x509.X509Certificate): Promise<boolean> {
  let current = leaf;
  for (const next of intermediates) {
    // A chain may end with the anchor itself.
    if (sameBytes(current.rawData, anchor.rawData)) return true;
    if (!(await issuedBy(current, next))) return false;
    current = next;
  }
  return sameBytes(current.rawData, anchor.rawData) || issuedBy(current, anchor);
}

export async function verifyIssued(file: PreparedFile, result: SignResult, ctx: VerifyContext): Promise<VerifyOutcome> {
  const p = file.pending.profile;
  const target = file.pending.csrPath;
  const fail = (reason: FileProblem["reason"], message: string): VerifyOutcome => ({ ok: false, problem: { name: p.name, file: target, reason, message: `${p.name}: ${message}` } });

  if (result.issuer !== p.issuer) return fail(Reasons.BadAnswer, `the service says issuer ${result.issuer}, but ${p.name} is issued by ${p.issuer}`);
  let chain: x509.X509Certificate[];
  let answerCa: x509.X509Certificate[];
  try {
    chain = readCertificates(result.certificate);
    answerCa = readCertificates(result.caCertificate);
  } catch (e) {
    return fail(Reasons.BadAnswer, `the returned certificate does not parse (${(e as Error).message})`);
  }
  const [leaf, ...intermediates] = chain;
  if (!leaf) return fail(Reasons.BadAnswer, "the answer holds no certificate");
  const serviceCa = new x509.X509Certificate(ctx.serviceCa.raw);
  if (!answerCa.some((c) => sameBytes(c.rawData, serviceCa.rawData))) {
    return fail(Reasons.BadAnswer, `the answer's caCertificate is not the ${p.issuer} that GET /v1/ca reports (${describeCertificate(ctx.serviceCa)})`);
  }

  const localKey = createPublicKey(file.privateKey).export({ type: "spki", format: "der" });
  if (!sameBytes(leaf.publicKey.rawData, localKey)) {
    return fail(Reasons.PublicKeyMismatch, `the certificate's public key is not the key of ${file.pending.keySource.path}`);
  }
  if (!(await chainsTo(leaf, intermediates, serviceCa))) {
    return fail(Reasons.NotIssuedByCa, `the certificate does not verify against the service's ${p.issuer} (${describeCertificate(ctx.serviceCa)})`);
  }
  if (ctx.nodeCa.certificates.length > 0) {
    const anchors = ctx.nodeCa.certificates.map((c) => new x509.X509Certificate(c.raw));
    const verdicts = await Promise.all(anchors.map((anchor) => chainsTo(leaf, intermediates, anchor)));
    if (!verdicts.includes(true)) {
      return fail(Reasons.NotIssuedByCa, `the certificate does not verify against ${ctx.nodeCa.path} (${ctx.nodeCa.certificates.map(describeCertificate).join("; ")})`);
    }
  }

  const expectedEku = p.extKeyUsage.map((u) => EKU_OIDS[u]).sort();
  const actualEku = [...(leaf.getExtension<x509.ExtendedKeyUsageExtension>(OIDS.extKeyUsage)?.usages ?? [])].map(String).sort();
  if (expectedEku.join(",") !== actualEku.join(",")) {
    return fail(Reasons.UnexpectedContent, `extended key usage is [${actualEku.join(", ")}], expected [${expectedEku.join(", ")}] (${p.extKeyUsage.join(", ")})`);
  }
  if (leaf.getExtension<x509.BasicConstraintsExtension>(OIDS.basicConstraints)?.ca) return fail(Reasons.UnexpectedContent, "the certificate is a CA certificate");
  // Attributes by OID, never by splitting a rendered subject line: a value holding "\nO=…" is one CN.
  const cn = leaf.subjectName.getField(OIDS.commonName);
  if (cn.join(",") !== file.csr.commonNames.join(",")) {
    return fail(Reasons.UnexpectedContent, `subject CN is "${cn.join(",")}", the CSR asked for "${file.csr.commonNames.join(",")}"`);
  }
  const orgs = leaf.subjectName.getField(OIDS.organization).sort();
  if (orgs.join(",") !== [...file.csr.organizations].sort().join(",")) {
    return fail(Reasons.UnexpectedContent, `subject O is [${orgs.join(", ")}], the CSR asked for [${file.csr.organizations.join(", ")}]`);
  }

  const { notBefore, notAfter } = leaf;
  if (notBefore.getTime() > ctx.now.getTime() + CLOCK_SKEW_MS) {
    return fail(Reasons.OutsideValidity, `the certificate is valid only from ${notBefore.toISOString()} (node time ${ctx.now.toISOString()}); check the clocks`);
  }
  if (notAfter.getTime() <= ctx.now.getTime()) {
    return fail(Reasons.OutsideValidity, `the certificate expired at ${notAfter.toISOString()}`);
  }
  return { ok: true, verified: { file, result, leaf, chainPem: chain.map((c) => toPem("CERTIFICATE", new Uint8Array(c.rawData))).join("") } };
}

