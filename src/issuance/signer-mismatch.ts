// A signer whose key is not its CA certificate's refuses to start (someone may have swapped the key
// or the certificate). That refusal is a security event, so it is written to the audit log first:
// with a log of its own making (no checkpoint signer: the signers are what is in doubt), closed at
// once. A log that cannot take it does not change the outcome: the start is refused either way.
import { hostname } from "node:os";
import { createAuditLog } from "../audit/index.js";
import type { AuditLog } from "../audit/types.js";
import type { Config } from "../config/index.js";
import type { KubecaError } from "../errors/index.js";

export async function recordSignerMismatch(
  error: KubecaError,
  where: { readonly config: Config; readonly baseDir: string; readonly component: string; readonly audit?: AuditLog },
  onWarning: (message: string, cause?: unknown) => void,
): Promise<void> {
  const owned = where.audit ? undefined : await createAuditLog(where.config.audit, where.baseDir, { onWarning });
  const audit = where.audit ?? owned!;
  try {
    await audit.append({
      event: "signer-mismatch",
      requestId: undefined,
      actor: { method: "startup", identity: where.component, node: hostname(), sourceIp: undefined, userAgent: undefined },
      message: `${error.detail}; ${where.component} refused to start`,
    });
  } catch (e) {
    onWarning(`the signer-mismatch record could not be written to the audit log: ${(e as Error)?.message ?? e}`, e);
  } finally {
    await owned?.close().catch(() => undefined);
  }
}
