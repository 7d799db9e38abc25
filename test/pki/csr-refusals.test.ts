import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { describe, test } from "node:test";
import { Attribute } from "@peculiar/asn1-x509";
import { parseCsr } from "../../src/pki/index.js";
import {
  buildCsr,
  buildCsrFromInfo,
  cachedKey,
  spkiOf,
  toPem,
  withAttribute,
  withDnsNames,
  withHash,
  withCommonName,
  withKey,
  withoutSubject,
  withPss,
  withPublicKeyInfo,
  withRawGeneralName,
  withRawIp,
  withRawRsaKey,
  withSubjectValueDer,
  withTamperedSignature,
} from "../support/csr-builder.js";
import { ascii, concat, integer, oid, sequence, set, tlv } from "../support/der.js";
import { opensslMakeCsr } from "../support/openssl.js";
import { assertRefused } from "./refusal.js";

/** A request info written by hand: version 0, this subject, the cached P-256 key, these attributes. */
const handWrittenInfo = (subject: Uint8Array, attributes: Uint8Array = tlv(0xa0), spki = spkiOf("P-256")): Uint8Array =>
  sequence(integer(0), subject, spki, attributes);
const cnOnly = (value: Uint8Array): Uint8Array => sequence(set(sequence(oid("2.5.4.3"), value)));
const sanRequest = (...generalNames: Uint8Array[]): Uint8Array =>
  tlv(0xa0, sequence(oid("1.2.840.113549.1.9.14"), set(sequence(sequence(oid("2.5.29.17"), tlv(0x04, sequence(...generalNames)))))));

const good = buildCsr(withDnsNames("cp-1"));
const certificatePem = good.pem.replaceAll("CERTIFICATE REQUEST", "CERTIFICATE");
const privateKeyPem = String(cachedKey("P-256").export({ type: "pkcs8", format: "pem" }));

