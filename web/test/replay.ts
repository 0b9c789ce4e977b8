/**
 * A handler registry that replays the model calls the Python host recorded for one run: each
 * `setInput` is compared byte for byte with what the Python host gave the model, and each
 * `getOutput` returns what the model gave the Python host. With it, every output of a run is
 * the kernels' work alone, so it must equal the Python host's exactly.
 */
import { HandlerRegistry, type ModelHandler } from "rune-web";

export interface Call {
  inputs: string[]; // base64
  outputs: string[];
}

export const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

export function replayHandlers(recording: Call[][], mismatches: string[]): HandlerRegistry {
  const registry = new HandlerRegistry();
  const factory = async (spec: { index: number; name: string }): Promise<ModelHandler> => {
    const calls = recording[spec.index] ?? [];
    let call = 0;
    return {
      setInput(slot, data) {
        const want = calls[call]?.inputs[slot];
        if (want === undefined) mismatches.push(`model "${spec.name}" call ${call}: no recorded input ${slot}`);
        else if (!same(fromBase64(want), data)) {
          mismatches.push(`model "${spec.name}" call ${call}: input ${slot} differs from the Python host's`);
        }
      },
      invoke() {
        call += 1;
      },
      getOutput(slot) {
        return fromBase64(calls[call - 1]?.outputs[slot] ?? "");
      },
    };
  };
  for (const format of ["tensorflow-lite", "onnx", "tensorflow-js", "tensorflow"]) registry.register(format, factory);
  return registry;
}
