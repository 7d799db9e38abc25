// The documented static pod restart, one component at a time, with the waits injected.
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { restartStaticPods, type StaticPod } from "../../src/client/index.js";
import { tempNode, type TempNode } from "./node-fixture.js";

let node: TempNode;
let manifests: string;
const PODS: StaticPod[] = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

beforeEach(async () => {
  node = await tempNode();
  manifests = join(node.kubeconfigDir, "manifests");
  await mkdir(manifests, { recursive: true });
  for (const pod of PODS) await writeFile(join(manifests, `${pod}.yaml`), `# ${pod}\n`);
});
afterEach(() => node.remove());

describe("restartStaticPods", () => {
  it("moves each manifest out, waits the file-check period, moves it back, waits again, one pod at a time", async () => {
    const events: string[] = [];
    const present = async () => (await readdir(manifests)).sort().join(",");
    const restarted = await restartStaticPods(["etcd", "kube-apiserver"], {
      manifestDir: manifests,
      holdDir: join(node.root, "hold"),
      fileCheckPeriodMs: 20_000,
      sleep: async (ms) => {
        events.push(`sleep ${ms} with ${await present()}`);
      },
      log: () => undefined,
    });
    assert.deepEqual(restarted, ["etcd", "kube-apiserver"]);
    assert.deepEqual(events, [
      "sleep 20000 with kube-apiserver.yaml,kube-controller-manager.yaml,kube-scheduler.yaml",
      "sleep 20000 with etcd.yaml,kube-apiserver.yaml,kube-controller-manager.yaml,kube-scheduler.yaml",
      "sleep 20000 with etcd.yaml,kube-controller-manager.yaml,kube-scheduler.yaml",
      "sleep 20000 with etcd.yaml,kube-apiserver.yaml,kube-controller-manager.yaml,kube-scheduler.yaml",
    ]);
    for (const pod of PODS) assert.equal(await readFile(join(manifests, `${pod}.yaml`), "utf8"), `# ${pod}\n`);
  });

  it("with probes, stops waiting as soon as the pod is gone and back", async () => {
    let sleeps = 0;
    let gone = 0;
    await restartStaticPods(["kube-scheduler"], {
      manifestDir: manifests,
      holdDir: join(node.root, "hold"),
      fileCheckPeriodMs: 20_000,
      sleep: async () => void sleeps++,
      podGone: async () => ++gone >= 3,
      podRunning: async () => true,
      log: () => undefined,
    });
    assert.equal(sleeps, 2, "two polls before the pod was gone, none after it was back");
  });

  it("puts the manifest back even when waiting fails, and skips a pod without a manifest", async () => {
    const lines: string[] = [];
    await assert.rejects(
      restartStaticPods(["kube-controller-manager"], {
        manifestDir: manifests,
        holdDir: join(node.root, "hold"),
        fileCheckPeriodMs: 1,
        sleep: async () => {
          throw new Error("interrupted");
        },
        log: (l) => lines.push(l),
      }),
      /interrupted/,
    );
    assert.ok((await readdir(manifests)).includes("kube-controller-manager.yaml"));

    const none = await restartStaticPods(["etcd"], { manifestDir: join(node.root, "empty"), holdDir: join(node.root, "hold"), fileCheckPeriodMs: 1, sleep: async () => undefined, log: (l) => lines.push(l) });
    assert.deepEqual(none, []);
    assert.match(lines.at(-1)!, /etcd: no manifest at .*etcd\.yaml, not restarted/);
  });
});
