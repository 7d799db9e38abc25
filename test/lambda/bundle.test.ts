// The built bundle, end to end: dist/lambda/http.mjs as `npm run build` wrote it, imported in a fresh
// Node process as Lambda would, with a packaged config whose CA key lives in a local server speaking
// the KMS protocol (real @aws-sdk/client-kms), invoked with API Gateway v2 and v1 events.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildCsr, withCommonName, withOrganizations } from "../support/csr-builder.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { TEST_AWS_CREDENTIALS as credentials, writeKmsCa } from "../support/kms-ca.js";
import { built, BUILT, ROOT } from "../support/built.js";
import { readMetafile, staticallyLoaded, type Metafile } from "../support/metafile.js";
import { httpApiEvent, lambdaContext, restApiEvent } from "./api-gateway-events.js";

/** Everything a cold start loads: http.mjs and the chunks it imports statically (from the metafile). */
function coldStart(): { meta: Metafile; loaded: Set<string> } {
  const meta = readMetafile(join(ROOT, "dist", "lambda", "lambda.meta.json"));
  return { meta, loaded: staticallyLoaded(meta, "dist/lambda/http.mjs") };
}

const TOKEN = "bundle-test-token-0123456789";

// Imports the bundle in a child process (a cold start), runs the events through `handler`, and
// writes the responses to a file (stdout belongs to the function's log).
const INVOKE = `
import { readFileSync, writeFileSync } from "node:fs";
const [bundle, eventsFile, outFile] = process.argv.slice(2);
const { handler } = await import(bundle);
const { events, context } = JSON.parse(readFileSync(eventsFile, "utf8"));
const out = [];
for (const e of events) out.push(await handler(e, context));
writeFileSync(outFile, JSON.stringify(out));
process.exit(0);
`;

