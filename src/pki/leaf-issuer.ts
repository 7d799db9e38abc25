// The issuance hot path. Everything constant for a CA (version, signature algorithm, issuer Name, AKI)
// is encoded when the issuer is created; the profile's extensions arrive pre-encoded. Per certificate
// only the serial, validity, SKI, SAN wrapper and the outer sequences are encoded, around the CSR's own
// subject, SPKI and GeneralNames bytes, which are embedded unchanged.
import { hash } from "node:crypto";
import { KubecaError } from "../errors/index.js";
import type { Signer } from "../signers/signer.js";
import { DerError, expectUniversal, readElement, TAG } from "./der-reader.js";
import { bitString, explicit, integer, sequence, time } from "./der-writer.js";
import { authorityKeyIdentifierExtension, subjectAltNameExtension, subjectKeyIdentifierExtension } from "./extensions.js";
import { subjectKeyIdentifier } from "./key-identifier.js";
import { encodePem } from "./pem.js";
import { serialHex, serialValue } from "./serial.js";
import { signatureAlgorithmDer } from "./signature-algorithm.js";
import type { CaCertificateInfo, IssuedCertificate, IssueRequest, LeafIssuer, ParsedCsr } from "./types.js";

/** kubeadm's CertificateBackdate and KCM's signer: NotBefore is 5 minutes before now (clock skew). */
export const BACKDATE_MS = 5 * 60 * 1000;

const VERSION_3 = explicit(0, integer(2n));

/**
 * An issuer for leaves signed by `signer` under `ca`. The caller has already checked that the signer
 * holds the CA certificate's key (signers/ does that at start).
 */
export function createLeafIssuer(ca: CaCertificateInfo, signer: Signer): LeafIssuer {
  const signatureAlgorithm = signatureAlgorithmDer(signer.algorithm);
  const authorityKeyId = authorityKeyIdentifierExtension(ca.subjectKeyId);
  const caNotAfter = ca.notAfter.getTime();

  async function issue(request: IssueRequest): Promise<IssuedCertificate> {
    const { csr, extensions } = request;
    const serial = serialValue(request.serial);
    const { notBefore, notAfter } = validity(request.now, request.validitySeconds, caNotAfter, ca.subjectText);
    assertEmbeddable(csr);

    const extensionList = [
      extensions.basicConstraints,
      extensions.keyUsage,
      extensions.extKeyUsageDer,
      subjectKeyIdentifierExtension(subjectKeyIdentifier(csr.spkiDer)),
      authorityKeyId,
    ];
    if (csr.sanDer) extensionList.push(subjectAltNameExtension(csr.sanDer, csr.subjectEmpty));

    const tbs = sequence([
      VERSION_3,
      integer(serial),
      signatureAlgorithm,
      ca.subjectDer,
      sequence([time(notBefore), time(notAfter)]),
      csr.subjectDer,
      csr.spkiDer,
      explicit(3, sequence(extensionList)),
    ]);
    const signature = await signer.sign(tbs);
    const der = sequence([tbs, signatureAlgorithm, bitString(signature)]);
    return {
      der,
      pem: encodePem("CERTIFICATE", der),
      serialHex: serialHex(serial),
      notBefore,
      notAfter,
      sha256: hash("sha256", der, "hex"),
    };
  }

  return Object.freeze({ ca, issue });
}

/** NotBefore = now − 5 min; NotAfter = min(now + validity, CA NotAfter); whole seconds, as encoded. */
function validity(now: Date, validitySeconds: number, caNotAfter: number, caName: string): { notBefore: Date; notAfter: Date } {
  if (!Number.isInteger(validitySeconds) || validitySeconds <= 0) {
    throw new KubecaError("KUBECA_INTERNAL", `validity must be a positive whole number of seconds, not ${validitySeconds}`);
  }
  const nowMs = Math.floor(now.getTime() / 1000) * 1000;
  if (caNotAfter <= nowMs) {
    throw new KubecaError("KUBECA_CA_INVALID", `the CA certificate ${caName} expired at ${new Date(caNotAfter).toISOString()}; nothing can be issued under it`);
  }
  return {
    notBefore: new Date(nowMs - BACKDATE_MS),
    notAfter: new Date(Math.min(nowMs + validitySeconds * 1000, caNotAfter)),
  };
}

// parseCsr guarantees these, but the issuer signs whatever it is given, so a hand-made ParsedCsr
// with a broken encoding must fail here rather than yield a signed, unparsable certificate.
function assertEmbeddable(csr: ParsedCsr): void {
  try {
    single(csr.subjectDer, "the subject");
    single(csr.spkiDer, "the public key");
    if (csr.sanDer) single(csr.sanDer, "the SAN");
  } catch (e) {
    if (e instanceof DerError) throw new KubecaError("KUBECA_INTERNAL", `cannot embed the CSR: ${e.message}`);
    throw e;
  }
}

function single(der: Uint8Array, what: string): void {
  const el = readElement(der, 0, der.length, what);
  if (el.end !== der.length) throw new DerError(`${what} has trailing bytes`);
  expectUniversal(el, TAG.sequence, what);
}
