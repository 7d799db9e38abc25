// What other layers use from the profile catalogue and the cluster facts.
export {
  PROFILES,
  KNOWN_PROFILE_NAMES,
  NODE_PLACEHOLDER,
  findProfile,
  profileNames,
  requireProfile,
  expectedCommonName,
  expectedOrganizations,
  profileExistsIn,
} from "./profiles.js";
export type { Profile, ProfileName, ProfileKind, ExtKeyUsage, SanSet } from "./profiles.js";
export { parseKubernetesVersion, versionAtLeast } from "./kubernetes-version.js";
export type { KubernetesVersion } from "./kubernetes-version.js";
export { compileClusterFacts, firstServiceIp, controlPlaneEndpointSans } from "./cluster-facts.js";
export type { ClusterFacts } from "./cluster-facts.js";
export { compileNodeSans } from "./sans.js";
export type { NodeSanRules, SanRule, ServerSanSet } from "./sans.js";
export { splitNamesAndIps, unionSans, NO_SANS } from "./san-names.js";
export type { SanNames } from "./san-names.js";
// Stand-in until pki/names.ts exists; see name-normalisation.ts.
export { normalizeDnsName, canonicalIp, isWildcardName } from "./name-normalisation.js";
export { CA_COMMON_NAMES, CA_FILES } from "./ca-layout.js";
