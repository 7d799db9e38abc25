// node:net's isIP, answered without its IPv6 regular expression for text that has no ":" (every IPv6
// text form has one). That expression is compiled on its first use, 10–20 ms of a Lambda cold start
// spent on DNS names (certSANs in the config, the policy's kubeadm names), measured.
import { isIPv4, isIPv6 } from "node:net";

/** 4, 6 or 0 (not an address), exactly as node:net's isIP answers. */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (isIPv4(text)) return 4;
  return text.includes(":") && isIPv6(text) ? 6 : 0;
}
