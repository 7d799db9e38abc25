// `npm run bench`: every benchmark in turn. Figures only; nothing here passes or fails on time.
import { benchHttp } from "./http.bench.js";
import { benchPki } from "./pki.bench.js";

await benchPki(1.5);
await benchHttp();
