/**
 * What a run gives back, and its JSON exactly as the Python host's `rune run` prints it
 * (runtime/outputs.py): `json.dumps` spacing, floats as Python's `repr` of the shortest decimal
 * that reads back as the same f32/f64, non-finite floats as strings.
 */

export type TensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | string[];

export interface TensorValue {
  elementType: string;
  dimensions: number[];
  data: TensorData;
}

export interface Output {
  name: string;
  kind: string;
  tensors: TensorValue[];
}

const ARRAYS: Record<string, new (b: ArrayBuffer) => Exclude<TensorData, string[]>> = {
  u8: Uint8Array,
  i8: Int8Array,
  u16: Uint16Array,
  i16: Int16Array,
  u32: Uint32Array,
  i32: Int32Array,
  u64: BigUint64Array,
  i64: BigInt64Array,
  f32: Float32Array,
  f64: Float64Array,
};

/** A typed array of `bytes`' little-endian elements: over `bytes` itself when it is a whole,
 * aligned buffer of its own (the host's copies out of guest memory are), else over a copy. */
export function typedArray(elementType: string, bytes: Uint8Array): Exclude<TensorData, string[]> {
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return new ARRAYS[elementType]((own ? bytes : new Uint8Array(bytes)).buffer as ArrayBuffer);
}

/** The shortest decimal digits that read back as `v` at single precision. */
function shortestF32(v: number): number {
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(v.toPrecision(p));
    if (Math.fround(candidate) === v) return candidate;
  }
  return v;
}

/** Python's `repr(float)`: shortest round-trip digits, `1.0`, `1e-05`, `1e+16`. */
export function pythonFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return (v < 0 || Object.is(v, -0) ? "-" : "") + Math.abs(v).toFixed(1);
  const [mant, e] = v.toExponential().split("e");
  const exp = Number(e);
  if (exp < -4 || exp >= 16) return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return String(v);
}

function element(v: number | bigint | string, elementType: string): string {
  if (typeof v === "string") return pyString(v);
  if (typeof v === "bigint") return v.toString();
  if (elementType !== "f32" && elementType !== "f64") return String(v);
  if (Number.isNaN(v)) return '"NaN"';
  if (!Number.isFinite(v)) return v > 0 ? '"Infinity"' : '"-Infinity"';
  return pythonFloat(elementType === "f32" ? shortestF32(v) : v);
}

/** `json.dumps(s, ensure_ascii=False)`. */
function pyString(s: string): string {
  return JSON.stringify(s);
}

/** One line of JSON, as the Python host's `render_json`. */
export function renderJson(outputs: Output[]): string {
  const parts = outputs.map((out) => {
    const tensors = out.tensors.map((t) => {
      const elements = Array.from(t.data as ArrayLike<number | bigint | string>, (v) => element(v, t.elementType));
      return `{"element_type": ${pyString(t.elementType)}, "dimensions": [${t.dimensions.join(", ")}], "elements": [${elements.join(", ")}]}`;
    });
    return `{"name": ${pyString(out.name)}, "kind": ${pyString(out.kind)}, "tensors": [${tensors.join(", ")}]}`;
  });
  return `[${parts.join(", ")}]`;
}
