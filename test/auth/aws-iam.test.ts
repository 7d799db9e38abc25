// src/auth/aws-iam.ts and aws-iam-arn.ts: which Caller an IAM principal from API Gateway yields.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createIamAuthenticator, type IamCallerConfig } from "../../src/auth/aws-iam.js";
import { parseArnPattern, parseCallerArn, matchesArn } from "../../src/auth/aws-iam-arn.js";
import type { NodeDirectory } from "../../src/auth/caller.js";
import { isKubecaError, type KubecaError } from "../../src/errors/index.js";

const ACCOUNT = "111122223333";
const NODES: NodeDirectory = {
  find: (name) =>
    ({
      "cp-1": { role: "control-plane" as const },
      "worker-1": { role: "worker" as const },
      "i-0abc1234def567890": { role: "worker" as const },
    })[name],
};

const ENTRIES: IamCallerConfig[] = [
  { name: "workers", arn: `arn:aws:iam::${ACCOUNT}:role/kubeca/workers`, sessionNodes: { "i-0aaaa1111bbbb2222": "worker-1" } },
  { name: "named-after-instances", arn: `arn:aws:iam::${ACCOUNT}:role/instance-named`, sessionIsNode: true },
  { name: "cp-1 role", arn: `arn:aws:iam::${ACCOUNT}:role/cp-1`, node: "cp-1" },
  { name: "security", arn: `arn:aws:iam::${ACCOUNT}:user/auditors/alice`, auditor: true },
  { name: "one session", arn: `arn:aws:sts::${ACCOUNT}:assumed-role/kubeca/workers-break-glass`, node: "cp-1" },
];

