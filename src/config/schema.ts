// The one configuration file, as a zod schema. Validated once at start, then frozen.
// `kubeca policy check` and the JSON Schema for editors derive from this file.
import { z } from "zod";
import { isIP } from "node:net";

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
export const SignerConfig = z.discriminatedUnion("type", [AwsKmsSignerConfig, MemorySignerConfig]);
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
});
export type NodeConfig = z.infer<typeof NodeConfig>;

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
 * The in-cluster kubelet CSR approver + signer (`kubeca kubelet-signer`, the Lambda sweep).
 * Optional: absent means the defaults below.
 */
export const KubeletSignerConfig = z.strictObject({
  /** CA that signs kubelet serving certificates (node client certificates are always signed by `ca`). */
  servingCa: CaName.default("ca"),
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
      })
      .default({ tokens: [], auditors: [] }),
    audit: AuditConfig.default({ store: "file", path: "kubeca-audit.jsonl", chain: "kubeca", stdout: false }),
    kubeletSigner: KubeletSignerConfig.optional(),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.nodes.forEach((n, i) => {
      if (seen.has(n.name)) ctx.addIssue({ code: "custom", path: ["nodes", i, "name"], message: `node ${n.name} is listed twice` });
      seen.add(n.name);
      if (n.role === "control-plane" && !n.advertiseAddress)
        ctx.addIssue({ code: "custom", path: ["nodes", i, "advertiseAddress"], message: "a control-plane node needs advertiseAddress" });
    });
    cfg.callers.tokens.forEach((t, i) => {
      if (!seen.has(t.node))
        ctx.addIssue({ code: "custom", path: ["callers", "tokens", i, "node"], message: `no node named ${t.node} under nodes` });
    });
    if (cfg.cluster.etcd.local && !cfg.cas["etcd-ca"])
      ctx.addIssue({ code: "custom", path: ["cas", "etcd-ca"], message: "stacked etcd (cluster.etcd.local: true) needs an etcd-ca" });
    if (cfg.audit.store === "dynamodb" && !cfg.audit.table)
      ctx.addIssue({ code: "custom", path: ["audit", "table"], message: "the dynamodb audit store needs a table" });
  });

export type Config = z.infer<typeof ConfigSchema>;
