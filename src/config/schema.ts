// The one configuration file, as a zod schema. Validated once at start, then frozen.
// `kubeca policy check`, the JSON Schema for editors and docs/configuration.md derive from this file:
// every field a person writes carries a description (`z.describe()`; a test fails on a field without one), which is
// what editors show on hover and what the reference in docs/configuration.md prints.
import * as z from "zod/mini";
import "./zod-locale.js";
import { isAbsolute } from "node:path";
import { ipFamily } from "./ip-family.js";
import { compileNodeLookup } from "./node-lookup.js";

const durationPattern = /^(\d+h)?(\d+m)?(\d+s)?$/;
/** Go-style duration as kubeadm writes it: `8760h`, `90m`, `1h30m`. */
export const Duration = z.string().check(z.regex(durationPattern, "must be a duration like 8760h, 720h or 90m"), z.refine((s) => s.length > 0, "must not be empty"));

export const IpAddress = z.string().check(z.refine((s) => ipFamily(s) !== 0, "must be an IPv4 or IPv6 address"));
export const Sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits (SHA-256 of the token)"));
const Rfc1123ish = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
export const DnsName = z.string().check(z.regex(Rfc1123ish, "must be a DNS name (RFC 1123), optionally starting with *."));
/** certSANs entries may be names or IPs, as in kubeadm's apiServer.certSANs. */
export const NameOrIp = z.string().check(z.refine((s) => ipFamily(s) !== 0 || Rfc1123ish.test(s), "must be a DNS name or an IP address"));

export const KeyAlgorithmName = z.enum(["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"]);
export type KeyAlgorithmName = z.infer<typeof KeyAlgorithmName>;

export const CaName = z.enum(["ca", "etcd-ca", "front-proxy-ca"]);
export type CaName = z.infer<typeof CaName>;

const CertificateSource = z.union([
    z.strictObject({ file: z.string().check(z.minLength(1), z.describe("A PEM file, relative to the config file's folder (on Lambda: the task root).")) }),
    z.strictObject({ pem: z.string().check(z.includes("-----BEGIN CERTIFICATE-----"), z.describe("The certificate itself, PEM.")) }),
  ]).check(z.describe("The CA certificate (kubeadm's ca.crt, etcd/ca.crt, front-proxy-ca.crt), from a file or inline. Never a key."));

export const AwsKmsSignerConfig = z.strictObject({
  type: z.literal("aws-kms").check(z.describe("The CA key is an asymmetric AWS KMS key (SIGN_VERIFY; ECC_NIST_P256, ECC_NIST_P384 or RSA_2048–4096). AWS credentials come from the SDK's default chain: environment, shared profile, web identity (EKS), the instance or task role, Lambda's execution role.")),
  keyId: z.string().check(z.minLength(1), z.describe("Key id, key ARN, alias name (alias/…) or alias ARN. An ARN names its region.")),
  region: z.optional(z.string()).check(z.describe("The key's region; default: the SDK's (AWS_REGION, the profile) or the one in an ARN.")),
  endpoint: z.optional(z.url()).check(z.describe("Another KMS endpoint: a VPC interface endpoint, or a local server in tests.")),
  rsaPadding: z._default(z.enum(["pkcs1", "pss"]), "pkcs1").check(z.describe("RSA keys only: PKCS#1 v1.5 (what kubeadm uses) or PSS.")),
  timeoutMs: z._default(z.number().check(z.int(), z.positive()), 3000).check(z.describe("Per-call timeout in milliseconds; a slower KMS counts as unavailable (503, Retry-After).")),
});
export const MemorySignerConfig = z.strictObject({
  type: z.literal("memory").check(z.describe("Development only (serve --dev): a fresh key generated at start, never written anywhere, lost at exit. Refused by ca init.")),
  algorithm: z._default(KeyAlgorithmName, "ECDSA-P256").check(z.describe("The key to generate.")),
});
const AbsolutePath = z.string().check(z.refine((s) => isAbsolute(s), "must be an absolute path"));

