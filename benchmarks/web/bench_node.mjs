// `node bench_node.mjs spec.json`: per-inference medians (µs, over blocks of runs) of each rune
// in Node, fed the
// the tensors the Python host's feeders made (so every host times the same work: one `run`).
import { readFileSync } from "node:fs";
import { HandlerRegistry, Rune, loadRune } from "../../web/dist/node.mjs";

/** Shared with bench_browser.mjs (which passes it to the page as source: self-contained). */
export async function bench(load, spec) {
  const ARRAYS = { u8: Uint8Array, i8: Int8Array, i16: Int16Array, f32: Float32Array };
  const out = {};
  for (const r of spec.runes) {
    const rune = await load(r.bytes);
    const inputs = Object.fromEntries(
      r.inputs.map(([name, type, b64]) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        return [name, new ARRAYS[type](bytes.buffer)];
      }),
    );
    for (let i = 0; i < spec.warmup; i++) await rune.run(inputs);
    // Blocks of `batch` runs: a page's clock is coarse (100 µs without cross-origin isolation).
    const times = [];
    for (let i = 0; i < r.blocks; i++) {
      const t0 = performance.now();
      for (let j = 0; j < r.batch; j++) await rune.run(inputs);
      times.push((performance.now() - t0) / r.batch);
    }
    times.sort((a, b) => a - b);
    out[r.name] = times[Math.floor(times.length / 2)] * 1000;
  }
  return out;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
  for (const r of spec.runes) r.bytes = readFileSync(r.path);
  const out = await bench((b) => loadRune(b), spec);
  // The host alone: the sine rune with a model handler that does nothing.
  const idle = async (spec) => ({ setInput() {}, invoke() {}, getOutput: () => new Uint8Array(spec.outputs[0].nbytes) });
  const handlers = new HandlerRegistry([["tensorflow-lite", idle]]);
  const sine = { ...spec, runes: spec.runes.filter((r) => r.name === "sine") };
  out["sine, host only"] = (await bench((b) => Rune.load(b, { handlers }), sine)).sine;
  process.stdout.write(JSON.stringify(out) + "\n");
}
