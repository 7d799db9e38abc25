// The X.509 AlgorithmIdentifier for each signature algorithm a Signer produces, encoded once and
// shared by every certificate (signature field and signatureAlgorithm field).
import type { SignatureAlgorithm } from "../signers/signer.js";
import { explicit, integer, nullValue, oid, sequence } from "./der-writer.js";
import { OID } from "./oids.js";

/** AlgorithmIdentifier with NULL parameters (RFC 4055 §2.1 for SHA-2 in RSA structures, §5). */
const withNull = (algorithm: string) => sequence([oid(algorithm), nullValue()]);

/**
 * RSASSA-PSS-params (RFC 4055 §3.1): SHA-256, MGF1 with SHA-256, salt 32. The trailer field is 1,
 * the DEFAULT, so DER leaves it out.
 */
function rsaSsaPssParams(): Uint8Array {
  return sequence([explicit(0, withNull(OID.sha256)), explicit(1, sequence([oid(OID.mgf1), withNull(OID.sha256)])), explicit(2, integer(32n))]);
}

function build(algorithm: SignatureAlgorithm): Uint8Array {
  switch (algorithm) {
    case "ecdsa-with-SHA256": // RFC 5758 §3.2: no parameters
      return sequence([oid(OID.ecdsaWithSha256)]);
    case "ecdsa-with-SHA384":
      return sequence([oid(OID.ecdsaWithSha384)]);
    case "sha256WithRSAEncryption": // RFC 4055 §5: NULL parameters
      return withNull(OID.sha256WithRsa);
    case "rsassa-pss-sha256":
      return sequence([oid(OID.rsassaPss), rsaSsaPssParams()]);
  }
}

const ENCODED = new Map<SignatureAlgorithm, Uint8Array>();

/** The identifier's DER, encoded once per algorithm. */
export function signatureAlgorithmDer(algorithm: SignatureAlgorithm): Uint8Array {
  let der = ENCODED.get(algorithm);
  if (!der) {
    der = build(algorithm);
    ENCODED.set(algorithm, der);
  }
  return der;
}
