// src/auth/certificate-proof.ts: which Caller a proof yields, and how each bad proof is refused.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { before, describe, it } from "node:test";
import type { NodeDirectory } from "../../src/auth/caller.js";
import { createCertificateProofAuthenticator } from "../../src/auth/certificate-proof.js";
import { createMemoryReplayCache } from "../../src/auth/replay-cache.js";
import { isKubecaError, type KubecaError } from "../../src/errors/index.js";
import {
  asCaCertificate,
  caAsLeaf,
  craftProof,
  createTestCa,
  credentialInput,
  EKU,
  etcdPeerOf,
  expiredAt,
  freshJti,
  issueLeaf,
  kubeletClientOf,
  proofFor,
  validFrom,
  withEkus,
  withLeafKey,
  withOwnKey,
  withSubject,
  type Leaf,
  type TestCa,
} from "./proof-fixtures.js";

const NODES: NodeDirectory = {
  find: (name) => ({ "cp-1": { role: "control-plane" as const }, "worker-1": { role: "worker" as const } })[name],
};

async function refusal(promise: Promise<unknown>): Promise<KubecaError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(isKubecaError(e), `expected a KubecaError, got ${String(e)}`);
    assert.equal(e.code, "KUBECA_UNAUTHENTICATED");
    return e;
  }
  assert.fail("expected a refusal");
}

let ca: TestCa;
let etcdCa: TestCa;
let cp1: Leaf;

function authenticator(options: { now?: () => Date } = {}) {
  return createCertificateProofAuthenticator({
    anchors: [
      { name: "ca", certificate: new X509Certificate(ca.pem) },
      { name: "etcd-ca", certificate: new X509Certificate(etcdCa.pem) },
    ],
    nodes: NODES,
    replayCache: createMemoryReplayCache(),
    ...options,
  });
}

before(async () => {
  ca = await createTestCa("kubernetes");
  etcdCa = await createTestCa("etcd-ca");
  cp1 = await issueLeaf(ca, kubeletClientOf("cp-1"));
});

describe("certificate proof: who a valid proof proves", () => {
  it("the kubelet client certificate of a control-plane node proves that node, with its role and the certificate's serial", async () => {
    const caller = await authenticator().authenticate(credentialInput(await proofFor(cp1)));
    assert.equal(caller.method, "certificate");
    assert.equal(caller.node, "cp-1");
    assert.equal(caller.role, "control-plane");
    const serial = cp1.certificate.serialNumber.toLowerCase().replace(/^0+/, "");
    assert.equal(caller.subject, `CN=system:node:cp-1, serial ${serial} (ca)`);
  });

  it("a worker's certificate proves the worker role", async () => {
    const worker = await issueLeaf(ca, kubeletClientOf("worker-1"));
    const caller = await authenticator().authenticate(credentialInput(await proofFor(worker)));
    assert.deepEqual([caller.node, caller.role], ["worker-1", "worker"]);
  });

  for (const key of ["P-384", "RSA-2048"] as const) {
    it(`a ${key} key signs proofs too (${key === "P-384" ? "ES384" : "RS256"})`, async () => {
      const leaf = await issueLeaf(ca, kubeletClientOf("cp-1"), withLeafKey(key));
      const caller = await authenticator().authenticate(credentialInput(await proofFor(leaf)));
      assert.equal(caller.node, "cp-1");
    });
  }

  it("an RSA key may sign with PS256", async () => {
    const leaf = await issueLeaf(ca, kubeletClientOf("cp-1"), withLeafKey("RSA-2048"));
    const proof = await craftProof(leaf, { header: { alg: "PS256" } });
    assert.equal((await authenticator().authenticate(credentialInput(proof))).node, "cp-1");
  });

  it("etcd's peer certificate from etcd-ca proves its control-plane node", async () => {
    const peer = await issueLeaf(etcdCa, etcdPeerOf("cp-1"));
    const caller = await authenticator().authenticate(credentialInput(await proofFor(peer)));
    assert.deepEqual([caller.node, caller.role], ["cp-1", "control-plane"]);
    assert.match(caller.subject, /^CN=cp-1, serial [0-9a-f]+ \(etcd-ca\)$/);
  });

  it("the proof binds the body: a GET without a body and a POST with one both verify", async () => {
    const get = { method: "GET", url: "/v1/audit?limit=5" };
    assert.equal((await authenticator().authenticate(credentialInput(await proofFor(cp1, get), get))).node, "cp-1");
    const post = { method: "POST", url: "/v1/sign/batch", body: '{"items":[]}' };
    assert.equal((await authenticator().authenticate(credentialInput(await proofFor(cp1, post), post))).node, "cp-1");
  });
});

