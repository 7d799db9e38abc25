// A whole CA rotation of a two-node control plane, driven only by the CLI (kubeca ca rotate, kubeca
// renew, kubeca recover), with real consumers checked after every step, while some nodes have followed
// a phase and others not yet:
//   - a two-member etcd 3.4 (peers and clients over mutual TLS; --trusted-ca-file and
//     --peer-trusted-ca-file are each node's etcd/ca.crt, the bundle kubeca installs);
//   - kubectl with each node's admin.conf against each node's "apiserver": a Node HTTPS server that
//     serves the node's apiserver.crt and requires client certificates from the node's ca.crt;
//   - openssl verify of every leaf against its node's bundle, and of apiserver.crt and etcd/server.crt
//     against the bundle's first certificate alone (what kubeadm checks);
//   - kube-controller-manager's --client-ca-file in its manifest: one certificate while ca.crt is a bundle.
// ca and etcd-ca rotate together: idle → trust-both → sign-new → finish, then abort back to idle one
// step at a time. A renew killed in the middle of its install (sign-new, cp-2) is recovered by
// kubeca recover. Components that read their files only at start are restarted after each renew, as
// kubeca renew's restart advice says.
import assert from "node:assert/strict";
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createHash, randomBytes, X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpsServer, request as httpsRequest, type Server as HttpsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { stringify } from "yaml";
import { main } from "../../src/cli/main.js";
import { loadConfigFile } from "../../src/config/index.js";
import { createAuthenticator } from "../../src/auth/create-authenticator.js";
import { createIssuanceService, type RunningIssuanceService } from "../../src/issuance/create-service.js";
import { buildServer } from "../../src/server/build-server.js";
import { trustedCasOf } from "../../src/server/create-app.js";
import { kubeadmCsr, kubeadmKey, kubeconfigText, SPEC_FILES, type SpecFile } from "../support/kubeadm-layout.js";
import { opensslVerify } from "../support/openssl.js";
import { verifyWithBoth } from "../support/python-audit-verifier.js";
import { fileAuditPaths } from "../../src/audit/index.js";
import { recordingIo } from "./node-fixture.js";

const NODES = [
  { name: "cp-1", ip: "10.0.0.10" },
  { name: "cp-2", ip: "10.0.0.11" },
] as const;
type NodeName = (typeof NODES)[number]["name"];

/** spec §6's files, for this node; super-admin.conf only where kubeadm init ran (cp-1). */
function specsFor(name: string, ip: string): SpecFile[] {
  return SPEC_FILES.filter((s) => name === "cp-1" || s.name !== "super-admin.conf").map((s) => ({
    ...s,
    cn: s.cn.replace("cp-1", name),
    dns: s.dns.map((d) => (d === "cp-1" ? name : d)),
    ips: s.ips.map((i) => (i === "10.0.0.10" ? ip : i)),
    ...(s.server ? { server: s.server.replace("10.0.0.10", ip) } : {}),
  }));
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function certsIn(pem: string): X509Certificate[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g)].map((m) => new X509Certificate(m[0]));
}

interface Node {
  readonly name: NodeName;
  readonly ip: string;
  readonly root: string;
  readonly certDir: string;
  readonly kubeconfigDir: string;
  readonly manifestDir: string;
  readonly stage: string;
  readonly tokenFile: string;
  readonly specs: SpecFile[];
  etcd?: ChildProcess;
  apiserver?: HttpsServer;
  apiserverPort: number;
  readonly clientPort: number;
  readonly peerPort: number;
}

