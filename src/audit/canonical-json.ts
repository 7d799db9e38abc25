// The canonical encoding every audit hash and checkpoint signature is computed over.
//
//   canonical(value) = JSON text with
//     - object keys sorted by UTF-16 code units (JavaScript's default sort), members with an
//       undefined value left out;
//     - no whitespace between tokens;
//     - strings escaped as JSON.stringify does (", \, U+0000..U+001F; nothing else, not even DEL);
//     - numbers: integers of magnitude at most 2^53-1, in decimal (anything else is refused);
//   then encoded as UTF-8. A string with a lone UTF-16 surrogate has no UTF-8 form and is refused:
//   records never hold one (record-text.ts), and a stored line that decodes to one is not canonical.
//
// For the values a record holds (strings, integers, booleans, null, arrays, objects) this is the
// same text RFC 8785 (JCS) produces, so a verifier in another language can recompute it.
// docs/audit.md describes it for auditors.
import { isWellFormed } from "./record-text.js";

function canonicalString(s: string): string {
  if (!isWellFormed(s)) throw new TypeError("canonical JSON cannot encode a lone UTF-16 surrogate: it has no UTF-8 form");
  return JSON.stringify(s);
}

export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case "string":
      return canonicalString(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      // Records hold only integers. Beyond 2^53-1 (and for fractions) parsers in other languages
      // read other values than JavaScript does, so such a number has no canonical form.
      if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON encodes only integers up to 2^53-1, not ${value}`);
      return JSON.stringify(value);
    case "object": {
      // Concatenation, not arrays joined: a record is encoded on every append, and the arrays were
      // most of its garbage.
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) out += (i === 0 ? "" : ",") + (value[i] === undefined ? "null" : canonicalJson(value[i]));
        return out + "]";
      }
      const obj = value as Record<string, unknown>;
      let out = "{";
      for (const key of Object.keys(obj).sort()) {
        const v = obj[key];
        if (v === undefined) continue;
        out += (out.length === 1 ? "" : ",") + canonicalString(key) + ":" + canonicalJson(v);
      }
      return out + "}";
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}

/**
 * An object's members as canonicalJson writes them (`"key":value`), in its order; joined with "," in
 * braces they are canonicalJson(obj). For a caller that encodes an object and then the same object
 * with one more member (a record without and with its hash) without encoding everything twice.
 */
export function canonicalMembers(obj: Record<string, unknown>): { readonly key: string; readonly text: string }[] {
  const members: { key: string; text: string }[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined) continue;
    members.push({ key, text: canonicalString(key) + ":" + canonicalJson(v) });
  }
  return members;
}
