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

const CORE = `export { Rune, HandlerRegistry, defaultRegistry, renderJson } from "./src/index.ts";`;
const runtime = await js(CORE);
const withTflite = await js(`${CORE}\nexport { tfliteHandler } from "./src/handlers/tflite.ts";`);
const withOnnx = await js(`${CORE}\nexport { onnxHandler } from "./src/handlers/onnx.ts";`);
const withTfjs = await js(`${CORE}\nexport { tfjsHandler } from "./src/handlers/tfjs.ts";`);
const sum = (...parts) => ({ raw: parts.reduce((a, p) => a + p.raw, 0), gzip: parts.reduce((a, p) => a + p.gzip, 0) });
process.stdout.write(
  JSON.stringify({
    runtime,
    "runtime + tflite handler": withTflite,
    "runtime + onnx handler": withOnnx,
    "runtime + tfjs handler (tfjs-core, CPU backend, converter, layers; no wasm)": withTfjs,
    "LiteRT.js wasm (litert_wasm_internal.wasm + glue)": sum(
      file("dist/web/litert/litert_wasm_internal.wasm"),
      file("dist/web/litert/litert_wasm_internal.js"),
    ),
    "onnxruntime-web wasm (ort-wasm-simd-threaded.wasm + glue)": sum(
      file("dist/web/ort/ort-wasm-simd-threaded.wasm"),
      file("dist/web/ort/ort-wasm-simd-threaded.mjs"),
    ),
    "JPEG decoder wasm (mozjpeg_dec.wasm)": file("dist/web/mozjpeg_dec.wasm"),
  }) + "\n",
);
