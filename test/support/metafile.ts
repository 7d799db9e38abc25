// esbuild metafiles (`dist/*/…meta.json`): which outputs a process loads before running anything,
// for the tests and benches that hold the bundles to what a cold start or a command may load.
import { readFileSync } from "node:fs";

export interface Metafile {
  outputs: Record<string, { bytes: number; entryPoint?: string; inputs: Record<string, unknown>; imports: { path: string; kind: string; external?: boolean }[] }>;
}

export function readMetafile(path: string): Metafile {
  return JSON.parse(readFileSync(path, "utf8")) as Metafile;
}

/** `start` and every output it imports statically, transitively: dynamic imports load later, if ever. */
export function staticallyLoaded(meta: Metafile, start: string): Set<string> {
  const seen = new Set<string>();
  const walk = (output: string) => {
    if (seen.has(output)) return;
    seen.add(output);
    for (const i of meta.outputs[output]!.imports) if (!i.external && i.kind === "import-statement") walk(i.path);
  };
  walk(start);
  return seen;
}
