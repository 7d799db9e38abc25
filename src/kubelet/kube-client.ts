// API clients that keep their connections to the apiserver. client-node 1.3 (KubeConfig.makeApiClient)
// builds a new Agent for every request, so every call opened a new TCP connection (and, against a
// real apiserver, did a new TLS handshake): a tenth of the signer's CPU in the kubelet bench
// (issue 11). Here each request is still authenticated by the KubeConfig as before (a rotated token or
// client certificate is read again), and only the connection pool is kept: one keep-alive Agent per
// set of TLS options, replaced when those options change.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { ServerConfiguration, createConfiguration, type Configuration, type KubeConfig, type RequestContext } from "@kubernetes/client-node";

/** The options that make one connection differ from another (the rest are per-request). */
const CONNECTION_OPTIONS = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"] as const;

type AgentOptions = Record<(typeof CONNECTION_OPTIONS)[number], unknown>;

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));
}

/** Hands out one keep-alive agent for as long as the connection options stay the same. */
export class KeepAlivePool {
  #agent: HttpAgent | undefined;
  #options: AgentOptions | undefined;

  /** The pooled agent for what `fresh` (built by client-node for one request) would connect with; proxies are left as they are. */
  agentFor(fresh: unknown): unknown {
    // Only plain agents: a proxy agent (hpagent, socks) has its own construction.
    const kind = fresh?.constructor === HttpsAgent ? HttpsAgent : fresh?.constructor === HttpAgent ? HttpAgent : undefined;
    if (!kind) return fresh;
    const options = (fresh as { options: AgentOptions }).options;
    const current = this.#agent;
    if (current?.constructor === kind && CONNECTION_OPTIONS.every((k) => sameValue(this.#options![k], options[k]))) return current;
    // New TLS material (a rotated client certificate or CA): new connections. The old agent's idle
    // sockets are closed now; requests still on it finish (destroy() would cut them off).
    if (current) closeIdle(current);
    this.#options = options;
    this.#agent = new kind({ ...(options as object), keepAlive: true });
    return this.#agent;
  }

  /** Closes the idle connections; the next request opens new ones. */
  closeIdle(): void {
    if (this.#agent) closeIdle(this.#agent);
  }
}

function closeIdle(agent: HttpAgent): void {
  for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
}

/**
 * `kc.makeApiClient(type)`, with requests going through `pool` (one pool may serve several API
 * clients of the same KubeConfig).
 */
export function makeKeepAliveClient<T>(kc: KubeConfig, type: new (config: Configuration) => T, pool: KeepAlivePool): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig names no cluster (no current-context with a cluster); set its current-context");
  const auth = {
    getName: () => "kubeconfig authentication, kept connections",
    async applySecurityAuthentication(context: RequestContext): Promise<void> {
      await kc.applySecurityAuthentication(context);
      context.setAgent(pool.agentFor(context.getAgent()) as HttpAgent);
    },
  };
  return new type(createConfiguration({ baseServer: new ServerConfiguration(cluster.server, {}), authMethods: { default: auth } }));
}
