// Why a file was not renewed: CamelCase constants, one per cause, shown in the text output and in
// `--output json` so that scripts and people read the same word.

export const Reasons = {
  /** The .csr could not be read as a PKCS#10 PEM, or its self-signature does not verify. */
  CsrUnreadable: "CsrUnreadable",
  /** The private key (.key, or client-key-data in the partial kubeconfig) is missing or unreadable. */
  KeyUnreadable: "KeyUnreadable",
  /** The CSR was not made with the private key found next to it. */
  KeyMismatch: "KeyMismatch",
  /** The CSR's CN or O is not what kubeadm writes for this file (files swapped or edited). */
  SubjectMismatch: "SubjectMismatch",
  /** A kubeconfig has no user or cluster kubeca can fill, or reads its certificate from a file. */
  KubeconfigUnusable: "KubeconfigUnusable",
  /** The same file was found twice (in place and in --csr-dir). */
  DuplicateCsr: "DuplicateCsr",
  /** The service has no CA for this file's issuer. */
  CaMissing: "CaMissing",
  /** The service answered this item with a problem (policy refusal, bad CSR...). */
  ServiceRefused: "ServiceRefused",
  /** The service's answer for this item is not usable: no certificate, wrong name, wrong issuer. */
  BadAnswer: "BadAnswer",
  /** The certificate's public key is not the local key. */
  PublicKeyMismatch: "PublicKeyMismatch",
  /** The certificate does not chain to the service's CA or to the CA file on the node. */
  NotIssuedByCa: "NotIssuedByCa",
  /** Extended key usage, CA flag or subject differ from what kubeadm expects. */
  UnexpectedContent: "UnexpectedContent",
  /** Not yet valid (beyond clock skew) or already expired. */
  OutsideValidity: "OutsideValidity",
  /** Writing the files failed; what was replaced has been put back from the backup. */
  InstallFailed: "InstallFailed",
  /** Not installed because another item failed and --allow-partial was not given. */
  HeldBack: "HeldBack",
} as const;

export type Reason = (typeof Reasons)[keyof typeof Reasons];
