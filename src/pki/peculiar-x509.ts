// @peculiar/x509, for X.509 work off the request path: `kubeca ca init` and `ca show`, and the node
// client's checks of what it installs. It registers its algorithms through tsyringe, which needs
// reflect-metadata loaded first (a known pitfall); importing it through this file keeps that order.
// Never import this file from the issuance path, and never re-export it from pki/index.ts:
// test/lambda/bundle.test.ts fails when it reaches dist/lambda/http.mjs (docs/design.md says why).
import "reflect-metadata";

export * as x509 from "@peculiar/x509";
