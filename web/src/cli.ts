/**
 * `rune-web run RUNE [FILE...] [--raw|--image|--sound|--accel FILE]... [--input NAME=FILE]...
 *  [--seed N] [--hop-ms MS [--stream NAME]] [--timeout S] [--max-memory SIZE]
 *  [--max-model-size SIZE] [--max-tensor-size SIZE]`
 *
 * The Python host's `rune run`, printing the same JSON. The rune runs in a worker thread, so
 * `--timeout` stops a rune that never returns. Errors are one `rune-web: error: ...` line.
 */
import { readFileSync } from "node:fs";
import { type FileInput, assignSources, groupOf } from "./capabilities.js";
import { RuneError } from "./errors.js";
import { DEFAULT_LIMITS, type Limits } from "./host.js";
import { loadRuneWorker } from "./node.js";
import { type Output, pythonFloat, renderJson } from "./outputs.js";
import { soundStage, windows } from "./stream.js";

const PROG = "rune-web";

class UsageError extends Error {}

function parseSize(text: string): number | null {
  if (["none", "off", "unlimited"].includes(text.trim().toLowerCase())) return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i.exec(text);
  if (!m) throw new UsageError(`not a size: '${text}' (examples: 64M, 1GiB, 4096, none)`);
  const value = Number(m[1]) * 1024 ** " kmgt".indexOf(m[2].toLowerCase() || " ");
  if (value < 1) throw new UsageError(`a size must be at least 1 byte, got '${text}'`);
  return Math.floor(value);
}

function parseMs(text: string): number | null {
  let t = text.trim().toLowerCase();
  if (["none", "off", "unlimited"].includes(t)) return null;
  let scale = 1000;
  if (t.endsWith("ms")) [t, scale] = [t.slice(0, -2), 1];
  else if (t.endsWith("s")) t = t.slice(0, -1);
  const value = Number(t) * scale;
  if (t === "" || Number.isNaN(value)) throw new UsageError(`not a duration: '${text}' (examples: 2.5, 500ms, none)`);
  if (!(value > 0 && value < Infinity)) throw new UsageError(`a duration must be positive, got '${text}'`);
  return value;
}

interface Args {
  rune: string;
  files: string[];
  groups: Record<string, string[]>;
  named: Record<string, string>;
  seed: number;
  hopMs: number | null;
  stream: string | undefined;
  limits: Limits;
}

const USAGE = `usage: ${PROG} run RUNE [FILE...] [--raw|--image|--sound|--accel FILE]... [--input NAME=FILE]...
                 [--seed N] [--hop-ms MS [--stream NAME]] [--timeout S] [--max-memory SIZE]
                 [--max-model-size SIZE] [--max-tensor-size SIZE]

Runs a .rune in Node (in a worker thread) and prints its outputs as JSON, as \`rune run\` does.
Files are routed by extension (.bin raw, .wav sound, .png/.jpg image, .csv accel).`;

class Help extends Error {}

function parse(argv: string[]): Args {
  if (argv.includes("--help") || argv.includes("-h")) throw new Help();
  if (argv[0] !== "run") throw new UsageError(argv.length ? `unknown command '${argv[0]}' (commands: run)` : "a command is required (run)");
  const args: Args = {
    rune: "",
    files: [],
    groups: { raw: [], image: [], sound: [], accel: [] },
    named: {},
    seed: 0,
    hopMs: null,
    stream: undefined,
    limits: { ...DEFAULT_LIMITS },
  };
  const positional: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`argument ${arg}: expected one argument`);
      return argv[++i];
    };
    switch (arg) {
      case "--raw":
      case "--image":
      case "--sound":
      case "--accel":
        args.groups[arg.slice(2)].push(value());
        break;
      case "--input": {
        const text = value();
        const at = text.indexOf("=");
        if (at < 1 || at === text.length - 1) throw new UsageError(`argument --input: expected NAME=FILE, got '${text}'`);
        args.named[text.slice(0, at)] = text.slice(at + 1);
        break;
      }
      case "--seed": {
        const text = value();
        if (!/^\d+$/.test(text)) throw new UsageError(`argument --seed: invalid int value: '${text}'`);
        args.seed = Number(text);
        break;
      }
      case "--hop-ms":
        args.hopMs = Number(value());
        if (!(args.hopMs > 0)) throw new UsageError("argument --hop-ms: must be positive");
        break;
      case "--stream":
        args.stream = value();
        break;
      case "--timeout":
        args.limits.deadlineMs = parseMs(value());
        break;
      case "--max-memory":
        args.limits.memoryBytes = parseSize(value());
        break;
      case "--max-model-size":
        args.limits.maxModelBytes = parseSize(value());
        break;
      case "--max-tensor-size":
        args.limits.maxTensorBytes = parseSize(value());
        break;
      default:
        if (arg.startsWith("--")) throw new UsageError(`unrecognized arguments: ${arg}`);
        positional.push(arg);
    }
  }
  if (!positional.length) throw new UsageError("the following arguments are required: RUNE");
  [args.rune, ...args.files] = positional;
  if (args.stream !== undefined && args.hopMs === null) throw new UsageError("--stream needs --hop-ms");
  return args;
}

function fileInput(path: string): FileInput {
  try {
    return { kind: "file", name: path, data: readFileSync(path) };
  } catch (exc) {
    const e = exc as NodeJS.ErrnoException;
    throw new RuneError(e.code === "ENOENT" ? `${path}: No such file or directory` : `${path}: ${e.message}`);
  }
}

function jsonLine(startMs: number, outputs: Output[]): string {
  return `{"start_ms": ${pythonFloat(startMs)}, "outputs": ${renderJson(outputs)}}`;
}

async function run(args: Args): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(args.rune);
  } catch {
    throw new RuneError(`${args.rune}: No such file or directory`);
  }
  const rune = await loadRuneWorker(bytes, { seed: args.seed, limits: args.limits });
  try {
    const sources: Record<string, string[]> = {};
    for (const [group, files] of Object.entries(args.groups)) if (files.length) sources[group] = [...files];
    for (const path of args.files) (sources[groupOf(path)] ??= []).push(path);
    const assigned = assignSources(rune.manifest, sources, new Set(Object.keys(args.named)));
    const inputs = Object.fromEntries(
      Object.entries({ ...assigned, ...args.named }).map(([name, path]) => [name, fileInput(path)]),
    );
    if (args.hopMs === null) {
      process.stdout.write(renderJson(await rune.run(inputs)) + "\n");
      return;
    }
    const spec = soundStage(rune.manifest, args.stream);
    const recording = inputs[spec.name];
    if (!recording) throw new RuneError("--hop-ms streams a SOUND input: give the rune a WAV file");
    for (const { startMs, window } of windows(spec, recording, args.hopMs)) {
      const outputs = await rune.run({ ...inputs, [spec.name]: spec.tensor.elementType === "i16" ? new Int16Array(window.buffer) : new Float32Array(window.buffer) });
      process.stdout.write(jsonLine(startMs, outputs) + "\n");
    }
  } finally {
    rune.stop();
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    await run(parse(argv));
    return 0;
  } catch (exc) {
    if (exc instanceof Help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (exc instanceof UsageError) {
      process.stderr.write(`${PROG}: error: ${exc.message} (see '${PROG} --help')\n`);
      return 2;
    }
    const message = exc instanceof RuneError ? exc.message : `internal error: ${(exc as Error)?.message ?? exc}`;
    process.stderr.write(`${PROG}: error: ${message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
