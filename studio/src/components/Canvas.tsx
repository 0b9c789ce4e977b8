/** The pipeline canvas: stages as typed nodes, inputs as edges; every edit goes to the store. */
import {
  applyNodeChanges, Background, type Connection, Controls, type Edge, type EdgeChange, MarkerType, type NodeChange,
  ReactFlow, useReactFlow,
} from '@xyflow/react';
import { type DragEvent, useCallback, useEffect, useMemo, useState } from 'react';
import { layout } from '../lib/layout';
import { portLabel, type Stage } from '../lib/runefile';
import { store, useStudio } from '../lib/store';
import { StageNode, type StageNodeType } from './StageNode';

const nodeTypes = { stage: StageNode };
export const DRAG_TYPE = 'application/x-rune-stage';

export interface NewStage {
  kind: Stage['kind'];
  ref: string;
  base: string;
  outputs?: Stage['outputs'];
}

export function uniqueName(base: string, stages: Stage[]): string {
  const clean = base.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'stage';
  const taken = new Set(stages.map((s) => s.name));
  if (!taken.has(clean)) return clean;
  for (let i = 2; ; i++) if (!taken.has(`${clean}_${i}`)) return `${clean}_${i}`;
}

export function addStage(item: NewStage, position: { x: number; y: number }): string {
  const name = uniqueName(item.base, store.get().graph.stages);
  store.setPositions({ [name]: position });
  store.editGraph((stages) => [...stages, { name, kind: item.kind, ref: item.ref, inputs: [], outputs: item.outputs ?? [], args: {} }]);
  store.select(name);
  return name;
}

function removeStages(names: Set<string>): void {
  store.editGraph((stages) =>
    stages.filter((s) => !names.has(s.name)).map((s) => ({ ...s, inputs: s.inputs.filter((i) => !names.has(i.stage)) })),
  );
}

