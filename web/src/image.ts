/**
 * Image decoding and the IMAGE / FLOAT_IMAGE capabilities' shaping, ported from the Python host
 * (runtime/image.py), which reproduces the original's `resize_exact(width, height, CatmullRom)`
 * step for step in f32: a vertical pass, then a horizontal one, rounding to the pixel type
 * between them. Every f32 operation is `Math.fround`ed in the same order, so the same pixels
 * give the same tensor.
 *
 * Decoding: PNG with fast-png (lossless), JPEG with MozJPEG's decoder in wasm (`@jsquash/jpeg`),
 * which is libjpeg-turbo's: the same pixels as Pillow's libjpeg-turbo (tested on the peer suite's
 * JPEGs). The JPEG decoder's wasm is compiled once from the bytes a platform entry supplies
 * (`setJpegWasm`): read from the package in Node, served beside the bundle in the browser.
 */
import decodeJpeg, { init as initJpeg } from "@jsquash/jpeg/decode.js";
import { decode as decodePng } from "fast-png";

export class ImageError extends Error {}

/** Pixels: `height` rows of `width` pixels with `channels` interleaved (1 or 3). */
export interface Pixels {
  width: number;
  height: number;
  channels: number;
  /** uint16 only for 16-bit grayscale, as the Python host keeps it. */
  data: Uint8Array | Uint16Array;
}

export const PIXEL_FORMATS: Record<string, number> = { RGB8: 3, BGR8: 3, GrayScale: 1 };
const BY_NUMBER = ["RGB8", "BGR8", "GrayScale"];
const SPELLINGS: Record<string, string> = {
  rgb: "RGB8",
  rgb8: "RGB8",
  bgr: "BGR8",
  bgr8: "BGR8",
  grayscale: "GrayScale",
  greyscale: "GrayScale",
  gray: "GrayScale",
  grey: "GrayScale",
  luma: "GrayScale",
  l: "GrayScale",
};

/** A canonical pixel-format name from any spelling the original or a user might write. */
export function parsePixelFormat(value: unknown): string {
  if (typeof value === "number" && Number.isInteger(value) && BY_NUMBER[value]) return BY_NUMBER[value];
  if (typeof value === "string") {
    const text = value.trim();
    if (/^\d+$/.test(text) && BY_NUMBER[Number(text)]) return BY_NUMBER[Number(text)];
    const name = text.replace(/^@+/, "").replace(/^PixelFormat::/, "").toLowerCase();
    if (name in SPELLINGS) return SPELLINGS[name];
  }
  throw new ImageError(
    `unknown pixel format ${JSON.stringify(value)} (expected RGB8, BGR8 or GrayScale, also written ` +
      "@PixelFormat::RGB, @PixelFormat::BGR, @PixelFormat::GrayScale or 0, 1, 2)",
  );
}

const startsWith = (d: Uint8Array, sig: number[]) => sig.every((b, i) => d[i] === b);
const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIG = [0xff, 0xd8, 0xff];

/** True if the bytes start with a PNG, JPEG, GIF or BMP signature (as the Python host). */
export function isImage(d: Uint8Array): boolean {
  return (
    startsWith(d, PNG_SIG) ||
    startsWith(d, JPEG_SIG) ||
    startsWith(d, [0x47, 0x49, 0x46, 0x38]) ||
    startsWith(d, [0x42, 0x4d])
  );
}

let jpegWasm: (() => Promise<WebAssembly.Module>) | null = null;
let jpegReady: Promise<void> | null = null;

/** Where the JPEG decoder's compiled wasm comes from (set by the node and browser entries). */
export function setJpegWasm(load: () => Promise<WebAssembly.Module>): void {
  jpegWasm = load;
  jpegReady = null;
}

/** The number of components in the JPEG's frame header (1: grayscale), or 0 if not found. */
function jpegComponents(d: Uint8Array): number {
  for (let pos = 2; pos + 9 < d.length; ) {
    if (d[pos] !== 0xff) return 0;
    const marker = d[pos + 1];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (isFrame) return d[pos + 9];
    pos += 2 + ((d[pos + 2] << 8) | d[pos + 3]);
  }
  return 0;
}

async function fromJpeg(data: Uint8Array): Promise<Pixels> {
  if (!jpegWasm) throw new ImageError("no JPEG decoder was set up (use the node or browser entry)");
  const load = jpegWasm;
  jpegReady ??= load().then((module) => initJpeg(module as never));
  await jpegReady;
  const g = globalThis as { ImageData?: unknown };
  g.ImageData ??= class {
    constructor(
      readonly data: Uint8ClampedArray,
      readonly width: number,
      readonly height: number,
    ) {}
  };
  const copy = new Uint8Array(data);
  const img = await decodeJpeg(copy.buffer);
  const gray = jpegComponents(data) === 1;
  const channels = gray ? 1 : 3;
  const out = new Uint8Array(img.width * img.height * channels);
  for (let i = 0, j = 0; j < out.length; i += 4, j += channels) {
    out[j] = img.data[i];
    if (!gray) {
      out[j + 1] = img.data[i + 1];
      out[j + 2] = img.data[i + 2];
    }
  }
  return { width: img.width, height: img.height, channels, data: out };
}

/** Decode a PNG or JPEG as Pillow's modes map it: gray stays one channel, alpha is dropped. */
export async function decode(data: Uint8Array): Promise<Pixels> {
  try {
    if (startsWith(data, PNG_SIG)) return fromPng(data);
    if (startsWith(data, JPEG_SIG)) return await fromJpeg(data);
  } catch (exc) {
    if (exc instanceof ImageError) throw exc;
    throw new ImageError(`not an image this runtime can decode (${(exc as Error).message ?? exc})`);
  }
  throw new ImageError("not an image this runtime can decode (only PNG and JPEG are supported)");
}

