// The one configuration file, as a zod schema. Validated once at start, then frozen.
// `kubeca policy check` and the JSON Schema for editors derive from this file.
import { z } from "zod";
import { isIP } from "node:net";
import { isAbsolute } from "node:path";
import { compileNodeLookup } from "./node-lookup.js";

const durationPattern = /^(\d+h)?(\d+m)?(\d+s)?$/;
/** Go-style duration as kubeadm writes it: `8760h`, `90m`, `1h30m`. */
export const Duration = z
  .string()
  .regex(durationPattern, "must be a duration like 8760h, 720h or 90m")
  .refine((s) => s.length > 0, "must not be empty");

export const IpAddress = z.string().refine((s) => isIP(s) !== 0, "must be an IPv4 or IPv6 address");
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits (SHA-256 of the token)");
const Rfc1123ish = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
export const DnsName = z.string().regex(Rfc1123ish, "must be a DNS name (RFC 1123), optionally starting with *.");
/** certSANs entries may be names or IPs, as in kubeadm's apiServer.certSANs. */
export const NameOrIp = z.string().refine((s) => isIP(s) !== 0 || Rfc1123ish.test(s), "must be a DNS name or an IP address");

export const KeyAlgorithmName = z.enum(["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"]);
export type KeyAlgorithmName = z.infer<typeof KeyAlgorithmName>;

export const CaName = z.enum(["ca", "etcd-ca", "front-proxy-ca"]);
export type CaName = z.infer<typeof CaName>;

const CertificateSource = z.union([
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ pem: z.string().includes("-----BEGIN CERTIFICATE-----") }),
]);

export const AwsKmsSignerConfig = z.strictObject({
  type: z.literal("aws-kms"),
  /** Key id, key ARN, alias name or alias ARN. */
  keyId: z.string().min(1),
  region: z.string().optional(),
  /** Override the KMS endpoint (VPC endpoint, local test server). */
  endpoint: z.url().optional(),
  /** RSA keys only: PKCS#1 v1.5 (default, what kubeadm uses) or PSS. */
  rsaPadding: z.enum(["pkcs1", "pss"]).default("pkcs1"),
  /** Per-call timeout in milliseconds before the request counts as unavailable. */
  timeoutMs: z.number().int().positive().default(3000),
});
export const MemorySignerConfig = z.strictObject({
  type: z.literal("memory"),
  /** Development only: a fresh key is generated at start and never written anywhere. */
  algorithm: KeyAlgorithmName.default("ECDSA-P256"),
});
const AbsolutePath = z.string().refine((s) => isAbsolute(s), "must be an absolute path");

/**
 * A CA key inside an HSM, reached through its PKCS#11 module (not on Lambda, which cannot load one).
 * The token is found by label or serial, never by slot index (slot numbers change when tokens come
 * and go); the PIN comes from an environment variable or a file, never from this config.
 */
export const Pkcs11SignerConfig = z.strictObject({
  type: z.literal("pkcs11"),
  /** The vendor's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: AbsolutePath,
  /** The token: its label, or its serial number when labels repeat. */
  token: z.union([z.strictObject({ label: z.string().min(1).max(32) }), z.strictObject({ serial: z.string().min(1).max(16) })]),
  /** The private key: by CKA_LABEL, CKA_ID (hex), or both; exactly one key may match. */
  key: z
    .strictObject({
      label: z.string().min(1).optional(),
      id: z.string().regex(/^([0-9a-f]{2})+$/i, "must be the key's CKA_ID in hex, e.g. 6b756265").optional(),
    })
    .refine((k) => k.label !== undefined || k.id !== undefined, "set label, id or both"),
  /** The user PIN: the name of an environment variable holding it, or a file (first line). */
  pin: z.union([
    z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name") }),
    z.strictObject({ file: AbsolutePath }),
  ]),
  /** RSA keys only: PKCS#1 v1.5 (default, what kubeadm uses) or PSS. */
  rsaPadding: z.enum(["pkcs1", "pss"]).default("pkcs1"),
  /** Sessions this process opens at most (concurrent signatures); 4 matches Node's default thread pool. */
  sessions: z.number().int().min(1).max(64).default(4),
  /** Sign with a key that can leave the token (CKA_EXTRACTABLE or not CKA_SENSITIVE); audited as a warning. */
  allowExtractable: z.boolean().default(false),
});
export type Pkcs11SignerConfig = z.infer<typeof Pkcs11SignerConfig>;