describe("parseCsr refuses input that is not exactly one CSR", () => {
  test("two CSR blocks are refused, asking for one CSR per item", () => {
    assertRefused(() => parseCsr(good.pem + good.pem), "KUBECA_CSR_MALFORMED", "found 2 PEM blocks; send one CSR per item");
  });

  test("a certificate is refused as a CERTIFICATE, not a CERTIFICATE REQUEST", () => {
    assertRefused(() => parseCsr(certificatePem), "KUBECA_CSR_MALFORMED", "this is a CERTIFICATE, not a CERTIFICATE REQUEST");
  });

  test("a private key is refused without echoing it, even next to a valid CSR", () => {
    for (const input of [privateKeyPem, good.pem + privateKeyPem]) {
      assertRefused(
        () => parseCsr(input),
        "KUBECA_CSR_MALFORMED",
        "this contains a private key (PRIVATE KEY block); never send a private key, send only the .csr file",
      );
    }
    const ecKey = String(cachedKey("P-256").export({ type: "sec1", format: "pem" }));
    assertRefused(() => parseCsr(ecKey), "KUBECA_CSR_MALFORMED", /\(EC PRIVATE KEY block\)/);
  });

  test("another PEM type is refused by its label", () => {
    const pub = good.pem.replaceAll("CERTIFICATE REQUEST", "PUBLIC KEY");
    assertRefused(() => parseCsr(pub), "KUBECA_CSR_MALFORMED", "this is a PUBLIC KEY PEM block, not a CERTIFICATE REQUEST");
  });

  test("text outside the PEM block is refused, whitespace is not", () => {
    assertRefused(
      () => parseCsr(`Subject: CN=x\n${good.pem}`),
      "KUBECA_CSR_MALFORMED",
      "found 13 characters of text outside the PEM block; send the CERTIFICATE REQUEST block alone",
    );
    assert.equal(parseCsr(`\n\r\n  ${good.pem.replaceAll("\n", "\r\n")}\n\n`).sha256, parseCsr(good.pem).sha256);
  });

  test("a BEGIN line without its END line is refused", () => {
    assertRefused(
      () => parseCsr(good.pem.replace("-----END CERTIFICATE REQUEST-----", "")),
      "KUBECA_CSR_MALFORMED",
      "the BEGIN CERTIFICATE REQUEST line has no matching END CERTIFICATE REQUEST line",
    );
  });

  test("an END line without a BEGIN line is refused", () => {
    assertRefused(
      () => parseCsr(good.pem.replace("-----BEGIN CERTIFICATE REQUEST-----", "")),
      "KUBECA_CSR_MALFORMED",
      "found no complete PEM block; a CSR is -----BEGIN CERTIFICATE REQUEST----- … -----END CERTIFICATE REQUEST-----",
    );
  });

  test("PEM headers are refused as not base64", () => {
    const withHeader = good.pem.replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n");
    assertRefused(() => parseCsr(withHeader), "KUBECA_CSR_MALFORMED", "the PEM block's body is not valid base64 (PEM headers are not accepted)");
  });

  test("an empty string and text that is neither PEM nor base64 are refused", () => {
    assertRefused(() => parseCsr("  \n"), "KUBECA_CSR_MALFORMED", "the CSR is empty");
    assertRefused(() => parseCsr("hello, world"), "KUBECA_CSR_MALFORMED", "the CSR (neither PEM nor base64 DER) is not valid base64");
  });

  test("bytes after the DER CSR are refused with their count", () => {
    const der = new Uint8Array([...good.der, 0, 0, 0]);
    assertRefused(() => parseCsr(der), "KUBECA_CSR_MALFORMED", "3 bytes follow the CSR; send exactly one DER CSR");
    const b64 = Buffer.from(new Uint8Array([...good.der, 5])).toString("base64");
    assertRefused(() => parseCsr(b64), "KUBECA_CSR_MALFORMED", "1 byte follow the CSR; send exactly one DER CSR");
  });

  test("PEM text passed as bytes is refused with a hint", () => {
    assertRefused(() => parseCsr(new TextEncoder().encode(good.pem)), "KUBECA_CSR_MALFORMED", "these bytes are PEM text; pass PEM as a string, DER as bytes");
  });

  test("truncated DER is refused", () => {
    assertRefused(() => parseCsr(good.der.subarray(0, 100)), "KUBECA_CSR_MALFORMED", "the CSR is not a valid PKCS#10 request: the CSR is truncated or not DER (at byte 0)");
  });

  test("a BER length (long form for a short length) is refused as not DER", () => {
    // Re-encode the outer length 0x81 0xNN as 0x82 0x00 0xNN: same value, not minimal.
    const d = good.der;
    assert.equal(d[1], 0x81);
    const ber = new Uint8Array([0x30, 0x82, 0x00, ...d.subarray(2)]);
    assertRefused(() => parseCsr(ber), "KUBECA_CSR_MALFORMED", "the CSR is not a valid PKCS#10 request: the CSR uses a non-minimal length encoding (BER, not DER) at byte 0");
  });

  // 1f 0c is tag 12 (UTF8String) in the high-tag-number form: BER allows it, DER does not, Go's parser
  // refuses it, and kubeca would embed the subject and SAN bytes unchanged in the certificate.
  test("a tag written in the high-tag-number form is refused as not DER, in the subject and in a SAN", () => {
    const cn = buildCsrFromInfo(handWrittenInfo(cnOnly(tlv([0x1f, 0x0c], ascii("kube-apiserver")))));
    assertRefused(
      () => parseCsr(cn.pem),
      "KUBECA_CSR_MALFORMED",
      /^the CSR is not a valid PKCS#10 request: the subject attribute item 2 writes tag 12 in the high-tag-number form \(BER, not DER\) at byte \d+$/,
    );
    const san = buildCsrFromInfo(
      handWrittenInfo(cnOnly(tlv(0x13, ascii("kube-apiserver"))), sanRequest(tlv([0x9f, 0x02], ascii("cp-1")))),
    );
    assertRefused(
      () => parseCsr(san.pem),
      "KUBECA_CSR_MALFORMED",
      /^the CSR is not a valid PKCS#10 request: SAN item 1 writes tag 2 in the high-tag-number form \(BER, not DER\) at byte \d+$/,
    );
  });

  test("a tag number of 31 or more is refused: no PKCS#10 or X.509 structure uses one", () => {
    const csr = buildCsrFromInfo(handWrittenInfo(cnOnly(tlv(0x13, ascii("kube-apiserver"))), sanRequest(tlv([0x9f, 0x1f], ascii("cp-1")))));
    assertRefused(
      () => parseCsr(csr.pem),
      "KUBECA_CSR_MALFORMED",
      /^the CSR is not a valid PKCS#10 request: SAN item 1 has tag number 31, which no CSR field uses, at byte \d+$/,
    );
  });
});

