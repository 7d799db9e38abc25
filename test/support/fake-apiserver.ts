// A local HTTP server that behaves like kube-apiserver for what the kubelet signer uses:
// certificatesigningrequests (list, watch with resourceVersion + bookmarks + 410 on expired
// versions, get, create, /approval and /status with 409 on stale resourceVersions and the
// validation rules of spec §3.2), nodes (get, list) and leases (get, create, update). The real
// @kubernetes/client-node talks to it through a KubeConfig from `kubeConfig(token)`.
//
// Identity: the bearer token is the user. `node:<n>` is system:node:<n> in system:nodes,
// `bootstrap:<id>` is system:bootstrap:<id>; any other token is a user of that name. The server,
// not the client, fills spec.username and spec.groups, as the real one does.
// Kept in one file (past 400 lines) because every part shares the store and its version counter.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { X509Certificate, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

type Obj = Record<string, any>;
type Resource = "certificatesigningrequests" | "nodes" | "leases";

interface WatchEvent {
  readonly rv: number;
  readonly resource: Resource;
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly object: Obj;
}

export interface WriteRecord {
  readonly user: string;
  readonly method: string;
  readonly resource: Resource;
  readonly name: string;
  readonly subresource: string | undefined;
  readonly status: number;
  /** True when the request body tried to set status.certificate. */
  readonly setsCertificate: boolean;
  /** performance.now() when the write was answered (benchmarks). */
  readonly at: number;
}

export interface RequestInfo {
  readonly user: string;
  readonly method: string;
  readonly resource: Resource;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  readonly watch: boolean;
}

/** Runs before a request is handled; return a status to answer with it instead (fault injection). */
export type RequestHook = (req: RequestInfo) => void | number | Promise<void | number>;

