// Config errors read as instructions: every bad field by its path, "required" for a missing one, the
// unknown field's name, and YAML syntax errors with their position — and nothing half-loaded.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isKubecaError } from "../../src/errors/index.js";
import { parseConfigText } from "../../src/config/index.js";

function detailOf(text: string): string {
  try {
    parseConfigText(text, "kubeca.yaml");
  } catch (e) {
    assert.ok(isKubecaError(e));
    assert.equal(e.code, "KUBECA_CONFIG_INVALID");
    return e.detail;
  }
  assert.fail("the config was accepted");
}

const head = "apiVersion: kubeca.dev/v1alpha1\nkind: Config\ncluster: {}\n";

describe("config errors", () => {
  it("name a missing field as required, with its path", () => {
    const d = detailOf(head + "cas: {ca: {certificate: {file: ca.crt}, signer: {type: aws-kms}}}\nnodes: [{name: cp-1, role: control-plane, advertiseAddress: 10.0.0.10}]\n");
    assert.match(d, /^ {2}cas\.ca\.signer\.keyId: required \(string\)$/m);
  });

  it("name an unknown field and point at the schema", () => {
    const d = detailOf(head + "cas: {ca: {certificate: {file: ca.crt}, signer: {type: memory}}}\nnodes: [{name: cp-1, role: worker}]\nvalidty: {leaf: 1h}\n");
    assert.match(d, /\(top level\): unknown field "validty"; check the spelling against the JSON Schema/);
  });

  it("list every bad field, not only the first", () => {
    const d = detailOf(head + "cas: {ca: {certificate: {file: ca.crt}, signer: {type: memory, algorithm: DSA}}}\nnodes: [{name: 'cp 1', role: boss}]\n");
    assert.match(d, /cas\.ca\.signer\.algorithm/);
    assert.match(d, /nodes\.0\.name/);
    assert.match(d, /nodes\.0\.role/);
  });

  it("report YAML syntax errors with their line", () => {
    const d = detailOf(head + "nodes: [\n");
    assert.match(d, /is not valid YAML/);
    assert.match(d, /line \d+/);
  });
});

describe("kubelet signer config", () => {
  it("refuses etcd-ca as the kubelet serving CA: etcd trusts it", () => {
    const d = detailOf(head.replace("cluster: {}", "cluster: {etcd: {local: false}}") + "cas: {ca: {certificate: {file: ca.crt}, signer: {type: memory}}}\nnodes: [{name: w-1, role: worker}]\nkubeletSigner: {servingCa: etcd-ca}\n");
    assert.match(d, /kubeletSigner\.servingCa: must be ca or front-proxy-ca/);
  });
});

describe("pkcs11 signer config", () => {
  const withSigner = (signer: string) =>
    head.replace("cluster: {}", "cluster: {etcd: {local: false}}") + `cas: {ca: {certificate: {file: ca.crt}, signer: ${signer}}}\nnodes: [{name: w-1, role: worker}]\n`;

  it("accepts a token by label, a key by label and id, and a PIN from a variable, with the defaults filled in", () => {
    const loaded = parseConfigText(
      withSigner("{type: pkcs11, module: /usr/lib/softhsm/libsofthsm2.so, token: {label: kubeca}, key: {label: kubeca-ca, id: 0a0b}, pin: {env: KUBECA_PIN}}"),
      "kubeca.yaml",
    );
    assert.deepEqual(loaded.cas.ca!.signer, {
      type: "pkcs11",
      module: "/usr/lib/softhsm/libsofthsm2.so",
      token: { label: "kubeca" },
      key: { label: "kubeca-ca", id: "0a0b" },
      pin: { env: "KUBECA_PIN" },
      rsaPadding: "pkcs1",
      sessions: 4,
      allowExtractable: false,
    });
  });

  it("refuses a PIN written into the config: only a variable or a file may hold it", () => {
    const d = detailOf(withSigner("{type: pkcs11, module: /usr/lib/libp11.so, token: {label: kubeca}, key: {label: k}, pin: '123456'}"));
    assert.match(d, /cas\.ca\.signer\.pin/);
    assert.doesNotMatch(d, /123456/, "the PIN is not echoed back");
  });

  it("refuses a relative module path, a slot index for the token, and a key named by neither label nor id", () => {
    const d = detailOf(withSigner("{type: pkcs11, module: libsofthsm2.so, token: {slot: 0}, key: {}, pin: {file: pin.txt}}"));
    assert.match(d, /cas\.ca\.signer\.module: must be an absolute path/);
    assert.match(d, /cas\.ca\.signer\.token/);
    assert.match(d, /cas\.ca\.signer\.key: set label, id or both/);
    assert.match(d, /cas\.ca\.signer\.pin/);
  });
});
