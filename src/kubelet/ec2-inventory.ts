// A CloudInventory backed by EC2 DescribeInstances (spec §3.4 item 4): the addresses EC2 has
// assigned to the instance a Node's spec.providerID names, which the kubelet cannot forge.
// Answers are cached per instance for a short TTL, so a sweep over many CSRs calls EC2 once per
// node. An unknown instance is an answer (nothing vouched, the CSR is denied); any other EC2
// failure throws, which the controller treats as transient: the CSR stays pending and is retried.
import { DescribeInstancesCommand, EC2Client, type EC2ClientConfig, type Instance } from "@aws-sdk/client-ec2";
import { KubecaError } from "../errors/index.js";
import type { CloudInventory } from "./address-source.js";

export interface Ec2InventoryConfig {
  readonly region?: string;
  readonly endpoint?: string;
  /** Seconds an answer (found or not) is reused for the same instance; 0 shares only in-flight calls. */
  readonly cacheSeconds: number;
}

export interface Ec2InventoryOptions {
  /** Credentials for the client; by default the standard AWS chain (env, IRSA, instance profile). Tests pass static ones. */
  readonly credentials?: EC2ClientConfig["credentials"];
  /** SDK attempts per lookup, first try included (default 3). */
  readonly maxAttempts?: number;
  /** Connection and answer timeout per attempt, in milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** Milliseconds since the epoch; tests move it to expire the cache. */
  readonly now?: () => number;
}

export interface Ec2Inventory extends CloudInventory {
  /** DescribeInstances calls sent (cache misses), for logs and benchmarks. */
  readonly lookups: number;
  /** Closes the client's sockets. */
  close(): void;
}

/** What DescribeInstances says about one instance, reduced to what the cross-check needs. */
interface InstanceFacts {
  readonly availabilityZone: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

// What the AWS cloud provider writes: `aws:///<zone>/<instance id>`. Anything else (another cloud,
// Fargate, hybrid nodes, a bare id) names no EC2 instance this inventory can vouch for.
const PROVIDER_ID = /^aws:\/\/\/([a-z0-9-]+)\/(i-[0-9a-f]{8}(?:[0-9a-f]{9})?)$/;

/** The zone and instance id in an EC2 providerID, or undefined when it is not one. */
export function parseAwsProviderId(providerId: string): { availabilityZone: string; instanceId: string } | undefined {
  const m = PROVIDER_ID.exec(providerId);
  return m ? { availabilityZone: m[1]!, instanceId: m[2]! } : undefined;
}

// EC2 answers these when it knows no such instance: a fact about the Node, not an outage.
const UNKNOWN_INSTANCE = new Set(["InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"]);
// Only instances that exist and hold their addresses count; a stopped instance's IPs may move on.
const LIVE_STATES = new Set(["pending", "running"]);

/** Thrown for every EC2 failure but an unknown instance: the CSR is left pending and retried. */
export class Ec2InventoryUnavailableError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = "Ec2InventoryUnavailableError";
  }
}

/** Opens the client and resolves its region now, so a missing region fails at start, not per CSR. */
export async function openEc2Inventory(config: Ec2InventoryConfig, options: Ec2InventoryOptions = {}): Promise<Ec2Inventory> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const client = new EC2Client({
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: options.maxAttempts ?? 3,
    // Without throwOnRequestTimeout the SDK only warns, and a silent EC2 would hold a worker forever.
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
  });
  try {
    await client.config.region();
  } catch (e) {
    client.destroy();
    throw new KubecaError(
      "KUBECA_CONFIG_INVALID",
      "kubeletSigner.addressSource is ec2, but no AWS region is set; set kubeletSigner.addressSource.region or AWS_REGION",
      { cause: e },
    );
  }
  return createEc2Inventory(client, config.cacheSeconds, options.now ?? Date.now);
}