describe("the Lambda bundle", () => {
  let dir: string;
  let kms: KmsServer;
  let caPem: string;
  let keyArn: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "kubeca-bundle-"));

    kms = await startKmsServer();
    const ca = await writeKmsCa(kms, join(dir, "task"));
    keyArn = ca.keyArn;
    caPem = ca.pem;
    writeFileSync(
      join(dir, "task", "kubeca.yaml"),
      [
        "apiVersion: kubeca.dev/v1alpha1",
        "kind: Config",
        "cluster: { etcd: { local: false } }",
        ...ca.configLines,
        "nodes:",
        "  - { name: cp1, role: control-plane, advertiseAddress: 10.0.0.10 }",
        "callers:",
        "  tokens:",
        `    - { name: cp1-renewer, sha256: ${createHash("sha256").update(TOKEN).digest("hex")}, node: cp1 }`,
        "audit:",
        `  path: ${join(dir, "audit.jsonl")}`,
      ].join("\n"),
    );
    writeFileSync(join(dir, "invoke.mjs"), INVOKE);
  });
  after(async () => {
    await kms?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Asynchronous: the KMS server lives in this process and must answer while the child runs.
  async function invoke(events: unknown[], env: Record<string, string> = {}) {
    writeFileSync(join(dir, "events.json"), JSON.stringify({ events, context: lambdaContext }));
    await promisify(execFile)(process.execPath, [join(dir, "invoke.mjs"), built(BUILT.lambdaHttp), join(dir, "events.json"), join(dir, "out.json")], {
      env: {
        PATH: process.env.PATH ?? "",
        LAMBDA_TASK_ROOT: join(dir, "task"),
        KUBECA_CONFIG_FILE: "kubeca.yaml",
        KUBECA_LOG_LEVEL: "warn",
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: "true",
        ...env,
      },
    });
    return (
      JSON.parse(readFileSync(join(dir, "out.json"), "utf8")) as { statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded?: boolean }[]
    ).map((r) => {
      const text = r.isBase64Encoded ? Buffer.from(r.body, "base64").toString("utf8") : r.body;
      return { ...r, text, json: r.headers["content-type"]?.startsWith("application/yaml") ? undefined : JSON.parse(text) };
    });
  }

  it("answers health, CA, a refused token and a signed certificate, over v2 and v1 events", async () => {
    const csr = buildCsr(withCommonName("kubernetes-admin"), withOrganizations("kubeadm:cluster-admins"));
    const signBody = JSON.stringify({ name: "admin.conf", csr: csr.pem });
    const signsBefore = kms.signCount(keyArn);
    const [health, ca, refused, signed] = await invoke([
      httpApiEvent({ method: "GET", path: "/healthz" }),
      restApiEvent({ method: "GET", path: "/v1/ca" }),
      httpApiEvent({ method: "POST", path: "/v1/sign", headers: { authorization: "Bearer wrong-token" }, body: signBody }),
      restApiEvent({ method: "POST", path: "/v1/sign", headers: { Authorization: `Bearer ${TOKEN}` }, body: signBody }),
    ]);

    assert.equal(health!.statusCode, 200, health!.body);
    assert.deepEqual(health!.json, { status: "ok" });

    assert.equal(ca!.statusCode, 200);
    assert.deepEqual(ca!.json, { cas: [{ name: "ca", certificate: caPem, bundle: caPem }] });

    assert.equal(refused!.statusCode, 401);
    assert.equal(refused!.headers["content-type"], "application/problem+json; charset=utf-8");
    assert.equal(refused!.json.code, "KUBECA_UNAUTHENTICATED");

    assert.equal(signed!.statusCode, 200, signed!.body);
    const leaf = new X509Certificate(signed!.json.certificate);
    assert.ok(leaf.verify(new X509Certificate(caPem).publicKey), "the leaf verifies against the CA");
    assert.equal(leaf.subject, "CN=kubernetes-admin\nO=kubeadm:cluster-admins");
    assert.equal(kms.signCount(keyArn), signsBefore + 1, "one KMS signature for one certificate");

    const audit = readFileSync(join(dir, "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l).event);
    assert.ok(audit.includes("authentication-failed"), audit.join(","));
    assert.ok(audit.includes("issued"), audit.join(","));
  });

  it("serves the OpenAPI document, whose text and YAML parser are chunks loaded on first use", async () => {
    const [yaml, json] = await invoke([httpApiEvent({ method: "GET", path: "/openapi.yaml" }), restApiEvent({ method: "GET", path: "/openapi.json" })]);
    assert.equal(yaml!.statusCode, 200, yaml!.text);
    assert.equal(yaml!.text, readFileSync(join(ROOT, "openapi", "openapi.yaml"), "utf8"));
    assert.equal(json!.statusCode, 200, json!.text);
    assert.equal(json!.json.openapi, "3.1.0");
    assert.ok(json!.json.paths["/v1/sign"].post, "the sign operation is in the parsed document");
  });

  it("a broken config answers 500 problem+json to every request instead of crashing", async () => {
    const [a, b] = await invoke(
      [httpApiEvent({ method: "GET", path: "/healthz" }), restApiEvent({ method: "GET", path: "/v1/ca" })],
      { KUBECA_CONFIG_FILE: "missing.yaml" },
    );
    for (const r of [a!, b!]) {
      assert.equal(r.statusCode, 500);
      assert.equal(r.json.code, "KUBECA_CONFIG_INVALID");
    }
  });

  it("a config with a pkcs11 signer answers 500 KUBECA_CONFIG_INVALID, the bundle having no PKCS#11 addon to crash on", async () => {
    const config = readFileSync(join(dir, "task", "kubeca.yaml"), "utf8").replace(
      /signer: \{ type: aws-kms[^\n]*/,
      "signer: { type: pkcs11, module: /usr/lib/softhsm/libsofthsm2.so, token: { label: kubeca }, key: { label: kubeca-ca }, pin: { env: KUBECA_PIN } }",
    );
    assert.match(config, /type: pkcs11/);
    writeFileSync(join(dir, "task", "pkcs11.yaml"), config);
    const [health] = await invoke([httpApiEvent({ method: "GET", path: "/healthz" })], { KUBECA_CONFIG_FILE: "pkcs11.yaml" });
    assert.equal(health!.statusCode, 500);
    assert.equal(health!.json.code, "KUBECA_CONFIG_INVALID");
  });

  it("leaves @peculiar/x509 and reflect-metadata out: they are for ca init/show and the node client, not the request path", () => {
    const { loaded } = coldStart();
    assert.ok(loaded.size > 1, "http.mjs imports its shared chunk");
    for (const file of loaded) {
      const code = readFileSync(built(join(ROOT, file)), "utf8");
      // keepNames keeps class names in the minified bundle, so these are there if the library is.
      for (const marker of ["X509CertificateGenerator", "X509ChainBuilder", "defineMetadata"]) {
        assert.ok(!code.includes(marker), `${file} contains ${marker}`);
      }
    }
  });

  it("loads the KMS client and the DynamoDB stores at cold start, as a deployed function uses them (serve loads them on demand)", () => {
    const { meta, loaded } = coldStart();
    const inputs = new Set([...loaded].flatMap((o) => Object.keys(meta.outputs[o]!.inputs)));
    for (const module of ["src/signers/aws-kms.ts", "src/audit/dynamodb-store.ts", "src/issuance/dynamodb-idempotency-store.ts", "src/auth/dynamodb-replay-cache.ts", "src/issuance/dynamodb-rotation-store.ts"]) {
      assert.ok(inputs.has(module), `${module} is part of the cold start`);
    }
    assert.ok([...inputs].some((i) => i.includes("node_modules/@aws-sdk/client-dynamodb/")), "the DynamoDB client is part of the cold start");
  });

  it("loads at cold start neither zod's full build, a second ASN.1 stack, nor the SDK's SSO/STS/INI credential providers", () => {
    // What issue 11 cut from the cold start; each came back once by an innocent-looking import.
    const { meta, loaded } = coldStart();
    const inputs = [...loaded].flatMap((o) => Object.keys(meta.outputs[o]!.inputs));
    assert.ok(inputs.some((i) => i.includes("node_modules/zod/v4/mini/")), "the schemas are zod/mini");
    assert.ok(inputs.some((i) => i.includes("node_modules/@oslojs/asn1/")), "the DER reader and writer are @oslojs/asn1");
    const unwanted = [
      "node_modules/zod/v4/classic/", // the full build: the schemas use zod/mini
      "node_modules/asn1js/",
      "node_modules/@peculiar/",
      "node_modules/@aws-sdk/credential-provider-sso/",
      "node_modules/@aws-sdk/credential-provider-ini/",
      "node_modules/@aws-sdk/nested-clients/",
    ];
    for (const prefix of unwanted) {
      assert.deepEqual(inputs.filter((i) => i.includes(prefix)), [], `a cold start loads ${prefix}`);
    }
  });
});