// The token is found by label or serial, never by slot index (slot numbers change when tokens come
// and go); the PIN comes from an environment variable or a file, never from this config.
export const Pkcs11SignerConfig = z.strictObject({
  type: z.literal("pkcs11").check(z.describe("The CA key is inside an HSM, reached through its PKCS#11 module (not on Lambda, which cannot load one). See docs/signers.md.")),
  module: AbsolutePath.check(z.describe("The vendor's PKCS#11 library, an absolute path, e.g. /usr/lib/softhsm/libsofthsm2.so.")),
  token: z.union([
      z.strictObject({ label: z.string().check(z.minLength(1), z.maxLength(32), z.describe("The token's label (CKA_LABEL of the token, up to 32 characters).")) }),
      z.strictObject({ serial: z.string().check(z.minLength(1), z.maxLength(16), z.describe("The token's serial number, when labels repeat.")) }),
    ]).check(z.describe("Which token holds the key: by label or serial, never by slot index.")),
  key: z.strictObject({
      label: z.optional(z.string().check(z.minLength(1))).check(z.describe("The private key's CKA_LABEL.")),
      id: z.optional(z.string().check(z.regex(/^([0-9a-f]{2})+$/i, "must be the key's CKA_ID in hex, e.g. 6b756265"))).check(z.describe("The private key's CKA_ID, in hex.")),
    }).check(z.refine((k) => k.label !== undefined || k.id !== undefined, "set label, id or both")).check(z.describe("The private key: by label, id, or both; exactly one key may match.")),
  pin: z.union([
      z.strictObject({
        env: z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"), z.describe("The name of an environment variable holding the user PIN.")),
      }),
      z.strictObject({ file: AbsolutePath.check(z.describe("An absolute path to a file whose first line is the user PIN.")) }),
    ]).check(z.describe("Where the user PIN comes from; never inline in the config.")),
  rsaPadding: z._default(z.enum(["pkcs1", "pss"]), "pkcs1").check(z.describe("RSA keys only: PKCS#1 v1.5 (what kubeadm uses) or PSS.")),
  sessions: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(64)), 4).check(z.describe("Sessions this process opens at most (concurrent signatures); 4 matches Node's default thread pool.")),
  allowExtractable: z._default(z.boolean(), false).check(z.describe("Sign with a key that can leave the token (CKA_EXTRACTABLE, or not CKA_SENSITIVE); every start records a signer-warning audit event.")),
});
export type Pkcs11SignerConfig = z.infer<typeof Pkcs11SignerConfig>;

export const SignerConfig = z.discriminatedUnion("type", [AwsKmsSignerConfig, MemorySignerConfig, Pkcs11SignerConfig]).check(z.describe("Where the CA's private key is and how to sign with it; chosen by type. kubeca never holds a CA key."));
export type SignerConfig = z.infer<typeof SignerConfig>;

/** The CA a rotation moves to: its own certificate and signer (docs/ca-rotation.md). */
export const NextCaConfig = z.strictObject({
    certificate: CertificateSource,
    signer: SignerConfig,
  }).check(z.describe(
    "The CA this one is rotating to (docs/ca-rotation.md): its certificate (kubeca ca init --next creates it) and its signer. Nothing changes until kubeca ca rotate prepare; the phase is kept with the audit log, not here.",
  ));
export type NextCaConfig = z.infer<typeof NextCaConfig>;

export const CaConfig = z.strictObject({
  certificate: CertificateSource,
  signer: SignerConfig,
  next: z.optional(NextCaConfig),
});
const caConfig = (name: string) => CaConfig.check(z.describe(`The ${name}: its certificate and its signer. At start the signer's public key must equal the certificate's.`));
export type CaConfig = z.infer<typeof CaConfig>;

