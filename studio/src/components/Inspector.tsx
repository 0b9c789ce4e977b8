/** The selected stage as a form: its inputs (each a choice of source port, so wiring works from
 * the keyboard), output ports, arguments (typed from the catalog for proc blocks) and notes. */
import { useState } from 'react';
import { formatInput, parseInput, portLabel, type Port, type Stage } from '../lib/runefile';
import { store, useStudio } from '../lib/store';

function ArgField({ stage, name, type, placeholder, doc }: { stage: Stage; name: string; type: string; placeholder: string; doc: string }) {
  const value = stage.args[name];
  const set = (raw: string) => {
    const args = Object.fromEntries(Object.entries(stage.args).filter(([key]) => key !== name));
    const numeric = type === 'int' || type === 'float' || (type === 'any' && /^-?\d+(\.\d+)?$/.test(raw));
    if (raw !== '') args[name] = numeric ? (Number.isNaN(Number(raw)) ? raw : Number(raw)) : type === 'bool' ? raw === 'true' : raw;
    store.updateStage(stage.name, { args });
  };
  const id = `arg-${stage.name}-${name}`;
  return (
    <div className="field">
      <label htmlFor={id} title={doc}>{name} <span className="type">{type}</span></label>
      {type === 'str' && typeof value === 'string' && value.includes('\n') ? (
        <textarea id={id} value={value} onChange={(e) => set(e.target.value)} rows={4} />
      ) : (
        <input id={id} value={value === undefined ? '' : String(value)} placeholder={placeholder} onChange={(e) => set(e.target.value)} />
      )}
      {doc && <div className="doc">{doc}</div>}
    </div>
  );
}

function Ports({ stage, types }: { stage: Stage; types: string[] }) {
  const setPort = (i: number, port: Port) => store.updateStage(stage.name, { outputs: stage.outputs.map((p, j) => (j === i ? port : p)) });
  return (
    <fieldset>
      <legend>Outputs</legend>
      {stage.outputs.map((port, i) => (
        <div className="field row" key={i}>
          <label htmlFor={`out-type-${stage.name}-${i}`}>#{i}</label>
          <select id={`out-type-${stage.name}-${i}`} aria-label={`output ${i} element type`} value={port.type.toLowerCase()}
            onChange={(e) => setPort(i, { ...port, type: e.target.value.toUpperCase() })}>
            {[...new Set([...types, port.type.toLowerCase()])].map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
          <input aria-label={`output ${i} dimensions`} defaultValue={port.dimensions.join(', ')} key={port.dimensions.join(',')}
            onBlur={(e) => setPort(i, { ...port, dimensions: e.target.value.split(/[ ,]+/).filter(Boolean).map(Number) })} />
          <button type="button" aria-label={`remove output ${i}`} onClick={() => store.updateStage(stage.name, { outputs: stage.outputs.filter((_, j) => j !== i) })}>×</button>
        </div>
      ))}
      <button type="button" onClick={() => store.updateStage(stage.name, { outputs: [...stage.outputs, { type: 'F32', dimensions: [1] }] })}>
        Add output
      </button>
    </fieldset>
  );
}

export function Inspector() {
  const selected = useStudio((s) => s.selected);
  const graph = useStudio((s) => s.graph);
  const catalog = useStudio((s) => s.catalog);
  const diagnostics = useStudio((s) => s.diagnostics);
  const [newArg, setNewArg] = useState('');
  const stage = graph.stages.find((s) => s.name === selected);
  if (!stage) return <section className="inspector" aria-label="inspector"><p className="hint">Select a stage to edit it.</p></section>;
  const kernel = stage.kind === 'proc-block' ? catalog?.kernels.find((k) => k.name === stage.ref.replace(/^.*#/, '').replace(/-/g, '_')) : undefined;
  const sources = graph.stages.filter((s) => s.name !== stage.name).flatMap((s) =>
    s.outputs.map((port, i) => ({ value: formatInput({ stage: s.name, index: s.outputs.length > 1 ? i : null }), label: `${s.name}${s.outputs.length > 1 ? `.${i}` : ''} ${portLabel(port)}` })),
  );
  const setInput = (slot: number, value: string) => {
    const inputs = [...stage.inputs];
    if (value === '') inputs.splice(slot, 1);
    else inputs[slot] = parseInput(value);
    store.updateStage(stage.name, { inputs });
  };
  const extraArgs = Object.keys(stage.args).filter((a) => !kernel?.args.some((k) => k.name === a));
  const mine = diagnostics.filter((d) => d.stage === stage.name);
  return (
    <section className="inspector" aria-label={`inspector for ${stage.name}`}>
      <h2>{stage.name} <span className="type">{stage.kind}</span></h2>
      {kernel && <p className="doc">{kernel.summary}</p>}
      <div className="field">
        <label htmlFor="stage-ref">{stage.kind === 'proc-block' ? 'proc block' : stage.kind ?? 'kind'}</label>
        <input id="stage-ref" value={stage.ref} onChange={(e) => store.updateStage(stage.name, { ref: e.target.value })} />
      </div>
      {stage.kind !== 'capability' && (
        <fieldset>
          <legend>Inputs</legend>
          {[...stage.inputs, null].map((input, slot) => (
            <div className="field row" key={slot}>
              <label htmlFor={`input-${stage.name}-${slot}`}>#{slot}</label>
              <select id={`input-${stage.name}-${slot}`} aria-label={`input ${slot} of ${stage.name}`} value={input ? formatInput(input) : ''}
                onChange={(e) => setInput(slot, e.target.value)}>
                <option value="">{input ? '(disconnect)' : '(connect…)'}</option>
                {input && !sources.some((s) => s.value === formatInput(input)) && <option value={formatInput(input)}>{formatInput(input)} (missing)</option>}
                {sources.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
              </select>
            </div>
          ))}
        </fieldset>
      )}
      {stage.kind !== 'out' && <Ports stage={stage} types={catalog?.element_types ?? ['f32']} />}
      <fieldset>
        <legend>Arguments</legend>
        {kernel?.args.map((a) => (
          <ArgField key={a.name} stage={stage} name={a.name} type={a.type} doc={a.doc}
            placeholder={a.default === null ? 'required' : `default ${String(a.default)}`} />
        ))}
        {extraArgs.map((a) => <ArgField key={a} stage={stage} name={a} type={typeof stage.args[a] === 'string' && String(stage.args[a]).includes('\n') ? 'str' : 'any'} placeholder="" doc="" />)}
        <div className="field row">
          <input aria-label="new argument name" placeholder="argument" value={newArg} onChange={(e) => setNewArg(e.target.value)} />
          <button type="button" disabled={!newArg} onClick={() => { store.updateStage(stage.name, { args: { ...stage.args, [newArg]: '' } }); setNewArg(''); }}>Add</button>
        </div>
      </fieldset>
      {mine.length > 0 && (
        <ul className="stage-diagnostics" aria-label="diagnostics">
          {mine.map((d, i) => (
            <li key={i} className={`diag diag-${d.diagnostic.severity}`}>
              {d.input !== null && <strong>input #{d.input}: </strong>}{d.diagnostic.message}
              {d.diagnostic.notes.map((n, j) => <div className="diag-note" key={j}>note: {n}</div>)}
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="danger" onClick={() => {
        store.editGraph((stages) => stages.filter((s) => s.name !== stage.name).map((s) => ({ ...s, inputs: s.inputs.filter((i) => i.stage !== stage.name) })));
        store.select(null);
      }}>Delete stage</button>
    </section>
  );
}
