// decide() as a specification: each sentence → CSR + facts → the exact outcome. No server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decide, cappedValidity } from "../../src/kubelet/decide.js";
import type { Decision } from "../../src/kubelet/decision.js";
import { KubeletSignerConfig as KubeletSignerSchema } from "../../src/config/index.js";
import type { Facts } from "../../src/kubelet/facts.js";
import { compileKubeletPolicy } from "../../src/kubelet/kubelet-policy.js";
import { NOW, clientCsr, facts, servingCsr } from "./decide-builders.js";

function rules(d: Decision): string[] {
  assert.ok(d.kind === "deny" || d.kind === "fail", `expected a refusal, got ${JSON.stringify(d)}`);
  return d.violations.map((v) => `${v.rule} ${v.field}`);
}

test("an honest pending serving CSR is approved, naming the Node and the address source", () => {
  const d = decide(servingCsr(), facts(), NOW);
  assert.deepEqual(d, {
    kind: "approve",
    reason: "NodeIdentityVerified",
    message: "every SAN of system:node:cp-1 is an address of Node cp-1 (node status)",
  });
});

test("an approved honest serving CSR is signed by the serving CA with the configured validity", () => {
  const d = decide(servingCsr({ conditions: ["Approved"] }), facts({ policy: { servingCa: "front-proxy-ca", servingValidity: "24h" } }), NOW);
  assert.deepEqual(d, { kind: "sign", ca: "front-proxy-ca", eku: "serverAuth", validitySeconds: 86400, keyEncipherment: false, event: "kubelet-csr-signed", reason: "ServingCertificateIssued" });
});

test("key encipherment is signed only for an RSA key whose spec.usages ask for it", () => {
  const withKe = ["key encipherment", "digital signature", "server auth"];
  const sign = (usages: string[], keyAlgorithm: { type: "rsa"; bits: number } | { type: "ec"; curve: "P-256" }) =>
    decide(servingCsr({ conditions: ["Approved"], usages }), facts({ csr: { keyAlgorithm } }), NOW);
  const ke = (d: ReturnType<typeof decide>) => (d.kind === "sign" ? d.keyEncipherment : `not signed: ${d.kind}`);
  assert.equal(ke(sign(withKe, { type: "rsa", bits: 2048 })), true);
  assert.equal(ke(sign(["digital signature", "server auth"], { type: "rsa", bits: 2048 })), false);
  assert.equal(ke(sign(withKe, { type: "ec", curve: "P-256" })), false);
});

test("a serving CSR with key encipherment (RSA kubelets) is accepted", () => {
  const d = decide(servingCsr({ usages: ["key encipherment", "digital signature", "server auth"] }), facts({ csr: { keyAlgorithm: { type: "rsa", bits: 2048 } } }), NOW);
  assert.equal(d.kind, "approve");
});

test("a SAN naming another node is denied with DnsNameNotOnNode", () => {
  const d = decide(servingCsr(), facts({ csr: { dnsNames: ["cp-1", "cp-2"] } }), NOW);
  assert.equal(d.kind, "deny");
  assert.equal(d.kind === "deny" && d.reason, "DnsNameNotOnNode");
  assert.equal(d.kind === "deny" && d.message, "DnsNameNotOnNode: DNS SAN cp-2 is not an address of Node cp-1 (node status)");
  assert.deepEqual(rules(d), ["DnsNameNotOnNode san.dns[1]"]);
});

test("an IP that is not on the Node is denied with IpAddressNotOnNode", () => {
  const d = decide(servingCsr(), facts({ csr: { ipAddresses: ["10.0.0.10", "10.0.0.11"] } }), NOW);
  assert.deepEqual(rules(d), ["IpAddressNotOnNode san.ip[1]"]);
  assert.equal(d.kind === "deny" && d.reason, "IpAddressNotOnNode");
});

test("a CN that differs from the requesting user is denied with CommonNameMismatch", () => {
  const d = decide(servingCsr(), facts({ csr: { commonNames: ["system:node:cp-2"] } }), NOW);
  assert.deepEqual(rules(d), ["CommonNameMismatch subject.CN"]);
  assert.match(d.kind === "deny" ? d.message : "", /subject CN \[system:node:cp-2\] differs from the requesting user system:node:cp-1/);
});

