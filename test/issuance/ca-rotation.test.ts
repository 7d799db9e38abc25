// CA rotation in the issuance service, across two instances that share one DynamoDB audit table
// (dynalite) as two Lambda instances would: both follow the phase, a change that skips a step or comes
// too soon is refused and recorded, two operators racing for the same step get one change and one
// refusal, and from each phase an abort steps back. CA keys are KMS keys (the local KMS server) made
// into certificates by `kubeca ca init` and `kubeca ca init --next`, so both instances hold the same CAs.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { openAuditReader, type AuditRecord } from "../../src/audit/index.js";
import type { Caller } from "../../src/auth/caller.js";
import { main } from "../../src/cli/main.js";
import { loadConfigFile, type CaName } from "../../src/config/index.js";
import { isKubecaError, type KubecaError } from "../../src/errors/index.js";
import { createIssuanceService, type RunningIssuanceService } from "../../src/issuance/create-service.js";
import { startDynalite, type Dynalite } from "../support/dynalite.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { opensslVerify } from "../support/openssl.js";
import { openKubeletSigner } from "../../src/kubelet/open-kubelet-signer.js";
import { parseCsr } from "../../src/pki/index.js";
import { buildCsr, withCommonName, withIpAddresses, withKey, withOrganizations } from "../support/csr-builder.js";
import { csrFor } from "./section6.js";
import { CP1, ORIGIN, rawConfig } from "./service-fixture.js";

process.env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLE";
process.env.AWS_SECRET_ACCESS_KEY = "secret";
process.env.AWS_REGION = "us-east-1";
process.env.AWS_EC2_METADATA_DISABLED = "true";

const OPERATOR: Caller = { method: "token", subject: "platform-team", node: undefined, role: "operator" };
const NODES = ["cp-1", "cp-2", "worker-1"] as const;

function sink(): { stream: Writable; text: () => string } {
  let out = "";
  return { stream: new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) }), text: () => out };
}

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, { stdout: stdout.stream, stderr: stderr.stream, env: process.env, cwd: process.cwd() });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

async function refused(promise: Promise<unknown>): Promise<KubecaError> {
  const error = await promise.then(
    () => assert.fail("the change was made but must be refused"),
    (e: unknown) => e,
  );
  assert.ok(isKubecaError(error) && error.code === "KUBECA_ROTATION_REFUSED", `expected KUBECA_ROTATION_REFUSED, got ${String(error)}`);
  return error;
}