export const NodeConfig = z.strictObject({
  name: DnsName.check(z.describe("The node's name, as kubeadm's nodeRegistration.name and the Node object have it.")),
  role: z.enum(["control-plane", "worker"]).check(z.describe("control-plane nodes may receive the apiserver, etcd and control-plane kubeconfig files; workers only kubelet.conf.")),
  advertiseAddress: z.optional(IpAddress).check(z.describe("localAPIEndpoint.advertiseAddress; required for control-plane nodes (an apiserver and etcd SAN).")),
  addresses: z._default(z.array(IpAddress), []).check(z.describe("Further IPs this node owns (allowed, not required, in its serving SANs).")),
  hostnames: z._default(z.array(DnsName), []).check(z.describe("Further DNS names this node owns.")),
  superAdmin: z.optional(z.boolean()).check(z.describe(
      "May this node receive super-admin.conf? kubeadm writes that file only on the node where kubeadm init ran. When no node sets this field, only the first control-plane node under nodes may; once any node sets it, exactly the nodes with superAdmin: true may. Control-plane nodes only.",
    )),
});
export type NodeConfig = z.infer<typeof NodeConfig>;

/** An IPv4 or IPv6 CIDR such as 10.0.0.0/16 or fd00:10::/64. */
export const Cidr = z.string().check(z.refine((s) => {
  const slash = s.indexOf("/");
  if (slash < 0) return false;
  const family = ipFamily(s.slice(0, slash));
  const bits = s.slice(slash + 1);
  return family !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}, "must be a CIDR like 10.0.0.0/16 or fd00::/64"));

/** A node-name glob: DNS characters and `*`, which stands for any run of characters within one label. */
const NamePattern = z.string().check(z.regex(/^[a-z0-9*]([a-z0-9*.-]*[a-z0-9*])?$/i, "must be a node name where * stands for any characters within one label, e.g. ip-10-0-*.ec2.internal"));

/**
 * Nodes that are not listed one by one under `nodes` but whose names match: a fleet of workers needs no
 * per-node entry. A listed node always wins over a group; among groups the first match wins.
 */
export const NodeGroupConfig = z.strictObject({
  name: z.string().check(z.minLength(1), z.describe("A label for messages and kubeca policy check.")),
  role: z.enum(["control-plane", "worker"]).check(z.describe("The role of every node in the group.")),
  namePattern: z.optional(NamePattern).check(z.describe("Node names matching this glob (ip-10-0-*.ec2.internal; * stays within one label). Exactly one of namePattern and nameSuffix.")),
  nameSuffix: z.optional(z.string().check(z.minLength(1))).check(z.describe("Node names ending with this text (.workers.example.internal), with at least one character before it.")),
  allowedCidrs: z._default(z.array(Cidr), []).check(z.describe("IP SANs beyond the cluster-wide ones must fall in one of these; a control-plane group needs at least one.")),
  allowedDnsSuffixes: z._default(z.array(z.string().check(z.regex(/^\.?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i, "must be a DNS suffix like .ec2.internal"))), []).check(z.describe("DNS SANs beyond the cluster-wide ones must end with one of these (.ec2.internal; example.com matches itself too).")),
});
export type NodeGroupConfig = z.infer<typeof NodeGroupConfig>;

export const TokenCaller = z.strictObject({
  name: z.string().check(z.minLength(1), z.describe("A label for logs and audit records; never the token.")),
  sha256: Sha256Hex.check(z.describe("SHA-256 of the token, lowercase hex: what kubeca token create prints, or printf %s \"$TOKEN\" | sha256sum.")),
  node: DnsName.check(z.describe("The node the token speaks for: a name under nodes.")),
});

/** A caller that may read GET /v1/audit and nothing else. */
export const AuditorCaller = z.strictObject({
  name: z.string().check(z.minLength(1), z.describe("A label for logs and audit records.")),
  sha256: Sha256Hex.check(z.describe("SHA-256 of the token, lowercase hex (kubeca token create --role auditor).")),
});

