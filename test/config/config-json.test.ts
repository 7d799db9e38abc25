// A config written as JSON is read with JSON.parse instead of the YAML parser (a Lambda cold-start
// cost). The YAML parser stays the reference: on valid configs, configs with errors, duplicate keys
// (plain and \u-escaped), tabs and CRLF line ends, parseConfigText answers exactly what parsing the
// same text as YAML answers — the same config, or the same error message.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDocument } from "yaml";
import { parseConfig, parseConfigText } from "../../src/config/index.js";
import { isKubecaError } from "../../src/errors/index.js";
import { seededRandom } from "../support/seeded-random.js";

const VALID = {
  apiVersion: "kubeca.dev/v1alpha1",
  kind: "Config",
  cluster: { etcd: { local: false }, apiServerCertSANs: ["kubernetes.example.com", "10.0.0.100", "fd00::100"] },
  cas: { ca: { certificate: { file: "pki/ca.crt" }, signer: { type: "aws-kms", keyId: "arn:aws:kms:us-east-1:111122223333:key/k1", region: "us-east-1" } } },
  nodes: [{ name: "cp1", role: "control-plane", advertiseAddress: "10.0.0.10" }, { name: "w-1", role: "worker" }],
  callers: { tokens: [{ name: "cp1", sha256: "a".repeat(64), node: "cp1" }] },
  audit: { path: "/tmp/audit.jsonl" },
};

/** What the YAML path answers for the text: the config, or the error detail. */
function throughYaml(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  try {
    if (doc.errors.length > 0) return `kubeca.json is not valid YAML:\n${doc.errors.map((e) => "  " + e.message.split("\n")[0]).join("\n")}`;
    return parseConfig(doc.toJS(), "kubeca.json");
  } catch (e) {
    assert.ok(isKubecaError(e));
    return e.detail;
  }
}

function answer(text: string): unknown {
  try {
    return parseConfigText(text, "kubeca.json");
  } catch (e) {
    assert.ok(isKubecaError(e));
    return e.detail;
  }
}


/** JSON of `value` with seeded whitespace, \u-escaped key letters, duplicated and dropped keys. */
function randomJson(value: unknown, next: () => number): string {
  const space = () => [" ", "", "\n", "\r\n  ", "\t", ""][next() % 6]!;
  const key = (k: string) => (next() % 8 === 0 ? `"\\u${k.charCodeAt(0).toString(16).padStart(4, "0")}${k.slice(1)}"` : JSON.stringify(k));
  const write = (v: unknown): string => {
    if (Array.isArray(v)) return `[${space()}${v.map(write).join(`,${space()}`)}${space()}]`;
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    const entries = Object.entries(v).filter(() => next() % 40 !== 0);
    if (entries.length > 0 && next() % 12 === 0) entries.push(entries[next() % entries.length]!);
    return `{${space()}${entries.map(([k, e]) => `${key(k)}${space()}:${space()}${write(e)}`).join(`,${space()}`)}${space()}}`;
  };
  return write(value);
}

describe("a config written as JSON", () => {
  it("loads the same config as the YAML parser would", () => {
    const text = JSON.stringify(VALID, null, 2);
    const config = parseConfigText(text, "kubeca.json");
    assert.deepEqual(config, throughYaml(text));
    assert.equal(config.cas.ca!.signer.type, "aws-kms");
    assert.deepEqual(config.cluster.apiServerCertSANs, ["kubernetes.example.com", "10.0.0.100", "fd00::100"]);
  });

  it("refuses a key given twice, with the YAML parser's line and column, also when one is \\u-escaped", () => {
    for (const text of ['{"apiVersion": "kubeca.dev/v1alpha1",\n "kind": "Config", "kind": "Config"}', '{"kind": "Config",\n "nodes": [{"name": "a", "\\u006eame": "b"}]}']) {
      const detail = answer(text);
      assert.match(String(detail), /is not valid YAML:\n {2}Map keys must be unique at line 2/);
      assert.equal(detail, throughYaml(text));
    }
  });

  it("answers as the YAML parser on 400 seeded variations (whitespace, escapes, duplicates, missing fields)", () => {
    const next = seededRandom(0x6a736f6e);
    const outcomes = { loaded: 0, refused: 0, duplicate: 0 };
    for (let i = 0; i < 400; i++) {
      const text = randomJson(VALID, next);
      const expected = throughYaml(text);
      assert.deepEqual(answer(text), expected, text);
      if (typeof expected !== "string") outcomes.loaded++;
      else if (expected.includes("Map keys must be unique")) outcomes.duplicate++;
      else outcomes.refused++;
    }
    // The seed reaches every kind of outcome (fixed by the seed, not by chance).
    assert.ok(outcomes.loaded > 0 && outcomes.refused > 0 && outcomes.duplicate > 0, JSON.stringify(outcomes));
  });
});
