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
import type { CliCommand, CliIo } from "../command.js";
import { EXIT_OK, EXIT_UNAVAILABLE } from "../exit-codes.js";
import { parseFlags, parsePort, UsageError } from "../flags.js";

const help = `Usage: kubeca kubelet-signer --config FILE [--kubeconfig FILE] [flags]

Approves and signs kubelet serving CSRs (kubernetes.io/kubelet-serving) after checking every name and
IP against the Node, and signs node client CSRs (kubernetes.io/kube-apiserver-client-kubelet) that
kube-controller-manager approved. Runs until SIGTERM; with several replicas only the holder of the
Lease (kubeletSigner.leaderElection) writes.

Flags:
  --config FILE       the kubeca config (YAML); the kubeletSigner section tunes this command
  --kubeconfig FILE   talk to the cluster with this kubeconfig (default: in-cluster service account,
                      else $KUBECONFIG or ~/.kube/config)
  --health-port PORT  serve /healthz, /readyz and /metrics (Prometheus, docs/metrics.md; no
                      credentials asked) on this port (default 8080; 0 picks a free one)
  --once              one reconcile pass (list, decide, sign), then exit; as the Lambda sweep does
  --debug             log every skipped CSR too
  -h, --help          show this help

Exit codes: 0 stopped cleanly (or --once finished with no CSR left over), 3 --once left CSRs for
the next pass because the apiserver, KMS or audit store failed.
`;

function kubeConfigFrom(path: string | undefined, env: NodeJS.ProcessEnv): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

export const kubeletSignerCommand: CliCommand = {
  path: ["kubelet-signer"],
  summary: "approve and sign kubelet serving CSRs, sign node client CSRs",
  help,
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
    const parts = await openKubeletSigner(loaded, { now, ...(metrics ? { metrics, fleet: { onChange: (row) => metrics.nodeCertificate(row) } } : {}) });
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
    const health = await startHealthServer(healthPort, () => controller.ready(), undefined, metrics);
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
