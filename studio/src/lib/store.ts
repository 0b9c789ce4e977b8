/**
 * The studio's state, outside the views: the Runefile text (with its YAML document), the graph
 * read from it, uploaded files, node positions, diagnostics and the last compile. Canvas edits
 * and text edits both go through here, so the two views never disagree.
 */
import { useSyncExternalStore } from 'react';
import type { Document } from 'yaml';
import type { Catalog, CompileResult, Diagnostic, Files } from './api';
import { applyGraph, emptyRunefile, type Graph, inputNamedBy, locate, parseRunefile, type Stage, stageSpans } from './runefile';

export const RUNEFILE = 'Runefile.yml';

export interface Placed {
  diagnostic: Diagnostic;
  stage: string | null;
  input: number | null;
}

export interface State {
  text: string;
  /** Who changed the text last: the YAML pane is not rewritten with its own edit. */
  origin: 'canvas' | 'editor' | 'load';
  graph: Graph;
  yamlErrors: string[];
  files: Files;
  positions: Record<string, { x: number; y: number }>;
  diagnostics: Placed[];
  checking: boolean;
  catalog: Catalog | null;
  compile: CompileResult | null;
  selected: string | null;
  revision: number;
}

type Listener = () => void;

export class Store {
  private state: State;
  private doc: Document;
  private listeners = new Set<Listener>();

  constructor(text = emptyRunefile()) {
    const parsed = parseRunefile(text);
    this.doc = parsed.doc;
    this.state = {
      text, origin: 'load', graph: parsed.graph, yamlErrors: parsed.errors, files: {}, positions: {},
      diagnostics: [], checking: false, catalog: null, compile: null, selected: null, revision: 0,
    };
  }

  get = (): State => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(patch: Partial<State>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  /** Start over from a Runefile and the files next to it (a template, an import). */
  load(text: string, files: Files = {}): void {
    const parsed = parseRunefile(text);
    this.doc = parsed.doc;
    const rest = Object.fromEntries(Object.entries(files).filter(([name]) => name !== RUNEFILE));
    this.set({ text, origin: 'load', graph: parsed.graph, yamlErrors: parsed.errors, files: rest, positions: {},
      diagnostics: [], compile: null, selected: null, revision: this.state.revision + 1 });
  }

  /** The YAML pane's edit: the graph follows when the text parses. */
  editText(text: string): void {
    const parsed = parseRunefile(text);
    if (parsed.errors.length) {
      this.set({ text, origin: 'editor', yamlErrors: parsed.errors, revision: this.state.revision + 1 });
      return;
    }
    this.doc = parsed.doc;
    this.set({ text, origin: 'editor', graph: parsed.graph, yamlErrors: [], revision: this.state.revision + 1 });
  }

  /** A canvas edit: applied to the YAML document, so the text keeps what the edit does not touch. */
  editGraph(change: (stages: Stage[]) => Stage[]): void {
    const stages = change(structuredClone(this.state.graph.stages));
    const graph = { stages };
    const text = applyGraph(this.doc, graph);
    this.set({ text, origin: 'canvas', graph, yamlErrors: [], revision: this.state.revision + 1 });
  }

  updateStage(name: string, patch: Partial<Stage>): void {
    this.editGraph((stages) => stages.map((s) => (s.name === name ? { ...s, ...patch } : s)));
  }

  addFile(name: string, data: Uint8Array): void {
    this.set({ files: { ...this.state.files, [name]: data }, revision: this.state.revision + 1 });
  }

  setPositions(positions: Record<string, { x: number; y: number }>): void {
    this.set({ positions: { ...this.state.positions, ...positions } });
  }

  select(selected: string | null): void {
    this.set({ selected });
  }

  setCatalog(catalog: Catalog): void {
    this.set({ catalog });
  }

  setChecking(checking: boolean): void {
    this.set({ checking });
  }

  setCompile(compile: CompileResult | null): void {
    this.set({ compile });
  }

  /** The server's diagnostics, each placed on the stage and input (edge) its line is in. */
  setDiagnostics(diagnostics: Diagnostic[], forText: string): void {
    const spans = stageSpans(forText);
    const placed = diagnostics.map((diagnostic) => {
      const where = diagnostic.location && diagnostic.location.file === RUNEFILE ? locate(spans, diagnostic.location.line) : null;
      const stage = this.state.graph.stages.find((s) => s.name === where?.stage);
      const input = where?.input ?? (stage ? inputNamedBy(diagnostic.message, stage, this.state.graph) : null);
      return { diagnostic, stage: where?.stage ?? null, input };
    });
    this.set({ diagnostics: placed, checking: false });
  }

  /** Every file a check or compile sends: the Runefile as it is now and the uploads. */
  sources(): Files {
    return { ...this.state.files, [RUNEFILE]: new TextEncoder().encode(this.state.text) };
  }
}

export const store = new Store();

export function useStudio<T>(select: (state: State) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.get()));
}
