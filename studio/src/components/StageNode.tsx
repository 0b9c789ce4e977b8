/** A stage on the canvas: its kind, name, reference, typed ports and diagnostics. */
import { Handle, type NodeProps, Position, type Node } from '@xyflow/react';
import type { Placed } from '../lib/store';
import { portLabel, type Stage } from '../lib/runefile';

export interface StageData extends Record<string, unknown> {
  stage: Stage;
  diagnostics: Placed[];
  inputTypes: string[];
  fusion: number | null;
}

export type StageNodeType = Node<StageData, 'stage'>;

const KIND_LABEL: Record<string, string> = { capability: 'capability', 'proc-block': 'proc block', model: 'model', out: 'output' };

export function StageNode({ data, selected }: NodeProps<StageNodeType>) {
  const { stage, diagnostics, inputTypes, fusion } = data;
  const slots = stage.kind === 'capability' ? 0 : stage.inputs.length + 1;
  const errors = diagnostics.filter((d) => d.diagnostic.severity === 'error');
  const classes = ['stage', `kind-${stage.kind ?? 'unknown'}`, selected ? 'selected' : '', errors.length ? 'has-error' : '',
    fusion !== null ? `fused fusion-${fusion % 6}` : ''].join(' ');
  return (
    <div className={classes} data-testid={`stage-${stage.name}`} aria-label={`${KIND_LABEL[stage.kind ?? ''] ?? 'stage'} ${stage.name}`}>
      <div className="ports-in">
        {Array.from({ length: slots }, (_, i) => (
          <div className="port port-in" key={i}>
            <Handle type="target" position={Position.Top} id={`in-${i}`} className="handle" data-testid={`in-${stage.name}-${i}`} />
            <span className={i < stage.inputs.length ? '' : 'port-free'}>{i < stage.inputs.length ? inputTypes[i] ?? stage.inputs[i].stage : '+'}</span>
          </div>
        ))}
      </div>
      <div className="stage-kind">
        {KIND_LABEL[stage.kind ?? ''] ?? 'unknown'}
        {fusion !== null && <span className="fusion-badge" title="fused into one kernel">fused #{fusion + 1}</span>}
      </div>
      <div className="stage-name">{stage.name}</div>
      <div className="stage-ref" title={stage.ref}>{stage.ref.replace(/^hotg-ai\/proc-blocks@[^#]*#/, '')}</div>
      <div className="ports-out">
        {stage.kind !== 'out' &&
          stage.outputs.map((port, i) => (
            <div className="port port-out" key={i}>
              <span>{portLabel(port)}</span>
              <Handle type="source" position={Position.Bottom} id={`out-${i}`} className="handle" data-testid={`out-${stage.name}-${i}`} />
            </div>
          ))}
      </div>
      {diagnostics.length > 0 && (
        <ul className="stage-diagnostics" aria-label={`diagnostics of ${stage.name}`}>
          {diagnostics.map((d, i) => (
            <li key={i} className={`diag diag-${d.diagnostic.severity}`}>
              {d.diagnostic.message}
              {d.diagnostic.notes.map((n, j) => (
                <div className="diag-note" key={j}>note: {n}</div>
              ))}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
