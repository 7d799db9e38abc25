// `kubeca kubelet-signer`: the in-cluster approver + signer for kubelet CSRs (src/kubelet/).
import { KubeConfig } from "@kubernetes/client-node";
import { loadConfigFile } from "../../config/index.js";
import { createKubeletController } from "../../kubelet/controller.js";
import { startHealthServer } from "../../kubelet/health-server.js";
import { jsonLinesLog } from "../../kubelet/kubelet-log.js";
import { openKubeletSigner, replicaIdentity } from "../../kubelet/open-kubelet-signer.js";
import { runSweep } from "../../kubelet/sweep.js";
import { KubeletSignerMetrics } from "../../metrics/prometheus.js";
import { BUILD_INFO } from "../build-info.js";
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_OK, EXIT_UNAVAILABLE } from "../exit-codes.js";
import { parseFlags, parsePort, UsageError } from "../flags.js";
import { describeSystemError } from "../system-errors.js";

/** The cluster to talk to; a kubeconfig that is missing, unreadable or names no cluster is a usage error. */
function kubeConfigFrom(path: string | undefined, env: NodeJS.ProcessEnv): KubeConfig {
  const kc = new KubeConfig();
  const source = path ? `--kubeconfig ${path}` : env.KUBERNETES_SERVICE_HOST ? "the in-cluster service account" : `the default kubeconfig (${env.KUBECONFIG ?? "~/.kube/config"})`;
  try {
    if (path) kc.loadFromFile(path);
    else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (e) {
    const system = describeSystemError(e);
    throw new UsageError(`${source}: ${system ? system.message : `not a kubeconfig (${(e as Error).message.split("\n")[0]})`}`);
  }
  if (!kc.getCurrentCluster()) throw new UsageError(`${source} names no cluster (no current-context with a cluster); pass --kubeconfig FILE`);
  return kc;
}

export const kubeletSignerCommand: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, {
      config: { type: "string" },
      kubeconfig: { type: "string" },
      "health-port": { type: "string", default: "8080" },
      once: { type: "boolean", default: false },
      debug: { type: "boolean", default: false },
    });
    if (!values.config) throw new UsageError("--config FILE is required");
    const healthPort = parsePort(values["health-port"]);
    const now = () => new Date();
    const log = jsonLinesLog(io.stderr, { debug: values.debug });
    const loaded = await loadConfigFile(values.config);
    const kubeConfig = kubeConfigFrom(values.kubeconfig, io.env);
    // --once is one pass that exits: nothing would scrape its metrics or read its fleet view.
    const metrics = values.once ? undefined : new KubeletSignerMetrics({ version: BUILD_INFO.version });
    const parts = await openKubeletSigner(loaded, { now, ...(metrics ? { metrics, fleet: { onChange: (row) => metrics.nodeCertificate(row), onRemove: (row) => metrics.nodeCertificateRemoved(row) } } : {}) });
    const common = {
      kubeConfig,
      ...parts.signing,
      log,
      identity: replicaIdentity(io.env),
    };
    if (values.once) {
      try {
        const summary = await runSweep(common);
        io.stdout.write(JSON.stringify(summary) + "\n");
        return summary.errors > 0 ? EXIT_UNAVAILABLE : EXIT_OK;
      } finally {
        await parts.close();
      }
    }
    const controller = createKubeletController(common);
    if (metrics) {
      metrics.controller(controller);
      metrics.caCertificates(parts.cas.map((ca) => ({ name: ca.name, notAfter: ca.info.notAfter })));
      const fleet = parts.fleet;
      if (fleet) metrics.nodeInventoryLoaded(() => fleet.loaded());
    }
    let health: Awaited<ReturnType<typeof startHealthServer>>;
    try {
      health = await startHealthServer(healthPort, () => controller.ready(), undefined, metrics);
    } catch (e) {
      await parts.close(); // a health port in use must not leave the signers and the audit log open
      throw e;
    }
    controller.start();
    log.info("started", { identity: common.identity, healthPort: health.port, leaderElection: parts.signing.policy.leaderElection.enabled });
    await new Promise<void>((resolve) => {
      process.once("SIGTERM", resolve);
      process.once("SIGINT", resolve);
    });
    log.info("stopping");
    await controller.stop(); // finishes in-flight CSRs and releases the Lease for the standby
    await health.close();
    await parts.close();
    return EXIT_OK;
  },
};
