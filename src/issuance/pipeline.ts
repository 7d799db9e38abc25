// The one issuance pipeline (style rule 7). Phases, in order:
//   profile → parse + CSR signature → policy (identity, subject, SANs, key) → idempotency (the same
//   request within the window gets the earlier certificate, audited as reissued) → TBS from the
//   profile → sign → append audit → remember → answer.
// server/, lambda/ and the CLI call it and repeat no phase. Nothing is returned before the audit append
// has resolved; every refusal is appended too, with its violations, and so is every failure to sign
// (signing-failed, with the reason), before the error leaves.
import { signingFailure } from "../audit/index.js";
import type { AuditActor, AuditEvent, AuditLog, AuditRequest, AuditResult } from "../audit/types.js";
import type { Caller, RequestOrigin } from "../auth/caller.js";
import type { CaName } from "../config/index.js";
import { ERRORS, KubecaError, isKubecaError, type Violation } from "../errors/index.js";
import { findProfile, profileNames } from "../kubeadm/index.js";
import type { IssuanceMetrics } from "../metrics/index.js";
import { parseCsr, type IssuedCertificate, type ParsedCsr } from "../pki/index.js";
import { describeKey, violation, type Policy } from "../policy/index.js";
import type { Idempotency } from "./idempotency.js";
import { idempotencyKey, type RememberedIssuance } from "./idempotency-store.js";
import type { IssuingCa } from "./issuing-ca.js";
import type { SignItem, SignResult } from "./types.js";

export interface PipelineDeps {
  readonly policy: Policy;
  /** The CA that signs for a CA name in the current rotation phase. */
  readonly signingCa: (name: CaName) => Promise<IssuingCa | undefined>;
  readonly audit: AuditLog;
  /** Injected so tests pin time and serials. */
  readonly now: () => Date;
  readonly serial: () => Uint8Array;
  readonly idempotency: Idempotency;
  /** Hears every failed signature (readiness re-checks that CA's key at once). */
  readonly onSigningFailure?: (ca: IssuingCa, error: unknown) => void;
  /** Counted after each decision is durably audited. */
  readonly metrics: IssuanceMetrics;
}

export function actorOf(caller: Caller | undefined, origin: RequestOrigin): AuditActor {
  return {
    method: caller?.method ?? "none",
    identity: caller?.subject,
    node: caller?.node,
    sourceIp: origin.sourceIp,
    userAgent: origin.userAgent,
  };
}

function requestOf(item: SignItem, profile: string | undefined, csr: ParsedCsr | undefined): AuditRequest {
  return {
    file: item.name,
    profile,
    csrSha256: csr?.sha256,
    publicKeySha256: csr?.publicKeySha256,
    keyAlgorithm: csr ? describeKey(csr.keyAlgorithm) : undefined,
    subject: csr ? subjectText(csr) : undefined,
    dnsNames: csr?.dnsNames ?? [],
    ipAddresses: csr?.ipAddresses ?? [],
  };
}

function subjectText(csr: ParsedCsr): string {
  return [...csr.commonNames.map((v) => `CN=${v}`), ...csr.organizations.map((v) => `O=${v}`)].join(", ");
}