const KINDS: Record<Resource, { kind: string; apiVersion: string }> = {
  certificatesigningrequests: { kind: "CertificateSigningRequest", apiVersion: "certificates.k8s.io/v1" },
  nodes: { kind: "Node", apiVersion: "v1" },
  leases: { kind: "Lease", apiVersion: "coordination.k8s.io/v1" },
};
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeApiserver {
  readonly writes: WriteRecord[] = [];
  /** Every request (reads too), for asserting what a client did. */
  readonly requests: RequestInfo[] = [];
  hooks: RequestHook[] = [];
  /** Interval between BOOKMARK events on watches that allow them. */
  bookmarkIntervalMs = 200;
  /** While true, open watches stay connected but receive nothing (a stalled stream). */
  muteWatches = false;
  /** Open watches on these resources stay connected but receive nothing. */
  readonly mutedWatchResources = new Set<Resource>();
  /**
   * Milliseconds a write's answer waits after the write is applied and its watch event sent: the
   * event then reaches the client first (a real apiserver does not order the two either).
   */
  writeAnswerDelayMs = 0;
  /** TCP connections accepted so far (keep-alive checks). */
  connections = 0;
  private readonly server: Server;
  private readonly store = new Map<string, Obj>();
  private readonly history: WatchEvent[] = [];
  private rv = 100;
  /** Watches asking for a version older than this get 410 Gone. */
  private oldestRv = 100;
  private readonly watchers = new Set<{ resource: Resource; res: ServerResponse; send: (e: WatchEvent) => void }>();
  private port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => this.fail(res, e));
    });
    this.server.on("connection", () => this.connections++);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A KubeConfig for the real client, authenticating with `token`. */
  kubeConfig(token: string): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "fake", server: this.url, skipTLSVerify: true }],
      users: [{ name: token, token }],
      contexts: [{ name: "fake", cluster: "fake", user: token }],
      currentContext: "fake",
    });
    return kc;
  }

  // --- test controls -----------------------------------------------------------------------

  addNode(name: string, addresses: { type: string; address: string }[], providerID?: string): Obj {
    return this.put("nodes", undefined, {
      metadata: { name },
      spec: providerID ? { providerID } : {},
      status: { addresses },
    }, "ADDED");
  }

  get(resource: Resource, name: string, namespace?: string): Obj | undefined {
    const o = this.store.get(key(resource, namespace, name));
    return o ? clone(o) : undefined;
  }

  list(resource: Resource): Obj[] {
    return [...this.store.entries()].filter(([k]) => k.startsWith(resource + "/")).map(([, o]) => clone(o));
  }

  /** A concurrent writer: bump an object's resourceVersion (adds an annotation), making copies stale. */
  touch(resource: Resource, name: string, namespace?: string): void {
    const o = this.store.get(key(resource, namespace, name));
    if (!o) throw new Error(`no ${resource} ${name}`);
    const next = clone(o);
    next.metadata.annotations = { ...next.metadata.annotations, "test/touched": String(this.rv + 1) };
    this.put(resource, namespace, next, "MODIFIED");
  }

  /** Forget all history, as etcd compaction does: a watch from any version handed out so far gets 410 Gone. */
  compact(): void {
    // The version moves on (as the compaction itself is a revision), so a fresh list is valid again.
    this.rv += 1;
    this.oldestRv = this.rv;
    this.history.length = 0;
  }

  /** Close every open watch stream, as a load balancer or apiserver restart does. */
  dropWatches(): void {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  /** Open watches on one resource (the kubelet signer watches CSRs and Nodes). */
  openWatchesOn(resource: Resource): number {
    return [...this.watchers].filter((w) => w.resource === resource).length;
  }

  // --- request handling --------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ")) throw new HttpError(401, "Unauthorized", "Unauthorized");
    const user = auth.slice("Bearer ".length);
    const route = parsePath(url.pathname);
    if (!route) throw new HttpError(404, "NotFound", `the server could not find the requested resource (${url.pathname})`);
    const method = req.method ?? "GET";
    const watch = url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1";
    const info: RequestInfo = { user, method, ...route, watch };
    this.requests.push(info);
    for (const hook of this.hooks) {
      const status = await hook(info);
      if (typeof status === "number") throw new HttpError(status, status === 409 ? "Conflict" : "InternalError", `injected ${status}`);
    }
    const body = method === "POST" || method === "PUT" ? JSON.parse((await readBody(req)) || "{}") : undefined;
    if (method === "GET" && watch && !route.name) return this.watch(route.resource, url, res);
    if (method === "GET" && !route.name) return send(res, 200, this.listBody(route.resource, route.namespace));
    if (method === "GET" && route.name && !route.subresource) {
      const o = this.store.get(key(route.resource, route.namespace, route.name));
      if (!o) throw notFound(route.resource, route.name);
      return send(res, 200, o);
    }
    const write = { user, method, resource: route.resource, name: route.name ?? body?.metadata?.name ?? "", subresource: route.subresource };
    const setsCertificate = Boolean(body?.status?.certificate);
    try {
      const out = this.writeRequest(info, body);
      this.writes.push({ ...write, name: out.object.metadata.name, status: out.status, setsCertificate, at: performance.now() });
      if (this.writeAnswerDelayMs > 0) await new Promise((r) => setTimeout(r, this.writeAnswerDelayMs));
      return send(res, out.status, out.object);
    } catch (e) {
      this.writes.push({ ...write, status: e instanceof HttpError ? e.code : 500, setsCertificate, at: performance.now() });
      throw e;
    }
  }

  private writeRequest(r: RequestInfo, body: Obj): { status: number; object: Obj } {
    if (r.resource === "nodes") throw new HttpError(405, "MethodNotAllowed", "nodes are read-only here");
    if (r.method === "POST" && !r.name) return { status: 201, object: this.create(r, body) };
    if (r.method === "PUT" && r.name) {
      const k = key(r.resource, r.namespace, r.name);
      const old = this.store.get(k);
      if (!old) throw notFound(r.resource, r.name);
      if (body?.metadata?.name !== r.name) throw invalid(r.resource, r.name, "metadata.name: Invalid value: must match the URL");
      const sent = body.metadata.resourceVersion;
      if (sent !== undefined && sent !== old.metadata.resourceVersion) throw conflict(r.resource, r.name);
      const next = r.resource === "leases" ? this.updateLease(old, body) : this.updateCsr(old, body, r.subresource);
      return { status: 200, object: this.put(r.resource, r.namespace, next, "MODIFIED") };
    }
    throw new HttpError(405, "MethodNotAllowed", `${r.method} is not supported here`);
  }

  private create(r: RequestInfo, body: Obj): Obj {
    const meta = body.metadata ?? {};
    let name: string = meta.name ?? "";
    // generateName: retried on collision, as the apiserver does since 1.32.
    while (!name && meta.generateName) {
      const candidate = meta.generateName + randomUUID().replaceAll("-", "").slice(0, 8);
      if (!this.store.has(key(r.resource, r.namespace, candidate))) name = candidate;
    }
    if (!name) throw invalid(r.resource, "", "metadata.name: Required value");
    if (this.store.has(key(r.resource, r.namespace, name))) {
      throw new HttpError(409, "AlreadyExists", `${r.resource} "${name}" already exists`);
    }
    const object: Obj = { metadata: { name, uid: randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z") }, spec: body.spec ?? {} };
    if (r.namespace) object.metadata.namespace = r.namespace;
    if (r.resource === "leases") validateLeaseTimes(name, object.spec);
    if (r.resource === "certificatesigningrequests") {
      const spec = object.spec;
      if (!spec.request || !spec.signerName || !Array.isArray(spec.usages)) {
        throw invalid(r.resource, name, "spec.request, spec.signerName and spec.usages are required");
      }
      if (spec.expirationSeconds !== undefined && spec.expirationSeconds < 600) {
        throw invalid(r.resource, name, "spec.expirationSeconds: Invalid value: may not specify a duration less than 600 seconds (10 minutes)");
      }
      const id = identity(r.user);
      Object.assign(spec, { username: id.username, groups: id.groups, uid: randomUUID() });
      object.status = {};
    }
    return this.put(r.resource, r.namespace, object, "ADDED");
  }

  private updateLease(old: Obj, body: Obj): Obj {
    validateLeaseTimes(old.metadata.name, body.spec ?? {});
    return { ...clone(old), spec: body.spec ?? {} };
  }

  /** The approval and status strategies of spec §3.2: each subresource may change only its part. */
  private updateCsr(old: Obj, body: Obj, subresource: string | undefined): Obj {
    const name = old.metadata.name;
    const oldConds: Obj[] = old.status?.conditions ?? [];
    const newConds: Obj[] = body.status?.conditions ?? [];
    const isApproval = (c: Obj) => c.type === "Approved" || c.type === "Denied";
    let conditions: Obj[];
    let certificate: string | undefined = old.status?.certificate;
    if (subresource === "approval") {
      conditions = [...newConds.filter(isApproval), ...oldConds.filter((c) => !isApproval(c))];
    } else if (subresource === "status") {
      conditions = [...oldConds.filter(isApproval), ...newConds.filter((c) => !isApproval(c))];
      const sent: string | undefined = body.status?.certificate || undefined;
      if (certificate && sent !== certificate) {
        throw invalid("certificatesigningrequests", name, "status.certificate: Forbidden: updates may not modify existing certificate content");
      }
      if (sent && !certificate) {
        if (!newConds.concat(oldConds).some((c) => c.type === "Approved")) {
          throw invalid("certificatesigningrequests", name, "status.certificate: Forbidden: may only be set on approved requests");
        }
        validateCertificate(name, sent);
        certificate = sent;
      }
    } else {
      throw new HttpError(405, "MethodNotAllowed", "use the /approval or /status subresource");
    }
    const types = conditions.map((c) => c.type);
    for (const c of conditions) {
      if (["Approved", "Denied", "Failed"].includes(c.type) && c.status !== "True") {
        throw invalid("certificatesigningrequests", name, `status.conditions: ${c.type} must have status True`);
      }
    }
    if (new Set(types).size !== types.length) throw invalid("certificatesigningrequests", name, "status.conditions: duplicate condition type");
    if (types.includes("Approved") && types.includes("Denied")) {
      throw invalid("certificatesigningrequests", name, "status.conditions: Approved and Denied conditions are mutually exclusive");
    }
    for (const c of oldConds) {
      if (!types.includes(c.type)) throw invalid("certificatesigningrequests", name, `status.conditions: updates may not remove a condition of type ${c.type}`);
    }
    if (certificate && types.includes("Denied")) throw invalid("certificatesigningrequests", name, "status.certificate: a denied request has no certificate");
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    for (const c of conditions) c.lastUpdateTime ??= now;
    return { ...clone(old), status: { ...(certificate ? { certificate } : {}), conditions } };
  }

  private put(resource: Resource, namespace: string | undefined, object: Obj, type: WatchEvent["type"]): Obj {
    this.rv += 1;
    const stored: Obj = { ...KINDS[resource], ...clone(object) };
    stored.metadata.resourceVersion = String(this.rv);
    this.store.set(key(resource, namespace, stored.metadata.name), stored);
    const event: WatchEvent = { rv: this.rv, resource, type, object: clone(stored) };
    this.history.push(event);
    if (!this.muteWatches && !this.mutedWatchResources.has(resource)) for (const w of this.watchers) if (w.resource === resource) w.send(event);
    return clone(stored);
  }

  private listBody(resource: Resource, namespace: string | undefined): Obj {
    const items = [...this.store.entries()]
      .filter(([k]) => k.startsWith(`${resource}/${namespace ?? ""}/`))
      .map(([, o]) => o);
    return { kind: KINDS[resource].kind + "List", apiVersion: KINDS[resource].apiVersion, metadata: { resourceVersion: String(this.rv) }, items };
  }

  private watch(resource: Resource, url: URL, res: ServerResponse): void {
    const from = url.searchParams.get("resourceVersion");
    const bookmarks = url.searchParams.get("allowWatchBookmarks") === "true";
    const timeout = Number(url.searchParams.get("timeoutSeconds") ?? 0);
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    // As the real apiserver does (it flushes before the first event): the client knows it is watching.
    res.flushHeaders();
    const write = (o: Obj) => res.write(JSON.stringify(o) + "\n");
    const start = from === null || from === "" || from === "0" ? undefined : Number(from);
    if (start !== undefined && start < this.oldestRv) {
      // The real apiserver answers 200 and then an ERROR event carrying a 410 Status.
      write({ type: "ERROR", object: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `too old resource version: ${start} (${this.oldestRv})`, reason: "Expired", code: 410 } });
      res.end();
      return;
    }
    if (start === undefined) {
      for (const o of this.listBody(resource, undefined).items) write({ type: "ADDED", object: o });
    } else {
      for (const e of this.history) if (e.resource === resource && e.rv > start) write({ type: e.type, object: e.object });
    }
    const watcher = { resource, res, send: (e: WatchEvent) => write({ type: e.type, object: e.object }) };
    this.watchers.add(watcher);
    const timers: NodeJS.Timeout[] = [];
    if (bookmarks) {
      timers.push(
        setInterval(() => write({ type: "BOOKMARK", object: { ...KINDS[resource], metadata: { resourceVersion: String(this.rv) } } }), this.bookmarkIntervalMs),
      );
    }
    if (timeout > 0) timers.push(setTimeout(() => res.end(), timeout * 1000));
    res.on("close", () => {
      timers.forEach((t) => clearInterval(t));
      this.watchers.delete(watcher);
    });
  }

  private fail(res: ServerResponse, e: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const err = e instanceof HttpError ? e : new HttpError(500, "InternalError", String((e as Error)?.message ?? e));
    send(res, err.code, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: err.message, reason: err.reason, code: err.code });
  }
}

