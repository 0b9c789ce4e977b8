import * as tf from "@tensorflow/tfjs-core";
import { zipSync } from "fflate";
import { expect, test } from "vitest";
import { tfjsHandler } from "../../src/handlers/tfjs.js";
import { type ModelSpec, TensorSpec } from "../../src/manifest.js";

const spec = (input = "f32"): ModelSpec => ({
  index: 0,
  name: "m",
  format: "tensorflow-js",
  blob: { offset: 0, length: 0 },
  inputs: [new TensorSpec(0, input, [1, 2])],
  outputs: [new TensorSpec(1, "f32", [1, 2])],
  args: {},
});

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
// y = relu(x): one Placeholder, one Relu, no weights
const relu = {
  format: "graph-model",
  modelTopology: {
    node: [
      { name: "x", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" }, shape: { shape: { dim: [{ size: "1" }, { size: "2" }] } } } },
      { name: "y", op: "Relu", input: ["x"], attr: { T: { type: "DT_FLOAT" } } },
    ],
    versions: { producer: 1000 },
  },
  weightsManifest: [],
};

test("tensorflow-js: a zipped model folder loads and runs, synchronously", async () => {
  const handler = await tfjsHandler()(spec(), zipSync({ "model.json": json(relu) }));
  const run = (x: number[]) => {
    handler.setInput(0, new Uint8Array(new Float32Array(x).buffer));
    expect(handler.invoke()).toBeUndefined();
    return Array.from(new Float32Array(handler.getOutput(0).slice().buffer));
  };
  expect(run([-1.5, 2.25])).toEqual([0, 2.25]);
  const live = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) expect(run([i, -i])).toEqual([i, 0]);
  expect(tf.memory().numTensors).toBe(live); // no tensor leaks from run to run
  handler.dispose?.();
  expect(tf.memory().numTensors).toBe(0);
});

test("tensorflow-js: each kind of bad model is one clear ModelError", async () => {
  const load = (blob: Uint8Array, s = spec()) => tfjsHandler()(s, blob);
  const cases: [Promise<unknown>, RegExp][] = [
    [load(json(relu)), /model "m" \(tensorflow-js\) is not a zip of a model folder/],
    [load(zipSync({ "weights.bin": new Uint8Array(4) })), /has no model\.json at the root of its folder/],
    [load(zipSync({ "model.json": new TextEncoder().encode("{nope") })), /model\.json is not JSON/],
    [load(zipSync({ "model.json": json({ format: "graph-model" }) })), /model\.json has no modelTopology/],
    [
      load(zipSync({ "model.json": json({ ...relu, weightsManifest: [{ paths: ["w.bin"], weights: [] }] }) })),
      /weight file "w\.bin" is missing from its folder/,
    ],
    [load(zipSync({ "model.json": json(relu) }), spec("u8")), /has a u8 tensor; TensorFlow\.js tensors are f32 or i32/],
    [load(zipSync({ "model.json": json({ format: "graph-model", modelTopology: { node: "x" } }) })), /cannot be loaded by TensorFlow\.js/],
  ];
  // a zip bomb: a small archive whose central directory declares 600 MiB for its weight file
  const bomb = zipSync({ "model.json": json(relu), "w.bin": new Uint8Array(16) });
  const view = new DataView(bomb.buffer);
  let entry = bomb.byteLength - 4; // the last central directory entry: w.bin's
  while (view.getUint32(entry, true) !== 0x02014b50) entry--;
  view.setUint32(entry + 24, 600 * 2 ** 20, true); // its uncompressed size
  cases.push([load(bomb), /unpacks to more than 536870912 bytes/]);
  for (const [promise, message] of cases) {
    await expect(promise).rejects.toMatchObject({ name: "ModelError", message: expect.stringMatching(message) });
  }
});
