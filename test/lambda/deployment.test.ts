// serverless.yml and infra/aws/kms-keys.yaml, read as data: the function is deployed as built, every
// documented route has an API Gateway route, and the permissions are the least the function needs.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { parse, parseDocument, visit } from "yaml";
import {
  IDEMPOTENCY_TABLE_ATTRIBUTES,
  IDEMPOTENCY_TABLE_KEY_SCHEMA,
  IDEMPOTENCY_TTL_ATTRIBUTE,
} from "../../src/issuance/dynamodb-idempotency-store.js";
import { REPLAY_TABLE_ATTRIBUTES, REPLAY_TABLE_KEY_SCHEMA, REPLAY_TABLE_TTL_ATTRIBUTE } from "../../src/auth/dynamodb-replay-cache.js";

const root = resolve(import.meta.dirname, "..", "..");
const read = (path: string) => readFileSync(resolve(root, path), "utf8");
const serverless = parse(read("serverless.yml")) as any;
const keysText = read("infra/aws/kms-keys.yaml");
const keys = parse(keysText) as any;
const openapi = parse(read("openapi/openapi.yaml")) as any;

const KEY_PARAMS = ["${param:caKeyArn}", "${param:etcdCaKeyArn}", "${param:frontProxyCaKeyArn}"];
const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