/** A caller that may change and read the CA rotation phase (kubeca ca rotate) and nothing else. */
export const OperatorCaller = z.strictObject({
  name: z.string().check(z.minLength(1), z.describe("A label for logs and audit records.")),
  sha256: Sha256Hex.check(z.describe("SHA-256 of the token, lowercase hex (kubeca token create --role operator).")),
});

/** An IAM principal ARN: a role (`arn:aws:iam::<account>:role/<name>`, matching its sessions) or an exact one. */
export const IamArn = z.string().check(z.regex(/^arn:aws(?:-[a-z]+)*:(?:iam|sts)::\d{12}:[\x21-\x7e]+$/, "must be an IAM ARN such as arn:aws:iam::111122223333:role/kubeca-nodes"));

/**
 * An AWS principal calling through API Gateway with IAM authorization (Lambda only), and what it acts
 * as: exactly one of `node`, `sessionNodes`, `sessionIsNode` (the last two for role ARNs) or `auditor`.
 */
export const IamCaller = z.strictObject({
    name: z.string().check(z.minLength(1), z.describe("A label for messages.")),
    arn: IamArn.check(z.describe("A role ARN (arn:aws:iam::<account>:role/<name>, matching every session of the role) or an exact principal ARN.")),
    node: z.optional(DnsName).check(z.describe("Every matching principal is this node.")),
    sessionNodes: z.optional(z.record(z.string().check(z.regex(/^[\w+=,.@-]{2,64}$/, "must be an IAM role session name")), DnsName)).check(z.describe("Role session name (the EC2 instance id, for instance profiles) → node name.")),
    sessionIsNode: z.optional(z.literal(true)).check(z.describe("The role session name is the node's name.")),
    auditor: z.optional(z.literal(true)).check(z.describe("The principal is an auditor: GET /v1/audit only.")),
    operator: z.optional(z.literal(true)).check(z.describe("The principal is an operator: the CA rotation routes (kubeca ca rotate) and retiring nodes (kubeca node retire) only.")),
  }).check(z.superRefine((c, ctx) => {
    const set = [c.node !== undefined, c.sessionNodes !== undefined, c.sessionIsNode === true, c.auditor === true, c.operator === true].filter(Boolean).length;
    if (set !== 1) ctx.addIssue({ code: "custom", message: "set exactly one of node, sessionNodes, sessionIsNode, auditor, operator" });
    if ((c.sessionNodes !== undefined || c.sessionIsNode) && !/:iam::\d{12}:role\//.test(c.arn))
      ctx.addIssue({ code: "custom", path: ["arn"], message: "sessionNodes and sessionIsNode need a role ARN (arn:aws:iam::<account>:role/<name>)" });
  }));
export type IamCaller = z.infer<typeof IamCaller>;

/** Where used proof ids (jti) are remembered: `memory` for one server process, `dynamodb` on Lambda. */
export const ReplayCacheConfig = z.discriminatedUnion("store", [
    z.strictObject({ store: z.literal("memory").check(z.describe("In this process: right for one kubeca serve.")) }),
    z.strictObject({
      store: z.literal("dynamodb").check(z.describe("A DynamoDB table shared by every instance: needed on Lambda.")),
      table: z.string().check(z.minLength(3), z.describe("The table: key jti (S), TTL attribute expiresAt (serverless.yml's ReplayTable).")),
      endpoint: z.optional(z.url()).check(z.describe("Another DynamoDB endpoint (VPC endpoint, local server).")),
      region: z.optional(z.string()).check(z.describe("The table's region; default: the SDK's.")),
    }),
  ]).check(z.describe("Where used proof ids (jti) are remembered, so a proof is used once."));

/** Renewal proofs with a current certificate (`Authorization: KubecaProof <JWS>`). */
export const ProofConfig = z.strictObject({
  enabled: z._default(z.boolean(), true).check(z.describe("Accept Authorization: KubecaProof from nodes with a current certificate of these CAs.")),
  replayCache: z._default(ReplayCacheConfig, { store: "memory" }),
});
export type ProofConfig = z.infer<typeof ProofConfig>;

export const AuditCheckpointConfig = z.strictObject({
  everyRecords: z._default(z.number().check(z.int(), z.positive()), 100).check(z.describe("Sign the chain's head whenever a record's seq is a multiple of this.")),
  everyMinutes: z._default(z.number().check(z.positive()), 5).check(z.describe("…and at latest this many minutes after the last checkpoint while records are unproved.")),
  signer: z._default(z.union([CaName, SignerConfig]), "ca").check(z.describe("Which key signs checkpoints: a CA's signer by name, or a signer of its own.")),
  path: z.optional(z.string()).check(z.describe("file store: the checkpoint file (default: next to path, <name>.checkpoints.jsonl).")),
});
export type AuditCheckpointConfig = z.infer<typeof AuditCheckpointConfig>;

export const AuditConfig = z.strictObject({
  store: z._default(z.enum(["file", "dynamodb"]), "file").check(z.describe("file: a JSONL file (one server); dynamodb: a table (Lambda, or several servers).")),
  path: z._default(z.string(), "kubeca-audit.jsonl").check(z.describe("file store: the JSONL file, relative to the working directory.")),
  table: z.optional(z.string()).check(z.describe("dynamodb store: the table (serverless.yml's AuditTable, or infra/aws/audit-table.yaml).")),
  chain: z._default(z.string(), "kubeca").check(z.describe("dynamodb store: the chain's partition key; one chain per deployment.")),
  endpoint: z.optional(z.url()).check(z.describe("dynamodb store: another endpoint (VPC endpoint, local server).")),
  region: z.optional(z.string()).check(z.describe("dynamodb store: the table's region; default: the SDK's.")),
  stdout: z._default(z.boolean(), false).check(z.describe("Mirror every record as one JSON line on stdout (CloudWatch).")),
  checkpoint: z.optional(AuditCheckpointConfig).check(z.describe("Signed checkpoints of the chain's head; the defaults apply when absent.")),
});
export type AuditConfig = z.infer<typeof AuditConfig>;

/**
 * Where the kubelet signer learns which addresses a Node may put in its serving certificate.
 * `node-status` trusts the Node's status, which the kubelet reports itself (spec §3.4 item 4);
 * `ec2` keeps only the addresses EC2 also reports for the instance named by spec.providerID.
 */
export const KubeletAddressSourceConfig = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("node-status").check(z.describe("Trust the addresses the kubelet reports in the Node's status.")) }),
  z.strictObject({
    type: z.literal("ec2").check(z.describe("Keep only the addresses EC2 also reports for the instance in the Node's spec.providerID.")),
    region: z.optional(z.string().check(z.minLength(1))).check(z.describe("Default: the SDK's (AWS_REGION, the profile).")),
    endpoint: z.optional(z.url()).check(z.describe("Another EC2 endpoint (VPC endpoint, local test server).")),
    cacheSeconds: z._default(z.number().check(z.int(), z.minimum(0), z.maximum(300)), 30).check(z.describe("How long one DescribeInstances answer is reused per instance, so a sweep calls EC2 once per node.")),
  }),
]).check(z.describe("Who vouches for a Node's addresses: the Node's own status unless a cloud inventory is named."));
export type KubeletAddressSourceConfig = z.infer<typeof KubeletAddressSourceConfig>;

