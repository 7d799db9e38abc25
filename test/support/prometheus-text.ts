// A strict reader of the Prometheus text exposition format (version 0.0.4), for asserting what
// GET /metrics serves: every line must be a HELP, a TYPE or a sample of the family just declared,
// names and labels must be valid, values numbers, histograms cumulative with +Inf equal to _count.
// Anything else throws, naming the line. When promtool is installed, promtool check metrics reads
// the same text too (see promtoolCheckMetrics).
import { spawnSync } from "node:child_process";

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** A float as Go's strconv.ParseFloat reads it, which is what the format specifies (so "Nan", as prom-client writes it, too). */
function parseValue(text: string, where: string): number {
  const lower = text.toLowerCase();
  if (lower === "+inf" || lower === "inf" || lower === "+infinity" || lower === "infinity") return Infinity;
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  if (lower === "nan") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: ${JSON.stringify(text)} is not a sample value`);
  return Number(text);
}

/** Reads `{a="x",b="y\"z"}` starting at `i` (the brace); returns the labels and the index after `}`. */
function parseLabels(line: string, i: number, where: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  i++; // {
  while (line[i] !== "}") {
    const eq = line.indexOf("=", i);
    if (eq < 0) throw new Error(`${where}: label without "="`);
    const name = line.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    if (line[eq + 1] !== '"') throw new Error(`${where}: label ${name} value is not quoted`);
    let value = "";
    let j = eq + 2;
    for (;;) {
      const c = line[j];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === "\\") {
        const next = line[j + 1];
        if (next === "\\") value += "\\";
        else if (next === '"') value += '"';
        else if (next === "n") value += "\n";
        else throw new Error(`${where}: bad escape \\${next}`);
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (line[i] === ",") i++;
    else if (line[i] !== "}") throw new Error(`${where}: expected , or } after label ${name}`);
  }
  return { labels, end: i + 1 };
}

/** The family a sample name belongs to: histogram and summary samples carry suffixes. */
function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  const exact = families.get(sampleName);
  if (exact) return exact;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sampleName.endsWith(suffix)) continue;
    const f = families.get(sampleName.slice(0, -suffix.length));
    if (f && (f.type === "histogram" || (f.type === "summary" && suffix !== "_bucket"))) return f;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("the exposition does not end with a newline");
  const families = new Map<string, Family>();
  const help = new Map<string, string>();
  let current: Family | undefined;
  text
    .slice(0, -1)
    .split("\n")
    .forEach((line, index) => {
      const where = `line ${index + 1}`;
      if (line === "") return;
      if (line.startsWith("# HELP ")) {
        const rest = line.slice(7);
        const space = rest.indexOf(" ");
        const name = space < 0 ? rest : rest.slice(0, space);
        if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name ${name}`);
        if (help.has(name)) throw new Error(`${where}: second HELP for ${name}`);
        help.set(name, space < 0 ? "" : rest.slice(space + 1));
        return;
      }
      if (line.startsWith("# TYPE ")) {
        const [name, type, extra] = line.slice(7).split(" ");
        if (!name || !METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name ${name}`);
        if (!type || !TYPES.has(type) || extra !== undefined) throw new Error(`${where}: bad TYPE line`);
        if (families.has(name)) throw new Error(`${where}: second TYPE for ${name}`);
        current = { name, help: help.get(name) ?? "", type: type as Family["type"], samples: [] };
        families.set(name, current);
        return;
      }
      if (line.startsWith("#")) return; // a comment
      const nameEnd = line.search(/[{ ]/);
      if (nameEnd <= 0) throw new Error(`${where}: not a sample: ${line}`);
      const name = line.slice(0, nameEnd);
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad sample name ${name}`);
      let labels: Record<string, string> = {};
      let i = nameEnd;
      if (line[i] === "{") ({ labels, end: i } = parseLabels(line, i, where));
      if (line[i] !== " ") throw new Error(`${where}: no space before the value`);
      const [valueText, timestamp, extra] = line.slice(i + 1).split(" ");
      if (extra !== undefined || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) throw new Error(`${where}: trailing text`);
      const family = familyOf(name, families);
      if (!family) throw new Error(`${where}: sample ${name} has no TYPE line before it`);
      if (family !== current) throw new Error(`${where}: sample ${name} is not next to its family's other samples`);
      family.samples.push({ name, labels, value: parseValue(valueText ?? "", where) });
    });
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

function checkHistogram(family: Family): void {
  const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name.endsWith("_bucket")) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
      entry.buckets.push([parseValue(le, family.name), s.value]);
    } else if (s.name.endsWith("_sum")) entry.sum = s.value;
    else if (s.name.endsWith("_count")) entry.count = s.value;
  }
  for (const [key, e] of series) {
    if (e.sum === undefined || e.count === undefined) throw new Error(`${family.name}${key}: _sum or _count missing`);
    const last = e.buckets.at(-1);
    if (!last || last[0] !== Infinity) throw new Error(`${family.name}${key}: no +Inf bucket last`);
    if (last[1] !== e.count) throw new Error(`${family.name}${key}: +Inf bucket ${last[1]} is not _count ${e.count}`);
    for (let i = 1; i < e.buckets.length; i++) {
      if (!(e.buckets[i]![0] > e.buckets[i - 1]![0]) || e.buckets[i]![1] < e.buckets[i - 1]![1]) {
        throw new Error(`${family.name}${key}: buckets not increasing and cumulative`);
      }
    }
  }
}

/** The value of the one sample of `name` with exactly these labels (others in the sample ignored: none). */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  }
  return undefined;
}

/** Every sample of `name`, e.g. to read all series of a gauge. */
export function samplesOf(families: Map<string, Family>, name: string): Sample[] {
  return [...families.values()].flatMap((f) => f.samples.filter((s) => s.name === name));
}

/** promtool's path, or undefined when Debian's prometheus package is not installed. */
export function promtoolPath(): string | undefined {
  const found = spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** promtool check metrics on the text: its exit code and what it said (lint problems on stdout/stderr). */
export function promtoolCheckMetrics(promtool: string, text: string): { code: number | null; output: string } {
  const r = spawnSync(promtool, ["check", "metrics"], { input: text, encoding: "utf8" });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}