describe("CA rotation across two service instances", () => {
  let kms: KmsServer;
  let db: Dynalite;
  let dir: string;
  let a: RunningIssuanceService;
  let b: RunningIssuanceService;
  let clock = Date.now();
  const now = () => new Date(clock);
  /** Moves time past the settle period (twice refreshSeconds = 2 s) and every cache. */
  const settle = () => (clock += 2_500);
  let current = "";
  let next = "";

  async function records(event: string): Promise<AuditRecord[]> {
    const reader = await openAuditReader((await loadConfigFile(join(dir, "kubeca.yaml"))).config.audit, dir, { dynamoDbClient: db.client() });
    return (await reader.read({ event: event as never, limit: 500 })).records;
  }

  async function report(service: RunningIssuanceService, node: string, trusted: string[], leaves: { file: string; issuer: string }[]) {
    const caller: Caller = { method: "token", subject: `${node}-token`, node, role: node === "worker-1" ? "worker" : "control-plane" };
    await service.reportTrust(caller, ORIGIN, [{ name: "ca", trusted, leaves: leaves.map((l) => ({ ...l, serial: "01", notAfter: "2027-12-01T10:00:00.000Z" })) }]);
  }

  async function phaseOf(service: RunningIssuanceService, ca: CaName = "ca"): Promise<string | undefined> {
    return (await service.cas()).find((c) => c.name === ca)?.rotation?.phase;
  }

  before(async () => {
    kms = await startKmsServer();
    db = await startDynalite();
    await db.createAuditTable("kubeca-audit");
    dir = await mkdtemp(join(tmpdir(), "kubeca-rotation-"));
    const key = async () => ({ type: "aws-kms", keyId: (await kms.createKey("ECC_NIST_P256")).arn, endpoint: kms.url });
    const raw = rawConfig({ signers: { ca: await key(), "etcd-ca": await key(), "front-proxy-ca": await key() } });
    raw.cas.ca.next = { certificate: { file: "pki/ca-next.crt" }, signer: await key() };
    raw.audit = { store: "dynamodb", table: "kubeca-audit", endpoint: db.endpoint, region: "us-east-1" };
    raw.rotation = { refreshSeconds: 1 };
    await writeFile(join(dir, "kubeca.yaml"), stringify(raw));
    for (const argv of [["ca", "init", "--config", join(dir, "kubeca.yaml")], ["ca", "init", "--next", "--only", "ca", "--config", join(dir, "kubeca.yaml")]]) {
      const out = await cli(argv);
      assert.equal(out.code, 0, out.stderr);
    }
    const loaded = await loadConfigFile(join(dir, "kubeca.yaml"));
    a = await createIssuanceService(loaded, { now });
    b = await createIssuanceService(loaded, { now });
    current = new X509Certificate(await readFile(join(dir, "pki/ca.crt"))).fingerprint256.replaceAll(":", "").toLowerCase();
    next = new X509Certificate(await readFile(join(dir, "pki/ca-next.crt"))).fingerprint256.replaceAll(":", "").toLowerCase();
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await db?.close();
    await kms?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("ca init --next made a second CA with CN=kubernetes and its own KMS key", async () => {
    const cur = new X509Certificate(await readFile(join(dir, "pki/ca.crt")));
    const nxt = new X509Certificate(await readFile(join(dir, "pki/ca-next.crt")));
    assert.equal(nxt.subject, "CN=kubernetes");
    assert.ok(nxt.ca && nxt.verify(nxt.publicKey));
    assert.notEqual(cur.fingerprint256, nxt.fingerprint256);
    assert.ok(!nxt.publicKey.export({ format: "der", type: "spki" }).equals(cur.publicKey.export({ format: "der", type: "spki" })));
  });

  it("idle: GET /v1/ca's entry signs and trusts the current CA alone, and names the next", async () => {
    const ca = (await a.cas()).find((c) => c.name === "ca")!;
    const pem = await readFile(join(dir, "pki/ca.crt"), "utf8");
    assert.equal(ca.certificate, pem);
    assert.equal(ca.bundle, pem);
    assert.equal(ca.rotation?.phase, "idle");
    assert.equal(ca.rotation?.next, await readFile(join(dir, "pki/ca-next.crt"), "utf8"));
    // A CA without a next CA has no rotation block.
    assert.equal((await a.cas()).find((c) => c.name === "etcd-ca")?.rotation, undefined);
  });

  it("a phase change that skips a step, names the wrong phase or has no next CA is refused and recorded", async () => {
    let e = await refused(a.changeRotation(OPERATOR, ORIGIN, { ca: "ca", action: "advance", expect: "idle" }));
    assert.equal(e.violations[0]?.rule, "not-one-step");
    e = await refused(a.changeRotation(OPERATOR, ORIGIN, { ca: "ca", action: "prepare", expect: "sign-new" }));
    assert.equal(e.violations[0]?.rule, "phase-moved");
    assert.match(e.detail, /ca is in phase idle, not sign-new/);
    e = await refused(b.changeRotation(OPERATOR, ORIGIN, { ca: "etcd-ca", action: "prepare", expect: "idle" }));
    assert.equal(e.violations[0]?.rule, "next-ca-missing");
    const refusals = await records("ca-rotation-refused");
    assert.deepEqual(refusals.map((r) => r.violations?.[0]?.rule).reverse(), ["not-one-step", "phase-moved", "next-ca-missing"]);
    assert.equal(refusals.at(-1)?.actor.identity, "platform-team");
    assert.equal(await phaseOf(a), "idle");
  });

  it("prepare on one instance: both serve the bundle of both CAs and still sign with the current one", async () => {
    const summary = await a.changeRotation(OPERATOR, ORIGIN, { ca: "ca", action: "prepare", expect: "idle" });
    assert.equal(summary.rotation?.phase, "trust-both");
    const [change] = await records("ca-rotation");
    assert.deepEqual(change?.rotation, { ca: "ca", action: "prepare", from: "idle", to: "trust-both", current, next, version: 1 });
    // B follows once its cached phase is older than refreshSeconds.
    clock += 1_100;
    assert.equal(await phaseOf(b), "trust-both");
    const ca = (await b.cas()).find((c) => c.name === "ca")!;
    const [curPem, nextPem] = [await readFile(join(dir, "pki/ca.crt"), "utf8"), await readFile(join(dir, "pki/ca-next.crt"), "utf8")];
    assert.equal(ca.bundle, curPem + nextPem);
    assert.equal(ca.certificate, curPem);
    const issued = await b.sign(CP1, ORIGIN, { name: "apiserver", csr: csrFor("apiserver") });
    assert.equal(issued.caCertificate, curPem);
    const ok = await opensslVerify({ caPem: ca.bundle, certPem: issued.certificate, purpose: "sslserver", at: now() });
    assert.equal(ok.code, 0, ok.stderr);
  });

  it("advance is refused too soon after prepare, then while nodes have not installed the bundle", async () => {
    let e = await refused(b.changeRotation(OPERATOR, ORIGIN, { ca: "ca", action: "advance", expect: "trust-both" }));
    assert.equal(e.violations[0]?.rule, "too-soon");
    settle();
    e = await refused(b.changeRotation(OPERATOR, ORIGIN, { ca: "ca", action: "advance", expect: "trust-both" }));
    assert.deepEqual(e.violations.map((v) => `${v.field} ${v.rule}`), NODES.map((n) => `nodes.${n} node-not-reported`));
    await report(a, "cp-1", [current, next], [{ file: "apiserver", issuer: current }]);
    await report(a, "cp-2", [current], [{ file: "apiserver", issuer: current }]);
    const status = (await b.rotationStatus()).find((s) => s.name === "ca")!;
    assert.deepEqual(
      status.advance?.blocking.map((v) => `${v.field} ${v.rule}`),
      ["nodes.cp-2 next-ca-not-trusted", "nodes.worker-1 node-not-reported"],
    );
    assert.deepEqual(status.nodes.find((n) => n.node === "cp-1"), { node: "cp-1", reportedAt: status.nodes[0]?.reportedAt, trustsCurrent: true, trustsNext: true, fromCurrent: ["apiserver"], fromNext: [] });
  });

  it("advance to sign-new once every node trusts both: new leaves come from the next CA on both instances", async () => {
    await report(b, "cp-2", [current, next], [{ file: "apiserver", issuer: current }]);
    await report(b, "worker-1", [current, next], []);
    const summary = await b.changeRotation(OPERATOR, ORIGIN, { ca: "ca", action: "advance", expect: "trust-both" });
    assert.equal(summary.rotation?.phase, "sign-new");
    clock += 1_100;
    const nextPem = await readFile(join(dir, "pki/ca-next.crt"), "utf8");
    for (const service of [a, b]) {
      const issued = await service.sign(CP1, ORIGIN, { name: "admin.conf", csr: csrFor("admin.conf") });
      assert.equal(issued.caCertificate, nextPem);
      const ca = (await service.cas()).find((c) => c.name === "ca")!;
      assert.equal(ca.bundle, nextPem + (await readFile(join(dir, "pki/ca.crt"), "utf8")), "the signing CA comes first");
      assert.equal((await opensslVerify({ caPem: nextPem, certPem: issued.certificate, purpose: "sslclient", at: now() })).code, 0);
      assert.notEqual((await opensslVerify({ caPem: await readFile(join(dir, "pki/ca.crt"), "utf8"), certPem: issued.certificate, at: now() })).code, 0);
    }
  });

  it("the kubelet signer follows the same phase: in sign-new it signs kubelet certificates with the next CA", async () => {
    const parts = await openKubeletSigner(await loadConfigFile(join(dir, "kubeca.yaml")), { now });
    try {
      const ca = await parts.signing.cas("ca");
      assert.equal(ca && "info" in ca ? (ca as { info: { sha256: string } }).info.sha256 : undefined, next);
      const csr = parseCsr(buildCsr(withKey("P-256"), withCommonName("system:node:cp-1"), withOrganizations("system:nodes"), withIpAddresses("10.0.0.10")).pem);
      const issued = await ca!.issuer.issue({ csr, extensions: ca!.extensionsFor(["serverAuth"], { keyEncipherment: false }), serial: new Uint8Array([7]), now: now(), validitySeconds: 3600 });
      const nextPem = await readFile(join(dir, "pki/ca-next.crt"), "utf8");
      assert.equal((await opensslVerify({ caPem: nextPem, certPem: issued.pem, purpose: "sslserver", at: now() })).code, 0);
    } finally {
      await parts.close();
    }
  });

  it("two operators advancing from sign-new at once: one change, one refusal, never a skip", async () => {
    settle();
    for (const n of NODES) await report(a, n, [next, current], [{ file: "apiserver", issuer: next }]);
    const outcomes = await Promise.allSettled([
      a.changeRotation(OPERATOR, ORIGIN, { ca: "ca", action: "advance", expect: "sign-new" }),
      b.changeRotation(OPERATOR, ORIGIN, { ca: "ca", action: "advance", expect: "sign-new" }),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ["fulfilled", "rejected"]);
    const loser = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
    assert.ok(isKubecaError(loser.reason) && loser.reason.code === "KUBECA_ROTATION_REFUSED");
    assert.ok(["phase-moved", "concurrent-change", "too-soon"].includes(loser.reason.violations[0]?.rule ?? ""), loser.reason.detail);
    clock += 1_100;
    assert.equal(await phaseOf(a), "finish");
    assert.equal(await phaseOf(b), "finish");
    const ca = (await a.cas()).find((c) => c.name === "ca")!;
    assert.equal(ca.bundle, await readFile(join(dir, "pki/ca-next.crt"), "utf8"), "finish trusts the next CA alone");
    // A second advance from finish does not exist.
    settle();
    const e = await refused(a.changeRotation(OPERATOR, ORIGIN, { ca: "ca", action: "advance", expect: "finish" }));
    assert.equal(e.violations[0]?.rule, "not-one-step");
  });

  it("abort steps back one phase at a time; back to idle is refused while a node holds a leaf of the next CA", async () => {
    settle();
    await a.changeRotation(OPERATOR, ORIGIN, { ca: "ca", action: "abort", expect: "finish" });
    clock += 1_100;
    assert.equal(await phaseOf(b), "sign-new");
    assert.equal((await b.cas()).find((c) => c.name === "ca")?.bundle.match(/BEGIN CERTIFICATE/g)?.length, 2, "the old CA is trusted again");
    settle();
    await b.changeRotation(OPERATOR, ORIGIN, { ca: "ca", action: "abort", expect: "sign-new" });
    clock += 1_100;
    const curPem = await readFile(join(dir, "pki/ca.crt"), "utf8");
    assert.equal((await a.sign(CP1, ORIGIN, { name: "apiserver", csr: csrFor("apiserver") })).caCertificate, curPem, "the current CA signs again");
    settle();
    const e = await refused(a.changeRotation(OPERATOR, ORIGIN, { ca: "ca", action: "abort", expect: "trust-both" }));
    assert.deepEqual(e.violations.map((v) => v.rule), ["leaves-from-next-ca", "leaves-from-next-ca", "leaves-from-next-ca"]);
    for (const n of NODES) await report(a, n, [current, next], [{ file: "apiserver", issuer: current }]);
    await a.changeRotation(OPERATOR, ORIGIN, { ca: "ca", action: "abort", expect: "trust-both" });
    clock += 1_100;
    const ca = (await b.cas()).find((c) => c.name === "ca")!;
    assert.equal(ca.rotation?.phase, "idle");
    assert.equal(ca.bundle, curPem);
    const changes = (await records("ca-rotation")).reverse().map((r) => `${r.rotation?.action} ${r.rotation?.from}→${r.rotation?.to} v${r.rotation?.version}`);
    // The racing operator that lost after its record was stored left a second v3 record, and then a
    // refusal that says it did not take effect.
    if (changes.length === 7) {
      assert.equal(changes[3], changes[2]);
      assert.ok((await records("ca-rotation-refused")).some((r) => r.violations?.[0]?.rule === "concurrent-change" && r.rotation?.version === 2));
      changes.splice(3, 1);
    }
    assert.deepEqual(changes, [
      "prepare idle→trust-both v1",
      "advance trust-both→sign-new v2",
      "advance sign-new→finish v3",
      "abort finish→sign-new v4",
      "abort sign-new→trust-both v5",
      "abort trust-both→idle v6",
    ]);
  });

  it("the audit chain with every rotation record verifies", async () => {
    const out = await cli(["audit", "verify", "--config", join(dir, "kubeca.yaml")]);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /^OK: \d+ records, chain intact/);
  });
});
