// The node's side of the HTTP contract: GET /v1/ca and POST /v1/sign/batch with a bearer token, or each
// request signed with the node's current certificate (request-prover.ts).
// node:https rather than fetch, because Node 20's fetch cannot be given a CA file for the server.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { ERRORS, KubecaError, problemType, type ErrorCode, type Violation } from "../errors/index.js";
import type { AuditTrustReportCa } from "../audit/types.js";
import type { CaName, RotationAction, RotationPhase } from "../config/index.js";
import type { CaSummary, NodeRetirement, RotationStatus, SignItem, SignResult } from "../issuance/types.js";
import type { RequestProver } from "./request-prover.js";

/** An RFC 9457 problem as the service writes it. */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly violations?: readonly Violation[];
}

export type BatchAnswer = SignResult | { readonly name: string; readonly problem: Problem };

export function isRefusal(a: BatchAnswer): a is { name: string; problem: Problem } {
  return "problem" in a;
}

export interface SignClient {
  listCas(): Promise<readonly CaSummary[]>;
  /** One POST per call; callers split batches at BATCH_LIMIT. */
  signBatch(items: readonly SignItem[]): Promise<readonly BatchAnswer[]>;
  /** POST /v1/ca/rotation/report (node callers). */
  reportTrust(cas: readonly AuditTrustReportCa[]): Promise<void>;
  /** GET /v1/ca/rotation (operator or auditor callers). */
  rotationStatus(): Promise<readonly RotationStatus[]>;
  /** POST /v1/ca/rotation (operator callers). */
  changeRotation(change: { ca: CaName; action: RotationAction; expect: RotationPhase; force?: boolean }): Promise<CaSummary>;
  /** POST /v1/nodes/{name}/retire (operator callers). */
  retireNode(node: string, reason: string): Promise<NodeRetirement>;
}

/** Items per POST /v1/sign/batch (design.md). */
export const BATCH_LIMIT = 32;

export interface SignClientOptions {
  /** Base URL, e.g. https://kubeca.example.internal:8443 */
  readonly server: string;
  /** Exactly one of token and prover. */
  readonly token?: string;
  /** Signs every request with the node's certificate instead of sending a token. */
  readonly prover?: RequestProver;
  /** PEM of the CA(s) that sign the server's TLS certificate; the system store when absent. */
  readonly tlsCa?: string;
  readonly timeoutMs?: number;
}

/** Thrown when the service cannot be reached at all (connection, TLS, timeout, non-JSON answer). */
export class ServiceUnreachableError extends Error {
  override name = "ServiceUnreachableError";
}

const codeByType: ReadonlyMap<string, ErrorCode> = new Map(
  (Object.keys(ERRORS) as ErrorCode[]).map((code) => [problemType(code), code]),
);

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || (isIP(h) === 4 && h.startsWith("127."));
}

export function createSignClient(options: SignClientOptions): SignClient {
  const base = new URL(options.server);
  if (base.protocol !== "https:" && base.protocol !== "http:") throw new Error(`--server must be an https:// URL, not ${options.server}`);
  if ((options.token === undefined) === (options.prover === undefined)) throw new Error("give exactly one credential: a token or a proof certificate");
  const credential = options.token !== undefined ? "token" : "proof";
  // A bearer token over plain HTTP is readable by anyone on the path; only loopback (dev) is allowed.
  // A proof is single-use and bound to its request, but the same rule keeps one story for both.
  if (base.protocol === "http:" && !isLoopback(base.hostname)) {
    throw new Error(`refusing to send the ${credential} over plain http to ${base.host}; use https:// (plain http is for loopback only)`);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function call(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
    const url = new URL(path.replace(/^\//, ""), base.href.endsWith("/") ? base.href : base.href + "/");
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    // The proof signs the API path (`/v1/ca`), not a prefix the base URL may add: the service sees the former.
    const authorization = options.prover ? await options.prover.authorization(method, path, payload) : `Bearer ${options.token}`;
    const headers: Record<string, string> = { authorization, accept: "application/json, application/problem+json" };
    if (payload) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(payload.length);
    }
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const response = await new Promise<{ status: number; type: string; text: string; retryAfter: string | undefined }>((resolve, reject) => {
      const req = send(url, { method, headers, timeout: timeoutMs, ...(options.tlsCa ? { ca: options.tlsCa } : {}) }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers["content-type"] ?? ""),
            text: Buffer.concat(chunks).toString("utf8"),
            retryAfter: res.headers["retry-after"] as string | undefined,
          }),
        );
      });
      req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
      req.on("error", reject);
      req.end(payload);
    }).catch((e: Error) => {
      throw new ServiceUnreachableError(`cannot reach ${url.origin}: ${e.message}`);
    });

    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      throw new ServiceUnreachableError(`${method} ${url.href} answered ${response.status} with non-JSON content (${response.type || "no content type"}); is --server the kubeca service?`);
    }
    if (response.status >= 200 && response.status < 300) return json;
    const problem = json as Problem;
    const code = (problem.type && codeByType.get(problem.type)) || "KUBECA_INTERNAL";
    const retryAfter = response.retryAfter === undefined ? undefined : Number(response.retryAfter);
    throw new KubecaError(code, `${method} ${url.pathname}: ${problem.detail ?? problem.title ?? `HTTP ${response.status}`}`, {
      violations: problem.violations ?? [],
      ...(retryAfter !== undefined && Number.isFinite(retryAfter) ? { retryAfter } : {}),
    });
  }

  return {
    async listCas() {
      const answer = (await call("GET", "/v1/ca")) as { cas?: CaSummary[] };
      if (!Array.isArray(answer.cas)) throw new ServiceUnreachableError("GET /v1/ca answered without a cas list; is --server the kubeca service?");
      return answer.cas;
    },
    async signBatch(items) {
      const answer = (await call("POST", "/v1/sign/batch", { items })) as { items?: BatchAnswer[] };
      if (!Array.isArray(answer.items)) throw new ServiceUnreachableError("POST /v1/sign/batch answered without items");
      return answer.items;
    },
    async reportTrust(cas) {
      await call("POST", "/v1/ca/rotation/report", { cas });
    },
    async rotationStatus() {
      const answer = (await call("GET", "/v1/ca/rotation")) as { cas?: RotationStatus[] };
      if (!Array.isArray(answer.cas)) throw new ServiceUnreachableError("GET /v1/ca/rotation answered without a cas list; is --server a kubeca service with CA rotation?");
      return answer.cas;
    },
    async changeRotation(change) {
      const answer = (await call("POST", "/v1/ca/rotation", change)) as { ca?: CaSummary };
      if (!answer.ca) throw new ServiceUnreachableError("POST /v1/ca/rotation answered without the CA");
      return answer.ca;
    },
    async retireNode(node, reason) {
      const answer = (await call("POST", `/v1/nodes/${encodeURIComponent(node)}/retire`, { reason })) as { retired?: NodeRetirement };
      if (!answer.retired) throw new ServiceUnreachableError("POST /v1/nodes/{name}/retire answered without the retirement; is --server a kubeca service that retires nodes?");
      return answer.retired;
    },
  };
}
