// infra/kubernetes/ holds what spec §4 allows and the Deployment promises, checked on the YAML.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { parseConfigText } from "../../src/config/index.js";
import { compileKubeletPolicy } from "../../src/kubelet/kubelet-policy.js";

const dir = new URL("../../infra/kubernetes/", import.meta.url);
const docs = (file: string): any[] => parseAllDocuments(readFileSync(new URL(file, dir), "utf8")).map((d) => d.toJS());
const one = (file: string): any => docs(file)[0];

test("the ClusterRole grants exactly the RBAC of spec §4, naming both signers and no wildcard", () => {
  const role = one("clusterrole.yaml");
  assert.equal(role.kind, "ClusterRole");
  assert.deepEqual(role.rules, [
    { apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests/approval"], verbs: ["update"] },
    { apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests/status"], verbs: ["update"] },
    {
      apiGroups: ["certificates.k8s.io"],
      resources: ["signers"],
      resourceNames: ["kubernetes.io/kubelet-serving", "kubernetes.io/kube-apiserver-client-kubelet"],
      verbs: ["approve", "sign"],
    },
    { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
  ]);
  assert.doesNotMatch(JSON.stringify(role), /\*/);
});

test("leases are granted by a Role in kubeca's namespace, for the Lease the config names", () => {
  const [role, binding] = docs("role-leader-election.yaml");
  const config = parseConfigText(one("configmap.yaml").data["kubeca.yaml"], "configmap");
  const le = compileKubeletPolicy(config).leaderElection;
  assert.equal(role.kind, "Role");
  assert.equal(role.metadata.namespace, le.namespace);
  assert.deepEqual(role.rules[0], { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [le.leaseName], verbs: ["get", "update"] });
  assert.deepEqual(role.rules[1], { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] });
  assert.equal(binding.subjects[0].name, "kubeca-kubelet-signer");
  const crb = one("clusterrolebinding.yaml");
  assert.deepEqual(crb.subjects, [{ kind: "ServiceAccount", name: "kubeca-kubelet-signer", namespace: "kubeca-system" }]);
});

test("the Deployment runs 2 non-root replicas on a read-only root filesystem, with limits and probes", () => {
  const d = one("deployment.yaml");
  assert.equal(d.spec.replicas, 2);
  const pod = d.spec.template.spec;
  assert.equal(pod.serviceAccountName, "kubeca-kubelet-signer");
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.ok(pod.securityContext.runAsUser > 0);
  const c = pod.containers[0];
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
  assert.ok(c.resources.limits.cpu && c.resources.limits.memory);
  assert.equal(c.livenessProbe.httpGet.path, "/healthz");
  assert.equal(c.readinessProbe.httpGet.path, "/readyz");
  assert.deepEqual(c.args.slice(0, 1), ["kubelet-signer"]);
  // The audit file lives on a writable volume, not the read-only root.
  const config = parseConfigText(one("configmap.yaml").data["kubeca.yaml"], "configmap");
  assert.ok(c.volumeMounts.some((m: any) => config.audit.path.startsWith(m.mountPath + "/") && !m.readOnly));
});

test("the kubeadm snippet turns on serverTLSBootstrap", () => {
  const kubelet = docs("kubeadm-config.yaml").find((d) => d.kind === "KubeletConfiguration");
  assert.equal(kubelet.serverTLSBootstrap, true);
});

test("kustomization lists every manifest but the kubeadm snippet", () => {
  assert.deepEqual(one("kustomization.yaml").resources, [
    "namespace.yaml",
    "serviceaccount.yaml",
    "clusterrole.yaml",
    "clusterrolebinding.yaml",
    "role-leader-election.yaml",
    "configmap.yaml",
    "deployment.yaml",
  ]);
});
