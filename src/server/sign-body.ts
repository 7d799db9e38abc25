// Request bodies of the sign routes, as strict zod schemas: unknown fields are refused.
import { z } from "zod";

/** The most items one batch may carry; kubeadm's generate-csr writes fewer than 20 per node. */
export const MAX_BATCH_ITEMS = 32;
/** A kubeadm file name is short (`apiserver-etcd-client`, `super-admin.conf`). */
export const MAX_NAME_LENGTH = 64;
/** An RSA-4096 CSR with many SANs stays well below this; the 64 KiB body limit applies as well. */
export const MAX_CSR_LENGTH = 16384;

export const SignItemBody = z.strictObject({
  name: z.string().min(1).max(MAX_NAME_LENGTH),
  csr: z.string().min(1).max(MAX_CSR_LENGTH),
});
export type SignItemBody = z.infer<typeof SignItemBody>;

export const SignBatchBody = z.strictObject({
  items: z.array(SignItemBody).min(1).max(MAX_BATCH_ITEMS),
});
export type SignBatchBody = z.infer<typeof SignBatchBody>;
