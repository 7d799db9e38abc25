// The scheduled kubelet-signer sweep: one reconcile pass per invocation (list pending CSRs, decide,
// sign, return). Config, CAs, audit log and kubeconfig are opened once per cold start. The kubeconfig
// comes from an SSM parameter (KUBECA_KUBECONFIG_SSM_PARAMETER, SecureString) or a file
// (KUBECA_KUBECONFIG_FILE); the sweep takes the same Lease as the in-cluster Deployment.
import { isAbsolute, resolve } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { Context, ScheduledEvent } from "aws-lambda";
import { KubecaError } from "../errors/index.js";
import { EmfMetrics } from "../metrics/emf.js";
import { jsonLinesLog, type KubeletLog } from "../kubelet/kubelet-log.js";
import { openKubeletSigner, replicaIdentity } from "../kubelet/open-kubelet-signer.js";
import { runSweep, type SweepDeps, type SweepSummary } from "../kubelet/sweep.js";
import { loadLambdaConfig } from "./config-source.js";
// The deployed sweep signs with KMS and keeps its audit log and the rotation phase in DynamoDB
// (serverless.yml): their modules are static imports of its cold start (the CLI loads them on demand).
import "../signers/aws-kms.js";
import "../audit/dynamodb-store.js";
import "../issuance/dynamodb-rotation-store.js";

/** Invoked by the EventBridge schedule in serverless.yml; the summary is the invocation's result. */
export type SweepHandler = (event: ScheduledEvent, context: Context) => Promise<SweepSummary>;

/** Everything but the clock-free pass itself; tests build it directly. */
export type SweepSetup = () => Promise<SweepDeps>;

/** `onInvocationEnd` runs when each pass has ended, failed or not: the EMF line of its metrics. */
export function createKubeletSweepHandler(setup: SweepSetup, options: { readonly onInvocationEnd?: () => void } = {}): SweepHandler {
  let deps: Promise<SweepDeps> | undefined;
  return async (event, context) => {
    try {
      // A failed cold start is retried by the next invocation rather than cached.
      deps ??= setup().catch((e) => {
        deps = undefined;
        throw e;
      });
      const d = await deps;
      const summary = await runSweep(d);
      // The schedule's time and the invocation id tie this line to the EventBridge rule and the Lambda report.
      d.log.info("sweep finished", { ...summary, scheduledAt: event.time, invocation: context.awsRequestId });
      return summary;
    } finally {
      options.onInvocationEnd?.();
    }
  };
}

async function kubeConfigFromEnv(env: NodeJS.ProcessEnv): Promise<KubeConfig> {
  const kc = new KubeConfig();
  const parameter = env.KUBECA_KUBECONFIG_SSM_PARAMETER?.trim();
  const file = env.KUBECA_KUBECONFIG_FILE?.trim();
  let source: string;
  if (parameter) {
    source = `the kubeconfig in SSM parameter ${parameter} (KUBECA_KUBECONFIG_SSM_PARAMETER)`;
    const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
    const out = await new SSMClient({}).send(new GetParameterCommand({ Name: parameter, WithDecryption: true }));
    if (!out.Parameter?.Value) throw new KubecaError("KUBECA_CONFIG_INVALID", `SSM parameter ${parameter} holds no kubeconfig`);
    loadKubeConfig(source, () => kc.loadFromString(out.Parameter!.Value!));
  } else if (file) {
    const path = isAbsolute(file) ? file : resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), file);
    source = `the kubeconfig ${path} (KUBECA_KUBECONFIG_FILE)`;
    loadKubeConfig(source, () => kc.loadFromFile(path));
  } else {
    throw new KubecaError("KUBECA_CONFIG_INVALID", "set KUBECA_KUBECONFIG_SSM_PARAMETER or KUBECA_KUBECONFIG_FILE for the kubelet sweep");
  }
  // client-node would otherwise fail later with its own "No active cluster!".
  if (!kc.getCurrentCluster()) throw new KubecaError("KUBECA_CONFIG_INVALID", `${source} names no cluster (no current-context with a cluster); set its current-context`);
  return kc;
}

function loadKubeConfig(source: string, load: () => void): void {
  try {
    load();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable" : `is not a kubeconfig (${String((e as Error).message).split("\n")[0]})`;
    throw new KubecaError("KUBECA_CONFIG_INVALID", `${source} ${why}`, { cause: e });
  }
}

export function productionSetup(
  env: NodeJS.ProcessEnv,
  bundleDir: string,
  log: KubeletLog = jsonLinesLog(process.stdout),
  metrics?: EmfMetrics,
): SweepSetup {
  return async () => {
    const now = () => new Date();
    const loaded = await loadLambdaConfig(env, { bundleDir });
    // Before the signers and the audit log are opened: a bad kubeconfig leaves nothing open.
    const kubeConfig = await kubeConfigFromEnv(env);
    const parts = await openKubeletSigner(loaded, { now, ...(metrics ? { metrics } : {}) });
    return {
      kubeConfig,
      ...parts.signing,
      log,
      identity: `lambda_${replicaIdentity(env)}`,
    };
  };
}

const metrics = new EmfMetrics({ functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? "kubeca-kubelet-sweep", write: (line) => process.stdout.write(line) });

export const handler: SweepHandler = createKubeletSweepHandler(
  productionSetup(process.env, process.env.LAMBDA_TASK_ROOT ?? process.cwd(), jsonLinesLog(process.stdout), metrics),
  { onInvocationEnd: () => metrics.flush() },
);
