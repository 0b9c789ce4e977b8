import { describe, expect, it } from 'vitest';
import { fft, spectrogram } from '../src/lib/audio';

describe('fft and spectrogram', () => {
  it('matches a direct DFT', () => {
    const n = 16;
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) + 0.3 * Math.cos(i * 2.1));
    const re = Float64Array.from(x);
    const im = new Float64Array(n);
    fft(re, im);
    for (let k = 0; k < n; k++) {
      let r = 0;
      let m = 0;
      for (let t = 0; t < n; t++) {
        r += x[t] * Math.cos((-2 * Math.PI * k * t) / n);
        m += x[t] * Math.sin((-2 * Math.PI * k * t) / n);
      }
      expect(re[k]).toBeCloseTo(r, 9);
      expect(im[k]).toBeCloseTo(m, 9);
    }
  });

  it('puts a tone in its bin', () => {
    const rate = 16000;
    const tone = Float32Array.from({ length: rate }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / rate));
    const rows = spectrogram(tone);
    expect(rows.length).toBe(Math.floor((rate - 256) / 128) + 1);
    const peak = rows[10].indexOf(Math.max(...rows[10]));
    expect(peak).toBe(Math.round((1000 * 256) / rate));
  });
});
