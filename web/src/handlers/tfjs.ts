/**
 * TensorFlow.js models (`format: tensorflow-js`) on `@tensorflow/tfjs-core` with its CPU backend,
 * `@tensorflow/tfjs-converter` for graph models and `@tensorflow/tfjs-layers` for layers models.
 *
 * A TensorFlow.js model is a folder (model.json and its weight shards); the compiler stores a
 * model folder as a zip archive of it (docs/abi.md, "TensorFlow.js models"), which this handler
 * opens in memory: model.json at the archive's root, each `weightsManifest` path beside it. The
 * weights are concatenated group by group, shard by shard, as tfjs's own HTTP loader does.
 * The CPU backend's kernels and `dataSync` are synchronous, so `invoke` is synchronous too (no
 * JSPI needed: it runs in Node 20 as in Chromium). tfjs tensors are float32, int32 or bool, so
 * a model's tensors must be f32 or i32.
 */
import { type GraphModel, loadGraphModel } from "@tensorflow/tfjs-converter";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { loadLayersModel } from "@tensorflow/tfjs-layers";
import { unzipSync } from "fflate";
import { ModelError } from "../errors.js";
import type { ModelSpec } from "../manifest.js";
import { typedArray } from "../outputs.js";
import type { HandlerFactory, ModelHandler } from "./index.js";

const DTYPES: Record<string, "float32" | "int32"> = { f32: "float32", i32: "int32" };

/** The most a model folder may unpack to: the host's default model-size limit (512 MiB). */
export const MAX_UNPACKED_BYTES = 512 * 2 ** 20;

type Model = GraphModel | Awaited<ReturnType<typeof loadLayersModel>>;

interface ModelJson {
  format?: string;
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  [key: string]: unknown;
}

/** The model's artifacts (topology and weights) from the blob: a zip of the model's folder. */
export function readArtifacts(name: string, blob: Uint8Array): tf.io.ModelArtifacts {
  let files: Record<string, Uint8Array>;
  let unpacked = 0;
  try {
    // The sizes the archive declares bound what fflate inflates (it never grows its output), so
    // summing them stops a zip bomb in a hostile rune before any memory is taken.
    files = unzipSync(blob, {
      filter: (file) => {
        unpacked += file.originalSize;
        if (unpacked > MAX_UNPACKED_BYTES) {
          throw new ModelError(
            `model "${name}" (tensorflow-js) unpacks to more than ${MAX_UNPACKED_BYTES} bytes`,
          );
        }
        return true;
      },
    });
  } catch (exc) {
    if (exc instanceof ModelError) throw exc;
    throw new ModelError(
      `model "${name}" (tensorflow-js) is not a zip of a model folder (model.json and its weight files): ${(exc as Error).message}`,
    );
  }
  const text = files["model.json"];
  if (!text) throw new ModelError(`model "${name}" (tensorflow-js) has no model.json at the root of its folder`);
  let json: ModelJson;
  try {
    json = JSON.parse(new TextDecoder().decode(text)) as ModelJson;
  } catch (exc) {
    throw new ModelError(`model "${name}" (tensorflow-js): model.json is not JSON: ${(exc as Error).message}`);
  }
  if (typeof json !== "object" || json === null || typeof json.modelTopology !== "object") {
    throw new ModelError(`model "${name}" (tensorflow-js): model.json has no modelTopology`);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const shards: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const path of group.paths ?? []) {
      const shard = files[path];
      if (!shard) throw new ModelError(`model "${name}" (tensorflow-js): weight file "${path}" is missing from its folder`);
      shards.push(shard);
    }
    weightSpecs.push(...(group.weights ?? []));
  }
  const weightData = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
  let at = 0;
  for (const shard of shards) {
    weightData.set(shard, at);
    at += shard.byteLength;
  }
  const { weightsManifest: _, ...rest } = json;
  return { ...(rest as tf.io.ModelArtifacts), weightSpecs, weightData: weightData.buffer };
}

