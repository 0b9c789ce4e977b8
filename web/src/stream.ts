/**
 * Streaming by hop, as the Python host's `Rune.stream`: the recording is decoded and resampled
 * once, and a SOUND-sized window slides over it `hopMs` at a time (the last one padded). Each
 * window is the tensor itself, so it can be run in process or posted to a worker.
 */
import { type ResolvedInput, inputError, intArg } from "./capabilities.js";
import { CapabilityError } from "./errors.js";
import type { CapabilitySpec, Manifest } from "./manifest.js";
import * as sound from "./sound.js";

export interface StreamWindow {
  startMs: number;
  window: Uint8Array;
}

/** The SOUND stage to stream into: the one named, or the only one. */
export function soundStage(manifest: Manifest, name?: string): CapabilitySpec {
  const caps = manifest.capabilities.filter((c) => c.kind === "SOUND" && (name === undefined || c.name === name));
  if (caps.length !== 1) {
    const which = name ? `named "${name}"` : "to stream into";
    throw new CapabilityError(
      `streaming needs exactly one SOUND capability ${which} (found: ${caps.map((c) => c.name).join(", ") || "none"})`,
    );
  }
  return caps[0];
}

export function* windows(spec: CapabilitySpec, recording: ResolvedInput, hopMs: number): Generator<StreamWindow> {
  let audio: sound.Audio;
  if (!ArrayBuffer.isView(recording) && recording.kind === "audio") audio = recording.audio;
  else {
    const data = ArrayBuffer.isView(recording)
      ? new Uint8Array(recording.buffer, recording.byteOffset, recording.byteLength)
      : recording.kind === "file"
        ? recording.data
        : null;
    if (!data) throw inputError(spec, "streaming needs a WAV recording");
    try {
      audio = sound.readWav(data);
    } catch (exc) {
      throw inputError(spec, (exc as Error).message, recording instanceof Uint8Array ? "bytes" : (recording as { name: string }).name);
    }
  }
  const rate = intArg(spec, "hz", "frequency") ?? audio.rate;
  const hop = Math.round((hopMs * rate) / 1000);
  if (hop < 1) throw new CapabilityError(`the hop must be at least one sample, got ${hopMs} ms`);
  const etype = spec.tensor.elementType as "i16" | "f32";
  for (const [start, window] of sound.windows(audio, rate, spec.tensor.count, hop, etype)) {
    yield { startMs: (start * 1000) / rate, window };
  }
}
