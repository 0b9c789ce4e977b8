/**
 * The RAND capability's generator: NumPy's `default_rng(seed)` (SeedSequence -> PCG64) and the
 * draws `Generator.random` and `Generator.integers(min, max, endpoint=True)` make, step for step,
 * so a rune seeded the same way reads the same bytes as under the Python host.
 */

const M32 = 0xffffffffn;
const M64 = (1n << 64n) - 1n;
const M128 = (1n << 128n) - 1n;
const PCG_MULT = (2549297995355413924n << 64n) + 4865540595714422341n;

/** numpy.random.SeedSequence(seed).generate_state(n_words, uint32) (pool size 4, no spawn key). */
export function seedSequenceState(seed: bigint, nWords: number): number[] {
  if (seed < 0n) throw new RangeError("the seed must be non-negative");
  const entropy: number[] = [];
  for (let n = seed; ; n >>= 32n) {
    entropy.push(Number(n & M32));
    if (n >> 32n === 0n) break;
  }
  const mul = Math.imul;
  let hashConst = 0x43b0d7e5;
  const hashmix = (value: number): number => {
    value = (value ^ hashConst) >>> 0;
    hashConst = mul(hashConst, 0x931e8875) >>> 0;
    value = mul(value, hashConst) >>> 0;
    return (value ^ (value >>> 16)) >>> 0;
  };
  const mix = (x: number, y: number): number => {
    const r = (mul(0xca01f9dd, x) - mul(0x4973f715, y)) >>> 0;
    return (r ^ (r >>> 16)) >>> 0;
  };
  const pool = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) pool[i] = hashmix(i < entropy.length ? entropy[i] : 0);
  for (let src = 0; src < 4; src++) {
    for (let dst = 0; dst < 4; dst++) {
      if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
    }
  }
  for (let src = 4; src < entropy.length; src++) {
    for (let dst = 0; dst < 4; dst++) pool[dst] = mix(pool[dst], hashmix(entropy[src]));
  }
  let constB = 0x8b51f9dd;
  const out: number[] = [];
  for (let i = 0; i < nWords; i++) {
    let v = (pool[i % 4] ^ constB) >>> 0;
    constB = mul(constB, 0x58f38ded) >>> 0;
    v = mul(v, constB) >>> 0;
    out.push((v ^ (v >>> 16)) >>> 0);
  }
  return out;
}

/** PCG64 (XSL-RR 128/64) as NumPy seeds and steps it, with NumPy's 32-bit buffering. */
export class Pcg64 {
  private state = 0n;
  private readonly inc: bigint;
  private buffered: number | null = null;

  constructor(seed: bigint | number) {
    const w = seedSequenceState(BigInt(seed), 8).map(BigInt);
    const u64 = (i: number) => w[2 * i] | (w[2 * i + 1] << 32n);
    const initState = (u64(0) << 64n) | u64(1);
    const initSeq = (u64(2) << 64n) | u64(3);
    this.inc = ((initSeq << 1n) | 1n) & M128;
    this.step();
    this.state = (this.state + initState) & M128;
    this.step();
  }

  private step(): void {
    this.state = (this.state * PCG_MULT + this.inc) & M128;
  }

  /** The internal state, for tests against NumPy's `bit_generator.state`. */
  get rawState(): { state: bigint; inc: bigint } {
    return { state: this.state, inc: this.inc };
  }

  next64(): bigint {
    this.step();
    const s = this.state;
    const xored = ((s >> 64n) ^ s) & M64;
    const rot = Number(s >> 122n);
    return ((xored >> BigInt(rot)) | (xored << BigInt((64 - rot) & 63))) & M64;
  }

  next32(): number {
    if (this.buffered !== null) {
      const v = this.buffered;
      this.buffered = null;
      return v;
    }
    const n = this.next64();
    this.buffered = Number(n >> 32n);
    return Number(n & M32);
  }
}

/** `count` draws of `rng.random(dtype=...)` or `rng.integers(min, max, endpoint=True)` for an
 * element type, as little-endian bytes. */
export function randomTensor(rng: Pcg64, elementType: string, count: number): Uint8Array {
  switch (elementType) {
    case "f32": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = (rng.next32() >>> 8) * (1 / 16777216);
      return new Uint8Array(out.buffer);
    }
    case "f64": {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(rng.next64() >> 11n) * (1 / 9007199254740992);
      return new Uint8Array(out.buffer);
    }
    case "u8":
    case "i8":
      return new Uint8Array(buffered(rng, 8, count, elementType === "i8").buffer);
    case "u16":
    case "i16":
      return new Uint8Array(buffered(rng, 16, count, elementType === "i16").buffer);
    case "u32":
    case "i32": {
      const out = new Uint32Array(count);
      const off = elementType === "i32" ? 0x80000000 : 0;
      for (let i = 0; i < count; i++) out[i] = (rng.next32() + off) >>> 0;
      return new Uint8Array(out.buffer);
    }
    case "u64":
    case "i64": {
      const out = new BigUint64Array(count);
      const off = elementType === "i64" ? 1n << 63n : 0n;
      for (let i = 0; i < count; i++) out[i] = (rng.next64() + off) & M64;
      return new Uint8Array(out.buffer);
    }
    default:
      throw new RangeError(`cannot make random ${elementType}`);
  }
}

/** NumPy's buffered_uint8/16: one 32-bit draw feeds 4 (or 2) values, low bits first; a signed
 * type adds its offset (-128 or -32768) modulo 2^bits. */
function buffered(rng: Pcg64, bits: 8 | 16, count: number, signed: boolean): Uint8Array | Uint16Array {
  const out = bits === 8 ? new Uint8Array(count) : new Uint16Array(count);
  const mask = bits === 8 ? 0xff : 0xffff;
  const off = signed ? (mask + 1) / 2 : 0;
  let buf = 0;
  let left = 0;
  for (let i = 0; i < count; i++) {
    if (left === 0) {
      buf = rng.next32();
      left = 32 / bits - 1;
    } else {
      buf >>>= bits;
      left -= 1;
    }
    out[i] = (buf + off) & mask;
  }
  return out;
}
