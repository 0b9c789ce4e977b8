/** Test run in the page: the compiled rune runs in the browser runtime (web/, served beside the
 * studio at /runtime/) inside a Web Worker. Inputs per capability from a file, the microphone or
 * the camera; outputs, the run's time; images shown as images, audio as waveform + spectrogram. */
import { useEffect, useRef, useState } from 'react';
import { fromBase64 } from '../lib/api';
import { spectrogram } from '../lib/audio';
import { useStudio } from '../lib/store';

const RUNTIME_URL = '/runtime/browser.mjs';

interface TensorValue { elementType: string; dimensions: number[]; data: ArrayLike<number | bigint> | string[] }
interface Output { name: string; kind: string; tensors: TensorValue[] }
interface RuneWorker { run(inputs: Record<string, unknown>): Promise<Output[]>; stop(): void }
interface Runtime {
  loadRuneWorker(bytes: Uint8Array, options?: { limits?: { deadlineMs?: number } }): Promise<RuneWorker>;
  recordMicrophone?(ms: number): Promise<unknown>;
  captureCamera?(): Promise<unknown>;
}
interface Capability { name: string; kind: string; args: Record<string, unknown> }

let runtime: Promise<Runtime> | null = null;
function loadRuntime(): Promise<Runtime> {
  runtime ??= import(/* @vite-ignore */ RUNTIME_URL) as Promise<Runtime>;
  return runtime;
}

function Waveform({ samples }: { samples: Float32Array }) {
  const width = 600;
  const height = 90;
  const step = Math.max(1, Math.floor(samples.length / width));
  const points: string[] = [];
  for (let x = 0; x < width && x * step < samples.length; x++) {
    let lo = 1;
    let hi = -1;
    for (let i = x * step; i < Math.min(samples.length, (x + 1) * step); i++) {
      lo = Math.min(lo, samples[i]);
      hi = Math.max(hi, samples[i]);
    }
    points.push(`M${x},${(1 - hi) * height / 2}L${x},${(1 - lo) * height / 2}`);
  }
  return <svg width={width} height={height} role="img" aria-label="waveform" data-testid="waveform"><path d={points.join('')} stroke="#1a66d2" /></svg>;
}

function Spectrogram({ samples }: { samples: Float32Array }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const rows = spectrogram(samples);
    const c = canvas.current;
    if (!c || !rows.length) return;
    c.width = rows.length;
    c.height = rows[0].length;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const image = ctx.createImageData(c.width, c.height);
    const top = Math.max(...rows.map((r) => Math.max(...r)));
    rows.forEach((row, x) => row.forEach((db, k) => {
      const v = Math.max(0, Math.min(255, 255 + ((db - top) * 255) / 80));
      const at = ((c.height - 1 - k) * c.width + x) * 4;
      image.data.set([v, v * 0.6, 255 - v, 255], at);
    }));
    ctx.putImageData(image, 0, 0);
  }, [samples]);
  return <canvas ref={canvas} className="spectrogram" role="img" aria-label="spectrogram" data-testid="spectrogram" style={{ width: 600, height: 128 }} />;
}

interface Chosen { file?: File; live?: unknown; samples?: Float32Array; imageUrl?: string; label: string }

