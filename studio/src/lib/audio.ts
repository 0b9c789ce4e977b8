/** What the Test run view draws for audio: a waveform and a spectrogram (radix-2 STFT). */

export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const step = (-2 * Math.PI) / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < size / 2; k++) {
        const wr = Math.cos(step * k);
        const wi = Math.sin(step * k);
        const a = start + k;
        const b = a + size / 2;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/** Magnitudes in dB, one row of `size / 2` bins per hop (Hann window). */
export function spectrogram(samples: Float32Array, size = 256, hop = 128): Float64Array[] {
  const rows: Float64Array[] = [];
  const window = Float64Array.from({ length: size }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size));
  for (let start = 0; start + size <= samples.length; start += hop) {
    const re = Float64Array.from({ length: size }, (_, i) => samples[start + i] * window[i]);
    const im = new Float64Array(size);
    fft(re, im);
    rows.push(Float64Array.from({ length: size / 2 }, (_, k) => 10 * Math.log10(re[k] * re[k] + im[k] * im[k] + 1e-12)));
  }
  return rows;
}
