// The canonical encoding every audit hash and checkpoint signature is computed over.
//
//   canonical(value) = JSON text with
//     - object keys sorted by UTF-16 code units (JavaScript's default sort), members with an
//       undefined value left out;
//     - no whitespace between tokens;
//     - strings escaped as JSON.stringify does (", \, control characters; lone surrogates as \uXXXX);
//     - numbers as JSON.stringify writes them (records only hold integers);
//   then encoded as UTF-8.
//
// For the values a record holds (strings, integers, booleans, null, arrays, objects) this is the
// same text RFC 8785 (JCS) produces, so a verifier in another language can recompute it.
// docs/audit.md describes it for auditors.

export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      // NaN and Infinity have no JSON form; refusing them keeps the hash input unambiguous.
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot encode the number ${value}`);
      return JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return "[" + value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",") + "]";
      const obj = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(obj).sort()) {
        const v = obj[key];
        if (v === undefined) continue;
        parts.push(JSON.stringify(key) + ":" + canonicalJson(v));
      }
      return "{" + parts.join(",") + "}";
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}