export const SignerConfig = z.discriminatedUnion("type", [AwsKmsSignerConfig, MemorySignerConfig, Pkcs11SignerConfig]);
export type SignerConfig = z.infer<typeof SignerConfig>;

export const CaConfig = z.strictObject({
  certificate: CertificateSource,
  signer: SignerConfig,
});
export type CaConfig = z.infer<typeof CaConfig>;

export const NodeConfig = z.strictObject({
  name: DnsName,
  role: z.enum(["control-plane", "worker"]),
  /** localAPIEndpoint.advertiseAddress; required for control-plane nodes. */
  advertiseAddress: IpAddress.optional(),
  /** Further IPs this node owns (allowed, not required, in its serving SANs). */
  addresses: z.array(IpAddress).default([]),
  /** Further DNS names this node owns. */
  hostnames: z.array(DnsName).default([]),
  /**
   * May this node receive super-admin.conf? kubeadm writes that file only on the node where `kubeadm init`
   * ran. When no node sets this field, only the first control-plane node under `nodes` may; once any node
   * sets it, exactly the nodes with `superAdmin: true` may. Only control-plane nodes can have it.
   */
  superAdmin: z.boolean().optional(),
});
export type NodeConfig = z.infer<typeof NodeConfig>;

/** An IPv4 or IPv6 CIDR such as 10.0.0.0/16 or fd00:10::/64. */
export const Cidr = z.string().refine((s) => {
  const slash = s.indexOf("/");
  if (slash < 0) return false;
  const family = isIP(s.slice(0, slash));
  const bits = s.slice(slash + 1);
  return family !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}, "must be a CIDR like 10.0.0.0/16 or fd00::/64");

/** A node-name glob: DNS characters and `*`, which stands for any run of characters within one label. */
const NamePattern = z.string().regex(/^[a-z0-9*]([a-z0-9*.-]*[a-z0-9*])?$/i, "must be a node name where * stands for any characters within one label, e.g. ip-10-0-*.ec2.internal");

/**
 * Nodes that are not listed one by one under `nodes` but whose names match: a fleet of workers needs no
 * per-node entry. A listed node always wins over a group; among groups the first match wins.
 */
export const NodeGroupConfig = z.strictObject({
  /** A label for messages and `kubeca policy check`. */
  name: z.string().min(1),
  role: z.enum(["control-plane", "worker"]),
  /** Node names matching this glob (`ip-10-0-*.ec2.internal`). Exactly one of namePattern and nameSuffix. */
  namePattern: NamePattern.optional(),
  /** Node names ending with this text (`.workers.example.internal`), with at least one character before it. */
  nameSuffix: z.string().min(1).optional(),
  /** IP SANs beyond the cluster-wide ones must fall in one of these; a control-plane group needs at least one. */
  allowedCidrs: z.array(Cidr).default([]),
  /** DNS SANs beyond the cluster-wide ones must end with one of these (`.ec2.internal`; `example.com` matches itself too). */
  allowedDnsSuffixes: z.array(z.string().regex(/^\.?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i, "must be a DNS suffix like .ec2.internal")).default([]),
});
export type NodeGroupConfig = z.infer<typeof NodeGroupConfig>;

export const TokenCaller = z.strictObject({
  /** A label for logs and audit records; never the token. */
  name: z.string().min(1),
  sha256: Sha256Hex,
  node: DnsName,
});

/** A caller that may read GET /v1/audit and nothing else. */
export const AuditorCaller = z.strictObject({
  name: z.string().min(1),
  sha256: Sha256Hex,
});

