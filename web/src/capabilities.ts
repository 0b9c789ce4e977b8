/**
 * Capability inputs: a caller's file, bytes, array, image or recording into the exact bytes a
 * rune reads, with the Python host's semantics (runtime/capabilities.py). A registry maps a kind
 * to a factory; the factory checks the stage's arguments once at load time and returns a feeder.
 */
import { CAPABILITY_KINDS, EXTENSIONS, SOURCE_GROUPS } from "./abi.js";
import * as accel from "./accel.js";
import { CapabilityError } from "./errors.js";
import * as image from "./image.js";
import type { CapabilitySpec, Manifest } from "./manifest.js";
import { Registry } from "./registry.js";
import { type Pcg64, randomTensor } from "./rng.js";
import * as sound from "./sound.js";

/** A file's contents, decoded by kind (what a path is to the Python host). */
export interface FileInput {
  kind: "file";
  name: string;
  data: Uint8Array;
}
/** Decoded pixels (from an `<img>`, a canvas or the camera): resized and converted. */
export interface PixelsInput {
  kind: "pixels";
  pixels: image.Pixels;
}
/** A decoded recording (from the microphone or Web Audio): resampled and fitted. */
export interface AudioInput {
  kind: "audio";
  audio: sound.Audio;
}
/**
 * What a caller may hand in for one capability stage: a typed array (the tensor itself), a
 * Uint8Array (the tensor's bytes, or a WAV/PNG/JPEG file if it starts like one), a file, pixels,
 * a recording, or a string path (Node only; read by the host).
 */
export type InputValue = ArrayBufferView | FileInput | PixelsInput | AudioInput | string;
export type ResolvedInput = Exclude<InputValue, string>;
/** Turns one run's input (undefined when none was given) into the tensor's bytes. */
export type Feeder = (value: ResolvedInput | undefined) => Uint8Array | Promise<Uint8Array>;
export type CapabilityFactory = (spec: CapabilitySpec, rng: Pcg64) => Feeder;

export function inputError(spec: CapabilitySpec, reason: string, where?: string): CapabilityError {
  const source = where ? ` from ${where}` : "";
  return new CapabilityError(`Unable to load the "${spec.kind}" input for stage "${spec.name}"${source}: ${reason}`);
}

const missing = (spec: CapabilitySpec) => inputError(spec, "no input was given");
const argError = (spec: CapabilitySpec, reason: string) =>
  new CapabilityError(`capability ${spec.kind} of stage "${spec.name}": ${reason}`);

/** An integer Runefile argument under the first of `names` present (numbers may be strings). */
export function intArg(spec: CapabilitySpec, ...names: string[]): number | undefined {
  for (const name of names) {
    if (name in spec.args) {
      const value = spec.args[name];
      if (typeof value === "string" && /^\s*\d+\s*$/.test(value)) return Number(value);
      if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
      throw argError(spec, `argument ${name}=${JSON.stringify(value)} is not a non-negative integer`);
    }
  }
  return undefined;
}

function requireTypes(spec: CapabilitySpec, ...types: string[]): void {
  if (!types.includes(spec.tensor.elementType)) {
    throw argError(spec, `its tensor is ${spec.tensor.describe()}, but ${spec.kind} produces ${types.join(" or ")}`);
  }
}

/** The little-endian bytes of a typed array (JS engines are little-endian). */
export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function isFile(value: ResolvedInput): value is FileInput {
  return (value as FileInput).kind === "file";
}

/** (decoded file, true) for a file or bytes in the format; (the tensor's bytes, false) else. */
function media<T>(
  spec: CapabilitySpec,
  value: ResolvedInput | undefined,
  recognise: (d: Uint8Array) => boolean,
  decode: (d: Uint8Array) => T,
): [T | Uint8Array, boolean] {
  if (value === undefined) throw missing(spec);
  if (ArrayBuffer.isView(value)) {
    if (!(value instanceof Uint8Array) || !recognise(value)) return [bytesOf(value), false];
    return [decodeOrFail(spec, () => decode(value), "bytes"), true];
  }
  if (isFile(value)) return [decodeOrFail(spec, () => decode(value.data), value.name), true];
  throw inputError(spec, `unsupported input ${value.kind} for ${spec.kind}`);
}

function decodeOrFail<T>(spec: CapabilitySpec, decode: () => T, where: string): T {
  const fail = (exc: unknown) => inputError(spec, (exc as Error).message, where);
  try {
    const value = decode();
    return (value instanceof Promise ? value.catch((exc) => Promise.reject(fail(exc))) : value) as T;
  } catch (exc) {
    throw fail(exc);
  }
}