export async function startFakeApiserver(): Promise<FakeApiserver> {
  return new FakeApiserver().start();
}

function identity(token: string): { username: string; groups: string[] } {
  if (token.startsWith("node:")) return { username: `system:node:${token.slice(5)}`, groups: ["system:nodes", "system:authenticated"] };
  if (token.startsWith("bootstrap:")) return { username: `system:bootstrap:${token.slice(10)}`, groups: ["system:bootstrappers", "system:authenticated"] };
  return { username: token, groups: ["system:authenticated"] };
}

function parsePath(path: string): Omit<RequestInfo, "user" | "method" | "watch"> | undefined {
  let m = /^\/apis\/certificates\.k8s\.io\/v1\/certificatesigningrequests(?:\/([^/]+))?(?:\/(approval|status))?$/.exec(path);
  if (m) return { resource: "certificatesigningrequests", namespace: undefined, name: m[1], subresource: m[2] };
  m = /^\/api\/v1\/nodes(?:\/([^/]+))?$/.exec(path);
  if (m) return { resource: "nodes", namespace: undefined, name: m[1], subresource: undefined };
  m = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/.exec(path);
  if (m) return { resource: "leases", namespace: m[1], name: m[2], subresource: undefined };
  return undefined;
}

function validateLeaseTimes(name: string, spec: Obj): void {
  for (const f of ["acquireTime", "renewTime"]) {
    if (spec[f] !== undefined && !MICRO_TIME.test(spec[f])) {
      throw invalid("leases", name, `spec.${f}: Invalid value: ${spec[f]} is not a MicroTime (RFC 3339 with 6 fraction digits)`);
    }
  }
}