/** An IAM principal ARN: a role (`arn:aws:iam::<account>:role/<name>`, matching its sessions) or an exact one. */
export const IamArn = z.string().regex(/^arn:aws(?:-[a-z]+)*:(?:iam|sts)::\d{12}:[\x21-\x7e]+$/, "must be an IAM ARN such as arn:aws:iam::111122223333:role/kubeca-nodes");

/**
 * An AWS principal calling through API Gateway with IAM authorization (Lambda only), and what it acts
 * as: exactly one of `node`, `sessionNodes`, `sessionIsNode` (the last two for role ARNs) or `auditor`.
 */
export const IamCaller = z
  .strictObject({
    /** A label for messages. */
    name: z.string().min(1),
    arn: IamArn,
    /** Every matching principal is this node. */
    node: DnsName.optional(),
    /** Role session name (the EC2 instance id, for instance profiles) → node. */
    sessionNodes: z.record(z.string().regex(/^[\w+=,.@-]{2,64}$/, "must be an IAM role session name"), DnsName).optional(),
    /** The role session name is the node's name. */
    sessionIsNode: z.literal(true).optional(),
    /** GET /v1/audit only. */
    auditor: z.literal(true).optional(),
  })
  .superRefine((c, ctx) => {
    const set = [c.node !== undefined, c.sessionNodes !== undefined, c.sessionIsNode === true, c.auditor === true].filter(Boolean).length;
    if (set !== 1) ctx.addIssue({ code: "custom", message: "set exactly one of node, sessionNodes, sessionIsNode, auditor" });
    if ((c.sessionNodes !== undefined || c.sessionIsNode) && !/:iam::\d{12}:role\//.test(c.arn))
      ctx.addIssue({ code: "custom", path: ["arn"], message: "sessionNodes and sessionIsNode need a role ARN (arn:aws:iam::<account>:role/<name>)" });
  });
export type IamCaller = z.infer<typeof IamCaller>;

/** Where used proof ids (jti) are remembered: `memory` for one server process, `dynamodb` on Lambda. */
export const ReplayCacheConfig = z.discriminatedUnion("store", [
  z.strictObject({ store: z.literal("memory") }),
  z.strictObject({
    store: z.literal("dynamodb"),
    /** The table: key `jti` (S), TTL attribute `expiresAt` (serverless.yml's ReplayTable). */
    table: z.string().min(3),
    endpoint: z.url().optional(),
    region: z.string().optional(),
  }),
]);

/** Renewal proofs with a current certificate (`Authorization: KubecaProof <JWS>`). */
export const ProofConfig = z.strictObject({
  enabled: z.boolean().default(true),
  replayCache: ReplayCacheConfig.default({ store: "memory" }),
});
export type ProofConfig = z.infer<typeof ProofConfig>;

export const AuditCheckpointConfig = z.strictObject({
  /** Sign the head whenever a record's seq is a multiple of this. */
  everyRecords: z.number().int().positive().default(100),
  /** ...and at latest this many minutes after the last checkpoint while records are unproved. */
  everyMinutes: z.number().positive().default(5),
  /** Which key signs checkpoints: a CA's signer (default ca), or a signer of its own. */
  signer: z.union([CaName, SignerConfig]).default("ca"),
  /** file store: the checkpoint file (default: next to path, <name>.checkpoints.jsonl). */
  path: z.string().optional(),
});
export type AuditCheckpointConfig = z.infer<typeof AuditCheckpointConfig>;

export const AuditConfig = z.strictObject({
  store: z.enum(["file", "dynamodb"]).default("file"),
  /** file store: the JSONL file. */
  path: z.string().default("kubeca-audit.jsonl"),
  /** dynamodb store: the table and chain (partition) name. */
  table: z.string().optional(),
  chain: z.string().default("kubeca"),
  endpoint: z.url().optional(),
  region: z.string().optional(),
  /** Mirror every record as one JSON line on stdout (CloudWatch). */
  stdout: z.boolean().default(false),
  /** Signed checkpoints of the chain's head; cadence defaults apply when absent. */
  checkpoint: AuditCheckpointConfig.optional(),
});
export type AuditConfig = z.infer<typeof AuditConfig>;

/**
 * Where the kubelet signer learns which addresses a Node may put in its serving certificate.
 * `node-status` trusts the Node's status, which the kubelet reports itself (spec §3.4 item 4);
 * `ec2` keeps only the addresses EC2 also reports for the instance named by spec.providerID.
 */
export const KubeletAddressSourceConfig = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("node-status") }),
  z.strictObject({
    type: z.literal("ec2"),
    /** Defaults to the standard AWS chain (AWS_REGION, profile). */
    region: z.string().min(1).optional(),
    /** Override the EC2 endpoint (VPC endpoint, local test server). */
    endpoint: z.url().optional(),
    /** How long one DescribeInstances answer is reused per instance, so a sweep calls EC2 once per node. */
    cacheSeconds: z.number().int().min(0).max(300).default(30),
  }),
]);
export type KubeletAddressSourceConfig = z.infer<typeof KubeletAddressSourceConfig>;

