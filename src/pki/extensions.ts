// Certificate extensions. What is constant per profile (BasicConstraints, KeyUsage, EKU) or per CA
// (AuthorityKeyIdentifier) is encoded once with @peculiar/asn1-x509; only SKI and SAN, which depend on
// the CSR, are encoded per certificate.
import { ASN1ObjectIdentifier, encodeASN1, encodeObjectIdentifier } from "@oslojs/asn1";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  ExtendedKeyUsage,
  Extension,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
} from "@peculiar/asn1-x509";
import { boolean, octetString, sequence } from "./der-writer.js";
import { OID } from "./oids.js";
import type { ExtKeyUsageName, LeafExtensions } from "./types.js";

const KEY_PURPOSES: Readonly<Record<ExtKeyUsageName, string>> = {
  serverAuth: OID.serverAuth,
  clientAuth: OID.clientAuth,
};

/** A complete Extension DER from an asn1-x509 value. */
export function encodeExtension(extnID: string, critical: boolean, value: unknown): Uint8Array {
  const extension = new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
  return new Uint8Array(AsnConvert.serialize(extension));
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
    const oid = KEY_PURPOSES[u];
    if (!oid) throw new TypeError(`unknown extended key usage ${String(u)}`);
    return oid;
  });
  return Object.freeze({
    extKeyUsage: Object.freeze([...extKeyUsage]),
    basicConstraints: encodeExtension(OID.basicConstraints, true, new BasicConstraints({ cA: false })),
    keyUsage: encodeExtension(
      OID.keyUsage,
      true,
      new KeyUsage(options.keyEncipherment === false ? KeyUsageFlags.digitalSignature : KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment),
    ),
    extKeyUsageDer: encodeExtension(OID.extKeyUsage, false, new ExtendedKeyUsage(purposes)),
  });
}

/** AuthorityKeyIdentifier with only keyIdentifier: constant per CA. */
export function authorityKeyIdentifierExtension(caKeyId: Uint8Array): Uint8Array {
  return encodeExtension(OID.authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(caKeyId) }));
}

const SKI_OID = encodeASN1(new ASN1ObjectIdentifier(encodeObjectIdentifier(OID.subjectKeyIdentifier)));
const SAN_OID = encodeASN1(new ASN1ObjectIdentifier(encodeObjectIdentifier(OID.subjectAltName)));
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
