// Reading and filling kubeadm's kubeconfigs with the `yaml` Document API, so that everything kubeca does
// not set (server, names, comments, key order, extensions) is written back unchanged.
import { parseDocument, type Document } from "yaml";

export interface KubeconfigView {
  readonly doc: Document;
  /** Index in `users` / `clusters` of the current context's entries. */
  readonly userIndex: number;
  readonly clusterIndex: number;
  readonly userName: string;
  /** Decoded PEM of client-key-data / client-certificate-data; undefined when empty or absent. */
  readonly clientKeyPem: string | undefined;
  readonly clientCertificatePem: string | undefined;
  readonly certificateAuthorityPem: string | undefined;
  /** `client-certificate:` path, when the user reads its certificate from a file (the kubelet's rotation). */
  readonly clientCertificateFile: string | undefined;
}

interface NamedEntry {
  name?: unknown;
  user?: Record<string, unknown>;
  cluster?: Record<string, unknown>;
  context?: { user?: unknown; cluster?: unknown };
}

function decodeData(value: unknown): string | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  return Buffer.from(value, "base64").toString("utf8");
}

/**
 * The user and cluster of the current context (kubeadm writes exactly one of each). Throws Error with a
 * one-line reason when the file is not such a kubeconfig.
 */
export function readKubeconfig(text: string): KubeconfigView {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`not valid YAML: ${doc.errors[0]?.message.split("\n")[0]}`);
  const js = (doc.toJS() ?? {}) as { users?: NamedEntry[]; clusters?: NamedEntry[]; contexts?: NamedEntry[]; "current-context"?: unknown };
  const users = Array.isArray(js.users) ? js.users : [];
  const clusters = Array.isArray(js.clusters) ? js.clusters : [];
  const contexts = Array.isArray(js.contexts) ? js.contexts : [];

  let userIndex = -1;
  let clusterIndex = -1;
  const current = contexts.find((c) => c.name === js["current-context"]);
  if (current?.context) {
    userIndex = users.findIndex((u) => u.name === current.context?.user);
    clusterIndex = clusters.findIndex((c) => c.name === current.context?.cluster);
  } else if (users.length === 1 && clusters.length === 1) {
    userIndex = 0;
    clusterIndex = 0;
  }
  if (userIndex < 0) throw new Error("no user for the current context");
  if (clusterIndex < 0) throw new Error("no cluster for the current context");
  const user = users[userIndex]?.user ?? {};
  const cluster = clusters[clusterIndex]?.cluster ?? {};
  return {
    doc,
    userIndex,
    clusterIndex,
    userName: String(users[userIndex]?.name ?? ""),
    clientKeyPem: decodeData(user["client-key-data"]),
    clientCertificatePem: decodeData(user["client-certificate-data"]),
    certificateAuthorityPem: decodeData(cluster["certificate-authority-data"]),
    clientCertificateFile: typeof user["client-certificate"] === "string" ? user["client-certificate"] : undefined,
  };
}

export interface KubeconfigCredentials {
  readonly certificatePem: string;
  readonly certificateAuthorityPem: string;
  /** Set only when the key comes from elsewhere (legacy .key, staged generate-csr kubeconfig). */
  readonly keyPem?: string;
}

/** The same kubeconfig with the current user's certificate (and key) and the cluster's CA embedded. */
export function fillKubeconfig(view: KubeconfigView, creds: KubeconfigCredentials): string {
  const doc = view.doc.clone();
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  const user = ["users", view.userIndex, "user"];
  const cluster = ["clusters", view.clusterIndex, "cluster"];
  doc.setIn([...user, "client-certificate-data"], b64(creds.certificatePem));
  if (creds.keyPem !== undefined) doc.setIn([...user, "client-key-data"], b64(creds.keyPem));
  doc.setIn([...cluster, "certificate-authority-data"], b64(creds.certificateAuthorityPem));
  // A path next to embedded data is ambiguous to readers; kubeadm's own files only ever embed.
  doc.deleteIn([...cluster, "certificate-authority"]);
  return doc.toString({ lineWidth: 0 });
}

/** The same kubeconfig with only the current cluster's certificate-authority-data replaced (trust follows a CA rotation). */
export function fillKubeconfigAuthority(view: KubeconfigView, certificateAuthorityPem: string): string {
  const doc = view.doc.clone();
  const cluster = ["clusters", view.clusterIndex, "cluster"];
  doc.setIn([...cluster, "certificate-authority-data"], Buffer.from(certificateAuthorityPem, "utf8").toString("base64"));
  doc.deleteIn([...cluster, "certificate-authority"]);
  return doc.toString({ lineWidth: 0 });
}
