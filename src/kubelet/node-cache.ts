// The Nodes as the apiserver last told a live watch about them, so a burst of serving CSRs costs no
// Node GET each (issue 11: 1,000 pending CSRs ≤ 5 s). The checks stay as strict as with a GET: the
// cache answers only while its watch is connected without a gap since its list, so it is as current as
// the apiserver's own event stream; a Node it does not hold (not yet seen, or the watch is down) is
// read with a GET, so "the Node does not exist" is always the apiserver's answer to a read.
// Only what the address sources use is kept (name, providerID, addresses): a real Node's status
// carries its image list, tens of KiB each.
import type { KubeConfig, V1Node } from "@kubernetes/client-node";
import type { KubeletLog } from "./kubelet-log.js";
import { ListWatcher, NODE_PATH, type Lister } from "./list-watcher.js";

export interface NodeCacheOptions {
  readonly resyncMs: number;
  readonly retryMs: number;
  readonly log: KubeletLog;
}

export class NodeCache {
  private readonly nodes = new Map<string, V1Node>();
  private readonly watcher: ListWatcher<V1Node>;

  constructor(kc: KubeConfig, list: Lister<V1Node>, options: NodeCacheOptions) {
    this.watcher = new ListWatcher<V1Node>(kc, NODE_PATH, list, {
      kind: "node",
      ...options,
      onChange: (name, node) => this.nodes.set(name, trimmed(node)),
      onDelete: (name) => this.nodes.delete(name),
    });
  }

  start(): void {
    this.watcher.start();
  }

  async stop(): Promise<void> {
    await this.watcher.stop();
    this.nodes.clear();
  }

  /** Listed, and the watch has been connected since: get() answers. */
  get live(): boolean {
    return this.watcher.live;
  }

  /** The Node while the watch is live and has seen it; otherwise undefined (read it from the apiserver). */
  get(name: string): V1Node | undefined {
    return this.watcher.live ? this.nodes.get(name) : undefined;
  }
}

/** A watch event's object is raw JSON; these fields are plain strings there as in a typed Node. */
function trimmed(node: V1Node): V1Node {
  const out: V1Node = { metadata: { name: node.metadata?.name } };
  if (node.spec?.providerID !== undefined) out.spec = { providerID: node.spec.providerID };
  if (node.status?.addresses) out.status = { addresses: node.status.addresses.map((a) => ({ type: a.type, address: a.address })) };
  return out;
}
