import { expect, test } from "vitest";
import { Pcg64, randomTensor } from "../../src/rng.js";
import { hex, python } from "./python.js";

const TYPES = ["f32", "f64", "u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64"];
const SEEDS = [0, 1, 42, 12345, 2 ** 32 + 5, 2 ** 40 + 7];

test("RAND draws NumPy's default_rng(seed) bytes for every element type", () => {
  const expected = python<Record<string, string[]>>(`
import json, numpy as np
from rune.runtime.capabilities import rand_factory
from rune.runtime.manifest import CapabilitySpec, TensorSpec
out = {}
for seed in ${JSON.stringify(SEEDS)}:
    rng = np.random.default_rng(seed)
    feeds = [rand_factory(CapabilitySpec(index=0, name="r", kind="RAND", outputs=(
                 TensorSpec(id=0, element_type=t, dimensions=(n,)),)), rng)
             for t, n in zip(${JSON.stringify(TYPES)}, range(3, 13))]
    out[str(seed)] = [np.ascontiguousarray(f(None)).tobytes().hex() for f in feeds * 2]
print(json.dumps(out))
`);
  for (const seed of SEEDS) {
    const rng = new Pcg64(BigInt(seed));
    const ours = [...TYPES, ...TYPES].map((t, i) => hex(randomTensor(rng, t, 3 + (i % TYPES.length))));
    expect(ours).toEqual(expected[String(seed)]);
  }
});
