// Where a Node's addresses come from. The default reads the Node's own status, which the kubelet
// reports itself (spec §3.4 item 4); a cloud inventory (EC2 via spec.providerID) can be layered on
// with `crossCheckedAddressSource`, so a SAN must then be vouched for by both.
import ipaddr from "ipaddr.js";
import type { V1Node } from "@kubernetes/client-node";

export interface NodeAddresses {
  /** Lower-case DNS names the node may put in a serving certificate. */
  readonly dnsNames: readonly string[];
  /** IP addresses, as written by the source; compare with `sameIp`. */
  readonly ipAddresses: readonly string[];
  /** Which source vouched for these, for messages (`node status`, `node status ∩ ec2`). */
  readonly source: string;
  /** Set when a cloud inventory could vouch for nothing (no providerID, unknown instance): why. */
  readonly unvouched?: string;
}

export interface AddressSource {
  readonly name: string;
  /**
   * The addresses `node` may claim. Throws only for transient failures (the CSR is retried). The
   * controller passes Nodes from its cache trimmed to metadata.name, spec.providerID and
   * status.addresses (node-cache.ts): a source that needs more must keep it there too.
   */
  addressesOf(node: V1Node): Promise<NodeAddresses>;
}

/** spec §3.4 item 2: DNS from Hostname/InternalDNS/ExternalDNS, IPs from InternalIP/ExternalIP. */
export const nodeStatusAddressSource: AddressSource = {
  name: "node status",
  async addressesOf(node: V1Node): Promise<NodeAddresses> {
    const dnsNames: string[] = [];
    const ipAddresses: string[] = [];
    for (const a of node.status?.addresses ?? []) {
      switch (a.type) {
        case "Hostname":
          // A Hostname that is an IP is not a DNS name; it is not an allowed IP either (§3.4 lists
          // only InternalIP/ExternalIP), so it is dropped.
          if (!ipaddr.isValid(a.address)) dnsNames.push(a.address.toLowerCase());
          break;
        case "InternalDNS":
        case "ExternalDNS":
          dnsNames.push(a.address.toLowerCase());
          break;
        case "InternalIP":
        case "ExternalIP":
          if (ipaddr.isValid(a.address)) ipAddresses.push(a.address);
          break;
      }
    }
    return { dnsNames, ipAddresses, source: "node status" };
  },
};

/**
 * A cloud inventory answering for an instance named by the Node's spec.providerID
 * (`aws:///us-east-1a/i-0abc…` for EC2). `undefined` means the inventory does not know the instance.
 */
export interface CloudInventory {
  readonly name: string;
  addressesOf(providerId: string): Promise<Omit<NodeAddresses, "source"> | undefined>;
}

/** Addresses vouched for by both the primary source and the inventory: self-reports alone are not enough. */
export function crossCheckedAddressSource(primary: AddressSource, inventory: CloudInventory): AddressSource {
  const name = `${primary.name} ∩ ${inventory.name}`;
  return {
    name,
    async addressesOf(node: V1Node): Promise<NodeAddresses> {
      const own = await primary.addressesOf(node);
      const providerId = node.spec?.providerID;
      const cloud = providerId ? await inventory.addressesOf(providerId) : undefined;
      if (!cloud) {
        const unvouched = providerId
          ? `${inventory.name} knows no running instance for spec.providerID ${providerId}`
          : `Node ${node.metadata?.name ?? ""} has no spec.providerID, so ${inventory.name} cannot vouch for its addresses`;
        return { dnsNames: [], ipAddresses: [], source: `${name} (instance unknown to ${inventory.name})`, unvouched };
      }
      const dns = new Set(cloud.dnsNames.map((d) => d.toLowerCase()));
      return {
        dnsNames: own.dnsNames.filter((d) => dns.has(d)),
        ipAddresses: own.ipAddresses.filter((ip) => cloud.ipAddresses.some((c) => sameIp(ip, c))),
        source: name,
      };
    },
  };
}

/** Byte equality of two textual IPs, so `fd00::1` equals `fd00:0::1`; unparsable never matches. */
export function sameIp(a: string, b: string): boolean {
  // The usual case, the same text: one validation, no parsing (parsing was 2 % of the kubelet bench's CPU).
  if (a === b) return ipaddr.isValid(a);
  if (!ipaddr.isValid(a) || !ipaddr.isValid(b)) return false;
  const x = ipaddr.parse(a).toByteArray();
  const y = ipaddr.parse(b).toByteArray();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