export function TestRunView() {
  const compile = useStudio((s) => s.compile);
  const [inputs, setInputs] = useState<Record<string, Chosen>>({});
  const [outputs, setOutputs] = useState<Output[] | null>(null);
  const [timing, setTiming] = useState<{ load: number; run: number } | null>(null);
  const [status, setStatus] = useState('');
  if (!compile?.ok || !compile.rune_base64) return <section className="testrun"><p className="hint">Compile the pipeline first (the toolbar's Compile).</p></section>;
  const capabilities = ((compile.manifest as { capabilities?: Capability[] } | null)?.capabilities ?? []);

  async function choose(stage: string, file: File) {
    const chosen: Chosen = { file, label: file.name };
    if (/^audio\/|\.wav$/i.test(file.type || file.name)) {
      const context = new OfflineAudioContext(1, 1, 16000);
      const decoded = await context.decodeAudioData(await file.arrayBuffer());
      chosen.samples = decoded.getChannelData(0);
    } else if (/^image\//.test(file.type)) chosen.imageUrl = URL.createObjectURL(file);
    setInputs((all) => ({ ...all, [stage]: chosen }));
  }

  async function live(stage: string, cap: Capability) {
    setStatus(`recording ${stage}…`);
    try {
      const rt = await loadRuntime();
      const ms = Number(cap.args.sample_duration_ms ?? 1000);
      const value = cap.kind === 'SOUND' ? await rt.recordMicrophone?.(ms) : await rt.captureCamera?.();
      setInputs((all) => ({ ...all, [stage]: { live: value, label: cap.kind === 'SOUND' ? `${ms} ms from the microphone` : 'a camera frame' } }));
      setStatus('');
    } catch (error) {
      setStatus(String(error));
    }
  }

  async function run() {
    setStatus('loading the runtime…');
    setOutputs(null);
    try {
      const rt = await loadRuntime();
      const given: Record<string, unknown> = {};
      for (const [stage, chosen] of Object.entries(inputs)) {
        given[stage] = chosen.file ? { kind: 'file', name: chosen.file.name, data: new Uint8Array(await chosen.file.arrayBuffer()) } : chosen.live;
      }
      const t0 = performance.now();
      const worker = await rt.loadRuneWorker(fromBase64(compile!.rune_base64!), { limits: { deadlineMs: 20000 } });
      const t1 = performance.now();
      try {
        setOutputs(await worker.run(given));
      } finally {
        worker.stop();
      }
      setTiming({ load: t1 - t0, run: performance.now() - t1 });
      setStatus('done');
    } catch (error) {
      setStatus(`the run failed: ${String(error)}`);
    }
  }

  return (
    <div className="testrun">
      <section aria-label="inputs">
        <h2>Inputs</h2>
        {capabilities.map((cap) => (
          <div key={cap.name} className="field">
            <label htmlFor={`input-file-${cap.name}`}>{cap.name} ({cap.kind}) from a file</label>
            <input id={`input-file-${cap.name}`} type="file" onChange={(e) => { const f = e.target.files?.[0]; if (f) void choose(cap.name, f); }} />
            {cap.kind === 'SOUND' && <button type="button" onClick={() => void live(cap.name, cap)}>Record from the microphone</button>}
            {(cap.kind === 'IMAGE' || cap.kind === 'FLOAT_IMAGE') && <button type="button" onClick={() => void live(cap.name, cap)}>Capture a camera frame</button>}
            {inputs[cap.name] && <div className="doc">using {inputs[cap.name].label}</div>}
            {inputs[cap.name]?.samples && <><Waveform samples={inputs[cap.name].samples!} /><Spectrogram samples={inputs[cap.name].samples!} /></>}
            {inputs[cap.name]?.imageUrl && <img src={inputs[cap.name].imageUrl} alt={`input ${cap.name}`} style={{ maxWidth: 300 }} />}
          </div>
        ))}
        <button type="button" onClick={() => void run()}>Run in the browser</button>
        <span role="status" data-testid="run-status">{status}</span>
      </section>
      {outputs && (
        <section aria-label="outputs">
          <h2>Outputs</h2>
          {timing && <p data-testid="run-timing">load {timing.load.toFixed(1)} ms · run {timing.run.toFixed(1)} ms (the whole pipeline, in a Web Worker)</p>}
          {outputs.map((o) => (
            <div key={o.name}>
              <h3>{o.name} ({o.kind})</h3>
              {o.tensors.map((t, i) => (
                <pre key={i} data-testid={`output-${o.name}-${i}`}>{t.elementType}[{t.dimensions.join(', ')}]: {Array.from(t.data as ArrayLike<unknown>, String).join(', ')}</pre>
              ))}
            </div>
          ))}
        </section>
      )}
    </div>
  );
}
