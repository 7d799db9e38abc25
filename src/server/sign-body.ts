// Request bodies of the sign routes, as strict zod schemas: unknown fields are refused, and so is a
// string that is not well-formed Unicode (a lone UTF-16 surrogate, which JSON's \uXXXX escapes can
// carry): it has no UTF-8 form, so no audit log, jq or other verifier could hold it.
import * as z from "zod/mini";
import "../config/zod-locale.js";
import { loneSurrogates } from "../audit/index.js";

/** The most items one batch may carry; kubeadm's generate-csr writes fewer than 20 per node. */
export const MAX_BATCH_ITEMS = 32;
/** A kubeadm file name is short (`apiserver-etcd-client`, `super-admin.conf`). */
export const MAX_NAME_LENGTH = 64;
/** An RSA-4096 CSR with many SANs stays well below this; the 64 KiB body limit applies as well. */
export const MAX_CSR_LENGTH = 16384;

/** A string schema that also refuses lone surrogates, naming each (rule `encoding`). */
function unicodeString(min: number, max: number) {
  return z.string().check(z.minLength(min), z.maxLength(max))
    .check((ctx) => {
      const lone = loneSurrogates(ctx.value);
      if (lone.length === 0) return;
      const where = lone.slice(0, 3).map((l) => `${l.escaped} at index ${l.index}`).join(", ");
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        params: { rule: "encoding" },
        message: `is not valid Unicode: ${lone.length === 1 ? "a lone UTF-16 surrogate" : `${lone.length} lone UTF-16 surrogates`} (${where}${lone.length > 3 ? ", …" : ""}); send UTF-8 text`,
      });
    });
}

export const SignItemBody = z.strictObject({
  name: unicodeString(1, MAX_NAME_LENGTH),
  csr: unicodeString(1, MAX_CSR_LENGTH),
});
export type SignItemBody = z.infer<typeof SignItemBody>;

export const SignBatchBody = z.strictObject({
  items: z.array(SignItemBody).check(z.minLength(1), z.maxLength(MAX_BATCH_ITEMS)),
});
export type SignBatchBody = z.infer<typeof SignBatchBody>;