export function Canvas() {
  const graph = useStudio((s) => s.graph);
  const positions = useStudio((s) => s.positions);
  const diagnostics = useStudio((s) => s.diagnostics);
  const compile = useStudio((s) => s.compile);
  const selected = useStudio((s) => s.selected);
  const [nodes, setNodes] = useState<StageNodeType[]>([]);
  const flow = useReactFlow();

  const fusion = useMemo(() => {
    const groups = new Map<string, number>();
    compile?.fusion_groups.forEach((group, i) => group.forEach((name) => groups.set(name, i)));
    return groups;
  }, [compile]);

  // Stages without a position are laid out by elk (all of them when none has one).
  useEffect(() => {
    const missing = graph.stages.filter((s) => !positions[s.name]);
    if (!missing.length) return;
    let cancelled = false;
    void layout(graph).then((laid) => {
      if (cancelled) return;
      const fresh = Object.keys(positions).length === 0;
      store.setPositions(fresh ? laid : Object.fromEntries(missing.map((s) => [s.name, laid[s.name]])));
      if (fresh) window.setTimeout(() => void flow.fitView({ padding: 0.15, maxZoom: 1 }), 50);
    });
    return () => {
      cancelled = true;
    };
  }, [graph, positions, flow]);

  useEffect(() => {
    const byName = new Map(graph.stages.map((s) => [s.name, s]));
    setNodes((previous) => {
      const old = new Map(previous.map((n) => [n.id, n]));
      return graph.stages.map((stage) => {
        const before = old.get(stage.name);
        const inputTypes = stage.inputs.map((i) => {
          const source = byName.get(i.stage);
          const port = source?.outputs[i.index ?? 0];
          return port ? portLabel(port) : `${i.stage}?`;
        });
        return {
          ...(before ?? {}),
          id: stage.name,
          type: 'stage' as const,
          position: positions[stage.name] ?? before?.position ?? { x: 0, y: 0 },
          selected: selected === stage.name,
          data: { stage, inputTypes, fusion: fusion.get(stage.name) ?? null,
            diagnostics: diagnostics.filter((d) => d.stage === stage.name && d.input === null) },
        };
      });
    });
  }, [graph, positions, diagnostics, fusion, selected]);

  const edges: Edge[] = useMemo(() => {
    const byName = new Map(graph.stages.map((s) => [s.name, s]));
    return graph.stages.flatMap((stage) =>
      stage.inputs.filter((input) => byName.has(input.stage)).map((input) => {
        const slot = stage.inputs.indexOf(input);
        const id = `${stage.name}:${slot}`;
        const problems = diagnostics.filter((d) => d.stage === stage.name && d.input === slot);
        const port = byName.get(input.stage)?.outputs[input.index ?? 0];
        const label = problems.length ? `⚠ ${problems[0].diagnostic.message}` : port ? portLabel(port) : '';
        return {
          id, source: input.stage, target: stage.name, sourceHandle: `out-${input.index ?? 0}`, targetHandle: `in-${slot}`,
          label, className: problems.length ? 'edge-error' : '', ariaLabel: `edge ${input.stage} to ${stage.name} input ${slot}`,
          markerEnd: { type: MarkerType.ArrowClosed }, labelBgPadding: [4, 2] as [number, number],
          labelStyle: problems.length ? { fill: '#b00020', fontWeight: 600 } : undefined,
          style: problems.length ? { stroke: '#b00020', strokeWidth: 2.5 } : undefined,
          data: { notes: problems.flatMap((p) => p.diagnostic.notes) },
        };
      }),
    );
  }, [graph, diagnostics]);

  const onNodesChange = useCallback((changes: NodeChange<StageNodeType>[]) => {
    setNodes((ns) => applyNodeChanges(changes, ns));
    const moved: Record<string, { x: number; y: number }> = {};
    const removed = new Set<string>();
    for (const change of changes) {
      if (change.type === 'position' && change.position && !change.dragging) moved[change.id] = change.position;
      if (change.type === 'remove') removed.add(change.id);
      if (change.type === 'select' && change.selected) store.select(change.id);
    }
    if (Object.keys(moved).length) store.setPositions(moved);
    if (removed.size) removeStages(removed);
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const removed = changes.filter((c) => c.type === 'remove').map((c) => c.id);
    if (!removed.length) return;
    store.editGraph((stages) =>
      stages.map((s) => {
        const slots = new Set(removed.filter((id) => id.startsWith(`${s.name}:`)).map((id) => Number(id.slice(s.name.length + 1))));
        return slots.size ? { ...s, inputs: s.inputs.filter((_, i) => !slots.has(i)) } : s;
      }),
    );
  }, []);

  const onConnect = useCallback((c: Connection) => {
    const slot = Number((c.targetHandle ?? 'in-0').slice(3));
    const output = Number((c.sourceHandle ?? 'out-0').slice(4));
    store.editGraph((stages) => {
      const source = stages.find((s) => s.name === c.source);
      const ref = { stage: c.source, index: source && source.outputs.length > 1 ? output : null };
      return stages.map((s) => {
        if (s.name !== c.target) return s;
        const inputs = [...s.inputs];
        inputs[Math.min(slot, inputs.length)] = ref;
        return { ...s, inputs };
      });
    });
  }, []);

  const onDrop = useCallback((event: DragEvent) => {
    event.preventDefault();
    const raw = event.dataTransfer.getData(DRAG_TYPE);
    if (!raw) return;
    addStage(JSON.parse(raw) as NewStage, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  }, [flow]);

  return (
    <div className="canvas" onDrop={onDrop} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; }}
      data-testid="canvas">
      <ReactFlow<StageNodeType, Edge> nodes={nodes} edges={edges} nodeTypes={nodeTypes} onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange} onConnect={onConnect} onPaneClick={() => store.select(null)}
        deleteKeyCode={['Delete', 'Backspace']} minZoom={0.2} maxZoom={2} proOptions={{ hideAttribution: true }}>
        <Background />
        <Controls />
      </ReactFlow>
    </div>
  );
}
