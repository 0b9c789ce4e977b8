// Builds dist/: the Node entry, CLI and worker (dist/); the browser entry and its classic worker
// (dist/web/, with LiteRT.js's and the JPEG decoder's wasm copied from their packages: served
// from here, never a CDN); the demo (dist/demo/); the test programs (dist/test/).
import { build } from "esbuild";
import { chmodSync, cpSync, mkdirSync } from "node:fs";

/** One bundle: `node` or `browser` ESM modules (`.mjs`), or a classic script (`iife`). */
const bundle = (platform, entryPoints, outdir, extra = {}) =>
  build({
    bundle: true,
    format: "esm",
    sourcemap: true,
    logLevel: "warning",
    target: "es2022",
    platform,
    entryPoints,
    outdir,
    outExtension: extra.format === "iife" ? {} : { ".js": ".mjs" },
    ...(platform === "node" ? { packages: "external" } : {}),
    ...extra,
  });

// The test programs and the demo import the built package as "rune-web", so they use what ships.
const shipped = (target) => ({
  plugins: [
    {
      name: "rune-web",
      setup(b) {
        b.onResolve({ filter: /^rune-web(\/browser)?$/ }, () => ({ path: target, external: true }));
      },
    },
  ],
});

await bundle("node", { node: "src/node.ts", cli: "src/cli.ts", "node-worker": "src/worker/node-worker.ts" }, "dist", {
  splitting: true,
  banner: { js: "#!/usr/bin/env node" },
});
chmodSync("dist/cli.mjs", 0o755); // the package's bin (`npx rune-web`)
await bundle("browser", { browser: "src/browser.ts" }, "dist/web", { splitting: true });
// A classic worker script: LiteRT.js loads its Emscripten glue with importScripts.
await bundle("browser", { "browser-worker": "src/worker/browser-worker.ts" }, "dist/web", {
  format: "iife",
  logOverride: { "empty-import-meta": "silent" },
});
mkdirSync("dist/web/litert", { recursive: true });
cpSync("node_modules/@litertjs/core/wasm", "dist/web/litert", { recursive: true });
cpSync("node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm", "dist/web/mozjpeg_dec.wasm");
mkdirSync("dist/web/ort", { recursive: true });
for (const f of ["ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"]) {
  cpSync(`node_modules/onnxruntime-web/dist/${f}`, `dist/web/ort/${f}`);
}

await bundle("browser", { demo: "demo/demo.ts" }, "dist/demo", shipped("../web/browser.mjs"));
cpSync("demo/index.html", "dist/demo/index.html");
await bundle("node", { "node-cases": "test/node-cases.ts" }, "dist/test", shipped("../node.mjs"));
await bundle("browser", { "browser-cases": "test/browser-cases.ts" }, "dist/test", shipped("/dist/web/browser.mjs"));
