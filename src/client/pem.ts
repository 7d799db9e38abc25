// PEM blocks in and out. Only what the client needs: find blocks by label, wrap DER back.

export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

const blockPattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(blockPattern)) {
    blocks.push({ label: m[1] ?? "", der: Buffer.from((m[2] ?? "").replace(/\s+/g, ""), "base64") });
  }
  return blocks;
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
