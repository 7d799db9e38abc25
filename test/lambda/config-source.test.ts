// src/lambda/config-source.ts: the config from an SSM parameter (through the real SDK against a
// local SSM server), from KUBECA_CONFIG_FILE, or from kubeca.yaml next to the bundle.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { isKubecaError } from "../../src/errors/index.js";
import { loadLambdaConfig, type SsmReader } from "../../src/lambda/config-source.js";
import { startSsmServer, type SsmServer } from "./ssm-server.js";

const CONFIG = (node: string) => `apiVersion: kubeca.dev/v1alpha1
kind: Config
cluster:
  etcd: { local: false }
cas:
  ca:
    certificate: { file: pki/ca.crt }
    signer: { type: aws-kms, keyId: "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" }
nodes:
  - { name: ${node}, role: control-plane, advertiseAddress: 10.0.0.10 }
`;

describe("Lambda config source", () => {
  let ssm: SsmServer;
  let reader: SsmReader;
  let dir: string;

  before(async () => {
    ssm = await startSsmServer();
    const client = new SSMClient({
      endpoint: ssm.url,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      maxAttempts: 1,
    });
    reader = { getParameter: (Name) => client.send(new GetParameterCommand({ Name, WithDecryption: true })) };
    dir = mkdtempSync(join(tmpdir(), "kubeca-lambda-config-"));
    mkdirSync(join(dir, "bundle"));
    mkdirSync(join(dir, "task", "conf"), { recursive: true });
    writeFileSync(join(dir, "bundle", "kubeca.yaml"), CONFIG("from-bundle-dir"));
    writeFileSync(join(dir, "task", "conf", "kubeca.yaml"), CONFIG("from-config-file"));
  });
  after(async () => {
    await ssm.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads the SSM parameter with decryption; relative paths resolve against the task root", async () => {
    ssm.put("/kubeca/prod/config", CONFIG("from-ssm"));
    const loaded = await loadLambdaConfig(
      { KUBECA_CONFIG_SSM_PARAMETER: "/kubeca/prod/config", LAMBDA_TASK_ROOT: join(dir, "task") },
      { bundleDir: join(dir, "bundle"), ssm: reader },
    );
    assert.equal(loaded.config.nodes[0]!.name, "from-ssm");
    assert.equal(loaded.baseDir, join(dir, "task"));
    assert.deepEqual(ssm.requests.at(-1), { Name: "/kubeca/prod/config", WithDecryption: true });
  });

  it("a missing parameter is a configuration error naming it", async () => {
    await assert.rejects(
      loadLambdaConfig({ KUBECA_CONFIG_SSM_PARAMETER: "/kubeca/absent" }, { bundleDir: dir, ssm: reader }),
      (e: unknown) => isKubecaError(e) && e.code === "KUBECA_CONFIG_INVALID" && /\/kubeca\/absent \(ParameterNotFound\)/.test(e.detail),
    );
  });

  it("SSM throttling is 'not ready', to be retried, not a configuration error", async () => {
    ssm.put("/kubeca/prod/config", CONFIG("from-ssm"));
    ssm.fail("ThrottlingException", 400);
    await assert.rejects(
      loadLambdaConfig({ KUBECA_CONFIG_SSM_PARAMETER: "/kubeca/prod/config" }, { bundleDir: dir, ssm: reader }),
      (e: unknown) => isKubecaError(e) && e.code === "KUBECA_NOT_READY" && e.retryAfter !== undefined,
    );
  });

  it("an invalid config in SSM names the parameter and the bad field", async () => {
    ssm.put("/kubeca/bad", "apiVersion: kubeca.dev/v1alpha1\nkind: Config\n");
    await assert.rejects(
      loadLambdaConfig({ KUBECA_CONFIG_SSM_PARAMETER: "/kubeca/bad" }, { bundleDir: dir, ssm: reader }),
      (e: unknown) => isKubecaError(e) && e.code === "KUBECA_CONFIG_INVALID" && /ssm:\/kubeca\/bad/.test(e.detail) && /nodes/.test(e.detail),
    );
  });

  it("KUBECA_CONFIG_FILE is read relative to the task root", async () => {
    const loaded = await loadLambdaConfig(
      { KUBECA_CONFIG_FILE: "conf/kubeca.yaml", LAMBDA_TASK_ROOT: join(dir, "task") },
      { bundleDir: join(dir, "bundle") },
    );
    assert.equal(loaded.config.nodes[0]!.name, "from-config-file");
    assert.equal(loaded.baseDir, join(dir, "task", "conf"));
  });

  it("without either variable, kubeca.yaml next to the bundle is read", async () => {
    const loaded = await loadLambdaConfig({}, { bundleDir: join(dir, "bundle") });
    assert.equal(loaded.config.nodes[0]!.name, "from-bundle-dir");
  });

  it("a missing config file is a configuration error", async () => {
    await assert.rejects(
      loadLambdaConfig({ KUBECA_CONFIG_FILE: "/nonexistent/kubeca.yaml" }, { bundleDir: dir }),
      (e: unknown) => isKubecaError(e) && e.code === "KUBECA_CONFIG_INVALID",
    );
  });

  it("a pkcs11 signer is refused before anything is built: Lambda cannot load PKCS#11 modules", async () => {
    const pkcs11 = CONFIG("hsm")
      .replace(/signer: \{ type: aws-kms[^\n]*/, "signer: { type: pkcs11, module: /usr/lib/softhsm/libsofthsm2.so, token: { label: kubeca }, key: { label: kubeca-ca }, pin: { env: KUBECA_PIN } }")
      .concat("audit:\n  checkpoint:\n    signer: { type: pkcs11, module: /usr/lib/softhsm/libsofthsm2.so, token: { serial: 1a2b }, key: { id: \"01\" }, pin: { file: /run/pin } }\n");
    writeFileSync(join(dir, "task", "conf", "pkcs11.yaml"), pkcs11);
    await assert.rejects(
      loadLambdaConfig({ KUBECA_CONFIG_FILE: "conf/pkcs11.yaml", LAMBDA_TASK_ROOT: join(dir, "task") }, { bundleDir: join(dir, "bundle") }),
      (e: unknown) =>
        isKubecaError(e) &&
        e.code === "KUBECA_CONFIG_INVALID" &&
        e.detail ===
          "cas.ca.signer, audit.checkpoint.signer: a pkcs11 signer cannot run on Lambda, which cannot load PKCS#11 modules; use aws-kms signers on Lambda, or run kubeca serve on a host that reaches the HSM",
    );
  });
});
