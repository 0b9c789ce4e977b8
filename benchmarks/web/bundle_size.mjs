// `node bundle_size.mjs`: gzip sizes of the browser runtime alone and with each handler, as a
// page would load them: the minified JS (esbuild) and the wasm files each part fetches.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
// The package's own dependencies (web/node_modules), resolved from web/.
const { build } = createRequire(new URL("../../web/package.json", import.meta.url))("esbuild");

const WEB = new URL("../../web/", import.meta.url).pathname;
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

async function js(contents) {
  const result = await build({
    stdin: { contents, resolveDir: WEB, loader: "ts" },
    bundle: true, minify: true, format: "esm", platform: "browser", write: false, logLevel: "silent",
  });
  const bytes = result.outputFiles[0].contents;
  return { raw: bytes.length, gzip: gz(bytes) };
}

const file = (p) => {
  const bytes = readFileSync(WEB + p);
  return { raw: bytes.length, gzip: gz(bytes) };
};

const runtime = await js(`export { Rune, HandlerRegistry, defaultRegistry, renderJson } from "./src/index.ts";`);
const withTflite = await js(`export { Rune, HandlerRegistry, defaultRegistry, renderJson } from "./src/index.ts";
export { tfliteHandler } from "./src/handlers/tflite.ts";`);
process.stdout.write(
  JSON.stringify({
    runtime,
    "runtime + tflite handler": withTflite,
    "LiteRT.js wasm (litert_wasm_internal.wasm + glue)": {
      raw: file("dist/web/litert/litert_wasm_internal.wasm").raw + file("dist/web/litert/litert_wasm_internal.js").raw,
      gzip: file("dist/web/litert/litert_wasm_internal.wasm").gzip + file("dist/web/litert/litert_wasm_internal.js").gzip,
    },
    "JPEG decoder wasm (mozjpeg_dec.wasm)": file("dist/web/mozjpeg_dec.wasm"),
  }) + "\n",
);
