// Certificate serial numbers. randomSerial is the one serial source for production; pki functions take
// the serial as a parameter so tests can pin it.
import { randomFillSync } from "node:crypto";
import { KubecaError } from "../errors/index.js";

// randomBytes(16) per certificate cost ~7 µs (one native job per call, profiled at 2 % of a request);
// 16 bytes copied out of a CSPRNG-filled 4 KiB pool cost under 1 µs. Every byte is handed out once.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomSixteen(): Uint8Array {
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = new Uint8Array(pool.subarray(poolOffset, poolOffset + 16)); // a copy
  poolOffset += 16;
  return bytes;
}

/** 128 random bits with the top bit cleared (a positive INTEGER of at most 16 bytes), never zero. */
export function randomSerial(): Uint8Array {
  for (;;) {
    const bytes = randomSixteen();
    bytes[0] = (bytes[0] ?? 0) & 0x7f;
    if (bytes.some((b) => b !== 0)) return bytes;
  }
}

/**
 * The serial as a bigint, refusing what RFC 5280 §4.1.2.2 forbids: zero, and more than 20 octets
 * once encoded. The bytes are read as unsigned big-endian.
 */
export function serialValue(serial: Uint8Array): bigint {
  let v = 0n;
  for (const b of serial) v = (v << 8n) | BigInt(b);
  if (v === 0n) throw new KubecaError("KUBECA_INTERNAL", "the certificate serial is zero; it must be a positive integer");
  // 20 octets including a sign-padding zero: at most 159 bits of magnitude.
  if (v >> 159n !== 0n) throw new KubecaError("KUBECA_INTERNAL", "the certificate serial is longer than 20 octets (RFC 5280 §4.1.2.2)");
  return v;
}

/** Lowercase hex without leading zeros, as the API and audit log show serials. */
export function serialHex(value: bigint): string {
  return value.toString(16);
}

/** The INTEGER contents of a positive serial: big-endian, minimal, with a zero byte if the top bit is set. */
export function serialIntegerContents(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return new Uint8Array(Buffer.from(hex, "hex"));
}
