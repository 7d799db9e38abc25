import assert from "node:assert/strict";
import { test } from "node:test";
import { CSV_COLUMNS, csvCell, csvHeader, formatRecord, sealRecord, GENESIS_HASH } from "../../src/audit/index.js";
import { refusedEvent } from "./audit-fixtures.js";

test("CSV cells holding a comma, quote or line break are quoted with quotes doubled; others are left bare", () => {
  assert.equal(csvCell("plain"), "plain");
  assert.equal(csvCell("a,b"), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell("two\nlines"), '"two\nlines"');
  assert.equal(csvCell(undefined), "");
  assert.equal(csvCell(42), "42");
});

test("a CSV cell a spreadsheet would run as a formula gets a leading apostrophe", () => {
  assert.equal(csvCell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
  assert.equal(csvCell("+1"), "'+1");
  assert.equal(csvCell("@SUM(A1)"), "'@SUM(A1)");
  assert.equal(csvCell("-2"), "'-2");
});

test("a CSV row has one cell per fixed column, in the header's order", () => {
  const record = sealRecord(refusedEvent(), { seq: 0, hash: GENESIS_HASH }, { time: "2026-03-01T10:00:00.000Z", id: "id-1" });
  assert.equal(csvHeader(), CSV_COLUMNS.map(([n]) => n).join(",") + "\r\n");
  assert.ok(csvHeader().startsWith("seq,time,id,event,request_id,actor_method,actor_identity,actor_node,source_ip,user_agent,file,profile,subject,"));
  const row = formatRecord(record, "csv");
  assert.ok(row.endsWith("\r\n"));
  const cells = row.slice(0, -2).split(","); // no cell of this record needs quoting
  assert.equal(cells.length, CSV_COLUMNS.length);
  const at = (name: string) => cells[CSV_COLUMNS.findIndex(([n]) => n === name)];
  assert.equal(at("seq"), "1");
  assert.equal(at("event"), "refused");
  assert.equal(at("dns_names"), "evil.example.com");
  assert.equal(at("violations"), "san.dns[0] dns-not-allowed: evil.example.com is not a name of cp-1");
  assert.equal(at("serial"), "");
  assert.equal(at("hash"), record.hash);
});
