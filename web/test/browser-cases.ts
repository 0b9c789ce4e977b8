/**
 * The Chromium side of tests/web, loaded by test/page.html and driven by test/browser.mjs:
 * `runCases` runs every case with the real handlers and with the Python host's model calls
 * replayed; `badInputs` checks that each kind of bad rune gives its own clear error while the
 * page stays alive; `microphone` and `camera` run runes on Chromium's fake capture devices.
 */
import {
  type AudioInput,
  type Output,
  Rune,
  RuneWorker,
  browserHandlers,
  captureCamera,
  loadRuneWorker,
  recordMicrophone,
  recordMotion,
  renderJson,
  soundStage,
  streamWindows,
} from "rune-web/browser";
import { type Case, type CaseResult, runCase } from "./cases.js";

const LITERT = "/dist/web/litert/";

async function read(path: string): Promise<Uint8Array> {
  const response = await fetch(`/file?path=${encodeURIComponent(path)}`);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function runCases(): Promise<CaseResult[]> {
  const cases = (await (await fetch("/cases.json")).json()) as Case[];
  const results: CaseResult[] = [];
  for (const c of cases) results.push(await runCase(c, read, () => browserHandlers(LITERT)));
  return results;
}

async function outcome(body: () => Promise<unknown>): Promise<string> {
  try {
    const value = await body();
    return `ok: ${typeof value === "string" ? value : JSON.stringify(value)}`;
  } catch (exc) {
    return `${(exc as Error).name}: ${(exc as Error).message}`;
  }
}

/** Each bad input's error, then proof that the page still runs a good rune. */
async function badInputs(paths: Record<string, string>): Promise<Record<string, string>> {
  const good = await read(paths.good);
  const goodInput = await read(paths.goodInput);
  const load = (bytes: Uint8Array) => Rune.load(bytes, { handlers: browserHandlers(LITERT) });
  const out: Record<string, string> = {};
  out.truncated = await outcome(() => load(good.subarray(0, Math.floor(good.length / 2))));
  out.wrongAbi = await outcome(async () => load(await read(paths.wrongAbi)));
  out.unknownCapability = await outcome(async () => load(await read(paths.unknownCapability)));
  out.missingInput = await outcome(async () => (await load(good)).run({}));
  const started = performance.now();
  out.forever = await outcome(async () => {
    const worker = await loadRuneWorker(await read(paths.forever), { limits: { deadlineMs: 500 } });
    return worker.run({});
  });
  out.foreverMs = String(Math.round(performance.now() - started));
  out.afterwards = await outcome(async () => {
    const worker: RuneWorker = await loadRuneWorker(good, { limits: { deadlineMs: 5000 } });
    const stage = worker.manifest.capabilities[0].name;
    const outputs = await worker.run({ [stage]: { kind: "file", name: "input.bin", data: goodInput } });
    worker.stop();
    return renderJson(outputs);
  });
  return out;
}

function label(outputs: Output[]): string {
  return String((outputs[0].tensors[0].data as string[])[0]);
}

/** Record from the (fake) microphone, then slide microspeech's window over the recording. */
async function microphone(runePath: string, ms: number): Promise<string[]> {
  const rune = await Rune.load(await read(runePath), { handlers: browserHandlers(LITERT) });
  const recording: AudioInput = await recordMicrophone(ms);
  const spec = soundStage(rune.manifest);
  const labels: string[] = [`rate=${recording.audio.rate}`];
  for (const { window } of streamWindows(spec, recording, 250)) {
    labels.push(label(await rune.run({ [spec.name]: new Int16Array(window.buffer) })));
  }
  return labels;
}

/** One frame from the (fake) camera through person_detection. */
async function camera(runePath: string): Promise<string> {
  const rune = await Rune.load(await read(runePath), { handlers: browserHandlers(LITERT) });
  const frame = await captureCamera();
  const name = rune.manifest.capabilities[0].name;
  return `${frame.pixels.width}x${frame.pixels.height} ${label(await rune.run({ [name]: frame }))}`;
}

/** DeviceMotion events (synthetic: headless Chromium has no accelerometer) carrying the rows of
 * an x,y,z CSV, recorded by `recordMotion` and run through the gesture rune. */
async function motion(runePath: string, csvPath: string): Promise<string> {
  const rune = await Rune.load(await read(runePath), { handlers: browserHandlers(LITERT) });
  const rows = new TextDecoder()
    .decode(await read(csvPath))
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => line.split(",").map(Number));
  const recording = recordMotion(rows.length);
  for (const [x, y, z] of rows) {
    window.dispatchEvent(new DeviceMotionEvent("devicemotion", { accelerationIncludingGravity: { x, y, z } }));
  }
  const name = rune.manifest.capabilities[0].name;
  return renderJson(await rune.run({ [name]: await recording }));
}

Object.assign(window, { runCases, badInputs, microphone, camera, motion, ready: true });
