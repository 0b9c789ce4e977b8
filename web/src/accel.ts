/**
 * The ACCEL capability's input: a headerless CSV of x,y,z rows (runtime/accel.py). Blank lines
 * are skipped; every other line has exactly three numbers in Python's `float` syntax, each read as
 * a double and rounded to f32, as the Python host does.
 */
export class CsvError extends Error {}

const NUMBER =
  /^[+-]?(?:(?:\d(?:_?\d)*)?\.?\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.|inf|infinity|nan)$/i;

function parseNumber(text: string): number | null {
  if (!NUMBER.test(text)) return null;
  const t = text.replace(/_/g, "").toLowerCase();
  const sign = t.startsWith("-") ? -1 : 1;
  const body = t.replace(/^[+-]/, "");
  if (body === "inf" || body === "infinity") return sign * Infinity;
  if (body === "nan") return NaN;
  return Number(t);
}

/** The rows as a flat Float32Array of x,y,z triples. */
export function readCsv(data: Uint8Array): Float32Array {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(data);
  } catch {
    throw new CsvError("not a text file (invalid UTF-8)");
  }
  const rows: number[] = [];
  const negativeNaN: number[] = []; // Python keeps the sign of "-nan"; JS numbers may not
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const fields = line.split(",").map((s) => s.trim());
    if (fields.length !== 3) {
      throw new CsvError(`line ${i + 1}: expected 3 columns (x,y,z), found ${fields.length}`);
    }
    for (const field of fields) {
      const v = parseNumber(field);
      if (v === null) throw new CsvError(`line ${i + 1}: '${field}' is not a number`);
      if (Number.isNaN(v) && field.startsWith("-")) negativeNaN.push(rows.length);
      rows.push(v);
    }
  });
  if (!rows.length) throw new CsvError("no samples (the file has no x,y,z rows)");
  const out = Float32Array.from(rows);
  const bits = new Uint32Array(out.buffer);
  for (const i of negativeNaN) bits[i] = 0xffc00000;
  return out;
}
