// Certificate extensions. What is constant per profile (BasicConstraints, KeyUsage, EKU) or per CA
// (AuthorityKeyIdentifier) is encoded once; only SKI and SAN, which depend on the CSR, are encoded per
// certificate.
import { boolean, implicitPrimitive, namedBits, octetString, oid, sequence } from "./der-writer.js";
import { OID } from "./oids.js";
import type { ExtKeyUsageName, LeafExtensions } from "./types.js";

/** KeyUsage bits (RFC 5280 §4.2.1.3): bit n is `1 << n`. */
export const KEY_USAGE = {
  digitalSignature: 1 << 0,
  keyEncipherment: 1 << 2,
  keyCertSign: 1 << 5,
} as const;

const KEY_PURPOSES: Readonly<Record<ExtKeyUsageName, string>> = {
  serverAuth: OID.serverAuth,
  clientAuth: OID.clientAuth,
};

/** A complete Extension DER around its value's DER; `critical` is written only when true (DEFAULT FALSE). */
export function encodeExtension(extnID: string, critical: boolean, valueDer: Uint8Array): Uint8Array {
  return critical ? sequence([oid(extnID), boolean(true), octetString(valueDer)]) : sequence([oid(extnID), octetString(valueDer)]);
}

/** BasicConstraints (RFC 5280 §4.2.1.9) without pathLenConstraint; cA FALSE is the DEFAULT, left out. */
export function basicConstraints(ca: boolean): Uint8Array {
  return sequence(ca ? [boolean(true)] : []);
}

/**
 * A leaf profile's constant extensions (spec §1.2): BasicConstraints CA:FALSE (critical), KeyUsage
 * (critical) and the EKU list in the given order. KeyUsage is digitalSignature | keyEncipherment by
 * default, for RSA and ECDSA keys alike, as kubeadm writes it; `keyEncipherment: false` leaves
 * digitalSignature alone, as kube-controller-manager issues a kubelet CSR that did not ask for key
 * encipherment (or whose key cannot encipher). Compile once per variant; the result is frozen.
 */
export function compileLeafExtensions(extKeyUsage: readonly ExtKeyUsageName[], options: { keyEncipherment?: boolean } = {}): LeafExtensions {
  if (extKeyUsage.length === 0) throw new TypeError("a leaf profile needs at least one extended key usage");
  const purposes = extKeyUsage.map((u) => {
    const purpose = KEY_PURPOSES[u];
    if (!purpose) throw new TypeError(`unknown extended key usage ${String(u)}`);
    return purpose;
  });
  return Object.freeze({
    extKeyUsage: Object.freeze([...extKeyUsage]),
    basicConstraints: encodeExtension(OID.basicConstraints, true, basicConstraints(false)),
    keyUsage: encodeExtension(
      OID.keyUsage,
      true,
      namedBits(options.keyEncipherment === false ? KEY_USAGE.digitalSignature : KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment),
    ),
    extKeyUsageDer: encodeExtension(OID.extKeyUsage, false, sequence(purposes.map((p) => oid(p)))),
  });
}

/** AuthorityKeyIdentifier with only keyIdentifier: constant per CA. */
export function authorityKeyIdentifierExtension(caKeyId: Uint8Array): Uint8Array {
  return encodeExtension(OID.authorityKeyIdentifier, false, sequence([implicitPrimitive(0, caKeyId)]));
}

const SKI_OID = oid(OID.subjectKeyIdentifier);
const SAN_OID = oid(OID.subjectAltName);
const CRITICAL = boolean(true);

/** Per certificate: SubjectKeyIdentifier, not critical. */
export function subjectKeyIdentifierExtension(keyId: Uint8Array): Uint8Array {
  return sequence([SKI_OID, octetString(octetString(keyId))]);
}

/**
 * Per certificate: SubjectAltName around the CSR's own GeneralNames DER, unchanged. Critical exactly
 * when the subject is empty (RFC 5280 §4.2.1.6).
 */
export function subjectAltNameExtension(generalNamesDer: Uint8Array, critical: boolean): Uint8Array {
  return critical ? sequence([SAN_OID, CRITICAL, octetString(generalNamesDer)]) : sequence([SAN_OID, octetString(generalNamesDer)]);
}
