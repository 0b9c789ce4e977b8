/** Top-to-bottom layered layout of the pipeline with elkjs (no web worker: bundled build). */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { Graph } from './runefile';

const elk = new ELK();
export const NODE_WIDTH = 230;
export const NODE_HEIGHT = 84;

export async function layout(graph: Graph): Promise<Record<string, { x: number; y: number }>> {
  const names = new Set(graph.stages.map((s) => s.name));
  const result = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.spacing.nodeNode': '40',
      'elk.layered.spacing.nodeNodeBetweenLayers': '50',
    },
    children: graph.stages.map((s) => ({ id: s.name, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: graph.stages.flatMap((s) =>
      s.inputs.filter((i) => names.has(i.stage)).map((i, n) => ({ id: `${s.name}:${n}`, sources: [i.stage], targets: [s.name] })),
    ),
  });
  return Object.fromEntries((result.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
}