describe("parseCsr refuses CSRs whose content cannot be trusted", () => {
  test("a tampered signature is KUBECA_CSR_SIGNATURE_INVALID", () => {
    assertRefused(
      () => parseCsr(buildCsr(withTamperedSignature()).pem),
      "KUBECA_CSR_SIGNATURE_INVALID",
      "the CSR's ecdsa-with-SHA256 signature does not verify with its own public key: the CSR was altered after signing, or signed by another key",
    );
    assertRefused(() => parseCsr(buildCsr(withKey("RSA-2048"), withTamperedSignature()).pem), "KUBECA_CSR_SIGNATURE_INVALID", /sha256WithRSAEncryption signature does not verify/);
  });

  test("a subject altered after signing fails the signature check", () => {
    const der = new Uint8Array(good.der);
    const at = Buffer.from(der).indexOf("kube-apiserver");
    der[at] = "K".charCodeAt(0);
    assertRefused(() => parseCsr(der), "KUBECA_CSR_SIGNATURE_INVALID", /does not verify/);
  });

  test("a SHA-1 signature is refused, naming SHA-1", () => {
    for (const key of ["P-256", "RSA-2048"] as const) {
      assertRefused(
        () => parseCsr(buildCsr(withKey(key), withHash("sha1")).pem),
        "KUBECA_CSR_MALFORMED",
        "the CSR is signed with SHA-1, which is not accepted; sign it with SHA-256 or stronger",
      );
    }
  });

  test("an IP SAN that is neither 4 nor 16 bytes is refused", () => {
    assertRefused(
      () => parseCsr(buildCsr(withRawIp([10, 0, 0, 0, 255, 0, 0, 0])).pem),
      "KUBECA_CSR_MALFORMED",
      "the CSR is not a valid PKCS#10 request: SAN 1 is an IP address of 8 bytes; it must be 4 (IPv4) or 16 (IPv6)",
    );
  });

  test("two extensionRequest attributes are refused", () => {
    const second = new Attribute({ type: "1.2.840.113549.1.9.14", values: [new Uint8Array([0x30, 0x00]).buffer] });
    assertRefused(
      () => parseCsr(buildCsr(withDnsNames("cp-1"), withAttribute(second)).pem),
      "KUBECA_CSR_MALFORMED",
      "the CSR is not a valid PKCS#10 request: it has two extensionRequest attributes",
    );
  });

  test("a CSR labelled NEW CERTIFICATE REQUEST is accepted like any other", () => {
    const csr = parseCsr(toPem("NEW CERTIFICATE REQUEST", good.der));
    assert.deepEqual(csr.dnsNames, ["cp-1"]);
  });
});

