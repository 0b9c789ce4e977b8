/**
 * Runefile <-> graph: every example and every peer-suite Runefile maps to a graph and back.
 * Unchanged graphs give the text back byte for byte (comments and order kept); a graph written
 * into a fresh document reads back as the same graph; an edit keeps the other comments.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { applyGraph, emptyRunefile, inputNamedBy, locate, parseRunefile, portLabel, stageSpans } from '../src/lib/runefile';

const repo = resolve(__dirname, '..', '..');
const peer = resolve(repo, '..', 'shared', 'peer-suite');

function runefiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...runefiles(path));
    else if (/^Runefile(\.ya?ml)?$/.test(name)) found.push(path);
  }
  return found.sort();
}

const examples = runefiles(join(repo, 'examples'));
const peers = runefiles(peer);

describe('the corpus', () => {
  it('has every example and peer-suite Runefile', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    expect(peers.length).toBe(37);
  });
});

const corpus = [...examples, ...peers].map((p) => [p.startsWith(peer) ? `peer-suite${p.slice(peer.length)}` : p.slice(repo.length + 1), p]);

describe.each(corpus)('%s', (_name, path) => {
  const text = readFileSync(path, 'utf8');
  const parsed = parseRunefile(text);

  it('maps to a graph whose stages are the pipeline keys', () => {
    const plain = parseDocument(text).toJS() as { pipeline?: Record<string, unknown> } | null;
    expect(parsed.graph.stages.map((s) => s.name)).toEqual(Object.keys(plain?.pipeline ?? {}));
  });

  it('gives the same text back when the graph is unchanged', () => {
    const again = parseRunefile(text);
    expect(applyGraph(again.doc, parsed.graph)).toBe(again.doc.toString());
    expect(applyGraph(again.doc, parsed.graph)).toBe(parseDocument(text).toString());
  });

  it('keeps every comment line of the file', () => {
    const again = parseRunefile(text);
    const comments = (t: string) => t.split('\n').filter((l) => l.trim().startsWith('#')).map((l) => l.trim());
    expect(comments(applyGraph(again.doc, parsed.graph))).toEqual(comments(text));
  });

  it('reads back as the same graph from a fresh document', () => {
    const fresh = parseRunefile(emptyRunefile());
    const written = applyGraph(fresh.doc, parsed.graph);
    expect(parseRunefile(written).graph).toEqual(parsed.graph);
  });
});

describe('edits keep the rest of the file', () => {
  const microspeech = readFileSync(join(repo, 'examples', 'microspeech', 'Runefile.yml'), 'utf8');

  it('changes one argument and keeps every comment and the stage order', () => {
    const { doc, graph } = parseRunefile(microspeech);
    const stage = graph.stages.find((s) => s.name === 'most_confident');
    expect(stage).toBeDefined();
    stage!.args = { count: 2 };
    const text = applyGraph(doc, graph);
    expect(text).toContain('# The original Rune\'s microspeech example');
    expect(text).toContain('count: 2');
    expect(parseRunefile(text).graph.stages.map((s) => s.name)).toEqual(
      ['audio', 'fft', 'noise_filtering', 'model', 'most_confident', 'label', 'serial']);
    expect(text.split('\n').length).toBe(microspeech.split('\n').length);
  });

  it('rewires an input and removes a stage', () => {
    const { doc, graph } = parseRunefile(microspeech);
    graph.stages.find((s) => s.name === 'noise_filtering')!.inputs = [{ stage: 'audio', index: null }];
    graph.stages = graph.stages.filter((s) => s.name !== 'fft');
    const after = parseRunefile(applyGraph(doc, graph)).graph;
    expect(after.stages.map((s) => s.name)).not.toContain('fft');
    expect(after.stages.find((s) => s.name === 'noise_filtering')!.inputs).toEqual([{ stage: 'audio', index: null }]);
  });

  it('labels ports and places a line on its stage and input', () => {
    expect(portLabel({ type: 'F32', dimensions: [1, 1960] })).toBe('f32[1, 1960]');
    const spans = stageSpans(microspeech);
    const lines = microspeech.split('\n');
    const fftInput = lines.findIndex((l) => l.trim() === '- fft') + 1;
    expect(locate(spans, fftInput)).toEqual({ stage: 'noise_filtering', input: 0 });
    const modelLine = lines.findIndex((l) => l.includes('model: "./model.tflite"')) + 1;
    expect(locate(spans, modelLine)).toEqual({ stage: 'model', input: null });
    const keyLine = lines.findIndex((l) => l.trim() === 'noise_filtering:') + 1;
    expect(locate(spans, keyLine)).toEqual({ stage: 'noise_filtering', input: null });
  });

  it('puts a type error that names an input\'s type on that input', () => {
    const { graph } = parseRunefile(microspeech);
    const stage = graph.stages.find((s) => s.name === 'noise_filtering')!;
    stage.inputs = [{ stage: 'audio', index: null }];
    expect(inputNamedBy('noise_filtering takes u32[1, n] (e.g. fft\'s output), not i16[1, 16000]', stage, graph)).toBe(0);
    expect(inputNamedBy('some other problem', stage, graph)).toBeNull();
  });
});