describe("serverless.yml", () => {
  it("deploys the bundle on nodejs22.x arm64", () => {
    assert.equal(serverless.service, "kubeca");
    assert.equal(serverless.provider.runtime, "nodejs22.x");
    assert.equal(serverless.provider.architecture, "arm64");
    assert.equal(serverless.functions.http.handler, "dist/lambda/http.handler");
    assert.ok(serverless.package.patterns.includes("dist/lambda/http.mjs"));
    // The handlers import their shared code and lazily loaded SDK clients from chunks/.
    assert.ok(serverless.package.patterns.includes("dist/lambda/chunks/*.mjs"));
    assert.ok(serverless.package.patterns.includes("kubeca.yaml"));
    assert.equal(serverless.provider.environment.KUBECA_CONFIG_SSM_PARAMETER, "${param:configSsmParameter}");
  });

  it("has an HTTP API route for every route in openapi/openapi.yaml but /metrics, and no other", () => {
    const routes = serverless.functions.http.events.map((e: any) => `${e.httpApi.method} ${e.httpApi.path}`).sort();
    // Operations marked x-kubeca-serve-only (GET /metrics) exist on `kubeca serve` alone.
    const documented = Object.entries(openapi.paths)
      .flatMap(([path, item]) =>
        Object.entries(item as Record<string, { "x-kubeca-serve-only"?: boolean }>)
          .filter(([, operation]) => operation["x-kubeca-serve-only"] !== true)
          .map(([m]) => `${m.toUpperCase()} ${path}`),
      )
      .sort();
    assert.deepEqual(routes, documented);
  });

  it("lets the function sign digests and read public keys of the three CA keys, append to its audit table, and nothing more", () => {
    const statements = serverless.provider.iam.role.statements as any[];
    const actions = statements.flatMap((s) => list(s.Action)).sort();
    assert.deepEqual(actions, ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:PutItem", "dynamodb:PutItem", "dynamodb:Query", "kms:GetPublicKey", "kms:Sign"]);
    for (const s of statements) {
      assert.equal(s.Effect, "Allow");
      assert.ok(!JSON.stringify(s.Resource).includes("*"), `${s.Sid} has a wildcard resource`);
    }
    const sign = statements.find((s) => list(s.Action).includes("kms:Sign"));
    assert.deepEqual(sign.Resource, KEY_PARAMS);
    assert.deepEqual(sign.Condition, { StringEquals: { "kms:MessageType": "DIGEST" } });
    assert.deepEqual(statements.find((s) => list(s.Action).includes("kms:GetPublicKey")).Resource, KEY_PARAMS);
    assert.deepEqual(statements.find((s) => list(s.Action).includes("dynamodb:Query")).Resource, [{ "Fn::GetAtt": ["AuditTable", "Arn"] }]);
    const remember = statements.find((s) => list(s.Action).includes("dynamodb:GetItem"));
    assert.deepEqual(list(remember.Action).sort(), ["dynamodb:GetItem", "dynamodb:PutItem"]);
    assert.deepEqual(remember.Resource, [{ "Fn::GetAtt": ["IdempotencyTable", "Arn"] }]);
  });

  it("lets the function only put proof ids into its replay table, declared with the key and TTL attribute the cache uses", () => {
    const statements = serverless.provider.iam.role.statements as any[];
    const record = statements.find((s) => s.Sid === "RecordUsedProofIds");
    assert.deepEqual(list(record.Action), ["dynamodb:PutItem"]);
    assert.deepEqual(record.Resource, [{ "Fn::GetAtt": ["ReplayTable", "Arn"] }]);
    const table = serverless.resources.Resources.ReplayTable;
    assert.deepEqual(table.Properties.KeySchema, REPLAY_TABLE_KEY_SCHEMA);
    assert.deepEqual(table.Properties.AttributeDefinitions, REPLAY_TABLE_ATTRIBUTES);
    assert.deepEqual(table.Properties.TimeToLiveSpecification, { AttributeName: REPLAY_TABLE_TTL_ATTRIBUTE, Enabled: true });
    assert.deepEqual(serverless.resources.Outputs.ReplayTableName.Value, { Ref: "ReplayTable" });
  });

  it("declares the idempotency table with the key and TTL attribute the DynamoDB store uses", () => {
    const table = serverless.resources.Resources.IdempotencyTable;
    assert.deepEqual(table.Properties.KeySchema, IDEMPOTENCY_TABLE_KEY_SCHEMA);
    assert.deepEqual(table.Properties.AttributeDefinitions, IDEMPOTENCY_TABLE_ATTRIBUTES);
    assert.deepEqual(table.Properties.TimeToLiveSpecification, { AttributeName: IDEMPOTENCY_TTL_ATTRIBUTE, Enabled: true });
    assert.deepEqual(serverless.resources.Outputs.IdempotencyTableName.Value, { Ref: "IdempotencyTable" });
  });

  it("runs the kubelet sweep on a schedule, one at a time, with a role that signs only with the serving CA key", () => {
    const sweep = serverless.functions.kubeletSweep;
    assert.equal(sweep.handler, "dist/lambda/kubelet-sweep.handler");
    assert.ok(serverless.package.patterns.includes("dist/lambda/kubelet-sweep.mjs"));
    assert.equal(sweep.reservedConcurrency, 1);
    assert.equal(sweep.events[0].schedule.rate, "rate(1 minute)");
    const role = serverless.resources.Resources[sweep.role];
    assert.equal(role.Type, "AWS::IAM::Role");
    const statements = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const actions = statements.flatMap((st: any) => list(st.Action)).sort();
    assert.deepEqual(actions, [
      "dynamodb:PutItem",
      "dynamodb:Query",
      "ec2:DescribeInstances",
      "kms:GetPublicKey",
      "kms:Sign",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "ssm:GetParameter",
    ]);
    // DescribeInstances takes no resource ARNs: Resource "*" is its only form, and no other statement has it.
    assert.deepEqual(
      statements.filter((st: any) => list(st.Resource).includes("*")).map((st: any) => [st.Action, st.Resource]),
      [["ec2:DescribeInstances", "*"]],
    );
    const sign = statements.find((st: any) => st.Action === "kms:Sign");
    assert.equal(sign.Resource, "${param:caKeyArn}");
    assert.equal(sign.Condition.StringEquals["kms:MessageType"], "DIGEST");
    assert.ok(statements.every((st: any) => st.Effect === "Allow" && !list(st.Action).some((a: string) => a.includes("*"))));
  });

  it("grants ssm:GetParameter on the one config parameter, only when one is configured", () => {
    const policy = serverless.resources.Resources.ConfigParameterPolicy;
    assert.equal(policy.Condition, "UseSsmConfig");
    const [statement, ...rest] = policy.Properties.PolicyDocument.Statement;
    assert.equal(rest.length, 0);
    assert.equal(statement.Action, "ssm:GetParameter");
    assert.match(statement.Resource["Fn::Sub"], /:parameter\$\{param:configSsmParameter\}$/);
    assert.deepEqual(serverless.resources.Conditions.UseSsmConfig, { "Fn::Not": [{ "Fn::Equals": ["${param:configSsmParameter}", ""] }] });
  });

  it("declares the audit table with the key the DynamoDB store uses", () => {
    const table = serverless.resources.Resources.AuditTable;
    assert.equal(table.DeletionPolicy, "Retain");
    assert.deepEqual(table.Properties.KeySchema, [
      { AttributeName: "chain", KeyType: "HASH" },
      { AttributeName: "seq", KeyType: "RANGE" },
    ]);
  });

  it("declares the same audit table in infra/aws/audit-table.yaml, with point-in-time recovery and deletion protection", () => {
    const standalone = (parse(read("infra/aws/audit-table.yaml")) as any).Resources.AuditTable;
    const lambda = serverless.resources.Resources.AuditTable;
    const comparable = (t: any) => ({ ...t.Properties, TableName: undefined });
    assert.deepEqual(comparable(standalone), comparable(lambda));
    assert.equal(standalone.DeletionPolicy, "Retain");
    assert.equal(standalone.Properties.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, true);
    assert.equal(standalone.Properties.DeletionProtectionEnabled, true);
  });

  it("throttles the API stage", () => {
    const settings = serverless.resources.extensions.HttpApiStage.Properties.DefaultRouteSettings;
    assert.equal(settings.ThrottlingRateLimit, "${param:throttleRateLimit}");
    assert.equal(settings.ThrottlingBurstLimit, "${param:throttleBurstLimit}");
  });
});

describe("infra/aws/kms-keys.yaml", () => {
  const keyResources = ["CaKey", "EtcdCaKey", "FrontProxyCaKey"].map((name) => keys.Resources[name]);
  const functionRole = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/kubeca-${Stage}-${AWS::Region}-http";
  const sweepRole = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/kubeca-${Stage}-${AWS::Region}-kubelet-sweep";

  it("uses no YAML aliases (CloudFormation refuses them)", () => {
    let aliases = 0;
    visit(parseDocument(keysText), { Alias: () => void aliases++ });
    assert.equal(aliases, 0);
  });

  it("creates three retained asymmetric signing keys with ARN outputs", () => {
    for (const key of keyResources) {
      assert.equal(key.Type, "AWS::KMS::Key");
      assert.equal(key.DeletionPolicy, "Retain");
      assert.equal(key.Properties.KeyUsage, "SIGN_VERIFY");
      assert.deepEqual(key.Properties.KeySpec, { Ref: "KeySpec" });
    }
    assert.equal(keys.Parameters.KeySpec.Default, "ECC_NIST_P256");
    assert.deepEqual(Object.keys(keys.Outputs).sort(), ["CaKeyArn", "EtcdCaKeyArn", "FrontProxyCaKeyArn"]);
  });

  it("gives the three keys the same policy", () => {
    const [a, b, c] = keyResources.map((k) => JSON.stringify(k.Properties.KeyPolicy));
    assert.equal(a, b);
    assert.equal(a, c);
  });

  it("lets only the function roles (and the optional ca init principal) sign; administrators cannot", () => {
    const statements = keyResources[0].Properties.KeyPolicy.Statement as any[];
    const plain = statements.filter((s) => s.Sid);
    const admin = plain.find((s) => s.Sid === "KeyAdministratorsManageButCannotSign");
    assert.ok(!list(admin.Action).some((a: string) => a === "kms:Sign" || a === "kms:*" || a.startsWith("kms:Sign")));
    for (const s of plain.filter((s) => s.Effect === "Allow" && list(s.Action).includes("kms:Sign"))) {
      assert.deepEqual(s.Condition.ArnEquals["aws:PrincipalArn"].map((a: any) => a["Fn::Sub"]), [functionRole, sweepRole]);
      assert.equal(s.Condition.StringEquals["kms:MessageType"], "DIGEST");
    }
    const caInit = statements.find((s) => s["Fn::If"])["Fn::If"];
    assert.equal(caInit[0], "HasCaInit");
    assert.deepEqual(caInit[1].Principal, { AWS: { Ref: "CaInitPrincipalArn" } });
    const deny = plain.find((s) => s.Effect === "Deny");
    assert.equal(deny.Action, "kms:Sign");
    assert.equal(deny.Principal, "*");
    const [, withCaInit, withoutCaInit] = deny.Condition.ArnNotEquals["aws:PrincipalArn"]["Fn::If"];
    assert.deepEqual(withoutCaInit.map((a: any) => a["Fn::Sub"]), [functionRole, sweepRole]);
    assert.deepEqual(withCaInit, [...withoutCaInit, { Ref: "CaInitPrincipalArn" }]);
    assert.ok(!statements.some((s) => JSON.stringify(s).includes('"kms:*"')));
  });

  it("names the roles serverless.yml creates", () => {
    assert.equal(serverless.provider.iam.role.name, "kubeca-${sls:stage}-${aws:region}-http");
    assert.equal(serverless.resources.Resources.KubeletSweepRole.Properties.RoleName, "kubeca-${sls:stage}-${aws:region}-kubelet-sweep");
  });
});
