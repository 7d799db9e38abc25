// What this kubeca is: the build (scripts/build.mjs) replaces KUBECA_BUILD with the package version,
// the git commit and the artifact it wrote. Run from sources through tsx there is no build to name.

export interface BuildInfo {
  readonly version: string;
  /** Short git commit of the build, with "-dirty" when the tree had changes; null when unknown. */
  readonly commit: string | null;
  /** Which artifact: "cli" (npm package, image, npm start), "single-file" (dist/kubeca.cjs and the executable). */
  readonly target: string;
}

declare const KUBECA_BUILD: BuildInfo | undefined;

export const BUILD_INFO: BuildInfo =
  typeof KUBECA_BUILD === "undefined" ? { version: "development", commit: null, target: "sources (tsx)" } : KUBECA_BUILD;

/** True inside a single executable (node:sea exists from Node 20.12; older Nodes cannot be one). */
export async function isSingleExecutable(): Promise<boolean> {
  try {
    return (await import("node:sea")).isSea();
  } catch {
    return false;
  }
}
