// The kubelet signer's readiness, through the real client against the local apiserver: ready means
// it can reach the apiserver and either holds the Lease (with its CSR list synced) or can read it (a
// standby); a replica that has not reached the apiserver for a lease duration is not ready (without
// leader election: for 90 s of watch silence). The harness shortens both to 1 s.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RequestHook } from "../support/fake-apiserver.js";
import { startHarness, waitFor } from "./harness.js";

const LEASE = { enabled: true, namespace: "kubeca-system", leaseName: "kubeca-kubelet-signer", leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };

test("with leader election, leader and standby are ready while they reach the apiserver, not ready once every call fails, ready again after", async () => {
  const h = await startHarness();
  try {
    const a = h.controller("a");
    const b = h.controller("b");
    a.controller.start();
    b.controller.start();
    await waitFor("both ready, one leading", () => a.controller.ready() && b.controller.ready() && (a.controller.leading || b.controller.leading));
    const standby = a.controller.leading ? b : a;
    assert.equal(standby.controller.leading, false);

    // Every call of both replicas fails (the apiserver unreachable for them), and open watches drop.
    const failAll: RequestHook = (r) => (r.user === "kubeca-a" || r.user === "kubeca-b" ? 503 : undefined);
    h.server.hooks.push(failAll);
    h.server.dropWatches();
    await waitFor("neither ready", () => !a.controller.ready() && !b.controller.ready(), 8000);

    h.server.hooks = h.server.hooks.filter((hook) => hook !== failAll);
    await waitFor("both ready again", () => a.controller.ready() && b.controller.ready(), 8000);
  } finally {
    await h.close();
  }
});

test("a standby whose Lease reads are refused (RBAC broken) is not ready, though the apiserver answers", async () => {
  const h = await startHarness();
  try {
    const a = h.controller("a");
    a.controller.start();
    await waitFor("a leading and ready", () => a.controller.leading && a.controller.ready());
    h.server.hooks.push((r) => (r.user === "kubeca-b" && r.resource === "leases" ? 403 : undefined));
    const b = h.controller("b");
    b.controller.start();
    await waitFor("b's lease attempts refused", () => h.server.requests.filter((r) => r.user === "kubeca-b" && r.resource === "leases").length >= 3);
    assert.equal(b.controller.ready(), false);
    assert.equal(a.controller.ready(), true);
  } finally {
    await h.close();
  }
});

test("without leader election, ready once the CSR list is synced, not ready once list and watch fail, ready again after", async () => {
  const h = await startHarness({ leaderElection: { ...LEASE, enabled: false } });
  try {
    const { controller } = h.controller("solo", { timingsMs: { contactWithoutLease: 1000 } });
    controller.start();
    await waitFor("ready", () => controller.ready());
    const failAll: RequestHook = (r) => (r.user === "kubeca-solo" ? 503 : undefined);
    h.server.hooks.push(failAll);
    h.server.dropWatches();
    await waitFor("not ready", () => !controller.ready(), 8000);
    h.server.hooks = h.server.hooks.filter((hook) => hook !== failAll);
    await waitFor("ready again", () => controller.ready(), 8000);
  } finally {
    await h.close();
  }
});