test("a wrong O is denied with OrganizationMismatch", () => {
  const d = decide(servingCsr(), facts({ csr: { organizations: ["system:masters"] } }), NOW);
  assert.deepEqual(rules(d), ["OrganizationMismatch subject.O"]);
});

test("an email SAN is denied with ForbiddenSanType", () => {
  const d = decide(servingCsr(), facts({ csr: { otherNames: [{ type: "email", value: "root@cp-1" }] } }), NOW);
  assert.deepEqual(rules(d), ["ForbiddenSanType san.email[0]"]);
});

test("client usages on the serving signer are denied with UsagesNotAllowed", () => {
  const d = decide(servingCsr({ usages: ["digital signature", "client auth"] }), facts(), NOW);
  assert.deepEqual(rules(d), ["UsagesNotAllowed spec.usages"]);
});

test("a Node that does not exist is denied with NodeNotFound once the wait is over", () => {
  const d = decide(servingCsr({ createdSecondsAgo: 61 }), facts({ node: "missing" }), NOW);
  assert.deepEqual(rules(d), ["NodeNotFound node"]);
  assert.equal(d.kind === "deny" && d.message, "NodeNotFound: Node cp-1 does not exist");
});

test("a Node not seen yet is waited for, and the CSR requeued for when the wait ends", () => {
  const d = decide(servingCsr({ createdSecondsAgo: 20 }), facts({ node: "missing" }), NOW);
  assert.deepEqual(d, { kind: "skip", why: "waiting for Node cp-1", requeueAfterSeconds: 40 });
});

test("a missing Node is not waited for when the CSR is already wrong", () => {
  const d = decide(servingCsr({ createdSecondsAgo: 1 }), facts({ node: "missing", csr: { organizations: [] } }), NOW);
  assert.deepEqual(rules(d), ["OrganizationMismatch subject.O", "NodeNotFound node"]);
});

test("every violation is listed, one per offending name, in check order", () => {
  const d = decide(
    servingCsr({ username: "alice", groups: ["system:authenticated"], usages: ["server auth"] }),
    facts({
      csr: {
        commonNames: ["system:node:cp-1"],
        organizations: ["system:nodes", "x"],
        otherSubjectAttributes: [{ type: "OU", value: "ops" }],
        keyAlgorithm: { type: "rsa", bits: 1024 },
        otherNames: [{ type: "uri", value: "spiffe://x" }],
        dnsNames: ["*.cp-1", "kubernetes.default"],
        ipAddresses: ["10.0.0.10", "192.168.0.1"],
      },
    }),
    NOW,
  );
  assert.deepEqual(rules(d), [
    "UsernameNotNode spec.username",
    "MissingNodesGroup spec.groups",
    "CommonNameMismatch subject.CN",
    "OrganizationMismatch subject.O",
    "UnexpectedSubjectAttribute subject.OU",
    "UsagesNotAllowed spec.usages",
    "KeyAlgorithmNotAllowed key",
    "ForbiddenSanType san.uri[0]",
    "ReservedDnsName san.dns[0]",
    "ReservedDnsName san.dns[1]",
    "DnsNameNotOnNode san.dns[0]",
    "DnsNameNotOnNode san.dns[1]",
    "IpAddressNotOnNode san.ip[1]",
  ]);
  assert.equal(d.kind === "deny" && d.reason, "UsernameNotNode");
});

test("a CSR with no SAN at all is denied with NoSubjectAltNames", () => {
  const d = decide(servingCsr(), facts({ csr: { dnsNames: [], ipAddresses: [] } }), NOW);
  assert.deepEqual(rules(d), ["NoSubjectAltNames san"]);
});

test("allowed CIDRs and DNS suffixes from the config refuse names the Node does report", () => {
  const d = decide(
    servingCsr(),
    facts({
      node: { dns: ["cp-1", "cp-1.corp.example"], ips: ["10.0.0.10", "fd00::10"] },
      csr: { dnsNames: ["cp-1", "cp-1.corp.example"], ipAddresses: ["10.0.0.10", "fd00::10"] },
      policy: { allowedCidrs: ["10.0.0.0/24"], allowedDnsSuffixes: ["corp.example"] },
    }),
    NOW,
  );
  assert.deepEqual(rules(d), ["DnsNameNotAllowed san.dns[0]", "IpAddressNotAllowed san.ip[1]"]);
});