function createEc2Inventory(client: EC2Client, cacheSeconds: number, now: () => number): Ec2Inventory {
  // Keyed by instance id; `expires` is Infinity while the call is in flight, so concurrent CSRs of
  // one node share it. Failures are dropped at once: only answers are cached.
  const cache = new Map<string, { expires: number; answer: Promise<InstanceFacts | undefined> }>();
  let lookups = 0;

  const describe = async (instanceId: string): Promise<InstanceFacts | undefined> => {
    lookups++;
    try {
      const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
      return instance && LIVE_STATES.has(instance.State?.Name ?? "") ? factsOf(instance) : undefined;
    } catch (e) {
      const code = errorCode(e);
      if (UNKNOWN_INSTANCE.has(code)) return undefined;
      // An AWS error code is not free text, so it may be logged; the SDK's message stays in cause.
      throw new Ec2InventoryUnavailableError(`EC2 DescribeInstances for ${instanceId} failed (${code || "no answer"}); the CSR is retried`, { cause: e });
    }
  };

  const lookup = (instanceId: string): Promise<InstanceFacts | undefined> => {
    const t = now();
    const hit = cache.get(instanceId);
    if (hit && hit.expires > t) return hit.answer;
    for (const [id, entry] of cache) if (entry.expires <= t) cache.delete(id);
    const entry = { expires: Infinity, answer: describe(instanceId) };
    cache.set(instanceId, entry);
    entry.answer.then(
      () => void (entry.expires = now() + cacheSeconds * 1000),
      () => void (cache.get(instanceId) === entry && cache.delete(instanceId)),
    );
    return entry.answer;
  };

  return {
    name: "ec2",
    get lookups() {
      return lookups;
    },
    async addressesOf(providerId: string) {
      const id = parseAwsProviderId(providerId);
      if (!id) return undefined;
      const facts = await lookup(id.instanceId);
      // A providerID whose zone is not the instance's was not written by the cloud provider for it.
      if (!facts || facts.availabilityZone !== id.availabilityZone) return undefined;
      return { dnsNames: facts.dnsNames, ipAddresses: facts.ipAddresses };
    },
    close() {
      client.destroy();
    },
  };
}

/** Every address EC2 has assigned to the instance, on any attached interface; DNS names lower-cased. */
function factsOf(instance: Instance): InstanceFacts {
  const dns = new Set<string>();
  const ips = new Set<string>();
  const addDns = (name: string | undefined) => name && dns.add(name.toLowerCase());
  const addIp = (ip: string | undefined) => ip && ips.add(ip);
  addDns(instance.PrivateDnsName);
  addDns(instance.PublicDnsName);
  addIp(instance.PrivateIpAddress);
  addIp(instance.PublicIpAddress);
  addIp(instance.Ipv6Address);
  for (const eni of instance.NetworkInterfaces ?? []) {
    addDns(eni.PrivateDnsName);
    addDns(eni.Association?.PublicDnsName);
    addIp(eni.PrivateIpAddress);
    addIp(eni.Association?.PublicIp);
    for (const p of eni.PrivateIpAddresses ?? []) {
      addDns(p.PrivateDnsName);
      addDns(p.Association?.PublicDnsName);
      addIp(p.PrivateIpAddress);
      addIp(p.Association?.PublicIp);
    }
    for (const a of eni.Ipv6Addresses ?? []) addIp(a.Ipv6Address);
  }
  return { availabilityZone: instance.Placement?.AvailabilityZone ?? "", dnsNames: [...dns], ipAddresses: [...ips] };
}

/** The AWS error code of an SDK error, or a socket error code; "" when there is neither. */
function errorCode(e: unknown): string {
  const { name, code } = (typeof e === "object" && e !== null ? e : {}) as { name?: unknown; code?: unknown };
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
  return typeof name === "string" && /^[A-Za-z][A-Za-z0-9.]{0,63}$/.test(name) && name !== "Error" ? name : "";
}