export async function runPipeline(deps: PipelineDeps, caller: Caller, origin: RequestOrigin, item: SignItem): Promise<SignResult> {
  const actor = actorOf(caller, origin);
  const refuse = async (error: KubecaError, profile: string | undefined, csr: ParsedCsr | undefined): Promise<never> => {
    const event: AuditEvent = {
      event: "refused",
      requestId: origin.requestId,
      actor,
      request: requestOf(item, profile, csr),
      violations: error.violations,
    };
    await deps.audit.append(event); // rejects with KUBECA_AUDIT_UNAVAILABLE: fail closed, the 503 wins
    const found = profile && findProfile(profile);
    deps.metrics.certificateRequest("refused", found ? found.issuer : "unknown", found ? found.name : "unknown", distinctRules(event.violations ?? []));
    throw error;
  };

  // 1. Which kubeadm file.
  const profile = findProfile(item.name);
  if (!profile) {
    return refuse(
      new KubecaError("KUBECA_UNKNOWN_PROFILE", `"${item.name}" is not a kubeadm file kubeca signs; known names: ${profileNames().join(", ")}`, {
        violations: [{ field: "name", rule: "unknown-file", message: `"${item.name}" is not a kubeadm file name` }],
      }),
      undefined,
      undefined,
    );
  }

  // 2. Parse and verify the CSR's self-signature. The CSR is untrusted from here on.
  let csr: ParsedCsr;
  try {
    csr = parseCsr(item.csr);
  } catch (e) {
    if (isKubecaError(e) && (e.code === "KUBECA_CSR_MALFORMED" || e.code === "KUBECA_CSR_SIGNATURE_INVALID")) {
      return refuse(csrRefusal(e), profile.name, undefined);
    }
    throw e;
  }

  // 3. Policy: identity, subject, SANs, key. A refusal is a decision, not an exception.
  const decision = deps.policy.evaluate({ caller, profile, csr });
  if (!decision.allow) {
    return refuse(policyRefusal(item.name, decision.violations), profile.name, csr);
  }

  const ca = await deps.signingCa(decision.issuer);
  if (!ca) {
    // The policy only allows profiles whose CA is configured; reaching this is a configuration bug.
    throw new KubecaError("KUBECA_CONFIG_INVALID", `${profile.name} is issued by ${decision.issuer}, which is not configured under cas`);
  }

  // 4. The same caller, file and CSR within the window: the certificate issued then, no new signature.
  //    Policy ran first, so a replay is only ever handed to a request the current policy allows; the
  //    CA certificate is part of the key, so a replaced CA never hands back a leaf of the old one.
  const request = requestOf(item, profile.name, csr);
  return deps.idempotency.run(idempotencyKey(caller, profile.name, csr.sha256, ca.info.sha256), {
    issue: async (): Promise<RememberedIssuance> => {
      // 5. Certificate from the profile, signed by the issuing CA's signer. A failure is recorded first.
      let issued: IssuedCertificate;
      try {
        issued = await ca.issuer.issue({
          csr,
          extensions: ca.extensionsFor(decision.extKeyUsage),
          serial: deps.serial(),
          now: deps.now(),
          validitySeconds: decision.validitySeconds,
        });
      } catch (error) {
        deps.onSigningFailure?.(ca, error);
        deps.metrics.signerFailure(ca.name, isKubecaError(error) ? error.code : "KUBECA_INTERNAL");
        throw await recordSigningFailure(deps.audit, { event: "signing-failed", requestId: origin.requestId, actor, request, ...signingFailure(ca.name, error) }, error);
      }

      // 6. The record is durable before the certificate leaves (or is remembered for a replay).
      const result: AuditResult = {
        serial: issued.serialHex,
        issuer: ca.info.subjectText,
        notBefore: issued.notBefore.toISOString(),
        notAfter: issued.notAfter.toISOString(),
        certificateSha256: issued.sha256,
      };
      await deps.audit.append({ event: "issued", requestId: origin.requestId, actor, request, result });
      deps.metrics.certificateRequest("issued", ca.name, profile.name);

      return {
        result: {
          name: item.name,
          profile: profile.name,
          issuer: decision.issuer,
          serial: issued.serialHex,
          notBefore: result.notBefore,
          notAfter: result.notAfter,
          certificate: issued.pem,
          caCertificate: ca.info.pem,
        },
        audit: result,
        requestId: origin.requestId,
      };
    },
    replay: async (prior: RememberedIssuance): Promise<SignResult> => {
      // A replay is a decision too: the log shows every certificate handed out, not only every signature.
      await deps.audit.append({
        event: "reissued",
        requestId: origin.requestId,
        actor,
        request,
        result: prior.audit,
        message: `the same CSR for ${profile.name} from the same caller within the idempotency window: the certificate of request ${prior.requestId ?? "(unknown)"} is returned, nothing was signed`,
      });
      deps.metrics.certificateRequest("reissued", ca.name, profile.name);
      return { ...prior.result, name: item.name };
    },
  });
}

/**
 * pki/ says what is wrong with a CSR in its detail; the answer and the record carry it as the one
 * violation of field `csr`, so every refusal has the same shape whatever its status.
 */
function csrRefusal(e: KubecaError): KubecaError {
  if (e.violations.length > 0) return e;
  const rule = e.code === "KUBECA_CSR_SIGNATURE_INVALID" ? "csr-signature-invalid" : "csr-malformed";
  return new KubecaError(e.code, e.detail, { violations: [violation("csr", rule, e.detail)], cause: e });
}

/**
 * Appends the signing-failed record, then returns the error to throw: the signer's own, or, when the
 * record could not be stored either, the audit store's (also 503) unless the signer's was a 503 already.
 */
async function recordSigningFailure(audit: AuditLog, event: AuditEvent, error: unknown): Promise<unknown> {
  try {
    await audit.append(event);
    return error;
  } catch (auditError) {
    return isKubecaError(error) && ERRORS[error.code].status === 503 ? error : auditError;
  }
}

function distinctRules(violations: readonly Violation[]): string[] {
  return [...new Set(violations.map((v) => v.rule))];
}

function policyRefusal(name: string, violations: readonly Violation[]): KubecaError {
  const n = violations.length;
  const first = violations[0]?.message ?? "";
  return new KubecaError(
    "KUBECA_POLICY_VIOLATION",
    `${name}: ${n} policy violation${n === 1 ? "" : "s"}${n > 0 ? `; first: ${first}` : ""}`,
    { violations },
  );
}
