// The X.509 AlgorithmIdentifier for each signature algorithm a Signer produces, encoded once with
// @peculiar/asn1-x509 and shared by every certificate (signature field and signatureAlgorithm field).
import { AsnConvert, AsnProp, AsnPropTypes } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import type { SignatureAlgorithm } from "../signers/signer.js";
import { OID } from "./oids.js";

/** RSASSA-PSS-params (RFC 4055 §3.1). The trailer field is 1, the DEFAULT, so DER leaves it out. */
class RsaSsaPssParams {
  @AsnProp({ type: AlgorithmIdentifier, context: 0 })
  hashAlgorithm = new AlgorithmIdentifier({ algorithm: OID.sha256, parameters: null });

  @AsnProp({ type: AlgorithmIdentifier, context: 1 })
  maskGenAlgorithm = new AlgorithmIdentifier({
    algorithm: OID.mgf1,
    parameters: AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: OID.sha256, parameters: null })),
  });

  @AsnProp({ type: AsnPropTypes.Integer, context: 2, defaultValue: 20 })
  saltLength = 32;

  @AsnProp({ type: AsnPropTypes.Integer, context: 3, defaultValue: 1 })
  trailerField = 1;
}

function build(algorithm: SignatureAlgorithm): AlgorithmIdentifier {
  switch (algorithm) {
    case "ecdsa-with-SHA256": // RFC 5758 §3.2: no parameters
      return new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha256 });
    case "ecdsa-with-SHA384":
      return new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha384 });
    case "sha256WithRSAEncryption": // RFC 4055 §5: NULL parameters
      return new AlgorithmIdentifier({ algorithm: OID.sha256WithRsa, parameters: null });
    case "rsassa-pss-sha256": // SHA-256, MGF1-SHA-256, salt 32, trailer 1
      return new AlgorithmIdentifier({ algorithm: OID.rsassaPss, parameters: AsnConvert.serialize(new RsaSsaPssParams()) });
  }
}

const ENCODED = new Map<SignatureAlgorithm, Uint8Array>();

/** The typed identifier, for building certificates with @peculiar/asn1-x509 (CA creation). */
export function signatureAlgorithmIdentifier(algorithm: SignatureAlgorithm): AlgorithmIdentifier {
  return build(algorithm);
}

/** The identifier's DER, encoded once per algorithm. */
export function signatureAlgorithmDer(algorithm: SignatureAlgorithm): Uint8Array {
  let der = ENCODED.get(algorithm);
  if (!der) {
    der = new Uint8Array(AsnConvert.serialize(build(algorithm)));
    ENCODED.set(algorithm, der);
  }
  return der;
}
