// `kubeca version --help`.

export const versionHelp = `Usage: kubeca version [--output text|json]
       kubeca --version

Prints kubeca's version, the git commit it was built from (when known), the Node.js version running it,
and the build target: cli (the npm package, the container image, npm start), single-file (dist/kubeca.cjs),
or single-file as a single executable (Node.js embedded: no Node.js needed on the machine). Every build
holds every command, the server commands (serve, kubelet-signer) included.

Flags:
  --output text|json  json: { version, commit, node, target, executable, platform }
  -h, --help          show this help
`;
