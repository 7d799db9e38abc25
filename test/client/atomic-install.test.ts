// installAtomically on its own: modes whatever the umask, no temporary files left, backups byte-exact.
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createBackupDir, installAtomically, JOURNAL_FILE } from "../../src/client/index.js";
import { modeOf, snapshot, tempNode, type TempNode } from "./node-fixture.js";

let node: TempNode;
beforeEach(async () => {
  node = await tempNode();
  await mkdir(join(node.certDir, "etcd"), { recursive: true });
});
afterEach(() => node.remove());

describe("installAtomically", () => {
  it("writes exact modes despite a restrictive umask, leaves no temporary files, and journals 'done'", async () => {
    const old = process.umask(0o077);
    try {
      const crt = join(node.certDir, "etcd", "server.crt");
      const conf = join(node.kubeconfigDir, "admin.conf");
      await writeFile(conf, "old\n", { mode: 0o640 });
      await chmod(conf, 0o640);
      const backupDir = await createBackupDir(join(node.kubeconfigDir, "tmp"), new Date("2026-03-01T12:00:00Z"));
      assert.match(backupDir, /kubeca-backup-20260301T120000Z$/);
      const receipt = await installAtomically(
        [
          { path: crt, content: "CERT\n", mode: 0o644, kind: "certificate", name: "etcd/server" },
          { path: conf, content: "new\n", mode: 0o600, kind: "kubeconfig", name: "admin.conf" },
        ],
        backupDir,
      );
      assert.deepEqual(receipt.created, [crt]);
      assert.deepEqual(receipt.replaced, [conf]);
      assert.equal(await modeOf(crt), 0o644);
      assert.equal(await modeOf(conf), 0o600);
      assert.equal(await readFile(conf, "utf8"), "new\n");
      assert.deepEqual((await readdir(join(node.certDir, "etcd"))).sort(), ["server.crt"]);
      assert.deepEqual((await readdir(node.kubeconfigDir)).sort(), ["admin.conf", "pki", "tmp"]);
      const backup = join(backupDir, "files", conf.replace(/^\//, ""));
      assert.equal(await readFile(backup, "utf8"), "old\n");
      assert.equal(await modeOf(backup), 0o640, "the backup keeps the old mode");
      assert.equal(await modeOf(backupDir), 0o700, "backups hold keys: owner only");
      assert.equal(JSON.parse(await readFile(join(backupDir, JOURNAL_FILE), "utf8")).state, "done");
    } finally {
      process.umask(old);
    }
  });

  it("a failure at the first rename changes nothing and removes every temporary file", async () => {
    const conf = join(node.kubeconfigDir, "scheduler.conf");
    await writeFile(conf, "old\n");
    const before = await snapshot(node.kubeconfigDir, ["tmp"]);
    const backupDir = await createBackupDir(join(node.kubeconfigDir, "tmp"), new Date());
    await assert.rejects(
      installAtomically([{ path: conf, content: "new\n", mode: 0o600, kind: "kubeconfig", name: "scheduler.conf" }], backupDir, {
        step: (step) => {
          if (step.op === "rename") throw new Error("EIO (injected)");
        },
      }),
      /install failed at .*scheduler\.conf \(EIO \(injected\)\); the 0 file\(s\) already replaced were put back/,
    );
    assert.deepEqual(await snapshot(node.kubeconfigDir, ["tmp"]), before);
  });
});
