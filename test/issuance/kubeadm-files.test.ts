// Every kubeadm file of spec §6, with ECDSA P-256 and RSA-2048 CSRs, under P-256, P-384 and RSA CA keys,
// through the real pipeline (pki, kubeadm profiles, policy, memory signers, file audit store). Each
// certificate is checked field by field and by `openssl verify -x509_strict -purpose …` against its CA.
import { X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { CsrKeyType } from "../support/csr-builder.js";
import { opensslCertText, opensslVerify } from "../support/openssl.js";
import { CLIENT, SECTION_6, SERVER, csrFor, type Ca } from "./section6.js";
import { CP1, ORIGIN, startService, type CaKey, type ServiceFixture } from "./service-fixture.js";

function sanList(cert: X509Certificate): { dns: string[]; ip: string[] } {
  const parts = (cert.subjectAltName ?? "").split(", ").filter(Boolean);
  return {
    dns: parts.filter((p) => p.startsWith("DNS:")).map((p) => p.slice(4)).sort(),
    ip: parts.filter((p) => p.startsWith("IP Address:")).map((p) => p.slice(11).toLowerCase().replace(/^0:0:0:0:0:0:0:1$/, "::1")).sort(),
  };
}

for (const caKey of ["ECDSA-P256", "ECDSA-P384", "RSA-2048"] satisfies CaKey[]) {
  describe(`every kubeadm file under a ${caKey} CA`, () => {
    let fx: ServiceFixture;
    const caPems = new Map<Ca, string>();
    before(async () => {
      fx = await startService({ caKey });
      for (const ca of ["ca", "etcd-ca", "front-proxy-ca"] as const) caPems.set(ca, await fx.caPem(ca));
    });
    after(() => fx.close());

    for (const csrKey of ["P-256", "RSA-2048"] satisfies CsrKeyType[]) {
      for (const [file, row] of Object.entries(SECTION_6)) {
        it(`signs ${file} for a ${csrKey} CSR exactly as spec §6 says`, async () => {
          const result = await fx.service.sign(CP1, ORIGIN, { name: file, csr: csrFor(file, csrKey) });
          assert.equal(result.issuer, row.issuer);
          assert.equal(result.caCertificate, caPems.get(row.issuer));
          const cert = new X509Certificate(result.certificate);
          // The subject is the CSR's own encoding, so its attribute order is the CSR's.
          assert.deepEqual(cert.subject.split("\n").sort(), [`CN=${row.cn}`, ...row.o.map((o) => `O=${o}`)].sort());
          assert.equal(cert.issuer, `CN=${row.issuerCn}`);
          assert.deepEqual(sanList(cert), { dns: [...row.dns].sort(), ip: [...row.ip].sort() });
          assert.equal(cert.ca, false);
          assert.equal(cert.serialNumber.toLowerCase().replace(/^0+/, ""), result.serial);

          const text = await opensslCertText(result.certificate);
          assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
          assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
          assert.match(text, new RegExp(`X509v3 Extended Key Usage: \\n\\s+${row.eku.join(", ")}\\n`));
          assert.match(text, /X509v3 Subject Key Identifier/);
          const akiMatch = /X509v3 Authority Key Identifier: \n\s+(?:keyid:)?([0-9A-F:]+)/.exec(text);
          const caText = await opensslCertText(caPems.get(row.issuer)!);
          const skiMatch = /X509v3 Subject Key Identifier: \n\s+([0-9A-F:]+)/.exec(caText);
          assert.equal(akiMatch?.[1], skiMatch?.[1], "AKI must equal the issuing CA's SKI");

          const purpose = row.eku.includes(SERVER) ? "sslserver" : "sslclient";
          const verified = await opensslVerify({ caPem: caPems.get(row.issuer)!, certPem: result.certificate, purpose });
          assert.equal(verified.code, 0, verified.stderr + verified.stdout);
          if (row.eku.includes(CLIENT) && row.eku.includes(SERVER)) {
            const asClient = await opensslVerify({ caPem: caPems.get(row.issuer)!, certPem: result.certificate, purpose: "sslclient" });
            assert.equal(asClient.code, 0, asClient.stderr);
          }
        });
      }
    }

    it("records every issuance in the audit log with serial and certificate hash", async () => {
      const lines = await fx.auditLines();
      const issued = lines.filter((l) => l.event === "issued");
      assert.equal(issued.length, 24);
      assert.ok(issued.every((l) => /^[0-9a-f]+$/.test(l.result.serial) && /^[0-9a-f]{64}$/.test(l.result.certificateSha256)));
      assert.deepEqual(new Set(issued.map((l) => l.request.file)), new Set(Object.keys(SECTION_6)));
    });
  });
}

describe("legacy --csr-only names", () => {
  let fx: ServiceFixture;
  before(async () => {
    fx = await startService();
  });
  after(() => fx.close());
  for (const [legacy, file] of [["etcd-server", "etcd/server"], ["etcd-peer", "etcd/peer"], ["etcd-healthcheck-client", "etcd/healthcheck-client"]] as const) {
    it(`${legacy} is signed as ${file}`, async () => {
      const result = await fx.service.sign(CP1, ORIGIN, { name: legacy, csr: csrFor(file) });
      assert.equal(result.name, legacy);
      assert.equal(result.profile, file);
      assert.equal(result.issuer, "etcd-ca");
    });
  }
});
