// What an operator accepted about a CA's signer but must be able to find later: written to the audit
// log once per start (today: a PKCS#11 key that can leave its token, allowed by allowExtractable).
import type { AuditLog } from "../audit/types.js";
import { signerKeyLeavesToken } from "../signers/index.js";
import type { IssuingCa } from "./issuing-ca.js";

export async function auditSignerWarnings(audit: AuditLog, cas: Iterable<IssuingCa>): Promise<void> {
  for (const ca of cas) {
    if (!signerKeyLeavesToken(ca.signer)) continue;
    await audit.append({
      event: "signer-warning",
      requestId: undefined,
      actor: { method: "start", identity: undefined, node: undefined, sourceIp: undefined, userAgent: undefined },
      message: `CA ${ca.name} signs with a private key that can leave its token (CKA_EXTRACTABLE or not CKA_SENSITIVE), accepted by allowExtractable: true`,
    });
  }
}
