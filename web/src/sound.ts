/**
 * WAV decoding and the SOUND capability's shaping, ported from the Python host (runtime/sound.py):
 * a mono 16-bit file at the rune's rate gives its own samples bit for bit; anything else is
 * decoded to floats, mixed to mono, resampled by a Kaiser-windowed sinc (16 zero crossings, beta
 * 10, cut-off 0.95 of the lower Nyquist, each phase normalised to DC gain 1), trimmed or padded
 * with silence, and rounded (half to even) and saturated to i16.
 */

export class WavError extends Error {}

export interface Audio {
  rate: number;
  bits: number;
  isFloat: boolean;
  channels: number;
  frames: number;
  /** Frame-major samples in the file's own type (int16 for 16-bit files). */
  samples: Int16Array | Int32Array | Uint8Array | Float32Array | Float64Array;
}

const PCM = 0x0001;
const FLOAT = 0x0003;
const EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = {
  0x0002: "MS ADPCM",
  0x0006: "A-law",
  0x0007: "mu-law",
  0x0011: "IMA ADPCM",
  0x0055: "MP3",
};
const ZERO_CROSSINGS = 16;
const KAISER_BETA = 10.0;
const ROLLOFF = 0.95;

const ascii = (d: Uint8Array, a: number, b: number) => String.fromCharCode(...d.subarray(a, b));

export function isWav(data: Uint8Array): boolean {
  return data.length >= 12 && ascii(data, 0, 4) === "RIFF" && ascii(data, 8, 12) === "WAVE";
}

/** Decode a WAV file; a truncated data chunk keeps its whole frames. */
export function readWav(data: Uint8Array): Audio {
  if (!isWav(data)) {
    const head = ascii(data, 0, Math.min(4, data.length));
    if (head === "RIFX" || head === "RF64") throw new WavError(`${head} WAV files are not supported`);
    throw new WavError("not a WAV file (no RIFF/WAVE header)");
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let fmt: [number, number, number, number, number] | null = null;
  let pos = 12;
  while (pos + 8 <= data.length) {
    const chunk = ascii(data, pos, pos + 4);
    const size = view.getUint32(pos + 4, true);
    const body = data.subarray(pos + 8, pos + 8 + size);
    if (body.length < size && chunk !== "data") {
      throw new WavError(`truncated file: the '${chunk}' chunk runs past the end`);
    }
    if (chunk === "fmt ") fmt = readFmt(body);
    else if (chunk === "data") {
      if (fmt === null) throw new WavError("the data chunk comes before the fmt chunk");
      return decode(fmt, body);
    }
    pos += 8 + size + (size & 1);
  }
  throw new WavError(fmt === null ? "no fmt chunk" : "no data chunk");
}

function readFmt(body: Uint8Array): [number, number, number, number, number] {
  if (body.length < 16) throw new WavError(`the fmt chunk is ${body.length} bytes, shorter than 16`);
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let tag = v.getUint16(0, true);
  const channels = v.getUint16(2, true);
  const rate = v.getUint32(4, true);
  const align = v.getUint16(12, true);
  const bits = v.getUint16(14, true);
  if (tag === EXTENSIBLE) {
    if (body.length < 26) throw new WavError("WAVE_FORMAT_EXTENSIBLE fmt chunk is too short");
    tag = v.getUint16(24, true);
  }
  if (tag !== PCM && tag !== FLOAT) {
    const name = FORMAT_NAMES[tag] ?? "unknown";
    throw new WavError(
      `unsupported WAV encoding ${name} (format tag 0x${tag.toString(16).padStart(4, "0")}); ` +
        "only integer and float PCM are supported",
    );
  }
  if (channels === 0 || rate === 0) {
    throw new WavError(`invalid WAV header: ${channels} channels at ${rate} Hz`);
  }
  const supported = tag === FLOAT ? [32, 64] : [8, 16, 24, 32];
  if (!supported.includes(bits)) {
    throw new WavError(`unsupported WAV sample size: ${bits}-bit ${tag === FLOAT ? "float" : "integer"} PCM`);
  }
  if (align !== (channels * bits) / 8) {
    throw new WavError(`invalid WAV header: block align ${align} for ${channels} x ${bits}-bit samples`);
  }
  return [tag, channels, rate, align, bits];
}

function decode(fmt: [number, number, number, number, number], body: Uint8Array): Audio {
  const [tag, channels, rate, align, bits] = fmt;
  const frames = Math.floor(body.length / align);
  const n = frames * channels;
  const raw = new Uint8Array(body.subarray(0, frames * align)); // an aligned copy (a Node Buffer's slice is a view)
  const v = new DataView(raw.buffer);
  let samples: Audio["samples"];
  if (tag === FLOAT) {
    samples = bits === 32 ? new Float32Array(raw.buffer, 0, n) : new Float64Array(raw.buffer, 0, n);
  } else if (bits === 8) {
    samples = raw;
  } else if (bits === 16) {
    samples = new Int16Array(n);
    for (let i = 0; i < n; i++) samples[i] = v.getInt16(2 * i, true);
  } else if (bits === 24) {
    samples = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const x = raw[3 * i] | (raw[3 * i + 1] << 8) | (raw[3 * i + 2] << 16);
      samples[i] = x >= 1 << 23 ? x - (1 << 24) : x;
    }
  } else {
    samples = new Int32Array(n);
    for (let i = 0; i < n; i++) samples[i] = v.getInt32(4 * i, true);
  }
  return { rate, bits, isFloat: tag === FLOAT, channels, frames, samples };
}