/**
 * The in-cluster kubelet CSR approver + signer (`kubeca kubelet-signer`, the Lambda sweep).
 * Optional: absent means the defaults below.
 */
export const KubeletSignerConfig = z.strictObject({
  // Not etcd-ca: etcd members and clients trust it, so a kubelet's serving certificate from it would
  // pass as an etcd server for that node's addresses.
  servingCa: z._default(z.enum(["ca", "front-proxy-ca"], { error: "must be ca or front-proxy-ca: etcd trusts etcd-ca, so a kubelet certificate from it could pose as an etcd server" }), "ca").check(z.describe("The CA that signs kubelet serving certificates: ca or front-proxy-ca (node client certificates are always signed by ca).")),
  servingValidity: z._default(Duration, "720h").check(z.describe("Serving certificate lifetime; a CSR's spec.expirationSeconds can only shorten it (never below 600 s).")),
  clientValidity: z._default(Duration, "8760h").check(z.describe("Node client certificate lifetime, capped the same way.")),
  allowedCidrs: z._default(z.array(z.string().check(z.regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, "must be a CIDR like 10.0.0.0/8"))), []).check(z.describe("When set, every serving IP SAN must also fall in one of these CIDRs.")),
  allowedDnsSuffixes: z._default(z.array(z.string().check(z.minLength(1))), []).check(z.describe("When set, every serving DNS SAN must end with one of these suffixes (.ec2.internal, or an exact name).")),
  keyAlgorithms: z.optional(z.array(KeyAlgorithmName).check(z.minLength(1))).check(z.describe("Key algorithms accepted in kubelet CSRs; default: the top-level keys.allowed.")),
  nodeWaitSeconds: z._default(z.number().check(z.int(), z.minimum(0)), 60).check(z.describe("How long a serving CSR may wait for its Node to appear before it is denied.")),
  resyncSeconds: z._default(z.number().check(z.int(), z.positive()), 300).check(z.describe("Full re-list of CSRs, in seconds, in case a watch event was missed.")),
  addressSource: z._default(KubeletAddressSourceConfig, { type: "node-status" }),
  leaderElection: z._default(z.strictObject({
      enabled: z._default(z.boolean(), true).check(z.describe("Take a Lease so that one replica (or the Lambda sweep) signs at a time.")),
      namespace: z._default(z.string().check(z.minLength(1)), "kubeca-system").check(z.describe("The Lease's namespace.")),
      leaseName: z._default(z.string().check(z.minLength(1)), "kubeca-kubelet-signer").check(z.describe("The Lease's name; the Deployment and the Lambda sweep share it.")),
      leaseDurationSeconds: z._default(z.number().check(z.int(), z.positive()), 15).check(z.describe("How long a Lease holds without renewal.")),
      renewDeadlineSeconds: z._default(z.number().check(z.int(), z.positive()), 10).check(z.describe("The leader gives up when it could not renew for this long.")),
      retryPeriodSeconds: z._default(z.number().check(z.int(), z.positive()), 2).check(z.describe("How often to try to take or renew the Lease.")),
    }).check(z.describe("One active signer among replicas, through a coordination.k8s.io Lease.")), {
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
  window: z._default(Duration, "10m").check(z.describe("How long an issued certificate is handed back for the same request, from its issuance.")),
  store: z._default(z.enum(["memory", "dynamodb"]), "memory").check(z.describe("memory: in this process (one server); dynamodb: shared by every Lambda instance.")),
  maxEntries: z._default(z.number().check(z.int(), z.positive()), 10000).check(z.describe("memory store: the most certificates remembered; the oldest are forgotten first.")),
  table: z.optional(z.string()).check(z.describe("dynamodb store: the table (key key, TTL attribute expiresAt; serverless.yml's IdempotencyTable).")),
  endpoint: z.optional(z.url()).check(z.describe("dynamodb store: another endpoint.")),
  region: z.optional(z.string()).check(z.describe("dynamodb store: the table's region; default: the SDK's.")),
});
export type IdempotencyConfig = z.infer<typeof IdempotencyConfig>;

/** The largest batch (POST /v1/sign/batch items); server/sign-body.ts holds the same number. */
export const LARGEST_BATCH = 32;

/** A token bucket: `burst` tokens at most, refilled at `ratePerSecond`; one signing request item costs one. */
export const RateBucketConfig = z.strictObject({
  ratePerSecond: z.number().check(z.positive(), z.describe("Tokens added per second.")),
  burst: z.number().check(z.int(), z.minimum(LARGEST_BATCH, `must be at least ${LARGEST_BATCH}: a full batch costs one token per item and must fit in a full bucket`), z.describe(`The most tokens the bucket holds; at least ${LARGEST_BATCH}, a full batch.`)),
});
export type RateBucketConfig = z.infer<typeof RateBucketConfig>;

export const RateLimitsConfig = z.strictObject({
  perCaller: z._default(RateBucketConfig, { ratePerSecond: 1, burst: 48 }).check(z.describe("Per caller identity (token name, certificate subject, ARN).")),
  overall: z._default(RateBucketConfig, { ratePerSecond: 50, burst: 200 }).check(z.describe("All callers of this process together.")),
  refusedCredentials: z._default(RateBucketConfig, { ratePerSecond: 1, burst: 32 }).check(z.describe(
    "Refused credentials per source address: each is an audit record, so a flood of bad tokens must not grow the log without bound. Over it, the answer is 429 and nothing is recorded.",
  )),
});
export type RateLimitsConfig = z.infer<typeof RateLimitsConfig>;

/**
 * Every instance (Lambda, several servers, the kubelet signer) re-reads the rotation phase at most this
 * often; a phase change is refused until twice this time has passed since the last one, so no instance
 * is ever more than one step behind.
 */
export const RotationConfig = z.strictObject({
  refreshSeconds: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(300)), 10).check(z.describe("How long an instance acts on the rotation phase it last read; phase changes are at least twice this apart.")),
});
export type RotationConfig = z.infer<typeof RotationConfig>;

