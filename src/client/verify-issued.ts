// Every certificate is checked before anything on the node is touched: it is for the local key, it
// chains to the CA the service reports and to the CA file on the node, and it says what kubeadm expects.
import { X509Certificate } from "node:crypto";
import type { SignResult } from "../issuance/types.js";
import type { ExtKeyUsage } from "../kubeadm/index.js";
import type { FileProblem } from "./discover.js";
import { describeCertificate, parseCertificates, type NodeCa } from "./node-cas.js";
import type { PreparedFile } from "./preflight.js";
import { Reasons } from "./reasons.js";

export const EKU_OIDS: Readonly<Record<ExtKeyUsage, string>> = { serverAuth: "1.3.6.1.5.5.7.3.1", clientAuth: "1.3.6.1.5.5.7.3.2" };

/** The service backdates NotBefore; a node clock this far behind is still accepted. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface VerifyContext {
  readonly now: Date;
  /** The issuing CA as GET /v1/ca reported it. */
  readonly serviceCa: X509Certificate;
  /** The node's CA file; its certificates are empty on first setup (the service's CA is then written). */
  readonly nodeCa: NodeCa;
}

export interface VerifiedCertificate {
  readonly file: PreparedFile;
  readonly result: SignResult;
  readonly leaf: X509Certificate;
  /** Leaf first, then any intermediates, as installed. */
  readonly chainPem: string;
}

export type VerifyOutcome = { readonly ok: true; readonly verified: VerifiedCertificate } | { readonly ok: false; readonly problem: FileProblem };

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** Does `leaf`, through `intermediates`, verify up to `anchor`? */
function chainsTo(leaf: X509Certificate, intermediates: readonly X509Certificate[], anchor: X509Certificate): boolean {
  let current = leaf;
  for (const next of intermediates) {
    // A chain may end with the anchor itself.
    if (current.fingerprint256 === anchor.fingerprint256) return true;
    if (!issuedBy(current, next)) return false;
    current = next;
  }
  return current.fingerprint256 === anchor.fingerprint256 || issuedBy(current, anchor);
}

function subjectValues(cert: X509Certificate, key: string): string[] {
  return cert.subject
    .split("\n")
    .filter((line) => line.startsWith(key + "="))
    .map((line) => line.slice(key.length + 1));
}

export function verifyIssued(file: PreparedFile, result: SignResult, ctx: VerifyContext): VerifyOutcome {
  const p = file.pending.profile;
  const target = file.pending.csrPath;
  const fail = (reason: FileProblem["reason"], message: string): VerifyOutcome => ({ ok: false, problem: { name: p.name, file: target, reason, message: `${p.name}: ${message}` } });

  if (result.issuer !== p.issuer) return fail(Reasons.BadAnswer, `the service says issuer ${result.issuer}, but ${p.name} is issued by ${p.issuer}`);
  let chain: X509Certificate[];
  let answerCa: X509Certificate[];
  try {
    chain = parseCertificates(result.certificate);
    answerCa = parseCertificates(result.caCertificate);
  } catch (e) {
    return fail(Reasons.BadAnswer, `the returned certificate does not parse (${(e as Error).message})`);
  }
  const [leaf, ...intermediates] = chain;
  if (!leaf) return fail(Reasons.BadAnswer, "the answer holds no certificate");
  if (!answerCa.some((c) => c.fingerprint256 === ctx.serviceCa.fingerprint256)) {
    return fail(Reasons.BadAnswer, `the answer's caCertificate is not the ${p.issuer} that GET /v1/ca reports (${describeCertificate(ctx.serviceCa)})`);
  }

  if (!leaf.checkPrivateKey(file.privateKey)) {
    return fail(Reasons.PublicKeyMismatch, `the certificate's public key is not the key of ${file.pending.keySource.path}`);
  }
  if (!chainsTo(leaf, intermediates, ctx.serviceCa)) {
    return fail(Reasons.NotIssuedByCa, `the certificate does not verify against the service's ${p.issuer} (${describeCertificate(ctx.serviceCa)})`);
  }
  if (ctx.nodeCa.certificates.length > 0 && !ctx.nodeCa.certificates.some((anchor) => chainsTo(leaf, intermediates, anchor))) {
    return fail(Reasons.NotIssuedByCa, `the certificate does not verify against ${ctx.nodeCa.path} (${ctx.nodeCa.certificates.map(describeCertificate).join("; ")})`);
  }

  const expectedEku = p.extKeyUsage.map((u) => EKU_OIDS[u]).sort();
  const actualEku = [...(leaf.keyUsage ?? [])].sort();
  if (expectedEku.join(",") !== actualEku.join(",")) {
    return fail(Reasons.UnexpectedContent, `extended key usage is [${actualEku.join(", ")}], expected [${expectedEku.join(", ")}] (${p.extKeyUsage.join(", ")})`);
  }
  if (leaf.ca) return fail(Reasons.UnexpectedContent, "the certificate is a CA certificate");
  const cn = subjectValues(leaf, "CN");
  if (cn.join(",") !== file.csr.commonNames.join(",")) {
    return fail(Reasons.UnexpectedContent, `subject CN is "${cn.join(",")}", the CSR asked for "${file.csr.commonNames.join(",")}"`);
  }
  const orgs = subjectValues(leaf, "O").sort();
  if (orgs.join(",") !== [...file.csr.organizations].sort().join(",")) {
    return fail(Reasons.UnexpectedContent, `subject O is [${orgs.join(", ")}], the CSR asked for [${file.csr.organizations.join(", ")}]`);
  }

  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (notBefore.getTime() > ctx.now.getTime() + CLOCK_SKEW_MS) {
    return fail(Reasons.OutsideValidity, `the certificate is valid only from ${notBefore.toISOString()} (node time ${ctx.now.toISOString()}); check the clocks`);
  }
  if (notAfter.getTime() <= ctx.now.getTime()) {
    return fail(Reasons.OutsideValidity, `the certificate expired at ${notAfter.toISOString()}`);
  }
  return { ok: true, verified: { file, result, leaf, chainPem: chain.map((c) => c.toString()).join("") } };
}
