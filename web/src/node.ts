/**
 * The Node entry: the host with file inputs and the handlers loaded from this package's own
 * dependencies. LiteRT.js's loader injects a `<script>` (or calls `importScripts` in a worker);
 * in Node the same file is evaluated with `vm` and handed `require`/`__dirname`, so its
 * Emscripten module reads the package's wasm from disk. Nothing is fetched from the network.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import { Worker } from "node:worker_threads";
import { HandlerRegistry, lazyTfjsHandler } from "./handlers/index.js";
import { onnxHandler } from "./handlers/onnx.js";
import { tfliteHandler } from "./handlers/tflite.js";
import { type LoadOptions, Rune } from "./host.js";
import { setJpegWasm } from "./image.js";
import { RuneWorker, type WorkerLike, type WorkerOptions } from "./worker/client.js";

export * from "./index.js";
export { RuneWorker } from "./worker/client.js";

const require = createRequire(import.meta.url);

/** The directory of `@litertjs/core`'s wasm files in node_modules. */
export function liteRtDirectory(): string {
  return join(dirname(require.resolve("@litertjs/core/package.json")), "wasm") + "/";
}

function installScriptLoader(): void {
  const g = globalThis as Record<string, unknown>;
  g.self ??= globalThis;
  g.importScripts ??= (url: string | URL) => {
    const path = new URL(String(url)).pathname;
    const body = readFileSync(path, "utf8");
    const wrapped = vm.runInThisContext(
      `(function (require, __dirname, __filename) {${body}\n;globalThis.ModuleFactory = ModuleFactory;})`,
      { filename: path },
    ) as (r: NodeRequire, d: string, f: string) => void;
    wrapped(createRequire(path), dirname(path) + "/", path);
  };
}

setJpegWasm(async () =>
  WebAssembly.compile(readFileSync(require.resolve("@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm"))),
);

/** The default handlers in Node: TFLite on LiteRT.js; ONNX on onnxruntime-web, which needs
 * JSPI and so refuses to load under Node 20 with a ModelError that says so; TensorFlow.js models
 * on tfjs's CPU backend. */
export function nodeHandlers(): HandlerRegistry {
  installScriptLoader();
  const ort = pathToFileURL(dirname(require.resolve("onnxruntime-web/wasm")) + "/").href;
  return new HandlerRegistry([
    ["tensorflow-lite", tfliteHandler(pathToFileURL(liteRtDirectory()).href)],
    ["onnx", onnxHandler(ort)],
    ["tensorflow-js", lazyTfjsHandler],
  ]);
}

/** `Rune.load` from a path or bytes, with Node's handlers and file reading. */
export function loadRune(source: string | Uint8Array, options: LoadOptions = {}): Promise<Rune> {
  const bytes = typeof source === "string" ? readFileSync(source) : source;
  return Rune.load(bytes, { handlers: nodeHandlers(), readFile: (p) => readFileSync(p), ...options });
}

/** A `RuneWorker` spawner over Node worker threads running `dist/node-worker.mjs`. */
export function nodeWorker(): WorkerLike {
  const worker = new Worker(new URL("./node-worker.mjs", import.meta.url));
  return {
    post: (request) => worker.postMessage(request),
    onReply: (handler) => worker.on("message", handler),
    onCrash: (handler) => worker.on("error", (e) => handler(e.message)),
    terminate: () => void worker.terminate(),
  };
}

/** Load a rune into a Node worker thread, with the deadline enforced by terminating it. */
export function loadRuneWorker(source: string | Uint8Array, options: WorkerOptions = {}): Promise<RuneWorker> {
  const bytes = typeof source === "string" ? readFileSync(source) : source;
  return RuneWorker.load(nodeWorker, bytes, options);
}