describe("CA rotation end to end: etcd, kubectl and openssl accept every step", { timeout: 600_000 }, () => {
  let dir: string;
  let service: RunningIssuanceService;
  let app: ReturnType<typeof buildServer>;
  let url: string;
  let operatorTokenFile: string;
  let childJs: string;
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  const nodes = new Map<NodeName, Node>();
  let initialCluster = "";

  const node = (name: NodeName) => nodes.get(name)!;

  async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const io = recordingIo();
    const code = await main(argv, io.io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  }

  function renewArgs(n: Node, withCsrs: boolean): string[] {
    return [
      "--server", url, "--token-file", n.tokenFile, "--cert-dir", n.certDir, "--kubeconfig-dir", n.kubeconfigDir,
      "--manifest-dir", n.manifestDir, "--kubelet-pki-dir", join(n.root, "var/lib/kubelet/pki"),
      ...(withCsrs ? ["--csr-dir", n.stage] : []),
    ];
  }

  /** `kubeadm certs generate-csr --cert-dir <stage>/pki --kubeconfig-dir <stage>`, then `kubeca renew --csr-dir <stage>`. */
  async function stageCsrs(n: Node, into: { certDir: string; kubeconfigDir: string }): Promise<void> {
    for (const spec of n.specs) {
      const keyPem = await kubeadmKey("ECDSA-P256");
      const csrPem = await kubeadmCsr(spec, keyPem);
      if (spec.kind === "pki") {
        await mkdir(join(into.certDir, spec.name, ".."), { recursive: true });
        await writeFile(join(into.certDir, `${spec.name}.key`), keyPem, { mode: 0o600 });
        await writeFile(join(into.certDir, `${spec.name}.csr`), csrPem, { mode: 0o600 });
      } else {
        await mkdir(into.kubeconfigDir, { recursive: true });
        await writeFile(join(into.kubeconfigDir, spec.name), kubeconfigText({ server: spec.server!, user: spec.cn, keyPem }), { mode: 0o600 });
        await writeFile(join(into.kubeconfigDir, `${spec.name}.csr`), csrPem, { mode: 0o600 });
      }
    }
  }

  async function renew(name: NodeName, withCsrs: boolean): Promise<string> {
    const n = node(name);
    if (withCsrs) {
      await rm(n.stage, { recursive: true, force: true });
      await stageCsrs(n, { certDir: join(n.stage, "pki"), kubeconfigDir: n.stage });
    }
    const out = await cli(["renew", ...renewArgs(n, withCsrs)]);
    assert.equal(out.code, 0, `renew ${name}: ${out.stdout}\n${out.stderr}`);
    return out.stdout + out.stderr;
  }

  async function rotate(action: string, ...extra: string[]): Promise<{ code: number; stdout: string; stderr: string }[]> {
    const results = [];
    for (const ca of ["ca", "etcd-ca"]) results.push(await cli(["ca", "rotate", action, "--ca", ca, "--server", url, "--token-file", operatorTokenFile, ...extra]));
    offset += 2_500; // past twice rotation.refreshSeconds: every cached phase is re-read
    return results;
  }

  async function rotateOk(action: string): Promise<void> {
    for (const r of await rotate(action)) assert.equal(r.code, 0, r.stdout + r.stderr);
  }

  // ---- consumers -------------------------------------------------------------------------------

  async function startEtcd(n: Node): Promise<void> {
    const pki = n.certDir;
    const args = [
      `--name=${n.name}`, `--data-dir=${join(n.root, "var/lib/etcd")}`,
      `--listen-client-urls=https://127.0.0.1:${n.clientPort}`, `--advertise-client-urls=https://127.0.0.1:${n.clientPort}`,
      `--listen-peer-urls=https://127.0.0.1:${n.peerPort}`, `--initial-advertise-peer-urls=https://127.0.0.1:${n.peerPort}`,
      `--initial-cluster=${initialCluster}`, "--initial-cluster-state=new", "--initial-cluster-token=kubeca-rotation",
      "--client-cert-auth=true", `--trusted-ca-file=${pki}/etcd/ca.crt`, `--cert-file=${pki}/etcd/server.crt`, `--key-file=${pki}/etcd/server.key`,
      "--peer-client-cert-auth=true", `--peer-trusted-ca-file=${pki}/etcd/ca.crt`, `--peer-cert-file=${pki}/etcd/peer.crt`, `--peer-key-file=${pki}/etcd/peer.key`,
      "--logger=zap", "--log-outputs=stderr",
    ];
    n.etcd = spawn("etcd", args, { stdio: ["ignore", "ignore", "ignore"] });
  }

  async function stopEtcd(n: Node): Promise<void> {
    if (!n.etcd || n.etcd.exitCode !== null) return;
    const exited = once(n.etcd, "exit");
    n.etcd.kill("SIGTERM");
    await exited;
  }

  /** An HTTPS request to etcd's gRPC gateway with one node's client certificate. */
  function etcdCall(target: Node, client: { cert: string; key: string; ca: string }, path: string, body: unknown): Promise<{ status: number; json: any }> {
    return new Promise((resolve, reject) => {
      const payload = Buffer.from(JSON.stringify(body));
      const req = httpsRequest(
        { host: "127.0.0.1", port: target.clientPort, path, method: "POST", cert: client.cert, key: client.key, ca: client.ca, servername: "localhost", timeout: 5_000, headers: { "content-type": "application/json", "content-length": payload.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || "{}") }));
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", reject);
      req.end(payload);
    });
  }

  async function clientOf(n: Node, file = "apiserver-etcd-client"): Promise<{ cert: string; key: string; ca: string }> {
    return {
      cert: await readFile(join(n.certDir, `${file}.crt`), "utf8"),
      key: await readFile(join(n.certDir, `${file}.key`), "utf8"),
      ca: await readFile(join(n.certDir, "etcd/ca.crt"), "utf8"),
    };
  }

  /** Waits (polling, bounded) until a write through `target` with `client` commits: quorum and TLS both work. */
  async function etcdWrites(target: Node, client: { cert: string; key: string; ca: string }, key: string): Promise<void> {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    let last: unknown;
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        const put = await etcdCall(target, client, "/v3/kv/put", { key: b64(key), value: b64(`v-${key}`) });
        if (put.status === 200) {
          const got = await etcdCall(target, client, "/v3/kv/range", { key: b64(key) });
          assert.equal(Buffer.from(got.json.kvs[0].value, "base64").toString(), `v-${key}`);
          return;
        }
        last = put.json;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`etcd ${target.name} did not take a write (${String((last as Error)?.message ?? JSON.stringify(last))})`);
  }

  async function restartEtcd(n: Node): Promise<void> {
    await stopEtcd(n);
    await startEtcd(n);
  }

  async function startApiserver(n: Node): Promise<void> {
    await new Promise<void>((r) => (n.apiserver ? n.apiserver.close(() => r()) : r()));
    n.apiserver?.closeAllConnections();
    const server = createHttpsServer(
      {
        cert: await readFile(join(n.certDir, "apiserver.crt")),
        key: await readFile(join(n.certDir, "apiserver.key")),
        ca: await readFile(join(n.certDir, "ca.crt")),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        // kubectl adds ?timeout=… from --request-timeout.
        res.end(req.url?.split("?")[0] === "/healthz" ? "ok" : "?");
      },
    );
    server.listen(n.apiserverPort, "127.0.0.1");
    await once(server, "listening");
    n.apiserver = server;
  }

  function kubectl(kubeconfig: string, target: Node): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      execFile(
        "kubectl",
        ["--kubeconfig", kubeconfig, "--server", `https://127.0.0.1:${target.apiserverPort}`, "--tls-server-name", "kubernetes", "--request-timeout=10s", "get", "--raw", "/healthz"],
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out: stdout + stderr }),
      );
    });
  }

  /** Every consumer works, from every node's credentials to every node's servers. */
  async function clusterWorks(label: string): Promise<void> {
    for (const from of nodes.values()) {
      for (const to of nodes.values()) {
        await etcdWrites(to, await clientOf(from), `${label}-${from.name}-${to.name}`);
        const k = await kubectl(join(from.kubeconfigDir, "admin.conf"), to);
        assert.equal(k.code, 0, `kubectl with ${from.name}'s admin.conf against ${to.name}: ${k.out}`);
        assert.equal(k.out.trim(), "ok");
      }
      await leavesVerify(from);
    }
  }

  async function leavesVerify(n: Node): Promise<void> {
    const ca = await readFile(join(n.certDir, "ca.crt"), "utf8");
    const etcdCa = await readFile(join(n.certDir, "etcd/ca.crt"), "utf8");
    for (const spec of n.specs) {
      const bundle = spec.issuer === "etcd-ca" ? etcdCa : spec.issuer === "ca" ? ca : await readFile(join(n.certDir, "front-proxy-ca.crt"), "utf8");
      const cert =
        spec.kind === "pki"
          ? await readFile(join(n.certDir, `${spec.name}.crt`), "utf8")
          : Buffer.from(/client-certificate-data: (\S+)/.exec(await readFile(join(n.kubeconfigDir, spec.name), "utf8"))![1]!, "base64").toString();
      const result = await opensslVerify({ caPem: bundle, certPem: cert, purpose: spec.eku.includes("serverAuth") ? "sslserver" : "sslclient", at: now() });
      assert.equal(result.code, 0, `${n.name} ${spec.name} against its bundle: ${result.stderr}`);
    }
    // kubeadm reads the first certificate of ca.crt and etcd/ca.crt and checks these leaves against it.
    for (const [leaf, file] of [["apiserver", "ca.crt"], ["etcd/server", "etcd/ca.crt"]] as const) {
      const first = certsIn(await readFile(join(n.certDir, file), "utf8"))[0]!.toString();
      const result = await opensslVerify({ caPem: first, certPem: await readFile(join(n.certDir, `${leaf}.crt`), "utf8"), at: now() });
      assert.equal(result.code, 0, `${n.name}: ${leaf}.crt against the first certificate of ${file}: ${result.stderr}`);
    }
    // kubeconfigs embed exactly ca.crt.
    for (const spec of n.specs.filter((s) => s.kind === "kubeconfig")) {
      const data = /certificate-authority-data: (\S+)/.exec(await readFile(join(n.kubeconfigDir, spec.name), "utf8"))![1]!;
      assert.equal(Buffer.from(data, "base64").toString(), ca, `${n.name} ${spec.name} embeds ca.crt`);
    }
  }

  async function restartComponents(n: Node): Promise<void> {
    await restartEtcd(n);
    await startApiserver(n);
  }

  /** The node's kubelet.conf client certificate and key in one PEM file, as the kubelet keeps its own. */
  async function kubeletPem(n: Node, file: string): Promise<string> {
    const text = await readFile(join(n.kubeconfigDir, "kubelet.conf"), "utf8");
    const data = (key: string) => Buffer.from(new RegExp(`${key}: (\\S+)`).exec(text)![1]!, "base64").toString();
    const path = join(dir, file);
    await writeFile(path, data("client-certificate-data") + data("client-key-data"), { mode: 0o600 });
    return path;
  }

  /** kubeca renew without CSRs, authenticated by a certificate proof instead of the token. */
  function renewWithProof(n: Node, proofCert: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const args = renewArgs(n, false);
    args.splice(args.indexOf("--token-file"), 2, "--proof-cert", proofCert);
    return cli(["renew", ...args]);
  }

  async function kcmClientCaFile(n: Node): Promise<string> {
    return /--client-ca-file=(\S+)/.exec(await readFile(join(n.manifestDir, "kube-controller-manager.yaml"), "utf8"))![1]!;
  }

  async function bundleCount(n: Node, file: string): Promise<number> {
    return certsIn(await readFile(join(n.certDir, file), "utf8")).length;
  }

  // ---- setup -------------------------------------------------------------------------------------

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kubeca-rotation-e2e-"));
    const tokens = Object.fromEntries([...NODES.map((n) => n.name), "operator"].map((name) => [name, randomBytes(32).toString("base64url")]));
    const memory = (file: string) => ({ certificate: { file }, signer: { type: "memory", algorithm: "ECDSA-P256" } });
    const config = {
      apiVersion: "kubeca.dev/v1alpha1",
      kind: "Config",
      cluster: { name: "kubernetes", kubernetesVersion: "1.31", controlPlaneEndpoint: "k8s.example.internal:6443" },
      cas: {
        ca: { ...memory("pki/ca.crt"), next: memory("pki/ca-next.crt") },
        "etcd-ca": { ...memory("pki/etcd/ca.crt"), next: memory("pki/etcd/ca-next.crt") },
        "front-proxy-ca": memory("pki/front-proxy-ca.crt"),
      },
      nodes: NODES.map((n, i) => ({ name: n.name, role: "control-plane", advertiseAddress: n.ip, superAdmin: i === 0 ? true : false })),
      callers: {
        tokens: NODES.map((n) => ({ name: `${n.name}-token`, sha256: sha256Hex(tokens[n.name]!), node: n.name })),
        operators: [{ name: "platform-team", sha256: sha256Hex(tokens.operator!) }],
      },
      audit: { store: "file", path: "audit.jsonl" },
      rotation: { refreshSeconds: 1 },
    };
    await mkdir(join(dir, "service"), { recursive: true });
    await writeFile(join(dir, "service/kubeca.yaml"), stringify(config));
    service = await createIssuanceService(await loadConfigFile(join(dir, "service/kubeca.yaml")), { dev: true, now });
    const caCertificates = new Map([...service.issuingCas].map(([name, ca]) => [name, ca.info.der] as const));
    const authenticator = await createAuthenticator(service.config, { caCertificates, trustedCas: trustedCasOf(service) });
    app = buildServer({ service, authenticator });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
    operatorTokenFile = join(dir, "operator.token");
    await writeFile(operatorTokenFile, tokens.operator!, { mode: 0o600 });

    childJs = join(dir, "renew-child.mjs");
    await build({ entryPoints: [fileURLToPath(new URL("./rotation-renew-child.ts", import.meta.url))], bundle: true, platform: "node", format: "esm", target: "node20", outfile: childJs, logLevel: "silent", external: ["pkcs11js"], banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } });

    for (const { name, ip } of NODES) {
      const root = join(dir, name);
      const n: Node = {
        name, ip, root,
        certDir: join(root, "etc/kubernetes/pki"), kubeconfigDir: join(root, "etc/kubernetes"), manifestDir: join(root, "etc/kubernetes/manifests"),
        stage: join(root, "var/lib/kubeca/csr"), tokenFile: join(root, "token"), specs: specsFor(name, ip),
        apiserverPort: await freePort(), clientPort: await freePort(), peerPort: await freePort(),
      };
      nodes.set(name, n);
      await mkdir(n.manifestDir, { recursive: true });
      await writeFile(n.tokenFile, tokens[name]!, { mode: 0o600 });
      // kube-controller-manager's manifest as kubeadm writes it in external-CA mode (the flags kubeca touches).
      await writeFile(
        join(n.manifestDir, "kube-controller-manager.yaml"),
        stringify({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "kube-controller-manager", namespace: "kube-system" },
          spec: {
            containers: [
              {
                name: "kube-controller-manager",
                command: ["kube-controller-manager", "--bind-address=127.0.0.1", `--client-ca-file=${n.certDir}/ca.crt`, "--cluster-signing-cert-file=", "--cluster-signing-key-file=", `--root-ca-file=${n.certDir}/ca.crt`],
              },
            ],
          },
        }),
        { mode: 0o600 },
      );
      // First setup: generate-csr in place, then kubeca renew.
      await stageCsrs(n, { certDir: n.certDir, kubeconfigDir: n.kubeconfigDir });
      const out = await cli(["renew", ...renewArgs(n, false)]);
      assert.equal(out.code, 0, out.stdout + out.stderr);
    }
    initialCluster = NODES.map(({ name }) => `${name}=https://127.0.0.1:${node(name).peerPort}`).join(",");
    for (const n of nodes.values()) {
      await startEtcd(n);
      await startApiserver(n);
    }
  });

  after(async () => {
    for (const n of nodes.values()) {
      await stopEtcd(n).catch(() => undefined);
      n.apiserver?.closeAllConnections();
      n.apiserver?.close();
    }
    await app?.close();
    await service?.close();
    await rm(dir, { recursive: true, force: true });
  });

  // ---- the rotation ------------------------------------------------------------------------------

  it("idle: the cluster works with one CA per file, and kube-controller-manager reads ca.crt", async () => {
    await clusterWorks("idle");
    for (const n of nodes.values()) {
      assert.equal(await bundleCount(n, "ca.crt"), 1);
      assert.equal(await kcmClientCaFile(n), `${n.certDir}/ca.crt`);
    }
  });

  it("trust-both: nodes that have and have not installed the bundles work together; advance waits for the last one", async () => {
    const before = await readFile(join(node("cp-1").certDir, "ca.crt"), "utf8");
    await rotateOk("prepare");
    const out = await renew("cp-1", false);
    assert.match(out, /restart needed: etcd, kube-apiserver, kube-controller-manager/);
    await restartComponents(node("cp-1"));
    const cp1 = node("cp-1");
    assert.equal(await bundleCount(cp1, "ca.crt"), 2);
    assert.equal(await bundleCount(cp1, "etcd/ca.crt"), 2);
    assert.ok((await readFile(join(cp1.certDir, "ca.crt"), "utf8")).startsWith(before), "the CA of the node's leaves stays first");
    assert.equal(await kcmClientCaFile(cp1), `${cp1.certDir}/kubeca-kcm-client-ca.crt`);
    assert.equal(await readFile(join(cp1.certDir, "kubeca-kcm-client-ca.crt"), "utf8"), certsIn(before)[0]!.toString());
    await clusterWorks("trust-both-mixed");

    const refused = await rotate("advance");
    for (const r of refused) {
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /cp-2: has not reported since .* entered trust-both; run kubeca renew there \[node-not-reported\]/);
    }
    await renew("cp-2", false);
    await restartComponents(node("cp-2"));
    await clusterWorks("trust-both");
    const text = await cli(["ca", "rotate", "status", "--ca", "etcd-ca", "--server", url, "--token-file", operatorTokenFile]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^etcd-ca: trust-both since \S+\n  current [0-9a-f]{64}\n  next    [0-9a-f]{64}\n/);
    assert.match(text.stdout, /\n  cp-1 +\S+ +current\+next +4 +0\n  cp-2 +\S+ +current\+next +4 +0\n  safe to advance to sign-new\n$/);
    const status = await cli(["ca", "rotate", "status", "--server", url, "--token-file", operatorTokenFile, "--output", "json"]);
    assert.equal(status.code, 0, status.stderr);
    for (const s of JSON.parse(status.stdout).cas.filter((c: { name: string }) => c.name !== "front-proxy-ca")) {
      assert.equal(s.phase, "trust-both");
      assert.deepEqual(s.advance, { to: "sign-new", blocking: [] });
      assert.deepEqual(s.nodes.map((x: { node: string; trustsNext: boolean }) => `${x.node}:${x.trustsNext}`), ["cp-1:true", "cp-2:true"]);
    }
  });

  let oldClient: { cert: string; key: string; ca: string };
  let oldKubelet: string;

  it("sign-new: one node on new leaves, the other on old ones, then a renew killed mid-install is recovered", async () => {
    oldClient = await clientOf(node("cp-2"));
    oldKubelet = await kubeletPem(node("cp-1"), "kubelet-old.pem");
    await rotateOk("advance");
    await renew("cp-1", true);
    await restartComponents(node("cp-1"));
    const cp1 = node("cp-1");
    // A certificate of the next CA proves the node to the service from now on (and one of the current CA still does).
    for (const proof of [await kubeletPem(cp1, "kubelet-new.pem"), oldKubelet]) {
      const proved = await renewWithProof(cp1, proof);
      assert.equal(proved.code, 0, proved.stdout + proved.stderr);
      assert.doesNotMatch(proved.stdout + proved.stderr, /was not told/, "the report was accepted");
    }
    const nextCa = certsIn(await readFile(join(cp1.certDir, "ca.crt"), "utf8"))[0]!;
    assert.ok(new X509Certificate(await readFile(join(cp1.certDir, "apiserver.crt"))).verify(nextCa.publicKey), "apiserver.crt comes from the next CA, now first in ca.crt");
    assert.equal(await readFile(join(cp1.certDir, "kubeca-kcm-client-ca.crt"), "utf8"), nextCa.toString());
    await clusterWorks("sign-new-mixed");

    // cp-2: the renew is killed just before its fifth rename; recovery puts the whole old set back.
    const cp2 = node("cp-2");
    const files = async () => Object.fromEntries(await Promise.all(["ca.crt", "etcd/ca.crt", "apiserver.crt", "apiserver.key", "etcd/peer.crt", "etcd/peer.key"].map(async (f) => [f, await readFile(join(cp2.certDir, f), "utf8")] as const)));
    const beforeCrash = await files();
    await rm(cp2.stage, { recursive: true, force: true });
    await stageCsrs(cp2, { certDir: join(cp2.stage, "pki"), kubeconfigDir: cp2.stage });
    const planFile = join(dir, "crash-plan.json");
    await writeFile(planFile, JSON.stringify({ argv: renewArgs(cp2, true), killAtRename: 5 }));
    const child = spawn(process.execPath, [childJs, planFile], { stdio: "ignore" });
    const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
    assert.equal(signal, "SIGKILL", `the renew was killed (exit ${code})`);
    assert.notDeepEqual(await files(), beforeCrash, "the crash left the node half installed");
    const recovered = await cli(["recover", "--kubeconfig-dir", cp2.kubeconfigDir]);
    assert.equal(recovered.code, 0, recovered.stderr);
    assert.match(recovered.stdout, /was rolled back from/);
    assert.deepEqual(await files(), beforeCrash, "recovery put the whole old set back");
    await clusterWorks("sign-new-recovered");
    // The staged CSRs survived the crash: the same renew now completes.
    const out = await cli(["renew", ...renewArgs(cp2, true)]);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    await restartComponents(cp2);
    await clusterWorks("sign-new");
    const status = JSON.parse((await cli(["ca", "rotate", "status", "--server", url, "--token-file", operatorTokenFile, "--output", "json"])).stdout);
    const ca = status.cas.find((c: { name: string }) => c.name === "ca");
    assert.deepEqual(ca.advance, { to: "finish", blocking: [] });
    assert.deepEqual(ca.nodes.map((x: { node: string; fromCurrent: string[]; fromNext: string[] }) => `${x.node} ${x.fromCurrent.length} ${x.fromNext.length}`), ["cp-1 0 7", "cp-2 0 6"]);
  });

  it("finish: bundles hold the new CAs alone, a client of the old etcd CA is refused, kube-controller-manager reads ca.crt again", async () => {
    await rotateOk("advance");
    for (const name of ["cp-1", "cp-2"] as const) {
      await renew(name, false);
      await restartComponents(node(name));
      assert.equal(await bundleCount(node(name), "ca.crt"), 1);
      assert.equal(await bundleCount(node(name), "etcd/ca.crt"), 1);
      assert.equal(await kcmClientCaFile(node(name)), `${node(name).certDir}/ca.crt`);
    }
    await clusterWorks("finish");
    // The replaced CA no longer proves anything to the service either.
    const proved = await renewWithProof(node("cp-1"), oldKubelet);
    assert.match(proved.stdout + proved.stderr, /the service was not told what this node trusts \(.*was not issued by this service's CAs/);
    const fresh = await renewWithProof(node("cp-1"), await kubeletPem(node("cp-1"), "kubelet-new.pem"));
    assert.doesNotMatch(fresh.stdout + fresh.stderr, /was not told/);
    const refused = await etcdCall(node("cp-1"), { ...oldClient, ca: await readFile(join(node("cp-1").certDir, "etcd/ca.crt"), "utf8") }, "/v3/kv/range", { key: "eA==" }).then(
      (r) => `answered ${r.status}`,
      (e: Error) => e.message,
    );
    assert.doesNotMatch(refused, /^answered 200/, "etcd refuses a client certificate of the old etcd CA after finish");
  });

  it("abort from finish, then from sign-new, then from trust-both: the cluster works after every step", async () => {
    await rotateOk("abort"); // finish → sign-new: the old CAs are trusted again
    for (const name of ["cp-1", "cp-2"] as const) {
      await renew(name, false);
      await restartComponents(node(name));
      assert.equal(await bundleCount(node(name), "ca.crt"), 2);
    }
    await clusterWorks("abort-to-sign-new");

    await rotateOk("abort"); // sign-new → trust-both: the current CAs sign again
    await renew("cp-1", true);
    await restartComponents(node("cp-1"));
    await clusterWorks("abort-to-trust-both-mixed");
    const refused = await rotate("abort"); // → idle: cp-2 still holds leaves of the next CAs
    for (const r of refused) {
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cp-2: holds certificates of the next .*\[leaves-from-next-ca\]/);
    }
    await renew("cp-2", true);
    await restartComponents(node("cp-2"));
    await clusterWorks("abort-to-trust-both");

    await rotateOk("abort"); // trust-both → idle
    for (const name of ["cp-1", "cp-2"] as const) {
      await renew(name, false);
      await restartComponents(node(name));
      assert.equal(await bundleCount(node(name), "ca.crt"), 1);
      assert.equal(await kcmClientCaFile(node(name)), `${node(name).certDir}/ca.crt`);
    }
    await clusterWorks("idle-again");
  });

  it("every phase change and refusal is in the audit log, and the chain verifies", async () => {
    const lines = (await readFile(join(dir, "service/audit.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    const changes = lines.filter((l) => l.event === "ca-rotation" && l.rotation.ca === "ca").map((l) => `${l.rotation.from}→${l.rotation.to}`);
    assert.deepEqual(changes, ["idle→trust-both", "trust-both→sign-new", "sign-new→finish", "finish→sign-new", "sign-new→trust-both", "trust-both→idle"]);
    const refusals = lines.filter((l) => l.event === "ca-rotation-refused").map((l) => `${l.rotation.ca} ${l.violations[0].rule}`);
    assert.deepEqual(refusals, ["ca node-not-reported", "etcd-ca node-not-reported", "ca leaves-from-next-ca", "etcd-ca leaves-from-next-ca"]);
    assert.ok(lines.filter((l) => l.event === "node-trust-reported").length >= 12);
    const verify = await cli(["audit", "verify", "--config", join(dir, "service/kubeca.yaml")]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    // And the independent verifier of docs/audit.md, with the new members (rotation, trust) in the hashes.
    const verdict = await verifyWithBoth(fileAuditPaths(service.config.audit, join(dir, "service")));
    assert.equal(verdict.ok, true, verdict.broken?.detail);
  });
});
