// Identity-bound policy through the real pipeline: a fleet worker that no config entry names one by one
// signs its kubelet.conf through its node group (identified by its IAM role session), and nothing else;
// super-admin.conf only for the node the config allows, refused over HTTP with a 403 that says why.
import { createHash, X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import { createIamAuthenticator } from "../../src/auth/aws-iam.js";
import type { Caller } from "../../src/auth/caller.js";
import { compileNodeLookup, loadConfigFile } from "../../src/config/index.js";
import { isKubecaError } from "../../src/errors/index.js";
import { createApp } from "../../src/server/index.js";
import { buildCsr, withCommonName, withOrganizations } from "../support/csr-builder.js";
import { csrFor } from "./section6.js";
import { ORIGIN, startService, writeConfig, type ServiceFixture } from "./service-fixture.js";
import { listen, type HttpClient } from "../support/http.js";

const ACCOUNT = "111122223333";
const WORKER = "ip-10-0-1-20.ec2.internal";
const session = (name: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/kubeca-workers/${name}`;
const kubeletCsr = (node: string) => buildCsr(withCommonName(`system:node:${node}`), withOrganizations("system:nodes")).pem;

describe("a node group worker, identified by its IAM role session", () => {
  let fx: ServiceFixture;
  let worker: Caller;
  before(async () => {
    fx = await startService({
      edit: (raw) => {
        raw.nodeGroups = [{ name: "workers", role: "worker", nameSuffix: ".ec2.internal", allowedCidrs: ["10.0.0.0/16"], allowedDnsSuffixes: [".ec2.internal"] }];
        raw.callers = { iam: [{ name: "worker fleet", arn: `arn:aws:iam::${ACCOUNT}:role/kubeca-workers`, sessionIsNode: true }] };
      },
    });
    const { config } = fx.service;
    const iam = createIamAuthenticator(config.callers.iam, compileNodeLookup(config));
    worker = await iam.authenticate({ headers: {}, method: "POST", url: "/v1/sign", body: undefined, awsIamPrincipal: session(WORKER) });
  });
  after(() => fx?.close());

  it("is a worker bound to its own node name, though no entry under nodes names it", () => {
    assert.deepEqual({ ...worker }, { method: "aws-iam", subject: session(WORKER), node: WORKER, role: "worker" });
    assert.ok(!fx.service.config.nodes.some((n) => n.name === WORKER));
  });

  it("signs its kubelet.conf: system:node:<its name>, issued by the cluster CA, audited with its node", async () => {
    const result = await fx.service.sign(worker, ORIGIN, { name: "kubelet.conf", csr: kubeletCsr(WORKER) });
    const cert = new X509Certificate(result.certificate);
    assert.equal(cert.subject, `CN=system:node:${WORKER}\nO=system:nodes`);
    assert.ok(cert.verify(new X509Certificate(await fx.caPem("ca")).publicKey));
    const last = (await fx.auditLines()).at(-1)!;
    assert.equal(last.event, "issued");
    assert.equal(last.actor.node, WORKER);
    assert.equal(last.actor.identity, session(WORKER));
  });

  it("cannot have another worker's kubelet.conf", async () => {
    const e = await fx.service.sign(worker, ORIGIN, { name: "kubelet.conf", csr: kubeletCsr("ip-10-0-1-21.ec2.internal") }).catch((x: unknown) => x);
    assert.ok(isKubecaError(e));
    assert.deepEqual(e.violations.map((v) => v.rule), ["common-name-mismatch"]);
  });

  it("cannot have apiserver: workers get kubelet.conf only", async () => {
    const e = await fx.service.sign(worker, ORIGIN, { name: "apiserver", csr: csrFor("apiserver") }).catch((x: unknown) => x);
    assert.ok(isKubecaError(e));
    assert.equal(e.code, "KUBECA_POLICY_VIOLATION");
    assert.deepEqual(e.violations.map((v) => `${v.field} ${v.rule}`), ["name file-not-allowed-for-role"]);
    assert.equal((await fx.auditLines()).at(-1)!.event, "refused");
  });

  it("a session whose name matches no group is refused at authentication", async () => {
    const { config } = fx.service;
    const iam = createIamAuthenticator(config.callers.iam, compileNodeLookup(config));
    await assert.rejects(
      iam.authenticate({ headers: {}, method: "POST", url: "/v1/sign", body: undefined, awsIamPrincipal: session("node-9.example.com") }),
      { code: "KUBECA_UNAUTHENTICATED" },
    );
  });
});

describe("super-admin.conf over HTTP", () => {
  const tokens = { "cp-1": "cp-1-token-for-super-admin-tests", "cp-2": "cp-2-token-for-super-admin-tests" };
  const sha = (t: string) => createHash("sha256").update(t).digest("hex");
  let app: FastifyInstance;
  let http: HttpClient;
  let dir: string;
  const post = (node: keyof typeof tokens) =>
    http.post("/v1/sign").set({ authorization: `Bearer ${tokens[node]}`, "content-type": "application/json" }).send({ name: "super-admin.conf", csr: csrFor("super-admin.conf") });
  before(async () => {
    let configPath: string;
    ({ dir, configPath } = await writeConfig({
      edit: (raw) => {
        raw.callers = { tokens: Object.entries(tokens).map(([node, t]) => ({ name: `${node}-token`, sha256: sha(t), node })) };
      },
    }));
    app = await createApp(await loadConfigFile(configPath), { dev: true, logger: false });
    http = await listen(app);
  });
  after(async () => {
    await app?.close();
    const { rm } = await import("node:fs/promises");
    await rm(dir, { recursive: true, force: true });
  });

  it("a second control-plane node is refused with 403 and the super-admin-not-allowed violation", async () => {
    const res = await post("cp-2");
    assert.equal(res.statusCode, 403);
    const problem = res.body;
    assert.equal(problem.code, "KUBECA_POLICY_VIOLATION");
    assert.deepEqual(problem.violations.map((v: { field: string; rule: string }) => `${v.field} ${v.rule}`), ["name super-admin-not-allowed"]);
    assert.match(problem.violations[0].message, /cp-2 is not one of them/);
    assert.doesNotMatch(res.text, /BEGIN CERTIFICATE/);
  });

  it("the first control-plane node (where kubeadm init ran) gets it", async () => {
    const res = await post("cp-1");
    assert.equal(res.statusCode, 200, res.text);
    assert.equal(new X509Certificate(res.body.certificate).subject, "CN=kubernetes-super-admin\nO=system:masters");
  });
});
