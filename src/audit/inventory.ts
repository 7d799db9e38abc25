// The fleet view: for every node and every file, the latest certificate kubeca handed out and when
// it expires, computed from the issuance log alone. A node that stopped renewing keeps its last
// row and shows up as its notAfter comes near; a superseded certificate disappears behind the newer
// one. A node-retired record drops every row of its node (a node gone from the cluster), until a
// certificate issued to it after the retirement brings it back. `kubeca audit inventory` reads it once; `serve` and the kubelet signer keep one up to date
// from their append path (issuance/) for the kubeca_node_certificate_expiry_timestamp_seconds gauges.
import type { AuditReader } from "./store.js";
import type { AuditRecord } from "./types.js";

/** The file name of the kubelet's serving certificate (kubelet-server-current.pem), signed by the kubelet signer. */
export const KUBELET_SERVING_FILE = "kubelet-serving";
/**
 * The kubelet's client certificate is one credential however it was issued: kubelet.conf from the
 * API (kubeadm's name) or a node client CSR the kubelet signer signed (kubelet-client-current.pem,
 * which kubelet.conf points at once the kubelet rotates). Both count as kubelet.conf, so a node that
 * moved to rotation does not look as if it stopped renewing.
 */
export const KUBELET_CLIENT_FILE = "kubelet.conf";

export interface InventoryRow {
  readonly node: string;
  /** Canonical kubeadm file name (`apiserver`, `etcd/server`, `admin.conf`), `kubelet-serving` or `kubelet.conf`. */
  readonly file: string;
  readonly serial: string;
  /** The issuer as the record names it (the CA certificate's subject, or the CA's name for kubelet CSRs). */
  readonly issuer: string;
  readonly notAfter: string;
  /** When the certificate was handed out (the record's time). */
  readonly issuedAt: string;
  /** The record it came from. */
  readonly seq: number;
  readonly event: AuditRecord["event"];
}

const NODE_CN = /(?:^|,\s*)CN=system:node:([^,]+)/;

/** Which node and file a record hands a certificate to, or undefined when it hands none out. */
export function inventorySlot(record: AuditRecord): { node: string; file: string } | undefined {
  if (!record.result) return undefined;
  switch (record.event) {
    case "issued":
    case "reissued": {
      const file = record.request?.profile ?? record.request?.file;
      const node = record.actor.node;
      return file && node ? { node, file } : undefined;
    }
    case "kubelet-csr-signed":
    case "node-client-csr-signed": {
      // The certificate is the CN's node: a bootstrap token may request a node's first client certificate.
      const node = NODE_CN.exec(record.request?.subject ?? "")?.[1] ?? record.actor.node;
      const file = record.event === "kubelet-csr-signed" ? KUBELET_SERVING_FILE : KUBELET_CLIENT_FILE;
      return node ? { node, file } : undefined;
    }
    default:
      return undefined;
  }
}

export interface InventoryListener {
  /** A row took a slot (the gauges are set from it, not rebuilt per scrape). */
  readonly onChange?: (row: InventoryRow) => void;
  /** A row left the inventory: its node was retired. */
  readonly onRemove?: (row: InventoryRow) => void;
}

export class CertificateInventory {
  readonly #rows = new Map<string, InventoryRow>();
  /** node → seq of its latest node-retired record: rows from records before it stay out. */
  readonly #retired = new Map<string, number>();
  readonly #listener: InventoryListener;

  constructor(listener: InventoryListener = {}) {
    this.#listener = listener;
  }

