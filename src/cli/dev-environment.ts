// `kubeca serve --dev`: a one-node sample cluster with in-memory CAs, its config written where a user
// can read and edit it, and a token for that node. Nothing here is fit for production, and it says so.
import { createHash, randomBytes } from "node:crypto";
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { loadConfigFile, type LoadedConfig } from "../config/index.js";
import { configJsonSchemaText } from "../config/json-schema.js";
import { CA_FILES } from "../kubeadm/index.js";

export const DEV_NODE = {
  name: "cp-1",
  advertiseAddress: "10.0.0.10",
  controlPlaneEndpoint: "k8s.example.internal:6443",
} as const;

/**
 * The JSON Schema, written next to the dev config for editors (yaml-language-server): the built CLI, the
 * single executable and the image have no checkout whose schema/ folder the config could point at.
 */
export const DEV_SCHEMA_FILE = "kubeca-config.schema.json";

export interface DevEnvironment {
  readonly loaded: LoadedConfig;
  readonly configPath: string;
  readonly tokenPath: string;
  readonly pkiDir: string;
  /** True when config.yaml was written by this start (not an existing, maybe edited, one). */
  readonly created: boolean;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export function sampleConfig(tokenSha256: string): Record<string, unknown> {
  const memory = (file: string) => ({ certificate: { file }, signer: { type: "memory", algorithm: "ECDSA-P256" } });
  return {
    apiVersion: "kubeca.dev/v1alpha1",
    kind: "Config",
    cluster: {
      name: "kubernetes",
      kubernetesVersion: "1.34",
      dnsDomain: "cluster.local",
      serviceSubnet: "10.96.0.0/12",
      controlPlaneEndpoint: DEV_NODE.controlPlaneEndpoint,
      apiServerCertSANs: [],
      etcd: { local: true, serverCertSANs: [], peerCertSANs: [] },
    },
    cas: {
      ca: memory(`pki/${CA_FILES.ca}`),
      "etcd-ca": memory(`pki/${CA_FILES["etcd-ca"]}`),
      "front-proxy-ca": memory(`pki/${CA_FILES["front-proxy-ca"]}`),
    },
    nodes: [{ name: DEV_NODE.name, role: "control-plane", advertiseAddress: DEV_NODE.advertiseAddress, addresses: [], hostnames: [] }],
    validity: { leaf: "8760h" },
    keys: { allowed: ["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"] },
    callers: { tokens: [{ name: "dev-token", sha256: tokenSha256, node: DEV_NODE.name }] },
    audit: { store: "file", path: "audit.jsonl" },
  };
}

/**
 * Prepare `<devDir>`: reuse an existing config.yaml and token (so edits survive restarts), or write new
 * ones. CA certificates are minted at each start by the service, because memory keys die with the process.
 */
export async function prepareDevEnvironment(devDir: string): Promise<DevEnvironment> {
  const dir = resolve(devDir);
  const configPath = join(dir, "config.yaml");
  const tokenPath = join(dir, "token");
  await mkdir(join(dir, "pki", "etcd"), { recursive: true, mode: 0o755 });
  let created = false;
  if (!(await exists(configPath)) || !(await exists(tokenPath))) {
    const token = randomBytes(32).toString("base64url");
    const digest = createHash("sha256").update(token).digest("hex");
    const header =
      `# yaml-language-server: $schema=./${DEV_SCHEMA_FILE}\n` +
      "# kubeca DEVELOPMENT config, written by `kubeca serve --dev`. The memory signers below make new CA keys\n" +
      "# at every start and lose them at exit. Edit the cluster facts and nodes freely; run it again with\n" +
      "#   kubeca serve --dev --config " + configPath + "\n";
    await writeFile(configPath, header + stringify(sampleConfig(digest)), { mode: 0o600 });
    await writeFile(tokenPath, token + "\n", { mode: 0o600 });
    await writeFile(join(dir, DEV_SCHEMA_FILE), configJsonSchemaText(), { mode: 0o644 });
    created = true;
  }
  const loaded = await loadConfigFile(configPath);
  return { loaded, configPath, tokenPath, pkiDir: join(dir, "pki"), created };
}

export async function readToken(path: string): Promise<string> {
  return (await readFile(path, "utf8")).trim();
}
