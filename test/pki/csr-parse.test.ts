import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { GeneralName, Name, OtherName, RelativeDistinguishedName, AttributeTypeAndValue, AttributeValue } from "@peculiar/asn1-x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import { parseCsr } from "../../src/pki/index.js";
import {
  buildCsr,
  withCommonName,
  withDnsNames,
  withEmails,
  withHash,
  withIpAddresses,
  withKey,
  withOrganizations,
  withoutSubject,
  withPss,
  withRawIp,
  withSan,
  withSubjectAttribute,
  withUris,
} from "../support/csr-builder.js";
import { opensslMakeCsr, opensslReqVerify } from "../support/openssl.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : undefined);

// spec §6: the apiserver CSR kubeadm writes for cp-1.
const apiserverDns = ["cp-1", "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];
const apiserverIps = ["10.96.0.1", "10.0.0.10"];

describe("parseCsr reads subject, SANs and key from kubeadm-shaped CSRs", () => {
  for (const key of ["P-256", "P-384", "RSA-2048"] as const) {
    test(`an apiserver CSR with a ${key} key yields its CN, SANs, key and raw encodings`, async () => {
      const built = buildCsr(withKey(key), withCommonName("kube-apiserver"), withDnsNames(...apiserverDns), withIpAddresses(...apiserverIps));
      assert.equal((await opensslReqVerify(built.pem)).code, 0, "openssl agrees the builder's CSR is valid");
      const csr = parseCsr(built.pem);
      assert.deepEqual(csr.commonNames, ["kube-apiserver"]);
      assert.deepEqual(csr.organizations, []);
      assert.deepEqual(csr.otherSubjectAttributes, []);
      assert.deepEqual(csr.dnsNames, apiserverDns);
      assert.deepEqual(csr.ipAddresses, apiserverIps);
      assert.deepEqual(csr.otherNames, []);
      assert.deepEqual(
        csr.keyAlgorithm,
        key === "RSA-2048" ? { type: "rsa", bits: 2048 } : { type: "ec", curve: key },
      );
      assert.equal(hex(csr.der), hex(built.der));
      assert.equal(hex(csr.subjectDer), hex(built.subjectDer));
      assert.equal(hex(csr.spkiDer), hex(built.spkiDer));
      assert.equal(hex(csr.sanDer), hex(built.sanDer));
      assert.equal(csr.subjectEmpty, false);
      assert.equal(csr.sha256, sha256(built.der));
      assert.equal(csr.publicKeySha256, sha256(built.spkiDer));
    });
  }

  test("subject, SPKI and SAN encodings are views into the CSR bytes, not copies", () => {
    const built = buildCsr(withDnsNames("cp-1"));
    const csr = parseCsr(built.der);
    for (const part of [csr.subjectDer, csr.spkiDer, csr.sanDer!]) assert.equal(part.buffer, built.der.buffer);
  });

  test("a client CSR keeps every O in order and reports other subject attributes", () => {
    const csr = parseCsr(
      buildCsr(withCommonName("kubernetes-admin"), withOrganizations("kubeadm:cluster-admins", "system:masters"), withSubjectAttribute("OU", "ops"), withSubjectAttribute("C", "DE")).pem,
    );
    assert.deepEqual(csr.commonNames, ["kubernetes-admin"]);
    assert.deepEqual(csr.organizations, ["kubeadm:cluster-admins", "system:masters"]);
    assert.deepEqual(csr.otherSubjectAttributes, [
      { type: "OU", value: "ops" },
      { type: "C", value: "DE" },
    ]);
    assert.equal(csr.sanDer, undefined);
    assert.deepEqual(csr.dnsNames, []);
  });

  test("an attribute without a short name is reported by its dotted OID", () => {
    const built = buildCsr((s) => s.subject.push({ oid: "1.3.6.1.4.1.99999.1", value: "x" }));
    assert.deepEqual(parseCsr(built.pem).otherSubjectAttributes, [{ type: "1.3.6.1.4.1.99999.1", value: "x" }]);
  });

  test("a CSR without subject is read as an empty subject", () => {
    const csr = parseCsr(buildCsr(withoutSubject(), withDnsNames("cp-1")).pem);
    assert.equal(csr.subjectEmpty, true);
    assert.deepEqual(csr.commonNames, []);
    assert.equal(hex(csr.subjectDer), "3000");
  });

  test("a UTF-8 common name is decoded as text", () => {
    assert.deepEqual(parseCsr(buildCsr(withCommonName("knoten-ä")).pem).commonNames, ["knoten-ä"]);
  });
});

describe("parseCsr reads DNS SANs as written", () => {
  test("upper case, underscores and a leading wildcard label are DNS names; they are not rewritten", () => {
    const names = ["CP-1.Example.Internal", "_etcd-server._tcp.example.internal", "*.apps.example.internal", "1.2.3.in-addr.arpa"];
    assert.deepEqual(parseCsr(buildCsr(withDnsNames(...names)).pem).dnsNames, names);
  });
});

describe("parseCsr reports IP SANs in canonical text", () => {
  test("an IPv4-mapped IPv6 SAN stays IPv6 and is not merged with the IPv4 address", () => {
    const mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 10];
    const csr = parseCsr(buildCsr(withIpAddresses("10.0.0.10"), withRawIp(mapped)).pem);
    assert.deepEqual(csr.ipAddresses, ["10.0.0.10", "::ffff:10.0.0.10"]);
  });

  test("IPv6 SANs are RFC 5952 text", () => {
    const csr = parseCsr(buildCsr(withIpAddresses("::1", "2001:0db8:0000:0000:0000:0000:0000:0001", "fd00:0:0:1:0:0:0:0")).pem);
    assert.deepEqual(csr.ipAddresses, ["::1", "2001:db8::1", "fd00:0:0:1::"]);
  });
});

