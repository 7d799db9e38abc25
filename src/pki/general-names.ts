// Decoding a SubjectAltName GeneralNames sequence. DNS and IP names are what kubeadm asks for; every
// other type is reported (not refused) so policy can name it in its refusal.
import { ASN1Class } from "@oslojs/asn1";
import { childrenOf, contentOf, DerError, describeTag, expectUniversal, oidText, readElement, readOid, TAG, type DerElement } from "./der-reader.js";
import { ascii, decodeDirectoryString, decodeName, nameText } from "./distinguished-name.js";
import { canonicalIp, dnsNameProblem } from "./names.js";
import type { ForeignName } from "./types.js";

export interface SubjectAltNames {
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
  readonly otherNames: ForeignName[];
}

// GeneralName CHOICE tags (RFC 5280 §4.2.1.6).
const OTHER_NAME = 0;
const RFC822 = 1;
const DNS = 2;
const X400 = 3;
const DIRECTORY = 4;
const EDI_PARTY = 5;
const URI = 6;
const IP = 7;
const REGISTERED_ID = 8;

/**
 * Far more than kubeadm (its names plus certSANs) or a kubelet (its Node addresses) ever asks for. Policy
 * reports one violation per name and the audit record keeps them all, so without a bound a 45 KB CSR
 * made a megabyte-sized refusal.
 */
const MAX_SAN_NAMES = 256;

export function decodeGeneralNames(buf: Uint8Array, names: DerElement): SubjectAltNames {
  expectUniversal(names, TAG.sequence, "the SAN extension");
  const out: SubjectAltNames = { dnsNames: [], ipAddresses: [], otherNames: [] };
  const items = childrenOf(buf, names, "SAN");
  if (items.length === 0) throw new DerError("the SAN extension is empty; leave it out when there are no names");
  if (items.length > MAX_SAN_NAMES) throw new DerError(`the SAN extension lists ${items.length} names; kubeca signs at most ${MAX_SAN_NAMES}`);
  items.forEach((gn, i) => decodeOne(buf, gn, `SAN ${i + 1}`, out));
  return out;
}

function decodeOne(buf: Uint8Array, gn: DerElement, what: string, out: SubjectAltNames): void {
  if (gn.cls !== ASN1Class.ContextSpecific || gn.tag > REGISTERED_ID) {
    throw new DerError(`${what} is ${describeTag(gn)}, which is not a GeneralName`);
  }
  const constructedTags = [OTHER_NAME, X400, DIRECTORY, EDI_PARTY];
  if (gn.constructed !== constructedTags.includes(gn.tag)) {
    throw new DerError(`${what} (GeneralName [${gn.tag}]) has the wrong primitive/constructed form`);
  }
  const bytes = contentOf(buf, gn);
  switch (gn.tag) {
    case DNS: {
      const name = ascii(bytes, `${what} (DNS)`);
      const problem = dnsNameProblem(name);
      if (problem) throw new DerError(`${what} (DNS) ${JSON.stringify(name)} is not a DNS name: ${problem}`);
      out.dnsNames.push(name);
      return;
    }
    case IP: {
      const ip = canonicalIp(bytes);
      if (ip === undefined) throw new DerError(`${what} is an IP address of ${bytes.length} bytes; it must be 4 (IPv4) or 16 (IPv6)`);
      out.ipAddresses.push(ip);
      return;
    }
    case RFC822:
      out.otherNames.push({ type: "email", value: ascii(bytes, `${what} (email)`) });
      return;
    case URI:
      out.otherNames.push({ type: "uri", value: ascii(bytes, `${what} (URI)`) });
      return;
    case REGISTERED_ID:
      out.otherNames.push({ type: "registeredID", value: oidText(bytes, what) });
      return;
    case DIRECTORY: {
      const name = readElement(buf, gn.contentStart, gn.end, `${what} (directory name)`);
      if (name.end !== gn.end) throw new DerError(`${what} (directory name) has trailing bytes`);
      out.otherNames.push({ type: "dirName", value: nameText(decodeName(buf, name, `${what} (directory name)`)) });
      return;
    }
    case OTHER_NAME:
      out.otherNames.push({ type: "otherName", value: otherNameText(buf, gn, what) });
      return;
    default: // x400Address, ediPartyName: rare enough to show as hex
      out.otherNames.push({ type: gn.tag === X400 ? "x400" : "ediParty", value: Buffer.from(bytes).toString("hex") });
  }
}

/** `type-id:value`, the value as text when it is a string type, else hex. */
function otherNameText(buf: Uint8Array, gn: DerElement, what: string): string {
  const [typeEl, valueEl] = childrenOf(buf, gn, `${what} (otherName)`);
  if (!typeEl) throw new DerError(`${what} (otherName) has no type`);
  const oid = readOid(typeEl, `${what} (otherName) type`);
  if (!valueEl) return oid;
  const inner = valueEl.constructed ? readElement(buf, valueEl.contentStart, valueEl.end, `${what} (otherName) value`) : undefined;
  const text = inner ? decodeDirectoryString(buf, inner, `${what} (otherName) value`) : undefined;
  return `${oid}:${text ?? Buffer.from(contentOf(buf, valueEl)).toString("hex")}`;
}