/**
 * The in-cluster kubelet CSR approver + signer (`kubeca kubelet-signer`, the Lambda sweep).
 * Optional: absent means the defaults below.
 */
export const KubeletSignerConfig = z.strictObject({
  /** CA that signs kubelet serving certificates (node client certificates are always signed by `ca`). */
  // Not etcd-ca: etcd members and clients trust it, so a kubelet's serving certificate from it would
  // pass as an etcd server for that node's addresses.
  servingCa: CaName.exclude(["etcd-ca"], { error: "must be ca or front-proxy-ca: etcd trusts etcd-ca, so a kubelet certificate from it could pose as an etcd server" }).default("ca"),
  /** Serving certificate lifetime; a CSR's spec.expirationSeconds can only shorten it (never below 600 s). */
  servingValidity: Duration.default("720h"),
  /** Node client certificate lifetime, capped the same way. */
  clientValidity: Duration.default("8760h"),
  /** When set, every serving IP SAN must also fall in one of these CIDRs. */
  allowedCidrs: z.array(z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, "must be a CIDR like 10.0.0.0/8")).default([]),
  /** When set, every serving DNS SAN must end with one of these suffixes (`.ec2.internal`, or an exact name). */
  allowedDnsSuffixes: z.array(z.string().min(1)).default([]),
  /** Key algorithms accepted in kubelet CSRs; defaults to the top-level keys.allowed. */
  keyAlgorithms: z.array(KeyAlgorithmName).min(1).optional(),
  /** How long a serving CSR may wait for its Node to appear before it is denied. */
  nodeWaitSeconds: z.number().int().min(0).default(60),
  /** Full re-list of CSRs, in seconds, in case a watch event was missed. */
  resyncSeconds: z.number().int().positive().default(300),
  /** Who vouches for a Node's addresses; the Node's own status unless a cloud inventory is named. */
  addressSource: KubeletAddressSourceConfig.default({ type: "node-status" }),
  leaderElection: z
    .strictObject({
      enabled: z.boolean().default(true),
      namespace: z.string().min(1).default("kubeca-system"),
      leaseName: z.string().min(1).default("kubeca-kubelet-signer"),
      leaseDurationSeconds: z.number().int().positive().default(15),
      renewDeadlineSeconds: z.number().int().positive().default(10),
      retryPeriodSeconds: z.number().int().positive().default(2),
    })
    .default({
      enabled: true,
      namespace: "kubeca-system",
      leaseName: "kubeca-kubelet-signer",
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
    }),
});
export type KubeletSignerConfig = z.infer<typeof KubeletSignerConfig>;

/**
 * The same caller sending the same CSR for the same file within `window` gets the same certificate back,
 * with no second signature. `memory` for one server process; `dynamodb` when many Lambda instances serve.
 */
