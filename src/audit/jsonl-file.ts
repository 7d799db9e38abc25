// Line access to a JSONL file through a FileHandle: forward for the whole chain, backward for
// newest-first pages and for finding the head, and the append-side recovery from a torn last line.
import type { FileHandle } from "node:fs/promises";

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;
const EMPTY = new Uint8Array(0);

export interface FileLine {
  readonly text: string;
  /** The line's bytes as stored, without the newline (forward reading only; empty when reading backward). */
  readonly bytes: Uint8Array;
  /** Byte offset of the line's first byte. */
  readonly offset: number;
  /** 1-based line number (forward reading only; 0 when reading backward). */
  readonly lineNo: number;
}

/**
 * Complete lines from the start of the file, oldest first. Bytes after the last newline are a write
 * that never finished (the writer acknowledges a record only after the newline is synced), so they
 * are not a line and are left out.
 */
export async function* linesForward(handle: FileHandle): AsyncGenerator<FileLine> {
  const chunk = Buffer.allocUnsafe(CHUNK);
  let carry = Buffer.alloc(0);
  let carryOffset = 0;
  let position = 0;
  let lineNo = 0;
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, CHUNK, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    let start = 0;
    for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
      const bytes = Buffer.from(data.subarray(start, nl)); // a copy: `chunk` is reused by the next read
      yield { text: data.toString("utf8", start, nl), bytes, offset: carryOffset + start, lineNo: ++lineNo };
      start = nl + 1;
    }
    // Copy: `chunk` is reused by the next read.
    carry = Buffer.from(data.subarray(start));
    carryOffset += start;
  }
}

/**
 * Complete lines ending at or before `end`, newest first. `end` must be a line boundary (0, or just
 * after a newline). Only the bytes of the lines actually visited are read.
 */
export async function* linesBackward(handle: FileHandle, end: number): AsyncGenerator<FileLine> {
  let buf = Buffer.alloc(0);
  let bufStart = end;
  for (;;) {
    // `buf` holds bytes [bufStart, bufStart + buf.length) and ends with a newline (or is empty).
    while (buf.length > 0) {
      const prev = buf.length >= 2 ? buf.lastIndexOf(NEWLINE, buf.length - 2) : -1;
      if (prev === -1 && bufStart > 0) break; // the line starts in an earlier chunk
      yield { text: buf.toString("utf8", prev + 1, buf.length - 1), bytes: EMPTY, offset: bufStart + prev + 1, lineNo: 0 };
      buf = buf.subarray(0, prev + 1);
    }
    if (bufStart === 0) return;
    const readStart = Math.max(0, bufStart - CHUNK);
    const chunk = Buffer.allocUnsafe(bufStart - readStart);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, readStart);
    if (bytesRead !== chunk.length) throw new Error(`short read at byte ${readStart}: the file shrank while being read`);
    buf = Buffer.concat([chunk, buf]);
    bufStart = readStart;
  }
}

/** Offset just after the last newline at or before `size`: where complete lines end. */
export async function completeLinesEnd(handle: FileHandle, size: number): Promise<number> {
  const tail = Buffer.allocUnsafe(CHUNK);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const { bytesRead } = await handle.read(tail, 0, end - start, start);
    const nl = tail.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (nl !== -1) return start + nl + 1;
    end = start;
  }
  return 0;
}

/**
 * Makes a file ready for appending lines: cuts off a torn last line (a write that never completed,
 * so never acknowledged) and returns the last complete line, if any, and where the file now ends.
 * `onTorn` hears about a cut.
 */
export async function prepareForAppend(
  handle: FileHandle,
  onTorn: (bytes: number) => void,
): Promise<{ lastLine: string | undefined; size: number }> {
  const { size } = await handle.stat();
  const end = await completeLinesEnd(handle, size);
  if (end < size) {
    await handle.truncate(end);
    await handle.sync();
    onTorn(size - end);
  }
  for await (const line of linesBackward(handle, end)) return { lastLine: line.text, size: end };
  return { lastLine: undefined, size: end };
}

/**
 * Appends lines in one write and waits until they are on disk; returns the bytes written. The handle
 * must be opened in append mode.
 */
export async function appendLines(handle: FileHandle, lines: readonly string[]): Promise<number> {
  const bytes = Buffer.from(lines.join("\n") + "\n", "utf8");
  // write(2) may write less than asked (a nearly full disk); finish the lines or fail trying.
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
  await handle.sync();
  return bytes.length;
}
