// PEM (RFC 7468) reading and writing. The reader is strict: it finds every block so callers can refuse
// bundles, and decodes base64 without Buffer's habit of skipping characters it does not understand.

export interface PemBlock {
  readonly label: string;
  /** The base64 body between the BEGIN and END lines. */
  readonly body: string;
  /** Offsets of the BEGIN line's first dash and just past the END line. */
  readonly start: number;
  readonly end: number;
}

/** Problem in PEM or base64 text; callers turn it into a KubecaError with their own code. */
export class PemError extends Error {
  override readonly name = "PemError";
}


/** Every PEM block in `text`, in order. Throws when a BEGIN line has no matching END line. */
export function findPemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const begin = /-----BEGIN ([A-Z0-9][A-Z0-9 ]*)-----/g;
  for (let m = begin.exec(text); m; m = begin.exec(text)) {
    const label = m[1] ?? "";
    const endLine = `-----END ${label}-----`;
    const bodyStart = m.index + m[0].length;
    const endAt = text.indexOf(endLine, bodyStart);
    if (endAt < 0) throw new PemError(`the BEGIN ${label} line has no matching END ${label} line`);
    blocks.push({ label, body: text.slice(bodyStart, endAt), start: m.index, end: endAt + endLine.length });
    begin.lastIndex = endAt + endLine.length;
  }
  return blocks;
}

export function looksLikePem(text: string): boolean {
  return text.includes("-----BEGIN") || text.includes("-----END");
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 (whitespace between characters allowed); `what` names the text in errors. */
export function decodeBase64(text: string, what: string): Uint8Array {
  const compact = text.replace(/\s+/g, "");
  if (compact.length === 0) throw new PemError(`${what} is empty`);
  if (!BASE64.test(compact) || compact.length % 4 !== 0) {
    throw new PemError(`${what} is not valid base64${compact.includes(":") ? " (PEM headers are not accepted)" : ""}`);
  }
  return new Uint8Array(Buffer.from(compact, "base64"));
}

/** One PEM block, 64-character lines, trailing newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += `${b64.slice(i, i + 64)}\n`;
  return `${out}-----END ${label}-----\n`;
}