export const IdempotencyConfig = z.strictObject({
  /** How long an issued certificate is handed back for the same request, from its issuance. */
  window: Duration.default("10m"),
  store: z.enum(["memory", "dynamodb"]).default("memory"),
  /** memory store: the most certificates remembered; the oldest are forgotten first. */
  maxEntries: z.number().int().positive().default(10000),
  /** dynamodb store: the table (key `key`, TTL attribute `expiresAt`). */
  table: z.string().optional(),
  endpoint: z.url().optional(),
  region: z.string().optional(),
});
export type IdempotencyConfig = z.infer<typeof IdempotencyConfig>;

/** The largest batch (POST /v1/sign/batch items); server/sign-body.ts holds the same number. */
export const LARGEST_BATCH = 32;

/** A token bucket: `burst` tokens at most, refilled at `ratePerSecond`; one signing request item costs one. */
export const RateBucketConfig = z.strictObject({
  ratePerSecond: z.number().positive(),
  burst: z.number().int().min(LARGEST_BATCH, `must be at least ${LARGEST_BATCH}: a full batch costs one token per item and must fit in a full bucket`),
});
export type RateBucketConfig = z.infer<typeof RateBucketConfig>;

export const RateLimitsConfig = z.strictObject({
  /** Per caller identity (token name, certificate subject, ARN). */
  perCaller: RateBucketConfig.default({ ratePerSecond: 1, burst: 48 }),
  /** All callers of this process together. */
  overall: RateBucketConfig.default({ ratePerSecond: 50, burst: 200 }),
  /**
   * Refused credentials per source address: each is an audit record, so a flood of bad tokens must
   * not be able to grow the log without bound. Over it, the answer is 429 and nothing is recorded.
   */
  refusedCredentials: RateBucketConfig.default({ ratePerSecond: 1, burst: 32 }),
});
export type RateLimitsConfig = z.infer<typeof RateLimitsConfig>;

