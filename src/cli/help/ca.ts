// `kubeca ca init --help`, `kubeca ca show --help`.

export const caInitHelp = `Usage: kubeca ca init --config FILE [--only NAME...] [--next] [--validity 87600h] [--out-dir DIR] [--force]

Creates the self-signed CA certificates kubeadm expects (ca CN=kubernetes, etcd-ca, front-proxy-ca),
signed by each CA's configured signer. With aws-kms and pkcs11 the private key never leaves KMS or
the HSM (make a PKCS#11 key first with kubeca ca keygen --pkcs11). Writes each
certificate to its cas.<name>.certificate.file, or with --out-dir in kubeadm's layout
(ca.crt, etcd/ca.crt, front-proxy-ca.crt). Never writes a key.

Flags:
  --config FILE     the kubeca config naming each CA's signer
  --only NAME       only this CA (ca, etcd-ca, front-proxy-ca); repeatable
  --validity DUR    CA lifetime (default 87600h = 10 years, as kubeadm)
  --out-dir DIR     write into DIR in kubeadm's layout instead of the configured paths
  --next            create the next CAs instead (cas.<name>.next, for kubeca ca rotate; with --out-dir
                    written as ca-next.crt, etcd/ca-next.crt, front-proxy-ca-next.crt)
  --force           replace existing certificate files (every leaf they signed stops chaining!)
  -h, --help        show this help
`;

export const caShowHelp = `Usage: kubeca ca show [--config FILE | --cert-dir DIR | FILE...] [--output text|json]

Prints each CA certificate's subject, key type, SHA-256 fingerprint, validity, Subject Key Identifier,
and whether it is self-signed (its signature verified with its own key).

Flags:
  --config FILE     show the CAs configured in this kubeca config
  --cert-dir DIR    show ca.crt, etcd/ca.crt and front-proxy-ca.crt under DIR (kubeadm layout)
  --output FORMAT   text (default) or json
  -h, --help        show this help
`;
