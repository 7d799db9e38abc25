// Who may ask, over HTTP: createApp (the composition `kubeca serve` and Lambda use) with the real
// issuance pipeline and its file audit log. A node that once got kubelet.conf with a token renews with
// that certificate and no shared secret; every refused credential is a 401 problem that says why,
// nothing is issued, and the refusal is in the audit log without the credential's text.
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { RunningIssuanceService } from "../../src/issuance/create-service.js";
import { loadConfigFile } from "../../src/config/index.js";
import { createApp } from "../../src/server/index.js";
import { buildCsr, withCommonName, withDnsNames, withIpAddresses, withOrganizations, type BuiltCsr } from "../support/csr-builder.js";
import { csrFor } from "../issuance/section6.js";
import { ORIGIN, writeConfig } from "../issuance/service-fixture.js";
import { craftProof, createTestCa, issueLeaf, kubeletClientOf, proofFor, type Leaf } from "./proof-fixtures.js";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { listen, type HttpClient } from "../support/http.js";

const CP1_TOKEN = "cp-1-token-for-proof-tests";
const sha = (t: string) => createHash("sha256").update(t).digest("hex");
const FLEET_NODE = "w-17.workers.example.internal";

/** A kubelet client CSR and its key, as the kubelet makes them. */
function kubeletCsr(node: string): BuiltCsr {
  return buildCsr(withCommonName(`system:node:${node}`), withOrganizations("system:nodes"));
}

function asLeaf(certificatePem: string, csr: BuiltCsr): Leaf {
  const keyPem = csr.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  return { certificate: new X509Certificate(certificatePem), pem: certificatePem, privateKey: csr.privateKey, keyPem, combinedPem: certificatePem + keyPem };
}

