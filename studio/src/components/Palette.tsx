/** The palette: capability kinds, every kernel of the compiler's catalog, output kinds and
 * uploaded models. Drag an item onto the canvas, or focus it and press Enter to add it. */
import { type ChangeEvent, useState } from 'react';
import type { Api } from '../lib/api';
import { store, useStudio } from '../lib/store';
import { addStage, DRAG_TYPE, type NewStage } from './Canvas';

const PROC_BLOCK_PREFIX = 'hotg-ai/proc-blocks@v0.11.3#';

function Item({ item, label, title }: { item: NewStage; label: string; title?: string }) {
  const add = () => {
    const count = store.get().graph.stages.length;
    addStage(item, { x: 40 + 30 * (count % 8), y: 40 + 40 * (count % 8) });
  };
  return (
    <li>
      <button type="button" className="palette-item" draggable title={title} aria-label={`add ${label}`}
        data-testid={`palette-${item.kind}-${label}`}
        onDragStart={(e) => { e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(item)); e.dataTransfer.effectAllowed = 'copy'; }}
        onClick={add}>
        {label}
      </button>
    </li>
  );
}

export function Palette({ api }: { api: Api }) {
  const catalog = useStudio((s) => s.catalog);
  const files = useStudio((s) => s.files);
  const [filter, setFilter] = useState('');
  const [status, setStatus] = useState('');
  const kernels = (catalog?.kernels ?? []).filter((k) => k.name.includes(filter.toLowerCase()));

  async function upload(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) return;
    const data = new Uint8Array(await file.arrayBuffer());
    setStatus(`reading ${file.name}…`);
    try {
      const info = await api.modelInfo(file.name, data);
      if (!info.ok || !info.model) {
        setStatus(info.diagnostics.map((d) => d.message).join('; ') || 'not a model');
        return;
      }
      store.addFile(file.name, data);
      const outputs = info.model.outputs.map((t) => ({ type: t.element_type.toUpperCase(), dimensions: t.shape }));
      addStage({ kind: 'model', ref: `./${file.name}`, base: file.name.replace(/\.[^.]*$/, ''), outputs }, { x: 300, y: 100 });
      setStatus(`${file.name}: ${info.model.inputs.length} input(s), ${info.model.outputs.length} output(s)`);
    } catch (error) {
      setStatus(String(error));
    }
    event.target.value = '';
  }

  return (
    <aside className="palette" aria-label="palette">
      <h2>Capabilities</h2>
      <ul>{(catalog?.capabilities ?? []).map((c) => <Item key={c} label={c} item={{ kind: 'capability', ref: c, base: c }} />)}</ul>
      <h2>Models</h2>
      <label className="upload">
        Upload a model
        <input type="file" accept=".tflite,.onnx" onChange={(e) => void upload(e)} aria-label="upload a model file" />
      </label>
      <ul>
        {Object.keys(files).filter((f) => /\.(tflite|onnx)$/.test(f)).map((f) => (
          <Item key={f} label={f} item={{ kind: 'model', ref: `./${f}`, base: f.replace(/\.[^.]*$/, '') }} />
        ))}
      </ul>
      {status && <p className="status" role="status">{status}</p>}
      <h2>Proc blocks</h2>
      <input type="search" placeholder="filter kernels" aria-label="filter kernels" value={filter} onChange={(e) => setFilter(e.target.value)} />
      <ul>
        {kernels.map((k) => (
          <Item key={k.name} label={k.name} title={k.summary} item={{ kind: 'proc-block', ref: PROC_BLOCK_PREFIX + k.name, base: k.name }} />
        ))}
      </ul>
      <h2>Outputs</h2>
      <ul>{(catalog?.outputs ?? []).map((o) => <Item key={o} label={o} item={{ kind: 'out', ref: o, base: o }} />)}</ul>
    </aside>
  );
}
