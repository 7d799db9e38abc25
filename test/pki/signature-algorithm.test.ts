import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { signatureAlgorithmDer } from "../../src/pki/index.js";

describe("signatureAlgorithmDer", () => {
  // Expected bytes are Go's crypto/x509 encodings of the same identifiers.
  const cases = [
    ["ecdsa-with-SHA256", "300a06082a8648ce3d040302"], // no parameters (RFC 5758)
    ["ecdsa-with-SHA384", "300a06082a8648ce3d040303"],
    ["sha256WithRSAEncryption", "300d06092a864886f70d01010b0500"], // NULL parameters (RFC 4055)
    [
      "rsassa-pss-sha256", // SHA-256, MGF1-SHA-256, salt 32, trailer 1 (the default, so absent)
      "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120",
    ],
  ] as const;
  for (const [algorithm, hex] of cases) {
    test(`${algorithm} encodes as Go does`, () => {
      assert.equal(Buffer.from(signatureAlgorithmDer(algorithm)).toString("hex"), hex);
    });
  }

  test("each identifier is encoded once and reused", () => {
    assert.equal(signatureAlgorithmDer("ecdsa-with-SHA256"), signatureAlgorithmDer("ecdsa-with-SHA256"));
  });
});