/** Float64 samples in [-1, 1), channels averaged (NumPy's mean: pairwise sum, then divide). */
export function mono(audio: Audio): Float64Array {
  const { channels, frames, samples } = audio;
  const out = new Float64Array(frames);
  const scale = audio.isFloat ? 1 : audio.bits === 8 ? 128 : 2 ** (audio.bits - 1);
  const value = (i: number) =>
    audio.isFloat ? samples[i] : audio.bits === 8 ? (samples[i] - 128.0) / 128.0 : samples[i] / scale;
  for (let f = 0; f < frames; f++) {
    if (channels === 1) {
      out[f] = value(f);
    } else {
      let s = 0;
      for (let c = 0; c < channels; c++) s += value(f * channels + c);
      out[f] = s / channels;
    }
  }
  return out;
}

// NumPy's i0 (Cephes Chebyshev coefficients, numpy.lib._function_base_impl._i0A/_i0B).
const I0A = [
  -4.4153416464793395e-18, 3.3307945188222384e-17, -2.431279846547955e-16, 1.715391285555133e-15,
  -1.1685332877993451e-14, 7.676185498604936e-14, -4.856446783111929e-13, 2.95505266312964e-12,
  -1.726826291441556e-11, 9.675809035373237e-11, -5.189795601635263e-10, 2.6598237246823866e-9,
  -1.300025009986248e-8, 6.046995022541919e-8, -2.670793853940612e-7, 1.1173875391201037e-6,
  -4.4167383584587505e-6, 1.6448448070728896e-5, -5.754195010082104e-5, 0.00018850288509584165,
  -0.0005763755745385824, 0.0016394756169413357, -0.004324309995050576, 0.010546460394594998,
  -0.02373741480589947, 0.04930528423967071, -0.09490109704804764, 0.17162090152220877,
  -0.3046826723431984, 0.6767952744094761,
];
const I0B = [
  -7.233180487874754e-18, -4.830504485944182e-18, 4.46562142029676e-17, 3.461222867697461e-17,
  -2.8276239805165836e-16, -3.425485619677219e-16, 1.7725601330565263e-15, 3.8116806693526224e-15,
  -9.554846698828307e-15, -4.150569347287222e-14, 1.54008621752141e-14, 3.8527783827421426e-13,
  7.180124451383666e-13, -1.7941785315068062e-12, -1.3215811840447713e-11, -3.1499165279632416e-11,
  1.1889147107846439e-11, 4.94060238822497e-10, 3.3962320257083865e-9, 2.266668990498178e-8,
  2.0489185894690638e-7, 2.8913705208347567e-6, 6.889758346916825e-5, 0.0033691164782556943,
  0.8044904110141088,
];

function chbevl(x: number, vals: number[]): number {
  let b0 = vals[0];
  let b1 = 0.0;
  let b2 = 0.0;
  for (let i = 1; i < vals.length; i++) {
    b2 = b1;
    b1 = b0;
    b0 = x * b1 - b2 + vals[i];
  }
  return 0.5 * (b0 - b2);
}

function i0(x: number): number {
  x = Math.abs(x);
  return x <= 8.0
    ? Math.exp(x) * chbevl(x / 2.0 - 2, I0A)
    : (Math.exp(x) * chbevl(32.0 / x - 2.0, I0B)) / Math.sqrt(x);
}

function sinc(x: number): number {
  const y = Math.PI * x;
  const z = y === 0 ? 2.220446049250313e-16 : y;
  return Math.sin(z) / z;
}

