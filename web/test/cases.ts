/**
 * One case of the cross-host test, run the same way in Node and in Chromium: the rune with the
 * real model handlers, and again with the Python host's model calls replayed. The JSON is
 * compared by the pytest side (tests/web) with what the Python host printed.
 */
import {
  type FileInput,
  type HandlerRegistry,
  Rune,
  fileInputs,
  renderJson,
} from "rune-web";
import { type Call, replayHandlers } from "./replay.js";

export interface Case {
  id: string;
  rune: string;
  files: string[];
  seed: number;
  expected: string;
  models: Call[][];
}

export interface CaseResult {
  id: string;
  real?: string;
  replay?: string;
  mismatches: string[];
  error?: string;
  ms?: number;
}

export async function runCase(
  c: Case,
  read: (path: string) => Promise<Uint8Array>,
  handlers: () => HandlerRegistry,
): Promise<CaseResult> {
  const result: CaseResult = { id: c.id, mismatches: [] };
  try {
    const bytes = await read(c.rune);
    const files: FileInput[] = [];
    for (const name of c.files) files.push({ kind: "file", name, data: await read(name) });
    const real = await Rune.load(bytes, { seed: c.seed, handlers: handlers() });
    const started = performance.now();
    result.real = renderJson(await real.run(fileInputs(real.manifest, files)));
    result.ms = performance.now() - started;
    real.dispose();
    const replay = await Rune.load(bytes, { seed: c.seed, handlers: replayHandlers(c.models, result.mismatches) });
    result.replay = renderJson(await replay.run(fileInputs(replay.manifest, files)));
  } catch (exc) {
    result.error = `${(exc as Error).name}: ${(exc as Error).message}`;
  }
  return result;
}
