/**
 * TFLite models on LiteRT.js (`@litertjs/core`), its XNNPACK CPU path in WebAssembly.
 *
 * The handler drives LiteRT.js's own wasm bindings (`LiteRt.liteRtWasm`: loadModel,
 * compileModel, managed host-memory tensor buffers) rather than its `CompiledModel` wrapper,
 * because the wrapper (2.5.3) only admits float32, int32 and uint8 tensors and refuses to load
 * a model with an int8 tensor (microspeech's); the bindings carry every element type. Buffers
 * are made once per model from the model's own tensor types and reused for every run. The
 * single-threaded, non-JSPI build is used, whose `run` is synchronous, as an import must be.
 */
import { type LiteRt, loadLiteRt } from "@litertjs/core";
import { ModelError } from "../errors.js";
import type { ModelSpec } from "../manifest.js";
import type { HandlerFactory, ModelHandler } from "./index.js";

type Wasm = LiteRt["liteRtWasm"];
type Buffer = ReturnType<Wasm["LiteRtTensorBuffer"]["createManaged"]>;
type TensorType = ReturnType<ReturnType<Wasm["loadModel"]>["getInputTensorType"]>;

let loading: Promise<LiteRt> | null = null;

/** LiteRT's own progress lines (environment, accelerators, delegates), not the caller's news. */
const CHATTER = /^(INFO: |WARNING: \[|Failed to create default WebGPU device)/;
type Method = "log" | "info" | "warn" | "error" | "debug";

/** Load LiteRT.js's wasm once per page or process, from `location` (a directory URL). Its
 * Emscripten module binds the console's methods while it loads, so filtered ones are handed to
 * it then, and the console is restored afterwards. */
export function liteRt(location: string): Promise<LiteRt> {
  if (loading) return loading;
  const saved = new Map<Method, (...args: unknown[]) => void>();
  for (const method of ["log", "info", "warn", "error", "debug"] as Method[]) {
    const original = console[method];
    saved.set(method, original);
    console[method] = (...args: unknown[]) => {
      if (!CHATTER.test(String(args[0]))) original.apply(console, args);
    };
  }
  // In a browser, Emscripten finds its .wasm beside the glue script only through
  // `document.currentScript`, which a worker lacks: tell it where the files are.
  const g = globalThis as { process?: { versions?: { node?: string } }; Module?: unknown; location?: Location };
  if (!g.process?.versions?.node) {
    const base = new URL(location, g.location?.href);
    g.Module = { locateFile: (file: string) => new URL(file, base).href };
  }
  loading = loadLiteRt(location, { threads: false, jspi: false })
    .catch((exc) => {
      loading = null;
      throw new ModelError(`cannot load LiteRT.js from ${location}: ${(exc as Error).message ?? exc}`);
    })
    .finally(() => {
      for (const [method, original] of saved) console[method] = original;
    });
  return loading;
}

function dims(type: TensorType): number[] {
  const layout = type.layout();
  const vec = layout.dimensions();
  const out: number[] = [];
  for (let i = 0; i < vec.size(); i++) out.push(vec.get(i) as number);
  vec.delete();
  layout.delete();
  return out;
}

class TfliteHandler implements ModelHandler {
  private outputs: Uint8Array[] = [];
  constructor(
    private readonly wasm: Wasm,
    private readonly compiled: ReturnType<Wasm["compileModel"]> & object & { run: Function },
    private readonly inputs: Buffer[],
    private readonly release: () => void,
  ) {}

  setInput(slot: number, data: Uint8Array): void {
    const buffer = this.inputs[slot];
    const ptr = buffer.lock(this.wasm.LiteRtTensorBufferLockMode.WRITE);
    try {
      this.wasm.HEAPU8.set(data, ptr);
    } finally {
      buffer.unlock();
    }
  }

  invoke(): void {
    const result = this.compiled.run(0, this.inputs) as Buffer[];
    if (result instanceof Promise) throw new ModelError("LiteRT.js returned a promise (JSPI build)");
    try {
      this.outputs = result.map((buffer) => {
        const ptr = buffer.lock(this.wasm.LiteRtTensorBufferLockMode.READ);
        try {
          return this.wasm.HEAPU8.slice(ptr, ptr + buffer.packedSize());
        } finally {
          buffer.unlock();
        }
      });
    } finally {
      for (const buffer of result) buffer.delete();
    }
  }

  getOutput(slot: number): Uint8Array {
    return this.outputs[slot];
  }

  dispose(): void {
    for (const buffer of this.inputs) buffer.delete();
    this.release();
  }
}

/** The `tensorflow-lite` handler factory, loading LiteRT.js from `location`. */
export function tfliteHandler(location: string): HandlerFactory {
  return async (spec: ModelSpec, blob: Uint8Array) => {
    const lrt = await liteRt(location);
    const wasm = lrt.liteRtWasm;
    const environment = lrt.getDefaultEnvironment();
    const env = (environment as unknown as { liteRtEnvironment: Parameters<Wasm["loadModel"]>[0] }).liteRtEnvironment;
    const ptr = wasm._malloc(blob.byteLength);
    wasm.HEAPU8.set(blob, ptr);
    let model: ReturnType<Wasm["loadModel"]>;
    let compiled: Awaited<ReturnType<Wasm["compileModel"]>>;
    try {
      model = wasm.loadModel(env, ptr, blob.byteLength);
      compiled = await wasm.compileModel(env, model, {
        environment,
        accelerator: "wasm",
        cpuOptions: { numThreads: 1 },
        gpuOptions: {},
        webNNOptions: {},
      } as Parameters<Wasm["compileModel"]>[2]);
    } catch (exc) {
      wasm._free(ptr);
      throw new ModelError(`model "${spec.name}" cannot be loaded by LiteRT.js: ${(exc as Error).message ?? exc}`);
    }
    const check = (what: "input" | "output", index: number, type: TensorType) => {
      const want = what === "input" ? spec.inputs[index] : spec.outputs[index];
      const shape = dims(type);
      if (!want || type.bytes() !== want.nbytes) {
        const declared = want ? `${want.describe()} (${want.nbytes} bytes)` : "nothing";
        throw new ModelError(
          `model "${spec.name}" ${what} ${index} is [${shape.join(",")}] (${type.bytes()} bytes) but the manifest declares ${declared}`,
        );
      }
    };
    const signature = model.getSignature(0);
    const nIn = signature.inputNames().size();
    const nOut = signature.outputNames().size();
    signature.delete();
    if (nIn !== spec.inputs.length || nOut !== spec.outputs.length) {
      throw new ModelError(
        `model "${spec.name}" has ${nIn} inputs and ${nOut} outputs but the manifest declares ${spec.inputs.length} and ${spec.outputs.length}`,
      );
    }
    const inputs: Buffer[] = [];
    for (let i = 0; i < nIn; i++) {
      const type = model.getInputTensorType(0, i);
      check("input", i, type);
      inputs.push(
        wasm.LiteRtTensorBuffer.createManaged(env, wasm.LiteRtTensorBufferType.HOST_MEMORY, type, type.bytes()),
      );
      type.delete();
    }
    for (let i = 0; i < nOut; i++) {
      const type = model.getOutputTensorType(0, i);
      check("output", i, type);
      type.delete();
    }
    return new TfliteHandler(wasm, compiled as never, inputs, () => {
      compiled.delete();
      model.delete();
      wasm._free(ptr);
    });
  };
}