export const rawFactory: CapabilityFactory = (spec) => {
  if (spec.tensor.elementType === "utf8") {
    throw argError(spec, "cannot fill a utf8 tensor (its elements are pointers into the rune's memory)");
  }
  const length = intArg(spec, "length");
  return (value) => {
    if (value === undefined) throw missing(spec);
    let data: Uint8Array;
    if (ArrayBuffer.isView(value)) data = bytesOf(value);
    else if (isFile(value)) data = value.data;
    else throw inputError(spec, `unsupported input ${value.kind} for RAW`);
    return length === undefined ? data : data.subarray(0, length);
  };
};

export const randFactory: CapabilityFactory = (spec, rng) => {
  if (spec.tensor.elementType === "utf8") throw argError(spec, "cannot make random utf8");
  return (value) => {
    if (value !== undefined) throw inputError(spec, "RAND takes no input; use the seed instead");
    return randomTensor(rng, spec.tensor.elementType, spec.tensor.count);
  };
};

export const soundFactory: CapabilityFactory = (spec) => {
  requireTypes(spec, "i16", "f32");
  const count = spec.tensor.count;
  const hz = intArg(spec, "hz", "frequency");
  const ms = intArg(spec, "sample_duration_ms");
  if (hz !== undefined && ms !== undefined && Math.floor((hz * ms) / 1000) !== count) {
    throw argError(
      spec,
      `hz=${hz} and sample_duration_ms=${ms} make ${Math.floor((hz * ms) / 1000)} samples but its tensor ${spec.tensor.describe()} holds ${count}`,
    );
  }
  const etype = spec.tensor.elementType as "i16" | "f32";
  return (value) => {
    if (value !== undefined && !ArrayBuffer.isView(value) && value.kind === "audio") {
      return sound.fit(value.audio, hz ?? value.audio.rate, count, etype);
    }
    const [audio, decoded] = media(spec, value, sound.isWav, sound.readWav);
    if (!decoded) return audio as Uint8Array;
    const a = audio as sound.Audio;
    return sound.fit(a, hz ?? a.rate, count, etype);
  };
};

export const imageFactory: CapabilityFactory = (spec) => {
  const floats = spec.kind === "FLOAT_IMAGE";
  requireTypes(spec, floats ? "f32" : "u8");
  let pixelFormat: string;
  try {
    pixelFormat = image.parsePixelFormat(spec.args["pixel-format"] ?? spec.args["pixel_format"] ?? "RGB8");
  } catch (exc) {
    throw argError(spec, (exc as Error).message);
  }
  const dims = spec.tensor.dimensions;
  let width = intArg(spec, "width");
  let height = intArg(spec, "height");
  if (width === undefined || height === undefined) {
    if (dims.length !== 4) throw argError(spec, "needs width and height arguments");
    width = width ?? dims[1];
    height = height ?? dims[2];
  }
  const channels = image.PIXEL_FORMATS[pixelFormat];
  if (width * height * channels !== spec.tensor.count) {
    throw argError(
      spec,
      `${width}x${height} ${pixelFormat} pixels are ${width * height * channels} values but its tensor ${spec.tensor.describe()} holds ${spec.tensor.count}`,
    );
  }
  const [w, h] = [width, height];
  const shape = (pixels: image.Pixels): Uint8Array => {
    const out = image.convert(image.resizeExact(pixels, w, h), pixelFormat);
    if (!floats) return out;
    const f = new Float32Array(out.length);
    for (let i = 0; i < out.length; i++) f[i] = Math.fround(out[i] / 255);
    return bytesOf(f);
  };
  return async (value) => {
    if (value !== undefined && !ArrayBuffer.isView(value) && value.kind === "pixels") return shape(value.pixels);
    const [pixels, decoded] = media(spec, value, image.isImage, image.decode);
    return decoded ? shape(await (pixels as Promise<image.Pixels>)) : (pixels as Uint8Array);
  };
};

export const accelFactory: CapabilityFactory = (spec) => {
  requireTypes(spec, "f32", "f64");
  const samples = intArg(spec, "samples");
  return (value) => {
    if (value === undefined) throw missing(spec);
    if (ArrayBuffer.isView(value)) return bytesOf(value);
    if (!isFile(value)) throw inputError(spec, `unsupported input ${value.kind} for ACCEL`);
    let rows: Float32Array;
    try {
      rows = accel.readCsv(value.data);
    } catch (exc) {
      throw inputError(spec, (exc as Error).message, value.name);
    }
    const n = rows.length / 3;
    if (samples !== undefined) {
      if (samples > n) {
        throw inputError(spec, `${samples} samples were requested but only ${n} are available`, value.name);
      }
      rows = rows.subarray(0, samples * 3);
    }
    return bytesOf(spec.tensor.elementType === "f64" ? Float64Array.from(rows) : rows);
  };
};

