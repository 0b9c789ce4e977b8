/**
 * Runefile text <-> pipeline graph. The YAML document (the `yaml` package's Document API) is
 * the source of truth for text: graph edits are applied to it node by node, so comments, key
 * order and formatting survive wherever the edit does not touch them.
 */
import { Document, isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode, YAMLMap } from 'yaml';

export type StageKind = 'capability' | 'proc-block' | 'model' | 'out';
export const STAGE_KINDS: readonly StageKind[] = ['capability', 'proc-block', 'model', 'out'];

export interface Port {
  type: string;
  dimensions: number[];
}

/** One entry of a stage's `inputs`: `name` (index null) or `name.N`. */
export interface InputRef {
  stage: string;
  index: number | null;
}

export interface Stage {
  name: string;
  kind: StageKind | null;
  /** The capability kind, proc-block reference, model path or output kind. */
  ref: string;
  inputs: InputRef[];
  outputs: Port[];
  args: Record<string, unknown>;
}

export interface Graph {
  stages: Stage[];
}

export interface Parsed {
  doc: Document;
  graph: Graph;
  errors: string[];
}

export function parseInput(text: string): InputRef {
  const match = /^(.*)\.(\d+)$/.exec(text);
  return match ? { stage: match[1], index: Number(match[2]) } : { stage: text, index: null };
}

export function formatInput(input: InputRef): string {
  return input.index === null ? input.stage : `${input.stage}.${input.index}`;
}

/** `f32[1, 1960]`: how a port is labelled on the canvas. */
export function portLabel(port: Port): string {
  return `${port.type.toLowerCase()}[${port.dimensions.join(', ')}]`;
}

function stageFrom(name: string, value: unknown): Stage {
  const entry = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const kind = STAGE_KINDS.find((k) => k in entry) ?? null;
  const inputs = Array.isArray(entry.inputs) ? entry.inputs.map((i) => parseInput(String(i))) : [];
  const outputs = Array.isArray(entry.outputs)
    ? entry.outputs.map((o) => {
        const port = (o ?? {}) as Record<string, unknown>;
        const dims = Array.isArray(port.dimensions) ? port.dimensions.map(Number) : [];
        return { type: String(port.type ?? ''), dimensions: dims };
      })
    : [];
  const args = entry.args && typeof entry.args === 'object' ? { ...(entry.args as Record<string, unknown>) } : {};
  return { name, kind, ref: kind ? String(entry[kind] ?? '') : '', inputs, outputs, args };
}

export function graphOf(doc: Document): Graph {
  const pipeline = doc.get('pipeline');
  if (!isMap(pipeline)) return { stages: [] };
  const stages = pipeline.items.map((pair) => {
    const name = String((pair.key as { value?: unknown })?.value ?? pair.key);
    const value = isMap(pair.value) || isSeq(pair.value) ? (pair.value as YamlNode).toJSON() : null;
    return stageFrom(name, value);
  });
  return { stages };
}