// RFC 5280 §4.2.1.6: a dNSName is in the preferred name syntax. Anything else was compared by policy as
// text and signed: `kubernetes.default.svc\0.k8s.internal` passed a group's `.k8s.internal` suffix.
describe("parseCsr refuses DNS SANs that are not DNS names, saying why", () => {
  const dnsName = (text: string) => withRawGeneralName(tlv(0x82, ascii(text)));
  const refused = (text: string, why: string) =>
    assertRefused(
      () => parseCsr(buildCsr(withDnsNames("cp-1"), dnsName(text)).pem),
      "KUBECA_CSR_MALFORMED",
      `the CSR is not a valid PKCS#10 request: SAN 2 (DNS) ${JSON.stringify(text)} is not a DNS name: ${why}`,
    );

  test("a NUL byte, a space or another control character inside the name", () => {
    refused("kubernetes.default.svc\0.k8s.internal", "it contains a NUL byte");
    refused("a b.k8s.internal", "it contains a space");
    refused("a\tb.k8s.internal", "it contains the control character U+0009");
    refused("user@k8s.internal", 'it contains "@"; a DNS name has letters, digits, hyphens, underscores and dots');
  });

  test("an empty name, an empty label, and a trailing dot no TLS client matches", () => {
    refused("", "it is empty");
    refused(".k8s.internal", "it has an empty label");
    refused("x..k8s.internal", "it has an empty label");
    refused("cp-1.", "it ends with a dot, and TLS clients match no host name against a SAN written so");
  });

  test("labels that start or end with a hyphen or exceed 63 characters, names beyond 253", () => {
    refused("-cp-1.k8s.internal", 'label "-cp-1" starts or ends with a hyphen');
    refused("cp-1-.k8s.internal", 'label "cp-1-" starts or ends with a hyphen');
    refused(`${"a".repeat(64)}.k8s.internal`, `label "${"a".repeat(64)}" is longer than 63 characters`);
    refused(Array.from({ length: 43 }, () => "abcde").join("."), "it is longer than 253 characters");
  });

  test("a wildcard anywhere but as the whole first label", () => {
    const why = "a wildcard is allowed only as the whole first label, as in *.example.com";
    for (const name of ["*", "a.*.example.com", "**.example.com", "*x.example.com", "x*.example.com", "example.*"]) refused(name, why);
  });
});

// kubeadm (Go) and openssl write CN and O as PrintableString or UTF8String. Other string types decoded to
// the same text, passed policy and were embedded unchanged, yet Go's crypto/x509, which the apiserver,
// etcd and kubelets use, refuses UniversalString and VisibleString and a PrintableString or NumericString
// holding characters its type forbids: a certificate policy approved that its users cannot read.
describe("parseCsr reads CN and O only as PrintableString or UTF8String", () => {
  const utf16be = (text: string) => new Uint8Array(Buffer.from(text, "utf16le").swap16());
  const ucs4 = (text: string) => new Uint8Array([...text].flatMap((c) => [0, 0, 0, c.charCodeAt(0)]));
  const cnAs = (der: Uint8Array) => buildCsr(withoutSubject(), withSubjectValueDer("CN", der)).pem;

  test("a CN in another string type is refused, naming the type, though its text is right", () => {
    const types: [string, Uint8Array][] = [
      ["UniversalString", tlv(0x1c, ucs4("kube-apiserver"))],
      ["VisibleString", tlv(0x1a, ascii("kube-apiserver"))],
      ["NumericString", tlv(0x12, ascii("kube-apiserver"))],
      ["IA5String", tlv(0x16, ascii("kube-apiserver"))],
      ["TeletexString", tlv(0x14, ascii("kube-apiserver"))],
      ["BMPString", tlv(0x1e, utf16be("kube-apiserver"))],
    ];
    for (const [name, der] of types) {
      assertRefused(
        () => parseCsr(cnAs(der)),
        "KUBECA_CSR_MALFORMED",
        `the CSR is not a valid PKCS#10 request: the subject CN is a ${name}; kubeca reads CN and O only as PrintableString or UTF8String, as kubeadm and openssl write them`,
      );
    }
  });

  test("a PrintableString with a character PrintableString does not have is refused", () => {
    assertRefused(
      () => parseCsr(buildCsr(withCommonName("kubernetes-admin"), withSubjectValueDer("O", tlv(0x13, ascii("kubeadm:cluster_admins")))).pem),
      "KUBECA_CSR_MALFORMED",
      'the CSR is not a valid PKCS#10 request: the subject O "kubeadm:cluster_admins" is a PrintableString holding "_", which that type does not allow',
    );
    assertRefused(
      () => parseCsr(cnAs(tlv(0x13, ascii("kube-apiserver\0")))),
      "KUBECA_CSR_MALFORMED",
      'the CSR is not a valid PKCS#10 request: the subject CN "kube-apiserver\\u0000" is a PrintableString holding "\\u0000", which that type does not allow',
    );
  });

  test("PrintableString and UTF8String values are read, every PrintableString character included", () => {
    const printable = "Az09 '()+,-./:=?";
    const csr = parseCsr(buildCsr(withoutSubject(), withSubjectValueDer("CN", tlv(0x13, ascii(printable))), withSubjectValueDer("O", tlv(0x0c, ascii("a_b@c")))).pem);
    assert.deepEqual([csr.commonNames, csr.organizations], [[printable], ["a_b@c"]]);
  });
});