/** Capability kind -> factory; `copy()` it to customise one rune only. */
export class CapabilityRegistry extends Registry<CapabilityFactory> {
  constructor(factories: Iterable<[string, CapabilityFactory]> = []) {
    super(factories, "factory for capability");
  }
  copy(): CapabilityRegistry {
    return new CapabilityRegistry(this.factories);
  }
  feeder(spec: CapabilitySpec, rng: Pcg64): Feeder {
    const factory = this.factories.get(spec.kind);
    if (!factory) {
      if (CAPABILITY_KINDS.includes(spec.kind)) {
        throw new CapabilityError(`capability ${spec.kind} is not supported by this runtime (stage "${spec.name}")`);
      }
      throw new CapabilityError(
        `unknown capability kind '${spec.kind}' (stage "${spec.name}"); known kinds: ${CAPABILITY_KINDS.join(", ")}`,
      );
    }
    return factory(spec, rng);
  }
}

/** The one rule every capability obeys: exactly its tensor's byte length. */
export function checkLength(spec: CapabilitySpec, size: number): void {
  const tensor = spec.tensor;
  if (size !== tensor.nbytes) {
    const length = spec.kind === "RAW" ? intArg(spec, "length") : undefined;
    const note = length !== undefined ? ` (after taking the first ${length} bytes)` : "";
    throw new CapabilityError(
      `capability ${spec.kind} of stage "${spec.name}": the input is ${size} bytes${note} but its tensor ${tensor.describe()} needs exactly ${tensor.nbytes} bytes`,
    );
  }
}

export const defaultRegistry = new CapabilityRegistry([
  ["RAW", rawFactory],
  ["RAND", randFactory],
  ["SOUND", soundFactory],
  ["IMAGE", imageFactory],
  ["FLOAT_IMAGE", imageFactory],
  ["ACCEL", accelFactory],
]);

/** The source group a file feeds, by its extension (as the original's runner did). */
export function groupOf(path: string): string {
  const m = /\.[^./\\]*$/.exec(path);
  const ext = m ? m[0].toLowerCase() : "";
  if (!(ext in EXTENSIONS)) {
    throw new CapabilityError(
      `cannot tell which capability reads ${path} from its extension ${ext || "(none)"}: known extensions are ${Object.keys(EXTENSIONS).join(", ")}; use --raw, --sound, --image, --accel or --input NAME=FILE`,
    );
  }
  return EXTENSIONS[ext];
}

/** Map positional inputs by group to stage names, as `assign_sources` in the Python host. */
export function assignSources<T>(
  manifest: Manifest,
  sources: Record<string, T[]>,
  exclude: Set<string> = new Set(),
  describe: (v: T) => string = String,
): Record<string, T> {
  const assigned: Record<string, T> = {};
  for (const [group, values] of Object.entries(sources)) {
    const caps = manifest.capabilities.filter((c) => SOURCE_GROUPS[c.kind] === group && !exclude.has(c.name));
    const kinds = Object.keys(SOURCE_GROUPS)
      .filter((k) => SOURCE_GROUPS[k] === group)
      .sort()
      .join("/");
    if (values.length && !caps.length) {
      throw new CapabilityError(`${values.length} ${group} input(s) given but the rune has no ${kinds} capability`);
    }
    const used = new Set<number>();
    caps.forEach((cap, position) => {
      let source = intArg(cap, "source");
      if (source === undefined) source = values.length === 1 ? 0 : position;
      else if (source >= values.length) {
        throw inputError(cap, `it reads ${group} source ${source} but only ${values.length} ${group} input(s) were given`);
      }
      if (source < values.length) {
        assigned[cap.name] = values[source];
        used.add(source);
      }
    });
    const unused = values.findIndex((_, i) => !used.has(i));
    if (unused >= 0) {
      throw new CapabilityError(
        `${group} input ${unused} (${describe(values[unused])}) is not read by any ${kinds} capability (the rune has ${caps.length})`,
      );
    }
  }
  return assigned;
}

/** Inputs from files, as `rune run` routes them: by extension within each group (as
 * `assignSources`), and `named` files fed to the stage of that name. */
export function fileInputs(
  manifest: Manifest,
  files: FileInput[],
  named: Record<string, FileInput> = {},
): Record<string, FileInput> {
  const sources: Record<string, FileInput[]> = {};
  for (const file of files) (sources[groupOf(file.name)] ??= []).push(file);
  const assigned = assignSources(manifest, sources, new Set(Object.keys(named)), (f) => f.name);
  return { ...assigned, ...named };
}