test("an IPv6 SAN matches the Node's address written another way", () => {
  const d = decide(servingCsr(), facts({ node: { ips: ["fd00:0:0::10"] }, csr: { ipAddresses: ["fd00::10"] } }), NOW);
  assert.equal(d.kind, "approve");
});

test("a DNS SAN in upper case is the Node's name (DNS compares case-insensitively); with a trailing dot it is not", () => {
  assert.equal(decide(servingCsr(), facts({ csr: { dnsNames: ["CP-1"] } }), NOW).kind, "approve");
  assert.deepEqual(rules(decide(servingCsr(), facts({ csr: { dnsNames: ["cp-1."] } }), NOW)), ["DnsNameNotOnNode san.dns[0]"]);
});

test("an IPv4-mapped IPv6 SAN is not the Node's IPv4 address, and falls in no IPv4 CIDR", () => {
  assert.deepEqual(rules(decide(servingCsr(), facts({ csr: { ipAddresses: ["::ffff:10.0.0.10"] } }), NOW)), ["IpAddressNotOnNode san.ip[0]"]);
  const reported = decide(
    servingCsr(),
    facts({ node: { ips: ["::ffff:10.0.0.10"] }, csr: { ipAddresses: ["::ffff:a00:a"] }, policy: { allowedCidrs: ["10.0.0.0/8"] } }),
    NOW,
  );
  assert.deepEqual(rules(reported), ["IpAddressNotAllowed san.ip[0]"]);
});

test("usages are a set: a repeated usage counts once, and an unknown one is denied with UsagesNotAllowed", () => {
  assert.equal(decide(servingCsr({ usages: ["digital signature", "server auth", "server auth"] }), facts(), NOW).kind, "approve");
  assert.deepEqual(rules(decide(servingCsr({ usages: ["digital signature", "server auth", "any"] }), facts(), NOW)), ["UsagesNotAllowed spec.usages"]);
});

test("a key algorithm left out of the config is denied with KeyAlgorithmNotAllowed", () => {
  const d = decide(servingCsr(), facts({ policy: { keyAlgorithms: ["RSA-2048"] } }), NOW);
  assert.deepEqual(rules(d), ["KeyAlgorithmNotAllowed key"]);
});

test("an unreadable request is denied with CsrInvalid", () => {
  const d = decide(servingCsr(), facts({ requestError: "the CSR's signature does not verify" }), NOW);
  assert.deepEqual(rules(d), ["CsrInvalid spec.request"]);
});

test("an approved serving CSR that breaks a rule is Failed, not signed", () => {
  const d = decide(servingCsr({ conditions: ["Approved"] }), facts({ csr: { ipAddresses: ["10.9.9.9"] } }), NOW);
  assert.equal(d.kind, "fail");
  assert.deepEqual(rules(d), ["IpAddressNotOnNode san.ip[0]"]);
});

test("a CSR that already has a certificate is never signed again", () => {
  assert.deepEqual(decide(servingCsr({ conditions: ["Approved"], certificate: "LS0t" }), facts(), NOW), { kind: "skip", why: "already has a certificate" });
});

test("denied and failed CSRs are left alone", () => {
  assert.deepEqual(decide(servingCsr({ conditions: ["Denied"] }), facts(), NOW), { kind: "skip", why: "denied" });
  assert.deepEqual(decide(servingCsr({ conditions: ["Approved", "Failed"] }), facts(), NOW), { kind: "skip", why: "failed" });
});

test("a Denied CSR that someone later Approves is still left alone", () => {
  assert.deepEqual(decide(servingCsr({ conditions: ["Denied", "Approved"] }), facts(), NOW), { kind: "skip", why: "denied" });
  assert.deepEqual(decide(clientCsr({ conditions: ["Denied", "Approved"] }), facts({ node: "not-looked-up" }), NOW), { kind: "skip", why: "denied" });
});

test("other signers are not ours", () => {
  assert.deepEqual(decide(servingCsr({ signerName: "example.com/foo" }), facts(), NOW), { kind: "skip", why: "signer example.com/foo is not ours" });
  // signerNames compare exactly: one differing only in case is someone else's.
  assert.deepEqual(decide(servingCsr({ signerName: "Kubernetes.io/kubelet-serving" }), facts(), NOW), {
    kind: "skip",
    why: "signer Kubernetes.io/kubelet-serving is not ours",
  });
});

const nodeClient = { dnsNames: [], ipAddresses: [], sanDer: undefined } as const;

