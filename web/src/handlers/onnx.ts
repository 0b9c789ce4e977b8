/**
 * ONNX models on onnxruntime-web (its wasm CPU backend, one thread), served from the package.
 *
 * `InferenceSession.run` is asynchronous, and a rune calls `model_invoke` from inside
 * `rune_run`; so this handler is `async` and the host links `model_invoke` through WebAssembly
 * JavaScript Promise Integration (JSPI: `WebAssembly.Suspending` / `promising`), which Chromium
 * ships (137 and later) and Node 20 does not: there, loading such a rune is a ModelError that
 * says so. Symbolic dimensions take the manifest's sizes, as in the Python host.
 */
import * as ort from "onnxruntime-web/wasm";
import { ModelError } from "../errors.js";
import type { ModelSpec, TensorSpec } from "../manifest.js";
import { typedArray } from "../outputs.js";
import type { HandlerFactory, ModelHandler } from "./index.js";

const TYPES: Record<string, ort.Tensor.Type> = {
  u8: "uint8",
  i8: "int8",
  u16: "uint16",
  i16: "int16",
  u32: "uint32",
  i32: "int32",
  i64: "int64",
  u64: "uint64",
  f32: "float32",
  f64: "float64",
};

class OnnxHandler implements ModelHandler {
  readonly async = true;
  private readonly feeds: Record<string, ort.Tensor> = {};
  private outputs: Uint8Array[] = [];
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly spec: ModelSpec,
  ) {}

  setInput(slot: number, data: Uint8Array): void {
    const t: TensorSpec = this.spec.inputs[slot];
    const array = typedArray(t.elementType, data) as ort.Tensor.DataType; // a copy: `data` is guest memory
    this.feeds[this.session.inputNames[slot]] = new ort.Tensor(TYPES[t.elementType], array, t.dimensions);
  }

  async invoke(): Promise<void> {
    const results = await this.session.run(this.feeds);
    this.outputs = this.session.outputNames.map((name) => {
      const data = results[name].data as ArrayBufferView;
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    });
  }

  getOutput(slot: number): Uint8Array {
    return this.outputs[slot];
  }

  dispose(): void {
    void this.session.release();
  }
}

/** The `onnx` handler factory, loading onnxruntime-web's wasm from `location` (a directory URL). */
export function onnxHandler(location: string): HandlerFactory {
  return async (spec, blob) => {
    if (typeof (WebAssembly as { Suspending?: unknown }).Suspending !== "function") {
      throw new ModelError(
        `model "${spec.name}" (onnx) runs on onnxruntime-web, whose inference is asynchronous; ` +
          "calling it from a rune needs WebAssembly JSPI (WebAssembly.Suspending), which this engine lacks",
      );
    }
    for (const t of [...spec.inputs, ...spec.outputs]) {
      if (!(t.elementType in TYPES)) {
        throw new ModelError(`model "${spec.name}" has a ${t.elementType} tensor, which onnxruntime-web cannot take`);
      }
    }
    ort.env.wasm.wasmPaths = location;
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(new Uint8Array(blob), { executionProviders: ["wasm"] });
    } catch (exc) {
      throw new ModelError(`model "${spec.name}" cannot be loaded by onnxruntime-web: ${(exc as Error).message ?? exc}`);
    }
    if (session.inputNames.length !== spec.inputs.length || session.outputNames.length !== spec.outputs.length) {
      throw new ModelError(
        `model "${spec.name}" has ${session.inputNames.length} inputs and ${session.outputNames.length} outputs but the manifest declares ${spec.inputs.length} and ${spec.outputs.length}`,
      );
    }
    return new OnnxHandler(session, spec);
  };
}