export function parseRunefile(text: string): Parsed {
  const doc = parseDocument(text, { keepSourceTokens: false });
  const errors = doc.errors.map((e) => e.message);
  return { doc, graph: errors.length ? { stages: [] } : graphOf(doc), errors };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function stageNode(doc: Document, stage: Stage): YamlNode {
  const value: Record<string, unknown> = {};
  if (stage.kind) value[stage.kind] = stage.ref;
  if (stage.inputs.length) value.inputs = stage.inputs.map(formatInput);
  if (stage.outputs.length) value.outputs = stage.outputs.map((o) => ({ type: o.type, dimensions: o.dimensions }));
  if (Object.keys(stage.args).length) value.args = stage.args;
  return doc.createNode(value) as YamlNode;
}

/** Make one stage's map say what `stage` says, touching only the keys that differ. */
function updateStage(doc: Document, map: YAMLMap, stage: Stage): void {
  const old = stageFrom(stage.name, map.toJSON());
  if (old.kind !== stage.kind || old.ref !== stage.ref) {
    for (const kind of STAGE_KINDS) if (kind !== stage.kind) map.delete(kind);
    if (stage.kind) map.set(stage.kind, stage.ref);
  }
  const inputs = stage.inputs.map(formatInput);
  if (!same(old.inputs.map(formatInput), inputs)) {
    if (!inputs.length) map.delete('inputs');
    else if (map.has('inputs')) map.set('inputs', doc.createNode(inputs));
    else map.items.splice(Math.min(1, map.items.length), 0, doc.createPair('inputs', inputs)); // after the kind, as people write it
  }
  if (!same(old.outputs, stage.outputs)) {
    if (stage.outputs.length) map.set('outputs', doc.createNode(stage.outputs));
    else map.delete('outputs');
  }
  if (!same(old.args, stage.args)) {
    const args = map.get('args');
    if (!Object.keys(stage.args).length) map.delete('args');
    else if (isMap(args)) {
      for (const key of Object.keys(old.args)) if (!(key in stage.args)) args.delete(key);
      for (const [key, value] of Object.entries(stage.args)) {
        if (!same(old.args[key], value)) args.set(key, doc.createNode(value));
      }
    } else map.set('args', doc.createNode(stage.args));
  }
}

/** Apply `graph` to `doc` in place (stage order follows the graph) and return the text. */
export function applyGraph(doc: Document, graph: Graph): string {
  if (!doc.contents) doc.contents = doc.createNode({ version: 1, image: 'runicos/base' }) as YAMLMap;
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as YAMLMap;
  let pipeline = doc.get('pipeline');
  if (!isMap(pipeline) && !graph.stages.length) return doc.toString();
  if (!isMap(pipeline)) {
    doc.set('pipeline', doc.createNode({}));
    pipeline = doc.get('pipeline');
  }
  const map = pipeline as YAMLMap;
  if (map.flow && !map.items.length && graph.stages.length) map.flow = false; // `pipeline: {}` grows as a block map
  const byName = new Map(map.items.map((pair) => [String((pair.key as { value?: unknown })?.value ?? pair.key), pair]));
  const items = [];
  for (const stage of graph.stages) {
    const pair = byName.get(stage.name);
    if (pair && isMap(pair.value)) {
      updateStage(doc, pair.value, stage);
      items.push(pair);
    } else {
      map.set(stage.name, stageNode(doc, stage));
      items.push(map.items[map.items.length - 1]);
    }
  }
  map.items = items;
  return doc.toString();
}

export function emptyRunefile(): string {
  return 'version: 1\nimage: runicos/base\npipeline: {}\n';
}

/** Where each stage (and each of its inputs) is in the text, for placing diagnostics. */
export interface StageSpan {
  name: string;
  startLine: number;
  endLine: number;
  inputLines: number[];
}

export function stageSpans(text: string): StageSpan[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const pipeline = doc.get('pipeline');
  if (!isMap(pipeline)) return [];
  const line = (offset: number) => counter.linePos(offset).line;
  return pipeline.items.map((pair) => {
    const key = pair.key as YamlNode;
    const value = pair.value as YamlNode | null;
    const start = line(key.range?.[0] ?? 0);
    const end = line(value?.range?.[1] ?? key.range?.[1] ?? 0);
    const inputs = isMap(value) ? value.get('inputs', true) : null;
    const inputLines = isSeq(inputs) ? inputs.items.map((item) => line((item as YamlNode).range?.[0] ?? 0)) : [];
    return { name: String((key as { value?: unknown }).value ?? key), startLine: start, endLine: end, inputLines };
  });
}

/** A diagnostic's line as the stage it concerns (the last stage starting at or before it),
 * and the input (edge) when the line is one of that stage's inputs. */
export function locate(spans: StageSpan[], line: number): { stage: string; input: number | null } | null {
  const span = [...spans].reverse().find((s) => s.startLine <= line && line <= s.endLine);
  if (!span) return null;
  const input = span.inputLines.indexOf(line);
  return { stage: span.name, input: input >= 0 ? input : null };
}

/** A stage-level message that names the type arriving on exactly one of the stage's inputs
 * (check-types says "X takes u32[1, n], not i16[1, 16000]") is about that input's edge. */
export function inputNamedBy(message: string, stage: Stage, graph: Graph): number | null {
  const byName = new Map(graph.stages.map((s) => [s.name, s]));
  const hits = stage.inputs.flatMap((input, i) => {
    const port = byName.get(input.stage)?.outputs[input.index ?? 0];
    return port && message.includes(portLabel(port)) ? [i] : [];
  });
  return hits.length === 1 ? hits[0] : null;
}