test("an approved node client CSR is signed by ca with client auth", () => {
  const d = decide(clientCsr({ conditions: ["Approved"] }), facts({ csr: nodeClient, node: "not-looked-up" }), NOW);
  assert.deepEqual(d, { kind: "sign", ca: "ca", eku: "clientAuth", validitySeconds: 8760 * 3600, keyEncipherment: false, event: "node-client-csr-signed", reason: "ClientCertificateIssued" });
});

test("an unapproved node client CSR is never approved by kubeca", () => {
  const d = decide(clientCsr(), facts({ csr: nodeClient, node: "not-looked-up" }), NOW);
  assert.equal(d.kind, "skip");
});

test("an approved node client CSR with SANs, server usages or another node's name is Failed with every reason", () => {
  const d = decide(
    clientCsr({ conditions: ["Approved"], username: "system:node:cp-1", usages: ["digital signature", "server auth"] }),
    facts({ csr: { commonNames: ["system:node:cp-2"] }, node: "not-looked-up" }),
    NOW,
  );
  assert.deepEqual(rules(d), ["CommonNameMismatch subject.CN", "UsagesNotAllowed spec.usages", "SubjectAltNamesPresent san"]);
});

test("an approved node client CSR whose CN is not a node is Failed with CommonNameNotNode", () => {
  const d = decide(clientCsr({ conditions: ["Approved"] }), facts({ csr: { ...nodeClient, commonNames: ["admin"] }, node: "not-looked-up" }), NOW);
  assert.deepEqual(rules(d), ["CommonNameNotNode subject.CN"]);
});

test("a node client CSR for a control-plane node of the config is signed only when that node asks: a bootstrap token's is Failed", () => {
  // KCM approves bootstrap-token CSRs for any node name; kubeca accepts the certificate as that node's
  // renewal proof, so a shared bootstrap token must not become a control-plane node's credential.
  const withNodes = compileKubeletPolicy({
    keys: { allowed: ["ECDSA-P256"] },
    kubeletSigner: KubeletSignerSchema.parse({}),
    nodes: [{ name: "cp-1", role: "control-plane", advertiseAddress: "10.0.0.10", addresses: [], hostnames: [] }],
    nodeGroups: [
      { name: "masters", role: "control-plane", nameSuffix: ".cp.example.internal", allowedCidrs: ["10.0.0.0/24"], allowedDnsSuffixes: [] },
      { name: "workers", role: "worker", nameSuffix: ".workers.example.internal", allowedCidrs: [], allowedDnsSuffixes: [] },
    ],
  });
  const factsFor = (node: string): Facts => ({ ...facts({ csr: { ...nodeClient, commonNames: [`system:node:${node}`] }, node: "not-looked-up" }), policy: withNodes });
  const bootstrap = clientCsr({ conditions: ["Approved"] });
  const d = decide(bootstrap, factsFor("cp-1"), NOW);
  assert.deepEqual(rules(d), ["ControlPlaneNodeNotRequester subject.CN"]);
  assert.match(
    d.kind === "fail" ? d.message : "",
    /subject CN system:node:cp-1 names control-plane node cp-1, and the requester system:bootstrap:abcdef is not that node/,
  );
  assert.deepEqual(rules(decide(bootstrap, factsFor("m-2.cp.example.internal"), NOW)), ["ControlPlaneNodeNotRequester subject.CN"]);
  // The node renewing its own certificate, a worker's first certificate, and a name kubeca does not know are signed.
  assert.equal(decide(clientCsr({ conditions: ["Approved"], username: "system:node:cp-1" }), factsFor("cp-1"), NOW).kind, "sign");
  assert.equal(decide(bootstrap, factsFor("w-3.workers.example.internal"), NOW).kind, "sign");
  assert.equal(decide(bootstrap, factsFor("elsewhere-9"), NOW).kind, "sign");
});

test("expirationSeconds shortens the configured validity but never below 600 s", () => {
  assert.equal(cappedValidity(86400, undefined), 86400);
  assert.equal(cappedValidity(86400, 3600), 3600);
  assert.equal(cappedValidity(86400, 60), 600);
  assert.equal(cappedValidity(86400, 10 * 86400), 86400);
  const d = decide(servingCsr({ conditions: ["Approved"], expirationSeconds: 1200 }), facts(), NOW);
  assert.equal(d.kind === "sign" && d.validitySeconds, 1200);
});