  /**
   * Takes a record into account; the record with the higher seq wins a slot, and a retirement drops
   * every row older than it, whatever order they arrive in.
   */
  observe(record: AuditRecord): void {
    if (record.event === "node-retired") return this.#retire(record);
    const slot = inventorySlot(record);
    if (!slot || !record.result) return;
    if ((this.#retired.get(slot.node) ?? 0) > record.seq) return;
    const key = `${slot.node}\u0000${slot.file}`;
    const current = this.#rows.get(key);
    if (current && current.seq >= record.seq) return;
    const row: InventoryRow = {
      node: slot.node,
      file: slot.file,
      serial: record.result.serial,
      issuer: record.result.issuer,
      notAfter: record.result.notAfter,
      issuedAt: record.time,
      seq: record.seq,
      event: record.event,
    };
    this.#rows.set(key, row);
    this.#listener.onChange?.(row);
  }

  #retire(record: AuditRecord): void {
    const node = record.node;
    if (node === undefined || (this.#retired.get(node) ?? 0) >= record.seq) return;
    this.#retired.set(node, record.seq);
    for (const [key, row] of this.#rows) {
      if (row.node !== node || row.seq > record.seq) continue;
      this.#rows.delete(key);
      this.#listener.onRemove?.(row);
    }
  }

  /** Whether the inventory holds a row of this node. */
  has(node: string): boolean {
    for (const row of this.#rows.values()) if (row.node === node) return true;
    return false;
  }

  /** The seq of the node's latest node-retired record, if it has one. */
  retiredAt(node: string): number | undefined {
    return this.#retired.get(node);
  }

  get size(): number {
    return this.#rows.size;
  }

  /** Every row, what expires first first; ties by node, then file. */
  rows(): InventoryRow[] {
    return [...this.#rows.values()].sort(
      (a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter) || a.node.localeCompare(b.node) || a.file.localeCompare(b.file),
    );
  }
}

export interface ReadInventoryResult {
  readonly inventory: CertificateInventory;
  /** Where records could not be read (`line 12`); one of them may have been a node's latest certificate. */
  readonly unreadable: readonly string[];
}

/**
 * Reads the whole log once, oldest first, into `into` (default a new inventory). `until`: the read
 * stops at the first record whose seq is at least what it returns (asked at each record).
 */
export async function readInventory(
  reader: AuditReader,
  into = new CertificateInventory(),
  until: () => number = () => Number.POSITIVE_INFINITY,
): Promise<ReadInventoryResult> {
  const unreadable: string[] = [];
  for await (const entry of reader.chain()) {
    if (!("value" in entry)) unreadable.push(entry.location);
    else if (entry.value.seq >= until()) break;
    else into.observe(entry.value);
  }
  return { inventory: into, unreadable };
}

export interface LiveInventory {
  readonly inventory: CertificateInventory;
  /** True once the start-up read has finished (records appended meanwhile were observed too). */
  loaded(): boolean;
  /** Stops retrying a failed start-up read. */
  close(): void;
}

/**
 * An inventory the owner of an audit log feeds from its append path, filled at start by one read of
 * the whole log in the background. A failed read is retried every `retryMs`, so a store that was
 * down at start still ends up complete; until then `loaded()` says the gauges are partial.
 */
export function startLiveInventory(
  reader: AuditReader,
  options: InventoryListener & { readonly retryMs?: number; readonly onWarning?: (message: string) => void } = {},
): LiveInventory & { observe(record: AuditRecord): void } {
  const inventory = new CertificateInventory(options);
  const retryMs = options.retryMs ?? 30_000;
  let loaded = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  // Records from this seq on reach the inventory through observe(): the start-up read stops there
  // rather than chase a log that grows under load (it read every new record a second time, ~10 % of
  // a freshly started server's CPU under wrk).
  let liveFrom = Number.POSITIVE_INFINITY;
  const load = () => {
    readInventory(reader, inventory, () => liveFrom).then(
      ({ unreadable }) => {
        loaded = true;
        if (unreadable.length > 0) {
          options.onWarning?.(`fleet inventory: ${unreadable.length} unreadable audit record(s) skipped (${unreadable.slice(0, 3).join(", ")}); run kubeca audit verify`);
        }
      },
      (e: unknown) => {
        if (closed) return;
        options.onWarning?.(`fleet inventory: the audit log could not be read (${(e as Error)?.message ?? e}); trying again in ${retryMs / 1000} s`);
        timer = setTimeout(load, retryMs);
        timer.unref();
      },
    );
  };
  load();
  return {
    inventory,
    observe: (record) => {
      liveFrom = Math.min(liveFrom, record.seq);
      inventory.observe(record);
    },
    loaded: () => loaded,
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