describe("parseCsr reports SAN types policy refuses instead of throwing", () => {
  test("email and URI SANs appear in otherNames", () => {
    const csr = parseCsr(buildCsr(withDnsNames("cp-1"), withEmails("root@cp-1"), withUris("spiffe://cluster.local/ns/x")).pem);
    assert.deepEqual(csr.dnsNames, ["cp-1"]);
    assert.deepEqual(csr.otherNames, [
      { type: "email", value: "root@cp-1" },
      { type: "uri", value: "spiffe://cluster.local/ns/x" },
    ]);
  });

  test("otherName, directoryName and registeredID SANs appear in otherNames", () => {
    // A Microsoft UPN: otherName value [0] EXPLICIT UTF8String.
    const upn = new OtherName({ typeId: "1.3.6.1.4.1.311.20.2.3", value: AsnConvert.serialize(new AttributeValue({ utf8String: "admin@corp" })) });
    const dir = new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: "2.5.4.3", value: new AttributeValue({ utf8String: "other" }) })])]);
    const csr = parseCsr(
      buildCsr(withSan(new GeneralName({ otherName: upn }), new GeneralName({ directoryName: dir }), new GeneralName({ registeredID: "1.2.3.4" }))).pem,
    );
    assert.deepEqual(csr.otherNames, [
      { type: "otherName", value: "1.3.6.1.4.1.311.20.2.3:admin@corp" },
      { type: "dirName", value: "CN=other" },
      { type: "registeredID", value: "1.2.3.4" },
    ]);
  });
});

describe("parseCsr verifies every signature kind kubeadm, kubelets and operators produce", () => {
  test("RSA-PSS CSRs verify with SHA-256 and SHA-384", () => {
    for (const hash of ["sha256", "sha384"] as const) {
      assert.deepEqual(parseCsr(buildCsr(withKey("RSA-2048"), withPss(hash)).pem).keyAlgorithm, { type: "rsa", bits: 2048 });
    }
  });

  test("ECDSA P-256 CSRs signed with SHA-384 or SHA-512 and RSA with SHA-512 verify", () => {
    assert.deepEqual(parseCsr(buildCsr(withHash("sha384")).pem).commonNames, ["kube-apiserver"]);
    assert.deepEqual(parseCsr(buildCsr(withHash("sha512")).pem).commonNames, ["kube-apiserver"]);
    assert.deepEqual(parseCsr(buildCsr(withKey("RSA-2048"), withHash("sha512")).pem).commonNames, ["kube-apiserver"]);
  });

  test("an Ed25519 key is reported as ed25519 (policy refuses it) and an RSA-1024 key by its size", () => {
    assert.deepEqual(parseCsr(buildCsr(withKey("Ed25519")).pem).keyAlgorithm, { type: "ed25519" });
    assert.deepEqual(parseCsr(buildCsr(withKey("RSA-1024")).pem).keyAlgorithm, { type: "rsa", bits: 1024 });
  });

  test("base64 DER without PEM armour is accepted", () => {
    const built = buildCsr(withDnsNames("cp-1"));
    assert.equal(parseCsr(Buffer.from(built.der).toString("base64")).sha256, sha256(built.der));
  });

  test("an openssl-made CSR reads the same as a builder-made one", async () => {
    const made = await opensslMakeCsr({
      keyArgs: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
      subject: "/CN=system:node:cp-1/O=system:nodes",
      subjectAltName: "DNS:cp-1,IP:10.0.0.10,IP:::1",
      digest: "-sha256",
    });
    const fromOpenssl = parseCsr(made.csrPem);
    const fromBuilder = parseCsr(
      buildCsr(withCommonName("system:node:cp-1"), withOrganizations("system:nodes"), withDnsNames("cp-1"), withIpAddresses("10.0.0.10", "::1")).pem,
    );
    for (const field of ["commonNames", "organizations", "otherSubjectAttributes", "dnsNames", "ipAddresses", "otherNames", "keyAlgorithm", "subjectEmpty"] as const) {
      assert.deepEqual(fromOpenssl[field], fromBuilder[field], field);
    }
    assert.equal(hex(fromOpenssl.sanDer), hex(fromBuilder.sanDer), "both encode the same GeneralNames");
  });
});