describe("authentication over HTTP (createApp, real pipeline)", () => {
  let app: FastifyInstance;
  let http: HttpClient;
  let dir: string;
  /** The authenticator's clock; tests move it to make certificates expire. */
  let clock: () => Date = () => new Date();
  let cp1: Leaf;
  let fleetMember: Leaf;

  async function auditLines(): Promise<Record<string, any>[]> {
    const text = await readFile(join(dir, "audit.jsonl"), "utf8");
    return text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  }

  const post = (url: string, body: object, authorization?: string) =>
    http.post(url).set({ "content-type": "application/json", ...(authorization ? { authorization } : {}) }).send(JSON.stringify(body));

  /** A proof for exactly the bytes `post` will send. */
  const proofOf = (leaf: Leaf, url: string, body: object) => proofFor(leaf, { method: "POST", url, body: JSON.stringify(body) });

  before(async () => {
    ({ dir } = await writeConfig({
      edit: (raw) => {
        raw.callers = { tokens: [{ name: "cp-1-bootstrap", sha256: sha(CP1_TOKEN), node: "cp-1" }] };
        raw.nodeGroups = [{ name: "fleet", role: "worker", nameSuffix: ".workers.example.internal", allowedCidrs: ["10.0.2.0/24"] }];
      },
    }));
    app = await createApp(await loadConfigFile(join(dir, "kubeca.yaml")), { dev: true, logger: false, authentication: { now: () => clock() } });
    http = await listen(app);
    // cp-1 gets its kubelet.conf with the bootstrap token: the certificate it will prove itself with.
    const csr = kubeletCsr("cp-1");
    const issued = await post("/v1/sign", { name: "kubelet.conf", csr: csr.pem }, `Bearer ${CP1_TOKEN}`);
    assert.equal(issued.statusCode, 200, issued.text);
    cp1 = asLeaf(issued.body.certificate, csr);
    // A fleet member (node group, no per-node entry) got its kubelet client certificate from the kubelet signer.
    const fleetCsr = kubeletCsr(FLEET_NODE);
    const service = app.issuance as RunningIssuanceService;
    const fleet = await service.sign({ method: "token", subject: "setup", node: FLEET_NODE, role: "worker" }, ORIGIN, { name: "kubelet.conf", csr: fleetCsr.pem });
    fleetMember = asLeaf(fleet.certificate, fleetCsr);
  });
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("a node renews with its current kubelet certificate: 200, and the audit names the certificate as the caller", async () => {
    const body = { name: "etcd/server", csr: csrFor("etcd/server") };
    const res = await post("/v1/sign", body, await proofOf(cp1, "/v1/sign", body));
    assert.equal(res.statusCode, 200, res.text);
    assert.equal(res.body.issuer, "etcd-ca");
    const last = (await auditLines()).at(-1)!;
    assert.equal(last.event, "issued");
    assert.equal(last.actor.method, "certificate");
    assert.equal(last.actor.node, "cp-1");
    assert.match(last.actor.identity, /^CN=system:node:cp-1, serial [0-9a-f]+ \(ca\)$/);
  });

  it("a batch is proved as one request", async () => {
    const body = { items: [{ name: "admin.conf", csr: csrFor("admin.conf") }, { name: "scheduler.conf", csr: csrFor("scheduler.conf") }] };
    const res = await post("/v1/sign/batch", body, await proofOf(cp1, "/v1/sign/batch", body));
    assert.equal(res.statusCode, 200, res.text);
    assert.ok(res.body.items.every((i: { certificate?: string }) => i.certificate));
  });

  it("a node-group member (no per-node entry) renews its kubelet.conf with its certificate", async () => {
    const csr = kubeletCsr(FLEET_NODE);
    const body = { name: "kubelet.conf", csr: csr.pem };
    const res = await post("/v1/sign", body, await proofOf(fleetMember, "/v1/sign", body));
    assert.equal(res.statusCode, 200, res.text);
    assert.equal(new X509Certificate(res.body.certificate).subject, `CN=system:node:${FLEET_NODE}\nO=system:nodes`);
  });

  it("node A's certificate asking for node B's names and IPs is refused by policy (403): the identity is A", async () => {
    const csr = buildCsr(withCommonName("cp-2"), withDnsNames("cp-2", "localhost"), withIpAddresses("10.0.0.11", "127.0.0.1", "::1")).pem;
    const body = { name: "etcd/server", csr };
    const res = await post("/v1/sign", body, await proofOf(cp1, "/v1/sign", body));
    assert.equal(res.statusCode, 403, res.text);
    const problem = res.body;
    assert.equal(problem.code, "KUBECA_POLICY_VIOLATION");
    assert.ok(problem.violations.some((v: { message: string }) => v.message.includes("cp-2")));
    assert.ok(problem.violations.some((v: { message: string }) => v.message.includes("10.0.0.11")));
  });

  it("a worker group member's certificate asking for apiserver is refused by policy (403)", async () => {
    const body = { name: "apiserver", csr: csrFor("apiserver") };
    const res = await post("/v1/sign", body, await proofOf(fleetMember, "/v1/sign", body));
    assert.equal(res.statusCode, 403, res.text);
  });

  describe("each refused credential: 401 with the reason, nothing issued, audited without the credential", () => {
    const body = { name: "admin.conf", csr: csrFor("admin.conf") };
    const sent: string[] = [];

    /** Sends, expects 401 with `detail`, and checks the audit log gained exactly that refusal and no issuance. */
    async function refused(authorization: string | undefined, detail: RegExp, send: { url?: string; body?: object } = {}): Promise<void> {
      if (authorization) sent.push(authorization);
      const before = (await auditLines()).length;
      const res = await post(send.url ?? "/v1/sign", send.body ?? body, authorization);
      assert.equal(res.statusCode, 401, res.text);
      assert.equal(res.headers["www-authenticate"], 'Bearer realm="kubeca", KubecaProof realm="kubeca"');
      const problem = res.body;
      assert.equal(problem.code, "KUBECA_UNAUTHENTICATED");
      assert.match(problem.detail, detail);
      const added = (await auditLines()).slice(before);
      assert.deepEqual(added.map((l) => l.event), ["authentication-failed"]);
      assert.match(added[0]!.message, detail);
      assert.equal(added[0]!.actor.method, "none");
    }

    it("no credential", () => refused(undefined, /no credentials; send Authorization: Bearer <token>, or KubecaProof <JWS>/));

    it("an unknown token", () => refused("Bearer not-a-configured-token", /not one of the configured callers' tokens/));

    it("an expired certificate (the service's clock past its NotAfter)", async () => {
      const later = new Date(Date.parse(cp1.certificate.validTo) + 86400_000);
      clock = () => later;
      try {
        await refused(await craftProof(cp1, { request: { url: "/v1/sign", body: JSON.stringify(body) }, now: later }), /expired at/);
      } finally {
        clock = () => new Date();
      }
    });

    it("a certificate from another CA with the same name", async () => {
      const impostor = await issueLeaf(await createTestCa("kubernetes"), kubeletClientOf("cp-1"));
      await refused(await proofOf(impostor, "/v1/sign", body), /was not issued by this service's CAs/);
    });

    it("the service's own CA certificate presented as the proof's certificate", async () => {
      const caPem = await readFile(join(dir, "pki", "ca.crt"), "utf8");
      const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
      const asLeafOfCa: Leaf = { certificate: new X509Certificate(caPem), pem: caPem, privateKey: key, keyPem: "", combinedPem: "" };
      await refused(await craftProof(asLeafOfCa, { request: { url: "/v1/sign", body: JSON.stringify(body) } }), /is a CA certificate/);
    });

    it("a tampered JWS body (payload swapped after signing)", async () => {
      const proof = await proofOf(cp1, "/v1/sign", body);
      const [header, payload, signature] = proof.slice("KubecaProof ".length).split(".");
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
      const swapped = Buffer.from(JSON.stringify({ ...claims, htu: "/v1/sign/batch" })).toString("base64url");
      await refused(`KubecaProof ${header}.${swapped}.${signature}`, /signature does not verify/);
    });

    it("a body that differs from the signed hash", async () => {
      const proof = await proofOf(cp1, "/v1/sign", body);
      await refused(proof, /request body is not the body the proof signed/, { body: { name: "super-admin.conf", csr: body.csr } });
    });

    it("a replayed jti: the first request is signed, the replay is not", async () => {
      const proof = await proofOf(cp1, "/v1/sign", body);
      const first = await post("/v1/sign", body, proof);
      assert.equal(first.statusCode, 200, first.text);
      await refused(proof, /jti was already used/);
    });

    it("a jti used on /v1/sign is refused on /v1/sign/batch, in a proof made anew for the batch", async () => {
      const proof = await proofOf(cp1, "/v1/sign", body);
      assert.equal((await post("/v1/sign", body, proof)).statusCode, 200);
      const { jti } = JSON.parse(Buffer.from(proof.split(".")[1]!, "base64url").toString());
      const batch = { items: [body] };
      const again = await craftProof(cp1, { request: { url: "/v1/sign/batch", body: JSON.stringify(batch) }, payload: { jti } });
      await refused(again, /jti was already used/, { url: "/v1/sign/batch", body: batch });
    });

    it("two Authorization headers, a valid token first and a proof second, are refused: node's http keeps only the first", async () => {
      const proof = await proofOf(cp1, "/v1/sign", body);
      sent.push(proof);
      const before = (await auditLines()).length;
      // Both on the wire, as a client or a proxy that adds its own may send them.
      const headers: Record<string, string | string[]> = { "content-type": "application/json", authorization: [`Bearer ${CP1_TOKEN}`, proof] };
      const res = await http.post("/v1/sign").set(headers).send(JSON.stringify(body));
      assert.equal(res.statusCode, 401, res.text);
      assert.match(res.body.detail, /more than one Authorization header; send exactly one/);
      assert.deepEqual((await auditLines()).slice(before).map((l) => l.event), ["authentication-failed"]);
    });

    it("an iat 10 minutes old", async () => {
      const old = await proofFor(cp1, { url: "/v1/sign", body: JSON.stringify(body) }, { now: () => new Date(Date.now() - 600_000) });
      await refused(old, /iat is 60\d s old/);
    });

    it("a SigV4 header and forged identity headers on a server without API Gateway are ignored", async () => {
      const before = (await auditLines()).length;
      const res = await http.post("/v1/sign").set({           "content-type": "application/json",           authorization: "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261127/eu-west-1/execute-api/aws4_request, SignedHeaders=host, Signature=00",           "x-amzn-iam-userarn": "arn:aws:sts::111122223333:assumed-role/kubeca-nodes/i-0abc",           "x-apigateway-event": encodeURIComponent(JSON.stringify({ requestContext: { identity: { userArn: "arn:aws:sts::111122223333:assumed-role/kubeca-nodes/i-0abc" } } })),         }).send(JSON.stringify(body));
      assert.equal(res.statusCode, 401);
      assert.match(res.body.detail, /without an IAM principal from API Gateway/);
      assert.equal((await auditLines()).length, before + 1);
    });

    it("no audit record holds any credential's text", async () => {
      const log = await readFile(join(dir, "audit.jsonl"), "utf8");
      assert.ok(sent.length >= 7);
      for (const credential of sent) {
        for (const part of credential.split(/[ .]/).filter((p) => p.length >= 16)) assert.ok(!log.includes(part), `the audit log contains part of ${credential.slice(0, 30)}…`);
      }
      assert.ok(!log.includes(CP1_TOKEN));
    });
  });
});
