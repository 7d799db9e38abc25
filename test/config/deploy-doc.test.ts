// docs/deploy.md: the kubelet signer's config for running outside the cluster is one `kubeca policy
// check` accepts, and the page keeps the headings other documents link to.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { it } from "node:test";
import { main } from "../../src/cli/main.js";
import { parseConfigText } from "../../src/config/index.js";

const page = readFileSync(new URL("../../docs/deploy.md", import.meta.url), "utf8");

/** The fenced yaml block right after `marker`, without the list item's indentation. */
function blockAfter(marker: string): string {
  const m = new RegExp(`<!-- ${marker} -->\\n( *)\`\`\`yaml\\n([\\s\\S]*?)\\n\\1\`\`\`\\n`).exec(page);
  assert.ok(m, `no yaml block after <!-- ${marker} -->`);
  const indent = m[1]!.length;
  return m[2]!.split("\n").map((line) => line.slice(indent)).join("\n") + "\n";
}

it("the kubelet signer's outside-the-cluster config passes kubeca policy check and has a kubeletSigner section", async (t) => {
  const yaml = blockAfter("kubelet-signer outside the cluster: config");
  const config = parseConfigText(yaml, "docs/deploy.md");
  assert.equal(config.kubeletSigner?.addressSource.type, "ec2");
  assert.equal(config.cas.ca.signer.type, "aws-kms");
  const dir = await mkdtemp(join(tmpdir(), "kubeca-deploy-doc-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "kubelet-signer.yaml"), yaml);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  const code = await main(["policy", "check", join(dir, "kubelet-signer.yaml")], { stdout, stderr, env: {}, cwd: dir });
  assert.equal(code, 0, err + out);
});

it("keeps the sections other pages and the README link to, and the container section issue 10 fills", () => {
  for (const heading of ["## AWS Lambda", "## A server", "## Container image", "## Kubernetes: the kubelet signer in the cluster", "## The kubelet signer outside the cluster", "## A control-plane node: the renewal timer"]) {
    assert.ok(page.includes(`\n${heading}\n`), heading);
  }
});
