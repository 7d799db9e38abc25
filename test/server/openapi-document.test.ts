// openapi/openapi.yaml is valid and served: Redocly's linter (recommended rules, redocly.yaml) finds no
// error and no warning; the generated module the server embeds is the file now; `serve` (a listening
// server, supertest) and Lambda (an API Gateway event) answer GET /openapi.yaml with the file's bytes
// and GET /openapi.json with the same document.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { lint, loadConfig } from "@redocly/openapi-core";
import { parse } from "yaml";
import { createTokenAuthenticator } from "../../src/auth/bearer-token.js";
import { createHttpHandler } from "../../src/lambda/http-handler.js";
import { buildServer } from "../../src/server/index.js";
import { OPENAPI_YAML } from "../../src/server/openapi-document.js";
import { httpApiEvent, lambdaContext, restApiEvent } from "../lambda/api-gateway-events.js";
import { listeningServer, NODES, recordingService, TOKENS } from "./server-fixtures.js";

const root = new URL("../../", import.meta.url);
const documentPath = fileURLToPath(new URL("openapi/openapi.yaml", root));
const fileText = readFileSync(documentPath, "utf8");
const doc = parse(fileText) as { paths: Record<string, Record<string, any>> };

describe("openapi/openapi.yaml is valid", () => {
  it("Redocly's recommended rules report no error and no warning", async () => {
    const config = await loadConfig({ configPath: fileURLToPath(new URL("redocly.yaml", root)) });
    const problems = await lint({ ref: documentPath, config });
    const described = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    assert.deepEqual(described, []);
  });

  it("the linter is live: a description cut by an unquoted comma is an error", async () => {
    const config = await loadConfig({ configPath: fileURLToPath(new URL("redocly.yaml", root)) });
    const { lintFromString } = await import("@redocly/openapi-core");
    const broken = fileText.replace('description: "The leaf certificate, PEM." }', "description: The leaf certificate, PEM. }");
    assert.notEqual(broken, fileText);
    const problems = await lintFromString({ source: broken, absoluteRef: documentPath, config });
    assert.deepEqual(
      problems.filter((p) => p.severity === "error").map((p) => p.location[0]?.pointer),
      ["#/components/schemas/SignResult/properties/certificate/PEM."],
    );
  });

  it("every operation that reads a body or parameters documents 400; every one with credentials 401", () => {
    const missing: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const responses = Object.keys(op.responses ?? {});
        if ((op.requestBody || op.parameters) && !responses.includes("400")) missing.push(`${method} ${path}: 400`);
        if ((op.security ?? [{}]).some((s: object) => Object.keys(s).length > 0) && !responses.includes("401")) missing.push(`${method} ${path}: 401`);
      }
    }
    assert.deepEqual(missing, []);
  });
});

describe("the served document", () => {
  it("src/server/openapi-document.ts is openapi/openapi.yaml now (run npm run openapi when this fails)", () => {
    assert.equal(OPENAPI_YAML, fileText);
  });

  it("kubeca serve: GET /openapi.yaml is the file, byte for byte; GET /openapi.json the same document", async (t) => {
    const { http, service } = await listeningServer(t);
    const yaml = await http.get("/openapi.yaml").buffer(true).parse((res, done) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d));
      res.on("end", () => done(null, text));
    });
    assert.equal(yaml.status, 200);
    assert.equal(yaml.headers["content-type"], "application/yaml; charset=utf-8");
    assert.equal(yaml.body, fileText);
    const json = await http.get("/openapi.json");
    assert.equal(json.status, 200);
    assert.equal(json.headers["content-type"], "application/json; charset=utf-8");
    assert.deepEqual(json.body, doc);
    assert.equal(service.authFailures.length, 0, "public: no credential is asked for");
  });

  it("Lambda: the same two answers through API Gateway events", async () => {
    const handler = createHttpHandler(async () => buildServer({ service: recordingService(), authenticator: createTokenAuthenticator(TOKENS, NODES) }));
    const yaml = await handler(httpApiEvent({ method: "GET", path: "/openapi.yaml" }), lambdaContext);
    assert.equal(yaml.statusCode, 200);
    assert.equal(yaml.headers["content-type"], "application/yaml; charset=utf-8");
    assert.equal(yaml.isBase64Encoded ? Buffer.from(yaml.body, "base64").toString("utf8") : yaml.body, fileText);
    const json = await handler(restApiEvent({ method: "GET", path: "/openapi.json" }), lambdaContext);
    assert.equal(json.statusCode, 200);
    assert.deepEqual(JSON.parse(json.body), doc);
  });
});
