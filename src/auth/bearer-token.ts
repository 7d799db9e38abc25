// Bearer tokens: `Authorization: Bearer <token>`, checked against the SHA-256 digests in the config.
// Only digests are held; every digest is compared in constant time so timing says nothing about
// which token, or how much of one, matched.
import { hash, timingSafeEqual } from "node:crypto";
import type { NodeConfig } from "../config/index.js";
import { KubecaError } from "../errors/index.js";
import type { Authenticator, CredentialInput } from "./authenticator.js";
import type { Caller } from "./caller.js";

export interface TokenCallerConfig {
  readonly name: string;
  /** SHA-256 of the token, lowercase hex. */
  readonly sha256: string;
  readonly node: string;
}

export interface AuditorTokenConfig {
  readonly name: string;
  readonly sha256: string;
}

export interface DevTokenOptions {
  /** The development token itself (`kubeca serve --dev`); hashed here, the text is not kept. */
  readonly token: string;
  /** The node the development token speaks for. */
  readonly node: string;
}

interface Entry {
  readonly digest: Buffer;
  readonly caller: Caller;
}

/** RFC 6750 b64token: what a bearer credential may contain. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** A scheme name short and plain enough to repeat in an error detail. */
const SCHEME = /^[A-Za-z][A-Za-z0-9-]{0,19}$/;

function sha256(text: string): Buffer {
  return hash("sha256", text, "buffer"); // a string is hashed as its UTF-8 bytes
}

function refuse(detail: string): KubecaError {
  return new KubecaError("KUBECA_UNAUTHENTICATED", detail);
}

function roleOf(nodes: readonly NodeConfig[], node: string, label: string): NodeConfig["role"] {
  const found = nodes.find((n) => n.name === node);
  if (!found) throw new KubecaError("KUBECA_CONFIG_INVALID", `${label} names node ${node}, which is not under nodes`);
  return found.role;
}

/** The token text from the Authorization header, or a refusal saying what is wrong (never the token). */
function bearerToken(headers: CredentialInput["headers"]): string {
  const header = headers["authorization"];
  if (header === undefined || header === "") {
    throw refuse("no Authorization header; send Authorization: Bearer <token>");
  }
  if (Array.isArray(header)) throw refuse("more than one Authorization header; send exactly one");
  const space = header.indexOf(" ");
  const scheme = space < 0 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== "bearer") {
    const named = SCHEME.test(scheme) && space > 0 ? `the ${scheme} scheme` : "an unsupported scheme";
    throw refuse(`the Authorization header uses ${named}; kubeca accepts only Bearer tokens`);
  }
  const token = header.slice(space + 1).trim();
  if (space < 0 || token === "") throw refuse("the Authorization header has the Bearer scheme but no token");
  if (!B64TOKEN.test(token)) throw refuse("the bearer token is malformed (RFC 6750 allows A-Z a-z 0-9 - . _ ~ + / and trailing =)");
  return token;
}

/**
 * An Authenticator for the tokens under `callers.tokens`, each bound to one node; the Caller's role
 * is that node's role. `extra.auditors` adds auditor tokens (no node; GET /v1/audit only);
 * `extra.devToken` adds the development token (`method: "dev-token"`).
 */
export function createTokenAuthenticator(
  tokens: readonly TokenCallerConfig[],
  nodes: readonly NodeConfig[],
  extra: { devToken?: DevTokenOptions; auditors?: readonly AuditorTokenConfig[]; operators?: readonly AuditorTokenConfig[] } = {},
): Authenticator {
  const entries: Entry[] = tokens.map((t, i) => ({
    digest: Buffer.from(t.sha256, "hex"),
    caller: Object.freeze({
      method: "token" as const,
      subject: t.name,
      node: t.node,
      role: roleOf(nodes, t.node, `callers.tokens.${i}`),
    }),
  }));
  for (const a of extra.auditors ?? []) {
    // Auditors are bound to no node: policy gives them no file, the audit route gives them the log.
    entries.push({
      digest: Buffer.from(a.sha256, "hex"),
      caller: Object.freeze({ method: "token" as const, subject: a.name, node: undefined, role: "auditor" as const }),
    });
  }
  for (const o of extra.operators ?? []) {
    // Operators, too, are bound to no node: they may only drive the CA rotation.
    entries.push({
      digest: Buffer.from(o.sha256, "hex"),
      caller: Object.freeze({ method: "token" as const, subject: o.name, node: undefined, role: "operator" as const }),
    });
  }
  if (extra.devToken) {
    entries.push({
      digest: sha256(extra.devToken.token),
      caller: Object.freeze({
        method: "dev-token" as const,
        subject: "development token",
        node: extra.devToken.node,
        role: roleOf(nodes, extra.devToken.node, "the development token"),
      }),
    });
  }
  for (const e of entries) {
    if (e.digest.length !== 32) throw new KubecaError("KUBECA_CONFIG_INVALID", `the digest of token ${e.caller.subject} is not 32 bytes`);
  }
  const seen = new Set<string>();
  for (const e of entries) {
    // Two callers with one token would make the caller ambiguous; the config must not allow it.
    const hex = e.digest.toString("hex");
    if (seen.has(hex)) throw new KubecaError("KUBECA_CONFIG_INVALID", `token ${e.caller.subject} has the same SHA-256 as another caller`);
    seen.add(hex);
  }

  return {
    async authenticate(input: CredentialInput): Promise<Caller> {
      const presented = sha256(bearerToken(input.headers));
      // Compare against every digest, without stopping at a match.
      let match: Caller | undefined;
      for (const e of entries) {
        if (timingSafeEqual(presented, e.digest)) match = e.caller;
      }
      if (!match) throw refuse("the bearer token is not one of the configured callers' tokens");
      return match;
    },
  };
}