describe("certificate proof: certificates that prove nothing", () => {
  it("an expired certificate is refused, saying when it expired", async () => {
    const old = await issueLeaf(ca, kubeletClientOf("cp-1"), expiredAt(new Date("2026-01-01T00:00:00Z")));
    const e = await refusal(authenticator().authenticate(credentialInput(await craftProof(old))));
    assert.match(e.detail, /expired at 2026-01-01T00:00:00\.000Z/);
  });

  it("a certificate not valid yet is refused", async () => {
    const future = await issueLeaf(ca, kubeletClientOf("cp-1"), validFrom(new Date(Date.now() + 3600_000)));
    assert.match((await refusal(authenticator().authenticate(credentialInput(await craftProof(future))))).detail, /is not valid before/);
  });

  it("a certificate from another CA with the same name is refused, naming this service's CAs", async () => {
    const impostor = await createTestCa("kubernetes");
    const leaf = await issueLeaf(impostor, kubeletClientOf("cp-1"));
    const e = await refusal(authenticator().authenticate(credentialInput(await proofFor(leaf))));
    assert.match(e.detail, /was not issued by this service's CAs \(ca, etcd-ca\); its issuer is CN=kubernetes/);
  });

  it("an attacker's intermediate in x5c builds no path: a leaf it issued is refused even with our CA appended", async () => {
    const impostor = await createTestCa("kubernetes");
    const leaf = await issueLeaf(impostor, kubeletClientOf("cp-1"));
    const x5c = [leaf.certificate.raw, impostor.der, ca.der].map((der) => Buffer.from(der).toString("base64"));
    const e = await refusal(authenticator().authenticate(credentialInput(await craftProof(leaf, { header: { x5c } }))));
    assert.match(e.detail, /was not issued by this service's CAs/);
  });

  it("certificates after the leaf in x5c are ignored: they neither help nor harm a valid leaf", async () => {
    const impostor = await createTestCa("kubernetes");
    const x5c = [Buffer.from(cp1.certificate.raw).toString("base64"), Buffer.from(impostor.der).toString("base64"), "not a certificate"];
    assert.equal((await authenticator().authenticate(credentialInput(await craftProof(cp1, { header: { x5c } })))).node, "cp-1");
  });

  it("a CA certificate issued by our CA is refused", async () => {
    const intermediate = await issueLeaf(ca, withSubject("CN=sub-ca"), asCaCertificate());
    assert.match((await refusal(authenticator().authenticate(credentialInput(await proofFor(intermediate))))).detail, /is a CA certificate/);
  });

  it("our CA's own certificate, signed with the CA key, is refused", async () => {
    const e = await refusal(authenticator().authenticate(credentialInput(await proofFor(caAsLeaf(ca)))));
    assert.match(e.detail, /CN=kubernetes .* is a CA certificate; sign with the node's own certificate/);
  });

  it("the kubelet's serving certificate (serverAuth only) is refused: a proof is client authentication", async () => {
    const serving = await issueLeaf(ca, kubeletClientOf("cp-1"), withEkus(EKU.serverAuth));
    assert.match((await refusal(authenticator().authenticate(credentialInput(await proofFor(serving))))).detail, /does not allow client authentication/);
  });

  it("a certificate that names a component, not a node, is refused", async () => {
    const component = await issueLeaf(ca, withSubject("CN=kube-apiserver-kubelet-client, O=kubeadm:cluster-admins"));
    assert.match((await refusal(authenticator().authenticate(credentialInput(await proofFor(component))))).detail, /names no node; from ca only a kubelet client certificate/);
  });

  it("system:node:<name> without O system:nodes is refused", async () => {
    const leaf = await issueLeaf(ca, withSubject("CN=system:node:cp-1"));
    assert.match((await refusal(authenticator().authenticate(credentialInput(await proofFor(leaf))))).detail, /names no node/);
  });

  it("system:node:<name> with O system:nodes and a second O is refused: a kubelet client certificate has exactly O system:nodes", async () => {
    const leaf = await issueLeaf(ca, withSubject("CN=system:node:cp-1, O=system:nodes, O=system:masters"));
    assert.match((await refusal(authenticator().authenticate(credentialInput(await proofFor(leaf))))).detail, /names no node; from ca only a kubelet client certificate \(CN system:node:<name>, O system:nodes\)/);
  });

  it("a CN with a trailing space names another node, which the config does not know", async () => {
    const leaf = await issueLeaf(ca, withSubject("CN=system:node:cp-1\\ , O=system:nodes"));
    assert.match((await refusal(authenticator().authenticate(credentialInput(await proofFor(leaf))))).detail, /names node cp-1 , which the config does not list/);
  });

  it("a certificate with two CNs is refused, whichever names a node", async () => {
    const leaf = await issueLeaf(ca, withSubject("CN=system:node:cp-1+CN=system:node:worker-1, O=system:nodes"));
    assert.match((await refusal(authenticator().authenticate(credentialInput(await proofFor(leaf))))).detail, /has 2 common names; a node's certificate has one/);
  });

  it("etcd-ca's client certificates (clientAuth only) name no node", async () => {
    const healthcheck = await issueLeaf(etcdCa, withSubject("CN=cp-1"), withEkus(EKU.clientAuth));
    assert.match((await refusal(authenticator().authenticate(credentialInput(await proofFor(healthcheck))))).detail, /from etcd-ca only etcd's server or peer certificate/);
  });

  it("an etcd certificate naming a worker is refused: only control-plane nodes run etcd", async () => {
    const peer = await issueLeaf(etcdCa, etcdPeerOf("worker-1"));
    assert.match((await refusal(authenticator().authenticate(credentialInput(await proofFor(peer))))).detail, /worker-1 is a worker node; only control-plane nodes run etcd/);
  });

  it("a certificate for a node the config does not know is refused", async () => {
    const stranger = await issueLeaf(ca, kubeletClientOf("cp-9"));
    assert.match((await refusal(authenticator().authenticate(credentialInput(await proofFor(stranger))))).detail, /names node cp-9, which the config does not list/);
  });
});

describe("certificate proof: proofs that do not belong to this request", () => {
  it("a payload changed after signing fails the signature", async () => {
    const proof = await proofFor(cp1, { url: "/v1/sign" });
    const [header, , signature] = proof.slice("KubecaProof ".length).split(".");
    const forged = Buffer.from(JSON.stringify({ htm: "POST", htu: "/v1/sign", bodySha256: "x", iat: Math.floor(Date.now() / 1000), jti: freshJti() })).toString("base64url");
    const e = await refusal(authenticator().authenticate(credentialInput(`KubecaProof ${header}.${forged}.${signature}`)));
    assert.match(e.detail, /signature does not verify with its certificate's key/);
  });

  it("another node's certificate put in x5c fails the signature (its key did not sign)", async () => {
    const worker = await issueLeaf(ca, kubeletClientOf("worker-1"), withOwnKey());
    const swapped = await craftProof(worker, { signWith: cp1.privateKey });
    assert.match((await refusal(authenticator().authenticate(credentialInput(swapped)))).detail, /signature does not verify/);
  });

  it("a body that differs from the signed hash is refused", async () => {
    const proof = await proofFor(cp1, { body: '{"name":"kubelet.conf","csr":"A"}' });
    const e = await refusal(authenticator().authenticate(credentialInput(proof, { body: '{"name":"apiserver","csr":"A"}' })));
    assert.match(e.detail, /request body is not the body the proof signed/);
  });

  it("a proof made for another path or method is refused, naming both", async () => {
    const proof = await proofFor(cp1, { method: "POST", url: "/v1/sign" });
    const e = await refusal(authenticator().authenticate(credentialInput(proof, { method: "POST", url: "/v1/sign/batch" })));
    assert.match(e.detail, /made for "POST" "\/v1\/sign", not for this request \(POST "\/v1\/sign\/batch"\)/);
    const get = await refusal(authenticator().authenticate(credentialInput(proof, { method: "GET", url: "/v1/sign" })));
    assert.match(get.detail, /not for this request \(GET/);
  });

  it("an iat 10 minutes old is refused, and so is one 10 minutes ahead", async () => {
    const now = new Date();
    const old = await proofFor(cp1, {}, { now: () => new Date(now.getTime() - 600_000) });
    assert.match((await refusal(authenticator({ now: () => now }).authenticate(credentialInput(old)))).detail, /iat is 600 s old; proofs are accepted within 300 s/);
    const ahead = await proofFor(cp1, {}, { now: () => new Date(now.getTime() + 600_000) });
    assert.match((await refusal(authenticator({ now: () => now }).authenticate(credentialInput(ahead)))).detail, /iat is 600 s in the future/);
  });

  it("a proof for the same path written another way is refused: htu is compared as the exact text routed", async () => {
    for (const htu of ["/V1/sign", "/v1/sign/", "/v1/%73ign", "/v1/sign?x=1", "https://kubeca.example.internal/v1/sign"]) {
      const proof = await craftProof(cp1, { payload: { htu } });
      assert.match((await refusal(authenticator().authenticate(credentialInput(proof, { url: "/v1/sign" })))).detail, /not for this request/, htu);
    }
  });

  it("an iat 4 minutes old still passes", async () => {
    const now = new Date();
    const proof = await proofFor(cp1, {}, { now: () => new Date(now.getTime() - 240_000) });
    assert.equal((await authenticator({ now: () => now }).authenticate(credentialInput(proof))).node, "cp-1");
  });

  it("a replayed jti is refused: the first use passes, the second does not", async () => {
    const auth = authenticator();
    const proof = await proofFor(cp1);
    assert.equal((await auth.authenticate(credentialInput(proof))).node, "cp-1");
    assert.match((await refusal(auth.authenticate(credentialInput(proof)))).detail, /jti was already used/);
    // A new proof with the same jti but otherwise fresh is refused as well: the id, not the text, counts.
    const sameJti = await craftProof(cp1, { payload: { jti: JSON.parse(Buffer.from(proof.split(".")[1]!, "base64url").toString()).jti } });
    assert.match((await refusal(auth.authenticate(credentialInput(sameJti)))).detail, /jti was already used/);
  });

  it("a proof refused for another reason does not use up its jti", async () => {
    const auth = authenticator();
    const proof = await proofFor(cp1, { body: "{}" });
    await refusal(auth.authenticate(credentialInput(proof, { body: "{ }" })));
    assert.equal((await auth.authenticate(credentialInput(proof, { body: "{}" }))).node, "cp-1");
  });
});

describe("certificate proof: malformed proofs", () => {
  const cases: [string, () => Promise<string>, RegExp][] = [
    ["an empty proof", async () => "KubecaProof", /scheme but no proof/],
    ["not a compact JWS", async () => "KubecaProof abc.def", /not a compact JWS/],
    ["a header that is not JSON", async () => "KubecaProof bm90IGpzb24.e30.c2ln", /protected header is not base64url-encoded JSON/],
    ["no typ", async () => craftProof(cp1, { header: { typ: undefined } }), /typ is "absent"; a kubeca proof has typ kubeca-proof\+jws/],
    ["another typ", async () => craftProof(cp1, { header: { typ: "JWT" } }), /typ is "JWT"/],
    ["alg HS256", async () => craftProof(cp1, { header: { alg: "HS256" } }), /alg "HS256" is not one of ES256, ES384, RS256, PS256/],
    ["alg ES384 with a P-256 key", async () => craftProof(cp1, { header: { alg: "ES384" } }), /alg ES384 does not fit its certificate's key \(use ES256\)/],
    ["no x5c", async () => craftProof(cp1, { header: { x5c: undefined } }), /needs x5c/],
    ["an x5c that is not a certificate", async () => craftProof(cp1, { header: { x5c: ["AAAA"] } }), /x5c\[0\] is not a base64 DER X\.509 certificate/],
    ["a payload without jti and iat", async () => craftProof(cp1, { payload: { jti: undefined, iat: undefined } }), /payload lacks jti, iat/],
    ["a jti too short", async () => craftProof(cp1, { payload: { jti: "abc" } }), /jti must be 16 to 128 base64url characters/],
    ["alg none", async () => craftProof(cp1, { header: { alg: "none" } }), /alg "none" is not one of/],
    ["an iat as a string", async () => craftProof(cp1, { payload: { iat: String(Math.floor(Date.now() / 1000)) } }), /payload lacks iat \(or has the wrong type\)/],
    ["an iat with a fraction", async () => craftProof(cp1, { payload: { iat: Date.now() / 1000 } }), /payload lacks iat/],
    ["an iat far in the future", async () => craftProof(cp1, { payload: { iat: 2 ** 52 } }), /s in the future; proofs are accepted within 300 s/],
    ["an empty jti", async () => craftProof(cp1, { payload: { jti: "" } }), /jti must be 16 to 128 base64url characters/],
    ["a jti of 129 characters", async () => craftProof(cp1, { payload: { jti: "a".repeat(129) } }), /jti must be 16 to 128 base64url characters/],
    [
      "a JSON-serialised JWS",
      async () => {
        const [protectedHeader, payload, signature] = (await proofFor(cp1)).slice("KubecaProof ".length).split(".");
        return `KubecaProof ${JSON.stringify({ protected: protectedHeader, payload, signature })}`;
      },
      /not a compact JWS/,
    ],
    ["a crit header naming an extension", async () => craftProof(cp1, { header: { crit: ["exp"], exp: 1 } }), /header has crit, exp; a kubeca proof's header has only alg, typ, x5c/],
    ["an unencoded payload (b64: false)", async () => craftProof(cp1, { header: { crit: ["b64"], b64: false } }), /header has crit, b64; a kubeca proof's header has only alg, typ, x5c/],
    ["a jku, x5u or jwk pointing at another key", async () => craftProof(cp1, { header: { jku: "https://203.0.113.9/keys", x5u: "https://203.0.113.9/c", jwk: { kty: "EC" } } }), /header has jku, x5u, jwk;/],
  ];
  for (const [label, make, detail] of cases) {
    it(`${label} is refused with its own reason, without echoing the proof`, async () => {
      const proof = await make();
      const e = await refusal(authenticator().authenticate(credentialInput(proof)));
      assert.match(e.detail, detail);
      const jws = proof.slice("KubecaProof ".length);
      if (jws.length > 8) assert.ok(!e.detail.includes(jws.split(".")[0]!), "the detail must not contain the proof");
    });
  }
});