function fromPng(bytes: Uint8Array): Pixels {
  const png = decodePng(bytes);
  const { width, height, depth } = png;
  const n = width * height;
  const src = png.data;
  const palette = png.palette;
  if (palette) {
    const out = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      const c = palette[src[i]] ?? [0, 0, 0];
      out.set([c[0], c[1], c[2]], 3 * i);
    }
    return { width, height, channels: 3, data: out };
  }
  const channels = png.channels;
  const gray = channels <= 2;
  if (gray && depth === 16 && channels === 1) {
    return { width, height, channels: 1, data: Uint16Array.from(src as Uint16Array) };
  }
  // 16-bit colour keeps its high byte; low bit depths scale to 0..255 (as Pillow's L;1/L;2/L;4).
  const level = (v: number) => (depth === 16 ? v >> 8 : depth < 8 ? (v * 255) / (2 ** depth - 1) : v);
  const keep = gray ? 1 : 3;
  const out = new Uint8Array(n * keep);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < keep; c++) out[i * keep + c] = level(src[i * channels + c]);
  }
  return { width, height, channels: keep, data: out };
}

const f = Math.fround;

/** Catmull-Rom (B=0, C=0.5) in f32, operation for operation as the Rust crate computes it. */
function kernel(x: number): number {
  const a = f(Math.abs(x));
  const a2 = f(a * a);
  const a3 = f(a * a2);
  let k: number;
  if (a < 1) k = f(f(f(f(9 * a3) + f(-15 * a2))) + 6);
  else if (a < 2) k = f(f(f(f(f(-3 * a3) + f(15 * a2)) + f(-24 * a))) + 12);
  else k = 0;
  return f(k / 6);
}

interface Weights {
  index: Int32Array; // dst x taps, clipped to src - 1
  w: Float32Array; // dst x taps
  total: Float32Array;
  taps: number;
}

function weights(src: number, dst: number): Weights {
  const ratio = f(f(src) / f(dst));
  const sratio = ratio > 1 ? ratio : f(1);
  const support = f(2 * sratio);
  const centre = new Float32Array(dst);
  const left = new Int32Array(dst);
  const right = new Int32Array(dst);
  let taps = 0;
  for (let o = 0; o < dst; o++) {
    centre[o] = f(f(o + 0.5) * ratio);
    left[o] = Math.min(Math.max(Math.floor(f(centre[o] - support)), 0), src - 1);
    right[o] = Math.min(Math.max(Math.ceil(f(centre[o] + support)), left[o] + 1), src);
    taps = Math.max(taps, right[o] - left[o]);
  }
  const index = new Int32Array(dst * taps);
  const w = new Float32Array(dst * taps);
  const total = new Float32Array(dst);
  for (let o = 0; o < dst; o++) {
    const shift = f(centre[o] - 0.5);
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const i = left[o] + j;
      index[o * taps + j] = Math.min(i, src - 1);
      w[o * taps + j] = i < right[o] ? kernel(f(f(i - shift) / sratio)) : 0;
      sum = f(sum + w[o * taps + j]);
    }
    total[o] = sum;
  }
  return { index, w, total, taps };
}

/** One pass along rows (vertical, axis 0) or columns (horizontal, axis 1). */
function pass(p: Pixels, dst: number, axis: 0 | 1, top: number): Pixels {
  const { width, height, channels, data } = p;
  const { index, w, total, taps } = weights(axis === 0 ? height : width, dst);
  const ow = axis === 0 ? width : dst;
  const oh = axis === 0 ? dst : height;
  const out = data instanceof Uint16Array ? new Uint16Array(ow * oh * channels) : new Uint8Array(ow * oh * channels);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const o = axis === 0 ? y : x;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let j = 0; j < taps; j++) {
          const s = index[o * taps + j];
          const v = axis === 0 ? data[(s * width + x) * channels + c] : data[(y * width + s) * channels + c];
          acc = f(acc + f(v * w[o * taps + j]));
        }
        let t = f(acc / total[o]);
        t = t < 0 ? 0 : t > top ? top : t;
        const whole = Math.floor(t);
        out[(y * ow + x) * channels + c] = whole + (f(t - whole) >= 0.5 ? 1 : 0);
      }
    }
  }
  return { width: ow, height: oh, channels, data: out };
}

/** The original's `resize_exact(width, height, CatmullRom)`. */
export function resizeExact(p: Pixels, width: number, height: number): Pixels {
  if (p.width === width && p.height === height) return p;
  const top = p.data instanceof Uint16Array ? 65535 : 255;
  return pass(pass(p, height, 0, top), width, 1, top);
}

/** Pixels in the given format as u8: GrayScale = trunc(0.2126 R + 0.7152 G + 0.0722 B) in f32. */
export function convert(p: Pixels, pixelFormat: string): Uint8Array {
  let data = p.data;
  if (data instanceof Uint16Array) data = Uint8Array.from(data, (v) => v >> 8);
  const n = p.width * p.height;
  if (pixelFormat === "GrayScale") {
    if (p.channels === 1) return data as Uint8Array;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const luma = f(f(f(f(0.2126) * data[3 * i]) + f(f(0.7152) * data[3 * i + 1])) + f(f(0.0722) * data[3 * i + 2]));
      out[i] = Math.trunc(luma);
    }
    return out;
  }
  const out = new Uint8Array(n * 3);
  const bgr = pixelFormat === "BGR8";
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = p.channels === 1 ? data[i] : data[3 * i + c];
      out[3 * i + (bgr ? 2 - c : c)] = v;
    }
  }
  return out;
}
