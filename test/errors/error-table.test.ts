// The error table is the one source of every error a user sees: codes are well-formed and unique in
// their problem type, none is retired, every code has an exit code, and docs/errors.md is current.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EXIT_CODES } from "../../src/cli/exit-codes.js";
import { ERRORS, RETIRED_CODES, problemType, type ErrorCode } from "../../src/errors/index.js";
import { renderErrorsDoc } from "../../src/errors/errors-doc.js";

const codes = Object.keys(ERRORS) as ErrorCode[];

describe("the error table", () => {
  it("names every code KUBECA_ followed by upper-case words, with a distinct problem type", () => {
    assert.ok(codes.every((c) => /^KUBECA_[A-Z]+(_[A-Z]+)*$/.test(c)), codes.join(" "));
    assert.equal(new Set(codes.map(problemType)).size, codes.length);
  });

  it("gives every code an HTTP status, a title and a fix that is a sentence", () => {
    for (const c of codes) {
      const e = ERRORS[c];
      assert.ok(e.status >= 400 && e.status <= 599, c);
      assert.ok(e.title.length > 0 && !e.title.endsWith("."), c);
      assert.match(e.fix, /\.$/, `${c}: the fix should be a full sentence`);
    }
  });

  it("reuses no retired code", () => {
    assert.deepEqual(codes.filter((c) => RETIRED_CODES.includes(c)), []);
  });

  it("maps every code to a CLI exit code", () => {
    assert.deepEqual(Object.keys(EXIT_CODES).sort(), [...codes].sort());
  });

  it("docs/errors.md is generated from the current table (npm run docs:errors)", () => {
    const onDisk = readFileSync(resolve(import.meta.dirname, "..", "..", "docs", "errors.md"), "utf8");
    assert.equal(onDisk, renderErrorsDoc());
  });
});
