/** Compile and inspect: the IR after each pass with a diff against the pass before it, the
 * memory plan as a timeline and the manifest. Fusion groups are drawn on the canvas. */
import { useMemo, useState } from 'react';
import type { CompileResult, MemoryPlan } from '../lib/api';
import { diffLines } from '../lib/diff';
import { useStudio } from '../lib/store';

function IrExplorer({ result }: { result: CompileResult }) {
  const [index, setIndex] = useState(() => Math.max(0, result.passes.findIndex((p) => p.pass === 'fuse-elementwise')));
  const [diff, setDiff] = useState(true);
  const current = result.passes[index];
  const lines = useMemo(() => {
    if (!current) return [];
    const after = current.ir.split('\n');
    if (!diff || index === 0) return after.map((text) => ({ op: ' ' as const, text }));
    return diffLines(result.passes[index - 1].ir.split('\n'), after);
  }, [current, diff, index, result.passes]);
  const changed = lines.filter((l) => l.op !== ' ').length;
  return (
    <section className="ir-explorer" aria-label="IR explorer">
      <nav aria-label="passes">
        <ol>
          {result.passes.map((p, i) => (
            <li key={i}>
              <button type="button" aria-pressed={i === index} className={i === index ? 'active' : ''} onClick={() => setIndex(i)}
                data-testid={`pass-${p.pass}`}>
                {i + 1}. {p.pass}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <div className="ir-view">
        <div className="ir-header">
          <strong data-testid="ir-title">IR after {current?.pass}</strong>
          <label><input type="checkbox" checked={diff} onChange={(e) => setDiff(e.target.checked)} /> diff against the previous pass</label>
          {diff && index > 0 && <span data-testid="ir-changes">{changed} lines changed</span>}
        </div>
        <pre className="ir" data-testid="ir-text">
          {lines.map((l, i) => (
            <div key={i} className={l.op === '+' ? 'add' : l.op === '-' ? 'del' : ''}>{l.op} {l.text}</div>
          ))}
        </pre>
      </div>
    </section>
  );
}

const COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];

export function MemoryTimeline({ plan, names }: { plan: MemoryPlan; names: Record<number, string> }) {
  const width = 760;
  const height = 320;
  const pad = { left: 70, right: 20, top: 20, bottom: 40 };
  const steps = Math.max(1, ...plan.tensors.map((t) => t.last));
  const top = Math.max(plan.arena_bytes, plan.lower_bound_bytes, 1);
  const x = (step: number) => pad.left + (step / steps) * (width - pad.left - pad.right);
  const y = (bytes: number) => height - pad.bottom - (bytes / top) * (height - pad.top - pad.bottom);
  return (
    <figure className="memory" aria-label="memory plan">
      <svg width={width} height={height} role="img" aria-label={`arena of ${plan.arena_bytes} bytes, lower bound ${plan.lower_bound_bytes}`} data-testid="memory-timeline">
        <line x1={pad.left} x2={pad.left} y1={pad.top} y2={height - pad.bottom} stroke="#888" />
        <line x1={pad.left} x2={width - pad.right} y1={height - pad.bottom} y2={height - pad.bottom} stroke="#888" />
        {plan.tensors.map((t, i) => (
          <g key={t.id} data-testid={`tensor-${t.id}`}>
            <rect x={x(t.first)} width={Math.max(2, x(t.last) - x(t.first))} y={y(t.offset + t.bytes)}
              height={Math.max(1, y(t.offset) - y(t.offset + t.bytes))} fill={COLOURS[i % COLOURS.length]} fillOpacity={0.75} stroke="#222">
              <title>{`tensor ${t.id} (${names[t.id] ?? ''}): ${t.bytes} B at offset ${t.offset}, live ${t.first}–${t.last}`}</title>
            </rect>
            <text x={x(t.first) + 4} y={y(t.offset + t.bytes / 2) + 4} fontSize="11">{`#${t.id} ${names[t.id] ?? ''}`}</text>
          </g>
        ))}
        <line x1={pad.left} x2={width - pad.right} y1={y(plan.lower_bound_bytes)} y2={y(plan.lower_bound_bytes)} stroke="#b00020" strokeDasharray="6 4" data-testid="lower-bound" />
        <text x={width - pad.right - 4} y={y(plan.lower_bound_bytes) - 4} textAnchor="end" fontSize="11" fill="#b00020">lower bound {plan.lower_bound_bytes} B</text>
        <text x={pad.left - 6} y={y(top) + 4} textAnchor="end" fontSize="11">{top} B</text>
        <text x={pad.left - 6} y={y(0)} textAnchor="end" fontSize="11">0</text>
        {Array.from({ length: steps + 1 }, (_, s) => <text key={s} x={x(s)} y={height - pad.bottom + 16} textAnchor="middle" fontSize="11">{s}</text>)}
        <text x={(width + pad.left) / 2} y={height - 6} textAnchor="middle" fontSize="12">stage step (live range)</text>
      </svg>
      <figcaption data-testid="memory-summary">
        {plan.strategy}: arena {plan.arena_bytes} B, lower bound {plan.lower_bound_bytes} B, without reuse {plan.naive_bytes} B
      </figcaption>
    </figure>
  );
}

export function InspectView() {
  const result = useStudio((s) => s.compile);
  const [tab, setTab] = useState<'ir' | 'memory' | 'manifest'>('ir');
  if (!result) return <p className="hint">Compile the pipeline to see its IR, memory plan and manifest.</p>;
  if (!result.ok) {
    return (
      <ul className="stage-diagnostics" aria-label="compile errors">
        {result.diagnostics.map((d, i) => <li key={i} className="diag diag-error">{d.message}</li>)}
      </ul>
    );
  }
  const manifest = result.manifest as { tensors?: { id: number }[]; stages?: { name: string; outputs: number[] }[] } | null;
  const names: Record<number, string> = {};
  for (const stage of manifest?.stages ?? []) for (const t of stage.outputs) names[t] = stage.name;
  return (
    <div className="inspect">
      <div role="tablist" aria-label="compiler output" className="subtabs">
        {(['ir', 'memory', 'manifest'] as const).map((t) => (
          <button key={t} role="tab" type="button" aria-selected={tab === t} onClick={() => setTab(t)}>
            {t === 'ir' ? 'IR after each pass' : t === 'memory' ? 'Memory plan' : 'Manifest'}
          </button>
        ))}
        <span className="summary">-O{result.opt_level} · {result.passes.length} passes · fusion groups: {result.fusion_groups.map((g) => g.join(' + ')).join('; ') || 'none'}</span>
      </div>
      {tab === 'ir' && <IrExplorer result={result} />}
      {tab === 'memory' && result.memory && <MemoryTimeline plan={result.memory} names={names} />}
      {tab === 'manifest' && <pre className="manifest" data-testid="manifest">{JSON.stringify(result.manifest, null, 2)}</pre>}
    </div>
  );
}