const input = (arn: string | undefined) => ({ headers: {}, method: "POST", url: "/v1/sign", body: undefined, awsIamPrincipal: arn });
const session = (role: string, name: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${name}`;

async function refusal(promise: Promise<unknown>): Promise<KubecaError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(isKubecaError(e), String(e));
    return e;
  }
  assert.fail("expected a refusal");
}

describe("IAM ARNs", () => {
  it("a role ARN with a path matches its sessions by account and role name (sessions carry no path)", () => {
    const pattern = parseArnPattern(`arn:aws:iam::${ACCOUNT}:role/kubeca/workers`);
    assert.deepEqual(pattern, { kind: "role", arn: pattern.arn, partition: "aws", account: ACCOUNT, role: "workers" });
    assert.ok(matchesArn(pattern, parseCallerArn(session("workers", "i-0aaaa1111bbbb2222"))));
    assert.ok(!matchesArn(pattern, parseCallerArn(`arn:aws:sts::444455556666:assumed-role/workers/i-0aaaa1111bbbb2222`)), "another account");
    assert.ok(!matchesArn(pattern, parseCallerArn(`arn:aws-cn:sts::${ACCOUNT}:assumed-role/workers/i-0aaaa1111bbbb2222`)), "another partition");
    assert.ok(!matchesArn(pattern, parseCallerArn(`arn:aws:iam::${ACCOUNT}:user/workers`)), "a user of the same name");
  });

  it("an assumed-role ARN is read into role and session", () => {
    assert.deepEqual(parseCallerArn(session("kubeca-nodes", "i-0abc")), {
      kind: "assumed-role",
      arn: session("kubeca-nodes", "i-0abc"),
      partition: "aws",
      account: ACCOUNT,
      role: "kubeca-nodes",
      session: "i-0abc",
    });
    assert.equal(parseCallerArn(`arn:aws:iam::${ACCOUNT}:user/bob`).kind, "other");
  });
});

describe("IAM authenticator", () => {
  const auth = createIamAuthenticator(ENTRIES, NODES);

  it("an assumed-role session listed in sessionNodes is that node, with the node's role", async () => {
    const arn = session("workers", "i-0aaaa1111bbbb2222");
    assert.deepEqual(await auth.authenticate(input(arn)), { method: "aws-iam", subject: arn, node: "worker-1", role: "worker" });
  });

  it("a session of that role not in sessionNodes is refused, naming the session", async () => {
    const e = await refusal(auth.authenticate(input(session("workers", "i-0ffff9999eeee8888"))));
    assert.equal(e.code, "KUBECA_UNAUTHENTICATED");
    assert.match(e.detail, /session i-0ffff9999eeee8888 of role workers is not in callers\.iam\.0\.sessionNodes/);
  });

  it("with sessionIsNode the session name (an EC2 instance id) is the node", async () => {
    assert.equal((await auth.authenticate(input(session("instance-named", "i-0abc1234def567890")))).node, "i-0abc1234def567890");
    assert.match((await refusal(auth.authenticate(input(session("instance-named", "i-0notanode0000000"))))).detail, /names node i-0notanode0000000, which the config does not list/);
  });

  it("a role bound to one node makes every session that node", async () => {
    const caller = await auth.authenticate(input(session("cp-1", "any-session")));
    assert.deepEqual([caller.node, caller.role], ["cp-1", "control-plane"]);
  });

  it("an auditor user is the auditor role, bound to no node", async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:user/auditors/alice`;
    assert.deepEqual(await auth.authenticate(input(arn)), { method: "aws-iam", subject: arn, node: undefined, role: "auditor" });
  });

  it("an exact session ARN wins over its role's entry", async () => {
    // The role "kubeca" has no entry; the exact session does.
    assert.equal((await auth.authenticate(input(session("kubeca", "workers-break-glass")))).node, "cp-1");
  });

  it("an ARN not in the config is refused with the ARN and its role named", async () => {
    const e = await refusal(auth.authenticate(input(session("someone-else", "i-0aaaa1111bbbb2222"))));
    assert.equal(e.code, "KUBECA_UNAUTHENTICATED");
    assert.match(e.detail, /the IAM principal arn:aws:sts::111122223333:assumed-role\/someone-else\/i-0aaaa1111bbbb2222 is not under callers\.iam \(no entry for it or its role someone-else\)/);
  });

  it("a session ARN with a role path, an extra segment or a changed case matches no role; prototype names are no sessions", async () => {
    for (const arn of [
      session("kubeca/workers", "i-0aaaa1111bbbb2222"),
      session("workers", "i-0aaaa1111bbbb2222/extra"),
      session("Workers", "i-0aaaa1111bbbb2222"),
      `arn:aws:sts::${ACCOUNT}:assumed-role/workers/i-0aaaa1111bbbb2222 `,
    ]) {
      assert.match((await refusal(auth.authenticate(input(arn)))).detail, /is not under callers\.iam/, arn);
    }
    for (const name of ["__proto__", "constructor", "toString"]) {
      assert.match((await refusal(auth.authenticate(input(session("workers", name))))).detail, /is not in callers\.iam\.0\.sessionNodes/, name);
    }
  });

  it("no principal at all is refused", async () => {
    assert.match((await refusal(auth.authenticate(input(undefined)))).detail, /no IAM principal/);
  });

  it("refuses to start with a binding that names an unknown node, two bindings, or sessions on a user", () => {
    const bad = (entry: IamCallerConfig, pattern: RegExp) =>
      assert.throws(() => createIamAuthenticator([entry], NODES), (e: unknown) => isKubecaError(e) && e.code === "KUBECA_CONFIG_INVALID" && pattern.test(e.detail));
    bad({ name: "x", arn: `arn:aws:iam::${ACCOUNT}:role/r`, node: "cp-9" }, /names node cp-9/);
    bad({ name: "x", arn: `arn:aws:iam::${ACCOUNT}:role/r`, node: "cp-1", auditor: true }, /exactly one of/);
    bad({ name: "x", arn: `arn:aws:iam::${ACCOUNT}:user/u`, sessionIsNode: true }, /need a role ARN/);
    assert.throws(
      () => createIamAuthenticator([ENTRIES[2]!, { ...ENTRIES[2]!, arn: `arn:aws:iam::${ACCOUNT}:role/other-path/cp-1` }], NODES),
      /matched by an earlier entry too/,
    );
  });
});
