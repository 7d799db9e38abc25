// `kubeca ca keygen --help`.

export const caKeygenHelp = `Usage: kubeca ca keygen --pkcs11 --module PATH (--token-label L | --token-serial S)
                        (--pin-env VAR | --pin-file FILE) --label LABEL [--id HEX]
                        [--algorithm ECDSA-P256] [--output text|json]

Creates a CA key pair inside a PKCS#11 token (an HSM, a YubiHSM, SoftHSM for tests): the private key
is sensitive, not extractable, and may only sign. Prints the signer config that names it; put it
under cas.<name>.signer, then run kubeca ca init. The PIN is read from the variable or file, never
from the command line.

Flags:
  --pkcs11            make the key in a PKCS#11 token (the only key store keygen serves; make
                      KMS keys with aws kms create-key)
  --module PATH       the vendor's PKCS#11 library (absolute path)
  --token-label L     the token, by label
  --token-serial S    the token, by serial number (when labels repeat)
  --pin-env VAR       environment variable holding the user PIN
  --pin-file FILE     file whose first line is the user PIN (absolute path)
  --label LABEL       CKA_LABEL of the new key pair; no other key may carry it
  --id HEX            CKA_ID of the new key pair (default: 8 random bytes)
  --algorithm ALG     ECDSA-P256 (default), ECDSA-P384, RSA-2048, RSA-3072 or RSA-4096
  --output FORMAT     text (default) or json
  -h, --help          show this help
`;