export const ConfigSchema = z
  .strictObject({
    apiVersion: z.literal("kubeca.dev/v1alpha1"),
    kind: z.literal("Config"),
    cluster: z.strictObject({
      name: z.string().min(1).default("kubernetes"),
      /** The cluster's Kubernetes version; decides O values (1.29 changed them). */
      kubernetesVersion: z
        .string()
        .regex(/^v?\d+\.\d+(\.\d+)?([-+].*)?$/, "must be a version like 1.31 or v1.31.2")
        .default("1.34"),
      dnsDomain: DnsName.default("cluster.local"),
      /** networking.serviceSubnet; comma-separated for dual stack. The first CIDR's first IP is required. */
      serviceSubnet: z.string().default("10.96.0.0/12"),
      /** host or host:port; the host becomes a DNS or IP SAN of apiserver. */
      controlPlaneEndpoint: z.string().optional(),
      apiServerCertSANs: z.array(NameOrIp).default([]),
      etcd: z
        .strictObject({
          /** false for external etcd: the etcd-ca leaves are then not signed. */
          local: z.boolean().default(true),
          serverCertSANs: z.array(NameOrIp).default([]),
          peerCertSANs: z.array(NameOrIp).default([]),
        })
        .default({ local: true, serverCertSANs: [], peerCertSANs: [] }),
    }),
    cas: z.strictObject({
      ca: CaConfig,
      "etcd-ca": CaConfig.optional(),
      "front-proxy-ca": CaConfig.optional(),
    }),
    nodes: z.array(NodeConfig).min(1),
    nodeGroups: z.array(NodeGroupConfig).default([]),
    validity: z
      .strictObject({
        /** Leaf lifetime; capped by the issuing CA's NotAfter. */
        leaf: Duration.default("8760h"),
      })
      .default({ leaf: "8760h" }),
    keys: z
      .strictObject({
        allowed: z.array(KeyAlgorithmName).min(1).default(["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"]),
      })
      .default({ allowed: ["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"] }),
    callers: z
      .strictObject({
        tokens: z.array(TokenCaller).default([]),
        /** Tokens of the auditor role: GET /v1/audit only. */
        auditors: z.array(AuditorCaller).default([]),
        /** AWS principals (Lambda behind API Gateway with IAM authorization). */
        iam: z.array(IamCaller).default([]),
        proof: ProofConfig.default({ enabled: true, replayCache: { store: "memory" } }),
      })
      .default({ tokens: [], auditors: [], iam: [], proof: { enabled: true, replayCache: { store: "memory" } } }),
    audit: AuditConfig.default({ store: "file", path: "kubeca-audit.jsonl", chain: "kubeca", stdout: false }),
    kubeletSigner: KubeletSignerConfig.optional(),
    idempotency: IdempotencyConfig.default({ window: "10m", store: "memory", maxEntries: 10000 }),
    rateLimits: RateLimitsConfig.default({
      perCaller: { ratePerSecond: 1, burst: 48 },
      overall: { ratePerSecond: 50, burst: 200 },
      refusedCredentials: { ratePerSecond: 1, burst: 32 },
    }),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.nodes.forEach((n, i) => {
      if (seen.has(n.name)) ctx.addIssue({ code: "custom", path: ["nodes", i, "name"], message: `node ${n.name} is listed twice` });
      seen.add(n.name);
      if (n.role === "control-plane" && !n.advertiseAddress)
        ctx.addIssue({ code: "custom", path: ["nodes", i, "advertiseAddress"], message: "a control-plane node needs advertiseAddress" });
    });
    cfg.nodes.forEach((n, i) => {
      if (n.superAdmin === true && n.role !== "control-plane")
        ctx.addIssue({ code: "custom", path: ["nodes", i, "superAdmin"], message: "only a control-plane node can receive super-admin.conf" });
    });
    const groupNames = new Set<string>();
    cfg.nodeGroups.forEach((g, i) => {
      if (groupNames.has(g.name)) ctx.addIssue({ code: "custom", path: ["nodeGroups", i, "name"], message: `node group ${g.name} is listed twice` });
      groupNames.add(g.name);
      if ((g.namePattern === undefined) === (g.nameSuffix === undefined))
        ctx.addIssue({ code: "custom", path: ["nodeGroups", i], message: "set exactly one of namePattern and nameSuffix" });
      if (g.role === "control-plane" && g.allowedCidrs.length === 0)
        ctx.addIssue({ code: "custom", path: ["nodeGroups", i, "allowedCidrs"], message: "a control-plane group needs allowedCidrs: its nodes' advertise addresses must fall in them" });
    });
    cfg.callers.tokens.forEach((t, i) => {
      if (!seen.has(t.node))
        ctx.addIssue({ code: "custom", path: ["callers", "tokens", i, "node"], message: `no node named ${t.node} under nodes` });
    });
    const lookup = compileNodeLookup(cfg);
    cfg.callers.iam.forEach((c, i) => {
      const named: [string[], string][] = Object.entries(c.sessionNodes ?? {}).map(([session, n]) => [["sessionNodes", session], n]);
      if (c.node !== undefined) named.push([["node"], c.node]);
      for (const [at, node] of named) {
        if (!lookup.find(node)) ctx.addIssue({ code: "custom", path: ["callers", "iam", i, ...at], message: `no node named ${node} under nodes or in a node group` });
      }
    });
    if (cfg.cluster.etcd.local && !cfg.cas["etcd-ca"])
      ctx.addIssue({ code: "custom", path: ["cas", "etcd-ca"], message: "stacked etcd (cluster.etcd.local: true) needs an etcd-ca" });
    if (cfg.audit.store === "dynamodb" && !cfg.audit.table)
      ctx.addIssue({ code: "custom", path: ["audit", "table"], message: "the dynamodb audit store needs a table" });
    if (cfg.idempotency.store === "dynamodb" && !cfg.idempotency.table)
      ctx.addIssue({ code: "custom", path: ["idempotency", "table"], message: "the dynamodb idempotency store needs a table" });
  });

export type Config = z.infer<typeof ConfigSchema>;