export const ConfigSchema = z.strictObject({
    apiVersion: z.literal("kubeca.dev/v1alpha1").check(z.describe("Always kubeca.dev/v1alpha1.")),
    kind: z.literal("Config").check(z.describe("Always Config.")),
    cluster: z.strictObject({
        name: z._default(z.string().check(z.minLength(1)), "kubernetes").check(z.describe("The cluster's name, as in kubeadm's ClusterConfiguration (clusterName).")),
        kubernetesVersion: z._default(z.string().check(z.regex(/^v?\d+\.\d+(\.\d+)?([-+].*)?$/, "must be a version like 1.31 or v1.31.2")), "1.34").check(z.describe("The cluster's Kubernetes version; decides subjects kubeadm expects (1.29 changed admin.conf's O and added super-admin.conf).")),
        dnsDomain: z._default(DnsName, "cluster.local").check(z.describe("networking.dnsDomain: the apiserver's kubernetes.default.svc.<domain> SAN.")),
        serviceSubnet: z._default(z.string(), "10.96.0.0/12").check(z.describe("networking.serviceSubnet; comma-separated for dual stack. The first CIDR's first IP is a required apiserver SAN.")),
        controlPlaneEndpoint: z.optional(z.string()).check(z.describe("host or host:port; the host becomes a DNS or IP SAN of apiserver.")),
        apiServerCertSANs: z._default(z.array(NameOrIp), []).check(z.describe("apiServer.certSANs: further names and IPs the apiserver certificate may carry.")),
        etcd: z._default(z.strictObject({
            local: z._default(z.boolean(), true).check(z.describe("false for external etcd: the etcd-ca files are then not signed and etcd-ca may be absent.")),
            serverCertSANs: z._default(z.array(NameOrIp), []).check(z.describe("etcd.local.serverCertSANs.")),
            peerCertSANs: z._default(z.array(NameOrIp), []).check(z.describe("etcd.local.peerCertSANs.")),
          }), { local: true, serverCertSANs: [], peerCertSANs: [] }).check(z.describe("etcd as kubeadm's ClusterConfiguration has it.")),
      }).check(z.describe("Facts of the cluster, as in kubeadm's ClusterConfiguration: they decide every subject and SAN.")),
    cas: z.strictObject({
        ca: caConfig("cluster CA (CN=kubernetes): the apiserver, kubelet and kubeconfig certificates"),
        "etcd-ca": z.optional(caConfig("etcd CA (CN=etcd-ca); required with stacked etcd (cluster.etcd.local: true)")),
        "front-proxy-ca": z.optional(caConfig("front-proxy CA (CN=front-proxy-ca): front-proxy-client")),
      }).check(z.describe("The CAs kubeca signs with, by kubeadm's name.")),
    nodes: z.array(NodeConfig).check(z.minLength(1), z.describe("The nodes, one by one: every control-plane node, and workers not covered by nodeGroups.")),
    nodeGroups: z._default(z.array(NodeGroupConfig), []).check(z.describe("Nodes not listed one by one but matched by name: a fleet needs no per-node entry. A listed node wins over a group; the first matching group wins.")),
    validity: z._default(z.strictObject({
        leaf: z._default(Duration, "8760h").check(z.describe("Leaf certificate lifetime (kubeadm's default 8760h); capped by the issuing CA's NotAfter.")),
      }), { leaf: "8760h" }).check(z.describe("Certificate lifetimes.")),
    keys: z._default(z.strictObject({
        allowed: z._default(z.array(KeyAlgorithmName).check(z.minLength(1)), ["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"]).check(z.describe("Key algorithms a CSR may use; kubeadm makes RSA-2048 by default (ECDSA-P256 with encryptionAlgorithm).")),
      }), { allowed: ["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"] }).check(z.describe("Which CSR keys are accepted.")),
    callers: z._default(z.strictObject({
        tokens: z._default(z.array(TokenCaller), []).check(z.describe("Bearer tokens, each bound to one node; make one with kubeca token create --node NAME.")),
        auditors: z._default(z.array(AuditorCaller), []).check(z.describe("Tokens of the auditor role: GET /v1/audit only.")),
        operators: z._default(z.array(OperatorCaller), []).check(z.describe("Tokens of the operator role: kubeca ca rotate (the CA rotation routes) and kubeca node retire (POST /v1/nodes/{name}/retire) only.")),
        iam: z._default(z.array(IamCaller), []).check(z.describe("AWS principals (Lambda behind API Gateway with IAM authorization on the routes).")),
        proof: z._default(ProofConfig, { enabled: true, replayCache: { store: "memory" } }).check(z.describe("Renewal proofs signed with a node's current certificate (Authorization: KubecaProof).")),
      }), { tokens: [], auditors: [], operators: [], iam: [], proof: { enabled: true, replayCache: { store: "memory" } } }).check(z.describe("Who may call (docs/authentication.md).")),
    audit: z._default(AuditConfig, { store: "file", path: "kubeca-audit.jsonl", chain: "kubeca", stdout: false }).check(z.describe(
      "The issuance log: every decision, hash-chained, stored before the answer leaves (docs/audit.md).",
    )),
    kubeletSigner: z.optional(KubeletSignerConfig).check(z.describe("The kubelet CSR approver and signer (kubeca kubelet-signer, the Lambda sweep); absent: the defaults.")),
    idempotency: z._default(IdempotencyConfig, { window: "10m", store: "memory", maxEntries: 10000 }).check(z.describe(
      "The same caller sending the same CSR for the same file within window gets the same certificate back, with no second signature.",
    )),
    rotation: z._default(RotationConfig, { refreshSeconds: 10 }).check(z.describe("CA rotation (docs/ca-rotation.md): how the service and the kubelet signer follow the phase.")),
    rateLimits: z._default(RateLimitsConfig, {
      perCaller: { ratePerSecond: 1, burst: 48 },
      overall: { ratePerSecond: 50, burst: 200 },
      refusedCredentials: { ratePerSecond: 1, burst: 32 },
    }).check(z.describe("Token buckets for the signing routes; over a limit the answer is 429 with Retry-After.")),
  }).check(z.superRefine((cfg, ctx) => {
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
  }));

export type Config = z.infer<typeof ConfigSchema>;
