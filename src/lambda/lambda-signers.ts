// Lambda cannot load a PKCS#11 module: there is no HSM client library in its runtime, and the bundle
// leaves the pkcs11js native addon out. A config naming a pkcs11 signer is refused at cold start with
// what to do instead, before any signer is built, rather than failing on a missing addon later.
import type { Config } from "../config/index.js";
import { KubecaError } from "../errors/index.js";

export function refuseSignersLambdaCannotRun(config: Config): void {
  const signers: [string, { type: string }][] = Object.entries(config.cas).map(([name, ca]) => [`cas.${name}.signer`, ca!.signer]);
  const checkpoint = config.audit.checkpoint?.signer;
  if (checkpoint !== undefined && typeof checkpoint === "object") signers.push(["audit.checkpoint.signer", checkpoint]);
  const pkcs11 = signers.filter(([, s]) => s.type === "pkcs11").map(([path]) => path);
  if (pkcs11.length === 0) return;
  throw new KubecaError(
    "KUBECA_CONFIG_INVALID",
    `${pkcs11.join(", ")}: a pkcs11 signer cannot run on Lambda, which cannot load PKCS#11 modules; use aws-kms signers on Lambda, or run kubeca serve on a host that reaches the HSM`,
  );
}
