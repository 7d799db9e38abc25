// openapi/openapi.yaml and the server stay in step: every registered route is documented and every
// documented route is registered; every error code is in the document's ErrorCode enum and back;
// the documented body limits are the ones the server enforces.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { ERRORS, RETIRED_CODES } from "../../src/errors/index.js";
import { MAX_BATCH_ITEMS, MAX_CSR_LENGTH, MAX_NAME_LENGTH } from "../../src/server/index.js";
import { testServer } from "./server-fixtures.js";

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

interface OpenApiDoc {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, any> };
}

const doc = parse(readFileSync(new URL("../../openapi/openapi.yaml", import.meta.url), "utf8")) as OpenApiDoc;

function documentedRoutes(): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((k) => HTTP_METHODS.includes(k))
        // OpenAPI writes /x/{id}; fastify writes /x/:id.
        .map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ":$1")}`),
    )
    .sort();
}

async function registeredRoutes(): Promise<string[]> {
  const { app } = testServer({ log: false });
  const routes: string[] = [];
  // Route groups are plugins, loaded at ready(): a hook added now sees every route they register.
  app.addHook("onRoute", (route) => {
    for (const m of [route.method].flat()) routes.push(`${m} ${route.url}`);
  });
  await app.ready();
  return routes.sort();
}

describe("openapi/openapi.yaml", () => {
  it("documents exactly the routes the server registers", async () => {
    const registered = await registeredRoutes();
    const documented = documentedRoutes();
    assert.ok(registered.length >= 5, `found only ${registered.join(", ")}`);
    assert.deepEqual(
      registered.filter((r) => !documented.includes(r)),
      [],
      "registered but not documented",
    );
    assert.deepEqual(
      documented.filter((r) => !registered.includes(r)),
      [],
      "documented but not registered",
    );
  });

  it("lists every error code in ErrorCode, and no other", () => {
    const documented: string[] = doc.components.schemas.ErrorCode.enum;
    const table = Object.keys(ERRORS);
    assert.deepEqual(table.filter((c) => !documented.includes(c)), [], "in src/errors/codes.ts but not documented");
    assert.deepEqual(documented.filter((c) => !table.includes(c)), [], "documented but not in src/errors/codes.ts");
    assert.deepEqual(documented.filter((c) => RETIRED_CODES.includes(c)), [], "retired codes documented");
  });

  it("the Problem schema requires what the error handler always writes", () => {
    assert.deepEqual(
      [...doc.components.schemas.Problem.required].sort(),
      ["code", "detail", "fix", "instance", "requestId", "status", "title", "type"],
    );
  });

  it("documents the limits the server enforces", () => {
    const item = doc.components.schemas.SignItem.properties;
    assert.equal(item.name.maxLength, MAX_NAME_LENGTH);
    assert.equal(item.csr.maxLength, MAX_CSR_LENGTH);
    assert.equal(doc.components.schemas.SignBatchRequest.properties.items.maxItems, MAX_BATCH_ITEMS);
    assert.equal(doc.components.schemas.SignItem.additionalProperties, false);
    assert.equal(doc.components.schemas.SignBatchRequest.additionalProperties, false);
  });
});
