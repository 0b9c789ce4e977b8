// Builds dist/: the Node entry, CLI and worker; the browser entry and worker (everything
// bundled); LiteRT.js's wasm files copied from the package (served from here, never a CDN).
import { build } from "esbuild";
import { cpSync, mkdirSync } from "node:fs";

const common = { bundle: true, format: "esm", sourcemap: true, logLevel: "warning", target: "es2022" };

await build({
  ...common,
  platform: "node",
  packages: "external",
  entryPoints: { node: "src/node.ts", cli: "src/cli.ts", "node-worker": "src/worker/node-worker.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  splitting: true,
  banner: { js: "#!/usr/bin/env node" },
});
await build({
  ...common,
  platform: "browser",
  entryPoints: { browser: "src/browser.ts" },
  outdir: "dist/web",
  outExtension: { ".js": ".mjs" },
  splitting: true,
});
// A classic worker script: LiteRT.js loads its Emscripten glue with importScripts.
await build({
  ...common,
  format: "iife",
  platform: "browser",
  entryPoints: { "browser-worker": "src/worker/browser-worker.ts" },
  outdir: "dist/web",
  logOverride: { "empty-import-meta": "silent" },
});
mkdirSync("dist/web/litert", { recursive: true });
cpSync("node_modules/@litertjs/core/wasm", "dist/web/litert", { recursive: true });
cpSync("node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm", "dist/web/mozjpeg_dec.wasm");

// The test programs import the built package as "rune-web", so they test what ships.
const shipped = (target) => ({
  name: "rune-web",
  setup(b) {
    b.onResolve({ filter: /^rune-web(\/browser)?$/ }, () => ({ path: target, external: true }));
  },
});
await build({
  ...common,
  platform: "node",
  packages: "external",
  entryPoints: { "node-cases": "test/node-cases.ts" },
  outdir: "dist/test",
  outExtension: { ".js": ".mjs" },
  plugins: [shipped("../node.mjs")],
});
await build({
  ...common,
  platform: "browser",
  entryPoints: { "browser-cases": "test/browser-cases.ts" },
  outdir: "dist/test",
  outExtension: { ".js": ".mjs" },
  plugins: [shipped("/dist/web/browser.mjs")],
});
await build({
  ...common,
  platform: "browser",
  entryPoints: { demo: "demo/demo.ts" },
  outdir: "dist/demo",
  outExtension: { ".js": ".mjs" },
  plugins: [shipped("../web/browser.mjs")],
});
cpSync("demo/index.html", "dist/demo/index.html");