class TfjsHandler implements ModelHandler {
  private readonly inputs: tf.Tensor[] = [];
  private outputs: Uint8Array[] = [];
  constructor(
    private readonly model: Model,
    private readonly graph: boolean,
    private readonly spec: ModelSpec,
  ) {}

  setInput(slot: number, data: Uint8Array): void {
    const t = this.spec.inputs[slot];
    this.inputs[slot]?.dispose();
    // a copy: `data` is guest memory
    this.inputs[slot] = tf.tensor(typedArray(t.elementType, data) as Float32Array | Int32Array, t.dimensions, DTYPES[t.elementType]);
  }

  invoke(): void {
    const results = tf.tidy(() => {
      const out = this.graph
        ? (this.model as GraphModel).execute(this.inputs)
        : (this.model as tf.InferenceModel).predict(this.inputs.length === 1 ? this.inputs[0] : this.inputs, {});
      return Array.isArray(out) ? out : [out as tf.Tensor];
    });
    try {
      if (results.length !== this.spec.outputs.length) {
        throw new ModelError(`model "${this.spec.name}" gave ${results.length} outputs but the manifest declares ${this.spec.outputs.length}`);
      }
      this.outputs = results.map((tensor, slot) => {
        const want = this.spec.outputs[slot];
        if (tensor.dtype !== DTYPES[want.elementType] || tensor.size !== want.count) {
          throw new ModelError(
            `model "${this.spec.name}" output ${slot} is ${tensor.dtype}[${tensor.shape.join(",")}] but the manifest declares ${want.describe()}`,
          );
        }
        const data = tensor.dataSync() as Float32Array | Int32Array;
        return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
      });
    } finally {
      tf.dispose(results);
    }
  }

  getOutput(slot: number): Uint8Array {
    return this.outputs[slot];
  }

  dispose(): void {
    tf.dispose(this.inputs);
    this.model.dispose();
  }
}

let backend: Promise<void> | null = null;

/** tfjs's CPU backend, once. Its first tensor write in Node prints a banner to stderr (install
 * tfjs-node) unless PROD is set: that write is made here with PROD set for its duration only,
 * so `rune-web run` prints the JSON and nothing else, and the embedder's flag is left alone. */
async function cpuBackend(): Promise<void> {
  await tf.setBackend("cpu");
  await tf.ready();
  const prod = tf.env().getBool("PROD");
  tf.env().set("PROD", true);
  try {
    tf.tensor([0]).dispose();
  } finally {
    tf.env().set("PROD", prod);
  }
}

/** The `tensorflow-js` handler factory (the CPU backend is pure JavaScript: nothing to serve). */
export function tfjsHandler(): HandlerFactory {
  return async (spec, blob) => {
    for (const t of [...spec.inputs, ...spec.outputs]) {
      if (!(t.elementType in DTYPES)) {
        throw new ModelError(`model "${spec.name}" has a ${t.elementType} tensor; TensorFlow.js tensors are f32 or i32`);
      }
    }
    backend ??= cpuBackend();
    await backend;
    const artifacts = readArtifacts(spec.name, blob);
    const graph = artifacts.format !== "layers-model";
    let model: Model;
    try {
      const handler = tf.io.fromMemory(artifacts);
      model = graph ? await loadGraphModel(handler) : await loadLayersModel(handler);
    } catch (exc) {
      throw new ModelError(`model "${spec.name}" cannot be loaded by TensorFlow.js: ${(exc as Error).message ?? exc}`);
    }
    const nIn = model.inputs.length;
    const nOut = model.outputs.length;
    if (nIn !== spec.inputs.length || nOut !== spec.outputs.length) {
      model.dispose();
      throw new ModelError(
        `model "${spec.name}" has ${nIn} inputs and ${nOut} outputs but the manifest declares ${spec.inputs.length} and ${spec.outputs.length}`,
      );
    }
    return new TfjsHandler(model, graph, spec);
  };
}