/** spec §3.2: one or more CERTIFICATE PEM blocks, no headers, each a parseable certificate. */
function validateCertificate(name: string, b64: string): void {
  const pem = Buffer.from(b64, "base64").toString("utf8");
  const blocks = [...pem.matchAll(/-----BEGIN ([A-Z ]+)-----\n([\s\S]*?)-----END \1-----/g)];
  if (blocks.length === 0) throw invalid("certificatesigningrequests", name, "status.certificate: Invalid value: must contain at least one CERTIFICATE PEM block");
  for (const b of blocks) {
    if (b[1] !== "CERTIFICATE" || (b[2] ?? "").includes(":")) {
      throw invalid("certificatesigningrequests", name, "status.certificate: Invalid value: only CERTIFICATE blocks without headers");
    }
    try {
      new X509Certificate(b[0]);
    } catch {
      throw invalid("certificatesigningrequests", name, "status.certificate: Invalid value: not an X.509 certificate");
    }
  }
}

function key(resource: Resource, namespace: string | undefined, name: string): string {
  return `${resource}/${namespace ?? ""}/${name}`;
}

function clone<T>(o: T): T {
  return structuredClone(o);
}

function notFound(resource: Resource, name: string): HttpError {
  return new HttpError(404, "NotFound", `${resource} "${name}" not found`);
}

function conflict(resource: Resource, name: string): HttpError {
  return new HttpError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
  );
}

function invalid(resource: Resource, name: string, message: string): HttpError {
  return new HttpError(422, "Invalid", `${KINDS[resource].kind} "${name}" is invalid: ${message}`);
}

function send(res: ServerResponse, status: number, body: Obj): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
