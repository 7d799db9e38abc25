// CSR + Node → Facts: the only I/O before a decision (cert-manager's gatherer). Parsing happens
// here so decide() stays pure; a missing Node is a fact, any other read failure is transient.
import type { V1CertificateSigningRequest, V1Node } from "@kubernetes/client-node";
import { isKubecaError } from "../errors/index.js";
import { parseCsr } from "../pki/csr.js";
import type { AddressSource } from "./address-source.js";
import type { Facts, NodeFacts, RequestFacts } from "./facts.js";
import type { KubeletPolicy } from "./kubelet-policy.js";
import { KUBELET_SERVING_SIGNER } from "./reasons.js";
import { nodeNameOf } from "./serving-checks.js";

export interface GatherDeps {
  readonly policy: KubeletPolicy;
  readonly addressSource: AddressSource;
  /** The Node, or undefined when it does not exist (404). Other failures throw. */
  readNode(name: string): Promise<V1Node | undefined>;
  /** The Node from a live cache (node-cache.ts), or undefined: then it is read. */
  cachedNode?(name: string): V1Node | undefined;
}

export async function gather(csr: V1CertificateSigningRequest, deps: GatherDeps): Promise<Facts> {
  return { policy: deps.policy, request: readRequest(csr), node: await nodeFacts(csr, deps, false) };
}

/** The same facts with the Node read from the apiserver now (a refusal is never made on the cache alone). */
export async function withFreshNode(csr: V1CertificateSigningRequest, facts: Facts, deps: GatherDeps): Promise<Facts> {
  return { ...facts, node: await nodeFacts(csr, deps, true) };
}

function readRequest(csr: V1CertificateSigningRequest): RequestFacts {
  try {
    // spec.request is base64 in JSON; the bytes are PEM.
    const pem = Buffer.from(csr.spec.request ?? "", "base64").toString("utf8");
    return { ok: true, csr: parseCsr(pem) };
  } catch (e) {
    if (isKubecaError(e)) return { ok: false, error: e.detail };
    throw e;
  }
}

async function nodeFacts(csr: V1CertificateSigningRequest, deps: GatherDeps, fresh: boolean): Promise<NodeFacts> {
  if (csr.spec.signerName !== KUBELET_SERVING_SIGNER) return { state: "not-looked-up" };
  const name = nodeNameOf(csr.spec.username);
  if (!name) return { state: "not-looked-up" };
  const cached = fresh ? undefined : deps.cachedNode?.(name);
  const node = cached ?? (await deps.readNode(name));
  if (!node) return { state: "missing", name };
  const addresses = await deps.addressSource.addressesOf(node);
  return cached ? { state: "found", name, addresses, cached: true } : { state: "found", name, addresses };
}
