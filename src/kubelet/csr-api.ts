// The CSR and Node calls the kubelet signer makes, over the real client: one seam shared by the
// controller, the sweep and the tests. Conflicts (409) surface as ApiException for apply() to retry.
// Calls share kept connections (kube-client.ts).
import { CertificatesV1Api, CoreV1Api, type KubeConfig, type V1CertificateSigningRequest, type V1Node } from "@kubernetes/client-node";
import { isNotFound } from "./api-errors.js";
import { KeepAlivePool, makeKeepAliveClient } from "./kube-client.js";

export interface CsrApi {
  list(): Promise<{ items: V1CertificateSigningRequest[]; resourceVersion: string }>;
  read(name: string): Promise<V1CertificateSigningRequest | undefined>;
  replaceApproval(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest>;
  replaceStatus(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest>;
  readNode(name: string): Promise<V1Node | undefined>;
  listNodes(): Promise<{ items: V1Node[]; resourceVersion: string }>;
  /** Closes idle connections (when the caller is done for now; later calls open new ones). */
  closeIdle(): void;
}

export function createCsrApi(kc: KubeConfig): CsrApi {
  const pool = new KeepAlivePool();
  const certs = makeKeepAliveClient(kc, CertificatesV1Api, pool);
  const core = makeKeepAliveClient(kc, CoreV1Api, pool);
  return {
    closeIdle: () => pool.closeIdle(),
    async list() {
      const l = await certs.listCertificateSigningRequest();
      return { items: l.items, resourceVersion: l.metadata?.resourceVersion ?? "" };
    },
    async read(name) {
      try {
        return await certs.readCertificateSigningRequest({ name });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    replaceApproval: (csr) => certs.replaceCertificateSigningRequestApproval({ name: csr.metadata?.name ?? "", body: csr }),
    replaceStatus: (csr) => certs.replaceCertificateSigningRequestStatus({ name: csr.metadata?.name ?? "", body: csr }),
    async listNodes() {
      const l = await core.listNode();
      return { items: l.items, resourceVersion: l.metadata?.resourceVersion ?? "" };
    },
    async readNode(name) {
      try {
        return await core.readNode({ name });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
  };
}
