import { expect, test } from "vitest";
import { readCsv } from "../../src/accel.js";
import { convert, resizeExact } from "../../src/image.js";
import { pythonFloat } from "../../src/outputs.js";
import { fit, readWav } from "../../src/sound.js";
import { hex, python } from "./python.js";

test("SOUND: WAVs of other rates, widths and channels resample to the Python host's samples", () => {
  const cases = python<{ wav: string; hz: number; i16: string; f32: string }[]>(`
import json, numpy as np
from rune.runtime import sound
from tests.runtime.media import wav_bytes
rng = np.random.default_rng(3)
out = []
for rate, bits, floats, ch, hz in [(44100, 16, False, 2, 16000), (8000, 8, False, 1, 16000),
                                   (48000, 32, True, 1, 16000), (22050, 24, False, 1, 16000),
                                   (16000, 16, False, 2, 16000), (11025, 64, True, 3, 8000)]:
    x = rng.uniform(-0.9, 0.9, (rate // 4, ch))
    data = x if floats else (np.round(x * 127 + 128) if bits == 8 else np.round(x * (2 ** (bits - 1) - 1)))
    wav = wav_bytes(data, rate, bits, floats=floats)
    a = sound.read_wav(wav)
    n = hz // 3
    out.append({"wav": wav.hex(), "hz": hz, "i16": sound.fit(a, hz, n, np.dtype("<i2")).tobytes().hex(),
                "f32": sound.fit(a, hz, n, np.dtype("<f4")).tobytes().hex()})
print(json.dumps(out))
`);
  for (const c of cases) {
    const audio = readWav(Buffer.from(c.wav, "hex"));
    const n = Math.floor(c.hz / 3);
    expect(hex(fit(audio, c.hz, n, "i16"))).toBe(c.i16);
    expect(hex(fit(audio, c.hz, n, "f32"))).toBe(c.f32);
  }
});

test("IMAGE: Catmull-Rom resize and pixel formats give the Python host's bytes", () => {
  const cases = python<{ w: number; h: number; c: number; bits: number; src: string; to: number[]; out: Record<string, string> }[]>(`
import json, numpy as np
from rune.runtime import image
rng = np.random.default_rng(5)
out = []
for (h, w, c, bits, to) in [(31, 47, 3, 8, (20, 13)), (10, 12, 3, 8, (37, 29)), (64, 64, 1, 8, (96, 96)),
                            (50, 70, 1, 16, (33, 21)), (9, 200, 3, 8, (200, 9))]:
    px = rng.integers(0, 2 ** bits, (h, w, c)).astype(np.uint8 if bits == 8 else np.uint16)
    r = image.resize_exact(px, *to)
    out.append({"w": w, "h": h, "c": c, "bits": bits, "src": px.astype("<u%d" % (bits // 8)).tobytes().hex(),
                "to": list(to), "out": {f: image.convert(r, f).tobytes().hex() for f in ("RGB8", "BGR8", "GrayScale")}})
print(json.dumps(out))
`);
  for (const c of cases) {
    const raw = Buffer.from(c.src, "hex");
    const data = c.bits === 8 ? new Uint8Array(raw) : new Uint16Array(new Uint8Array(raw).buffer);
    const resized = resizeExact({ width: c.w, height: c.h, channels: c.c, data }, c.to[0], c.to[1]);
    for (const format of ["RGB8", "BGR8", "GrayScale"]) expect(hex(convert(resized, format))).toBe(c.out[format]);
  }
});

test("ACCEL: the CSV reads as the Python host reads it, and fails the same way", () => {
  const texts = ["1,2,3\n\n 4.5 , -6e-3 ,7\r\n", "1_000,inf,-nan\n.5,5.,+2\n", "1,2\n", "1,x,3\n", "\n \n"];
  const expected = python<(string | null)[][]>(`
import json, sys
from rune.runtime.accel import read_csv, CsvError
out = []
for text in json.load(sys.stdin):
    try:
        out.append([read_csv(text.encode()).tobytes().hex(), None])
    except CsvError as e:
        out.append([None, str(e)])
print(json.dumps(out))
`, JSON.stringify(texts));
  texts.forEach((text, i) => {
    try {
      expect([hex(readCsv(new TextEncoder().encode(text))), null]).toEqual(expected[i]);
    } catch (exc) {
      if (expected[i][1] === null) throw exc;
      expect([null, (exc as Error).message]).toEqual(expected[i]);
    }
  });
});

test("JSON floats are Python's repr of the shortest round-trip decimal", () => {
  const values = [0, -0, 1, -1, 1.5, 0.1, 1e-5, 1.5e-5, 0.0001, 123456789.125, 1e16, 1e15, 2 ** 70, -3.25e-300, 5e-324];
  const bits = values.map((v) => hex(new Float64Array([v]))); // exact, -0 included
  const expected = python<string[]>(
    `import json, struct, sys; print(json.dumps([repr(struct.unpack("<d", bytes.fromhex(h))[0]) for h in json.load(sys.stdin)]))`,
    JSON.stringify(bits),
  );
  expect(values.map(pythonFloat)).toEqual(expected);
});