describe("parseCsr refuses RSA public exponents no RSA key has", () => {
  test("an exponent that is even, below 3 or above 2^31-1 is refused before the signature is checked", () => {
    for (const [bytes, shown] of [[[1], "1"], [[2], "2"], [[1, 0, 0], "65536"], [[0x00, 0x80, 0, 0, 1], "2147483649"], [[1, 0, 0, 0, 0, 1], "a 6-byte number"]] as const) {
      assertRefused(
        () => parseCsr(buildCsr(withRawRsaKey(bytes), withCommonName("kube-apiserver")).pem),
        "KUBECA_CSR_MALFORMED",
        `the CSR is not a valid PKCS#10 request: the RSA public exponent is ${shown}; it must be odd and from 3 to 2^31-1 (kubeadm uses 65537)`,
      );
    }
  });

  test("exponent 3 is an RSA key like any other: it gets as far as the signature check", () => {
    assertRefused(() => parseCsr(buildCsr(withRawRsaKey([3])).pem), "KUBECA_CSR_SIGNATURE_INVALID", /does not verify with its own public key/);
  });
});

// Policy names keys as kubeadm does (RSA-2048, ECDSA-P256…) and the certificate embeds the CSR's SPKI
// unchanged, so an SPKI that is "RSA-2048" or "P-256" only for OpenSSL reached certificates that Go's
// crypto/x509 (apiserver, etcd, kubelets) cannot load.
describe("parseCsr refuses public key forms kubeadm never makes", () => {
  test("an RSASSA-PSS key (id-RSASSA-PSS SPKI) is refused, though its PSS signature verifies", () => {
    const pssKey = generateKeyPairSync("rsa-pss", { modulusLength: 2048 }).privateKey;
    assertRefused(
      () => parseCsr(buildCsr(withKey("RSA-2048", pssKey), withPss()).pem),
      "KUBECA_CSR_MALFORMED",
      "the CSR is not a valid PKCS#10 request: the public key is an RSASSA-PSS key (OID 1.2.840.113549.1.1.10); kubeca certifies RSA keys only as rsaEncryption, the form kubeadm makes and Go reads",
    );
  });

  test("a compressed EC point is refused, though the signature made with its key verifies", () => {
    const jwk = createPublicKey(cachedKey("P-256")).export({ format: "jwk" });
    const x = Buffer.from(jwk.x!, "base64url");
    const yOdd = Buffer.from(jwk.y!, "base64url")[31]! & 1;
    const spki = sequence(
      sequence(oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")),
      tlv(0x03, new Uint8Array([0, 2 + yOdd, ...x])),
    );
    const csr = buildCsr(withPublicKeyInfo(spki, (info) => new Uint8Array(sign("sha256", info, cachedKey("P-256")))));
    assertRefused(
      () => parseCsr(csr.pem),
      "KUBECA_CSR_MALFORMED",
      "the CSR is not a valid PKCS#10 request: the EC public key is a compressed point; kubeca certifies EC keys only as uncompressed points (04…), the form kubeadm makes and Go reads",
    );
  });

  test("an RSA key whose algorithm identifier lacks its NULL parameters is refused, though its signature verifies", () => {
    const spki = spkiOf("RSA-2048");
    // 30 82 01 22 | 30 0d 06 09 <rsaEncryption> 05 00 | 03 …: the same key bits under 30 0b 06 09 <rsaEncryption>.
    const keyBits = spki.subarray(4 + 15);
    const withoutNull = sequence(sequence(oid("1.2.840.113549.1.1.1")), keyBits);
    const csr = buildCsr(withKey("RSA-2048"), withPublicKeyInfo(withoutNull, (info) => new Uint8Array(sign("sha256", info, cachedKey("RSA-2048")))));
    assertRefused(
      () => parseCsr(csr.pem),
      "KUBECA_CSR_MALFORMED",
      "the CSR is not a valid PKCS#10 request: an RSA public key's algorithm parameters must be NULL (RFC 3279), as kubeadm writes them and Go requires",
    );
  });

  test("a point that is not on its named curve is refused as an invalid key of that curve", () => {
    for (const [curve, oidText, bytes] of [["P-256", "1.2.840.10045.3.1.7", 32], ["P-384", "1.3.132.0.34", 48]] as const) {
      const spki = sequence(sequence(oid("1.2.840.10045.2.1"), oid(oidText)), tlv(0x03, new Uint8Array([0, 4, ...new Array<number>(2 * bytes).fill(7)])));
      const csr = buildCsr(withPublicKeyInfo(spki, () => new Uint8Array(64)));
      assertRefused(
        () => parseCsr(csr.pem),
        "KUBECA_CSR_MALFORMED",
        `the CSR is not a valid PKCS#10 request: the ${curve} public key is invalid (OpenSSL refused to load it)`,
      );
    }
  });
});

describe("parseCsr holds the request structure to PKCS#10 and DER", () => {
  const subject = cnOnly(tlv(0x13, ascii("kube-apiserver")));
  const refusedInfo = (info: Uint8Array, detail: string | RegExp) => assertRefused(() => parseCsr(buildCsrFromInfo(info).pem), "KUBECA_CSR_MALFORMED", detail);

  test("a version other than 0 is refused", () => {
    refusedInfo(sequence(integer(1), subject, spkiOf("P-256"), tlv(0xa0)), "the CSR is not a valid PKCS#10 request: the version is 1; PKCS#10 defines only 0 (v1)");
  });

  test("a fifth field in the request info is refused", () => {
    refusedInfo(
      sequence(integer(0), subject, spkiOf("P-256"), tlv(0xa0), tlv(0x05)),
      "the CSR is not a valid PKCS#10 request: the request info should hold a version, subject, public key and attributes",
    );
  });

  test("an indefinite length (BER) is refused", () => {
    const indefinite = concat(new Uint8Array([0x30, 0x80]), set(sequence(oid("2.5.4.3"), tlv(0x13, ascii("kube-apiserver")))), new Uint8Array([0, 0]));
    refusedInfo(handWrittenInfo(indefinite), /^the CSR is not a valid PKCS#10 request: the request info item 2 is truncated or not DER \(at byte \d+\)$/);
  });

  test("the SAN requested twice in one extension request is refused, so no second SAN can slip past policy", () => {
    const san = (name: string) => sequence(oid("2.5.29.17"), tlv(0x04, sequence(tlv(0x82, ascii(name)))));
    const twice = tlv(0xa0, sequence(oid("1.2.840.113549.1.9.14"), set(sequence(san("cp-1"), san("evil.example.com")))));
    refusedInfo(handWrittenInfo(subject, twice), "the CSR is not a valid PKCS#10 request: the extension request lists 2.5.29.17 twice");
  });

  test("an RSA key under an ECDSA signature algorithm is refused as a signature that cannot be its key's", () => {
    const csr = buildCsrFromInfo(handWrittenInfo(subject, tlv(0xa0), spkiOf("RSA-2048")), withKey("P-256"));
    assertRefused(
      () => parseCsr(csr.pem),
      "KUBECA_CSR_SIGNATURE_INVALID",
      "the CSR says it is signed with ecdsa-with-SHA256, which cannot come from its rsa public key",
    );
  });

  test("an EC key on explicit curve parameters instead of a named curve is refused", async () => {
    const { csrPem } = await opensslMakeCsr({
      keyArgs: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-pkeyopt", "ec_param_enc:explicit"],
      subject: "/CN=kube-apiserver",
    });
    assertRefused(() => parseCsr(csrPem), "KUBECA_CSR_MALFORMED", "the CSR is not a valid PKCS#10 request: an EC public key must name its curve (namedCurve OID)");
  });
});