function kaiser(t: number): number {
  if (!(Math.abs(t) < 1.0)) return 0.0;
  const arg = Math.sqrt(Math.max(1.0 - t * t, 0.0));
  return i0(KAISER_BETA * arg) / i0(KAISER_BETA);
}

/** NumPy's pairwise sum of a contiguous float64 row (what `ndarray.sum(axis=-1)` does). */
function pairwiseSum(a: Float64Array, start: number, n: number): number {
  if (n < 8) {
    let res = 0.0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = a[start + j];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Band-limited interpolation from `src` to `dst` Hz (see the module comment). */
export function resample(x: Float64Array, src: number, dst: number): Float64Array {
  if (src === dst) return x;
  const g = gcd(src, dst);
  const up = dst / g;
  const down = src / g;
  const nOut = Math.floor((x.length * up) / down);
  const cutoff = ROLLOFF * Math.min(1.0, dst / src);
  const half = Math.ceil(ZERO_CROSSINGS / cutoff);
  const taps = 2 * half;
  const bank = new Map<number, Float64Array>();
  const row = (phase: number): Float64Array => {
    let w = bank.get(phase);
    if (!w) {
      w = new Float64Array(taps);
      const p = phase / up;
      for (let k = 0; k < taps; k++) {
        const dist = p - (k - half + 1);
        w[k] = cutoff * sinc(cutoff * dist) * kaiser(dist / half);
      }
      const total = pairwiseSum(w, 0, taps);
      for (let k = 0; k < taps; k++) w[k] /= total;
      bank.set(phase, w);
    }
    return w;
  };
  const out = new Float64Array(nOut);
  for (let m = 0; m < nOut; m++) {
    const phase = (m * down) % up;
    const base = Math.floor((m * down) / up);
    const w = row(phase);
    let acc = 0;
    for (let k = 0; k < taps; k++) {
      const i = base + k - half + 1;
      if (i >= 0 && i < x.length) acc += x[i] * w[k];
    }
    out[m] = acc;
  }
  return out;
}

/** Round half to even, as NumPy's rint. */
function rint(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Float samples as the tensor's element type (i16: rounded and saturated). */
export function toType(x: Float64Array, elementType: "i16" | "f32"): Int16Array | Float32Array {
  if (elementType === "f32") return Float32Array.from(x);
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.min(32767, Math.max(-32768, rint(x[i] * 32768.0)));
  return out;
}

/** The recording at `rate` as `elementType`, or only its first `count` samples. */
export function signal(
  audio: Audio,
  rate: number,
  elementType: "i16" | "f32",
  count?: number,
): Int16Array | Float32Array {
  if (audio.channels === 1 && audio.rate === rate && audio.bits === 16 && !audio.isFloat && elementType === "i16") {
    return (audio.samples as Int16Array).subarray(0, count ?? audio.frames);
  }
  let m = mono(audio);
  if (count !== undefined) {
    const need =
      Math.ceil((count * audio.rate) / rate) +
      Math.ceil((ZERO_CROSSINGS / ROLLOFF) * Math.max(1, audio.rate / rate)) +
      2;
    m = m.subarray(0, need);
  }
  const res = resample(m, audio.rate, rate);
  return toType(count === undefined ? res : res.subarray(0, count), elementType);
}

/** Exactly `count` samples at `rate`: the rune's SOUND input from one recording. */
export function fit(audio: Audio, rate: number, count: number, elementType: "i16" | "f32"): Uint8Array {
  const out = elementType === "i16" ? new Int16Array(count) : new Float32Array(count);
  const head = signal(audio, rate, elementType, count);
  out.set(head.subarray(0, Math.min(count, head.length)));
  return new Uint8Array(out.buffer);
}

/** Windows of `count` samples every `hop` samples over the whole recording (the last padded). */
export function* windows(
  audio: Audio,
  rate: number,
  count: number,
  hop: number,
  elementType: "i16" | "f32",
): Generator<[number, Uint8Array]> {
  const whole = signal(audio, rate, elementType);
  for (let start = 0; ; start += hop) {
    const window = elementType === "i16" ? new Int16Array(count) : new Float32Array(count);
    window.set(whole.subarray(start, Math.min(start + count, whole.length)));
    yield [start, new Uint8Array(window.buffer)];
    if (start + count >= whole.length) return;
  }
}

/** An audio buffer from the microphone or Web Audio (float samples at its own rate) as Audio. */
export function fromFloats(samples: Float32Array, rate: number): Audio {
  return { rate, bits: 32, isFloat: true, channels: 1, frames: samples.length, samples };
}
