# syntax=docker/dockerfile:1
# kubeca's container image, for `kubeca serve` and `kubeca kubelet-signer` (docs/deploy.md):
#   docker build -t REGISTRY/kubeca:0.1.0 --build-arg KUBECA_COMMIT=$(git rev-parse --short=12 HEAD) .
# The final stage holds Node 22, the compiled CLI and the production dependencies (only the packages the
# bundle leaves external: pkcs11js, the PKCS#11 signer's native addon). It runs as a non-root user and writes nothing
# outside its volumes, so it runs with a read-only root file system.

# The Node 22 of tools/node22 (a test keeps the two equal).
ARG NODE_VERSION=22.23.5

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/ scripts/
COPY src/ src/
# No .git in the build context: the commit kubeca --version reports comes from this argument.
ARG KUBECA_COMMIT=
RUN KUBECA_COMMIT=${KUBECA_COMMIT} node scripts/build.mjs cli

FROM node:${NODE_VERSION}-bookworm-slim AS production-dependencies
# pkcs11js compiles at install (node-gyp): the compiler stays in this stage, only its output moves on.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && mkdir -p node_modules

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
# V8 grows the young generation of a busy serve process to two 16 MiB semi-spaces; at 8 MiB a process
# held 4-17 MiB less RSS under load, CPU per request within the noise (docs/architecture.md). Every node
# process of the image starts with it: `serve`, its primary and its workers, and the other commands.
ENV NODE_OPTIONS=--max-semi-space-size=8
WORKDIR /opt/kubeca
COPY --from=production-dependencies /src/node_modules/ node_modules/
COPY --from=build /src/dist/cli/ dist/cli/
# The uid and gid infra/kubernetes/deployment.yaml runs as.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["node", "/opt/kubeca/dist/cli/kubeca.mjs"]
CMD ["--help"]
