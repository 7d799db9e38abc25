// Stands in for `kubeadm` in the timer script's test: `certs generate-csr --cert-dir D --kubeconfig-dir K
// [--config F]` writes the generate-csr layout (P-256 keys, for speed); anything else fails. Each call
// is appended to $FAKE_KUBEADM_LOG.
import { appendFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { writeGenerateCsrLayout } from "../support/kubeadm-layout.js";

const [group, command, ...rest] = process.argv.slice(2);
if (process.env.FAKE_KUBEADM_LOG) await appendFile(process.env.FAKE_KUBEADM_LOG, process.argv.slice(2).join(" ") + "\n");
if (group !== "certs" || command !== "generate-csr") {
  process.stderr.write(`fake kubeadm: unsupported ${group} ${command}\n`);
  process.exit(2);
}
const { values } = parseArgs({ args: rest, options: { "cert-dir": { type: "string" }, "kubeconfig-dir": { type: "string" }, config: { type: "string" } } });
await writeGenerateCsrLayout({ certDir: values["cert-dir"]!, kubeconfigDir: values["kubeconfig-dir"]!, keyAlgorithm: "ECDSA-P256" });
