// Leaf lifetime from config.validity.leaf, a Go duration as kubeadm writes it (8760h, 90m, 1h30m).
import { KubecaError } from "../errors/index.js";

const goDuration = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

export function durationSeconds(text: string, field: string): number {
  const m = goDuration.exec(text);
  const seconds = m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : 0;
  if (!m || seconds <= 0 || !Number.isSafeInteger(seconds)) {
    throw new KubecaError("KUBECA_CONFIG_INVALID", `${field}: "${text}" is not a positive duration like 8760h or 90m`);
  }
  return seconds;
}
