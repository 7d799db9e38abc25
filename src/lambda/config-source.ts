// Where the Lambda function's config comes from, read once per cold start:
// - KUBECA_CONFIG_SSM_PARAMETER: an SSM parameter (String or SecureString, read WithDecryption), or
// - KUBECA_CONFIG_FILE: a file packaged with the function (relative to the task root), or
// - kubeca.yaml next to the bundle.
import { isAbsolute, resolve } from "node:path";
import type { GetParameterCommandOutput } from "@aws-sdk/client-ssm";
import { loadConfigFile, parseConfigText, type LoadedConfig } from "../config/index.js";
import { KubecaError } from "../errors/index.js";
import { refuseSignersLambdaCannotRun } from "./lambda-signers.js";

/** The one SSM call we make; tests may pass a client pointed at a local server. */
export interface SsmReader {
  getParameter(name: string): Promise<GetParameterCommandOutput>;
}

export interface ConfigSourceOptions {
  /** Folder of the bundle: the default kubeca.yaml is here. */
  readonly bundleDir: string;
  readonly ssm?: SsmReader;
}

/** SSM errors that no retry will fix: the parameter or the permissions are wrong. */
const PERMANENT_SSM_ERRORS = new Set([
  "ParameterNotFound",
  "ParameterVersionNotFound",
  "AccessDeniedException",
  "InvalidKeyId",
  "ValidationException",
  "UnrecognizedClientException",
]);

async function defaultSsm(): Promise<SsmReader> {
  // Loaded only when the SSM source is used: the SDK client costs cold-start time otherwise.
  const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
  const client = new SSMClient({});
  return { getParameter: (Name) => client.send(new GetParameterCommand({ Name, WithDecryption: true })) };
}

async function fromSsm(name: string, options: ConfigSourceOptions, taskRoot: string): Promise<LoadedConfig> {
  const ssm = options.ssm ?? (await defaultSsm());
  let value: string | undefined;
  try {
    value = (await ssm.getParameter(name)).Parameter?.Value;
  } catch (e) {
    const type = (e as { name?: string }).name ?? "Error";
    if (PERMANENT_SSM_ERRORS.has(type)) {
      throw new KubecaError(
        "KUBECA_CONFIG_INVALID",
        `cannot read the config from SSM parameter ${name} (${type}); check the name, ssm:GetParameter on it, and kms:Decrypt on its key if it is a SecureString under a customer managed key`,
        { cause: e },
      );
    }
    // Throttling, timeouts, 5xx: the next cold start (or retry) may succeed.
    throw new KubecaError("KUBECA_NOT_READY", `the config could not be read from SSM parameter ${name} (${type}); retrying later`, {
      cause: e,
      retryAfter: 5,
    });
  }
  if (value === undefined || value === "") {
    throw new KubecaError("KUBECA_CONFIG_INVALID", `SSM parameter ${name} is empty`);
  }
  // Relative paths in an SSM config (CA certificate files) resolve against the task root.
  return { config: parseConfigText(value, `ssm:${name}`), baseDir: taskRoot };
}

export async function loadLambdaConfig(env: NodeJS.ProcessEnv, options: ConfigSourceOptions): Promise<LoadedConfig> {
  const loaded = await loadFromSource(env, options);
  refuseSignersLambdaCannotRun(loaded.config);
  return loaded;
}

async function loadFromSource(env: NodeJS.ProcessEnv, options: ConfigSourceOptions): Promise<LoadedConfig> {
  const taskRoot = env.LAMBDA_TASK_ROOT ?? process.cwd();
  const parameter = env.KUBECA_CONFIG_SSM_PARAMETER?.trim();
  if (parameter) return fromSsm(parameter, options, taskRoot);
  const file = env.KUBECA_CONFIG_FILE?.trim();
  if (file) return loadConfigFile(isAbsolute(file) ? file : resolve(taskRoot, file));
  return loadConfigFile(resolve(options.bundleDir, "kubeca.yaml"));
}

