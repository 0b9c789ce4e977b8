/**
 * The host: load a `.rune`, feed its capabilities, run it, hand back its outputs, with the same
 * API shape as the Python one:
 *
 *     const rune = await Rune.load(bytes, options);
 *     const outputs = await rune.run({ audio: samples });
 *
 * Loading does the setup once (manifest and size checks, capability feeders, model handlers,
 * the compiled module, the instance); `run` feeds inputs, enters `rune_run` and collects the
 * outputs. Imports never throw into wasm: a failure is recorded with its status (docs/abi.md)
 * and raised once `rune_run` returns, as in the Python host (runtime/abi.py).
 */
import { ENTRY_POINT, IMPORTS, IMPORT_MODULE, IMPORT_NAMES, STATUS, describeImport } from "./abi.js";
import {
  type CapabilityRegistry,
  type Feeder,
  type InputValue,
  type ResolvedInput,
  checkLength,
  defaultRegistry,
} from "./capabilities.js";
import { readRune } from "./container.js";
import {
  CapabilityError,
  GuestMemoryError,
  LimitError,
  ModelError,
  RuneError,
  RuneLoadError,
  RuneRunError,
} from "./errors.js";
import type { HandlerRegistry, ModelHandler } from "./handlers/index.js";
import { type Manifest, type TensorSpec, parseManifest } from "./manifest.js";
import { type Output, typedArray } from "./outputs.js";
import { Pcg64 } from "./rng.js";
import { soundStage, windows } from "./stream.js";

const MIB = 1 << 20;
const PAGE = 65536;

/** What one loaded rune may use; `null` turns a limit off (defaults as the Python host's). */
export interface Limits {
  memoryBytes: number | null;
  /** Enforced by `RuneWorker` (a Worker that is terminated); in-process runs cannot be stopped. */
  deadlineMs: number | null;
  maxModelBytes: number | null;
  maxTensorBytes: number | null;
}

export const DEFAULT_LIMITS: Limits = {
  memoryBytes: 1024 * MIB,
  deadlineMs: 60_000,
  maxModelBytes: 512 * MIB,
  maxTensorBytes: 256 * MIB,
};

export interface LoadOptions {
  seed?: number | bigint;
  limits?: Partial<Limits>;
  handlers?: HandlerRegistry;
  capabilities?: CapabilityRegistry;
  onLog?: (level: number, message: string) => void;
  /** Reads a string input as a file (Node); without it a string input is an error. */
  readFile?: (path: string) => Uint8Array;
}

type Status = number;

/** Each of the imports' first failure, with its status; the run raises it. */
class Failure {
  error: RuneError | null = null;
  record(exc: unknown, status: Status): Status {
    let code = status;
    let error: RuneError;
    if (exc instanceof RuneError) {
      error = exc;
      if (exc instanceof GuestMemoryError) code = STATUS.MEMORY;
    } else {
      code = STATUS.INTERNAL;
      error = new RuneRunError(`internal error in an import: ${(exc as Error)?.message ?? exc}`);
    }
    this.error ??= error;
    return code;
  }
}

/** The initial size (bytes) of a memory the module defines, from its memory section. */
function declaredMemory(wasm: Uint8Array): number {
  let pos = 8;
  const leb = (): number => {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const b = wasm[pos++];
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
    }
  };
  while (pos < wasm.length) {
    const id = wasm[pos++];
    const size = leb();
    const end = pos + size;
    if (id === 5) {
      const count = leb();
      let largest = 0;
      for (let i = 0; i < count; i++) {
        const flags = leb();
        const min = leb();
        if (flags & 1) leb();
        largest = Math.max(largest, min * PAGE);
      }
      return largest;
    }
    pos = end;
  }
  return 0;
}

export class Rune {
  private readonly failure = new Failure();
  private memory!: WebAssembly.Memory;
  private runExport!: () => number | Promise<number>;
  private inputs: Uint8Array[] = [];
  private written: (Uint8Array | string[] | null)[] = [];
  private readonly outKeys: number[][] = [];
  private running = false;

  private constructor(
    readonly manifest: Manifest,
    private readonly feeds: Feeder[],
    private readonly models: ModelHandler[],
    private readonly limits: Limits,
    private readonly options: LoadOptions,
  ) {
    let key = 0;
    for (const spec of manifest.outputs) this.outKeys.push(spec.inputs.map(() => key++));
    this.written = new Array(key).fill(null);
  }

  /** Load a `.rune` from its bytes. Throws a RuneError subclass. */
  static async load(bytes: Uint8Array | ArrayBuffer, options: LoadOptions = {}): Promise<Rune> {
    const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const container = readRune(data);
    const manifest = parseManifest(container.manifest);
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    checkSizes(manifest, limits, container.blobs.length);
    const rng = new Pcg64(BigInt(options.seed ?? 0));
    const registry = options.capabilities ?? defaultRegistry;
    const feeds = manifest.capabilities.map((spec) => registry.feeder(spec, rng));
    let module: WebAssembly.Module;
    try {
      module = await WebAssembly.compile(container.wasm as Uint8Array<ArrayBuffer>);
    } catch (exc) {
      throw new RuneLoadError(`invalid wasm module: ${(exc as Error).message}`);
    }
    checkModule(module);
    const initial = declaredMemory(container.wasm);
    if (limits.memoryBytes !== null && initial > limits.memoryBytes) {
      throw new LimitError(
        `the rune's memory starts at ${initial} bytes, more than the limit of ${limits.memoryBytes} (limit memoryBytes / --max-memory)`,
      );
    }
    const models: ModelHandler[] = [];
    if (manifest.models.length && !options.handlers) {
      throw new ModelError("the rune has models but no handler registry was given (use the node or browser entry)");
    }
    for (const spec of manifest.models) {
      const blob = container.blobs.subarray(spec.blob.offset, spec.blob.offset + spec.blob.length);
      models.push(await options.handlers!.create(spec, blob));
    }
    const rune = new Rune(manifest, feeds, models, limits, options);
    await rune.instantiate(module);
    return rune;
  }

  private async instantiate(module: WebAssembly.Module): Promise<void> {
    const bodies: Record<string, (...args: number[]) => void> = {
      capability_read: (cap, ptr, len) => this.capabilityRead(cap, ptr, len),
      model_set_input: (m, slot, ptr, len) => this.modelSetInput(m, slot, ptr, len),
      model_invoke: (m) => this.pick(this.models, m, "model").invoke(),
      model_get_output: (m, slot, ptr, len) => this.modelGetOutput(m, slot, ptr, len),
      output_write: (o, slot, ptr, len) => this.outputWrite(o, slot, ptr, len),
      log: (level, ptr, len) => this.log(level, ptr, len),
      // Only in runes built with `runec --profile`; kernel timings are the Python host's
      // (`rune bench --kernels`), so here a probe does nothing.
      probe: () => {},
    };
    // Linked from the ABI's table: each import's failure status, and whether it returns one.
    const imports: WebAssembly.ModuleImports = {};
    for (const name of IMPORT_NAMES) {
      const { failure, results } = IMPORTS[name];
      const body = bodies[name];
      imports[name] = results.length
        ? (...args: number[]) => this.guard(failure, () => body(...args))
        : (...args: number[]) => void this.guard(failure, () => body(...args));
    }
    // An asynchronous model handler (onnxruntime-web) suspends the rune in `model_invoke`
    // through JSPI; the checks of `load` made sure the engine has it.
    const jspi = WebAssembly as unknown as {
      Suspending: new (f: (...a: number[]) => Promise<number>) => WebAssembly.ImportValue;
      promising: (f: unknown) => () => Promise<number>;
    };
    const suspends = this.models.some((m) => m.async);
    if (suspends) {
      imports.model_invoke = new jspi.Suspending(async (m: number) => {
        try {
          if (!this.running) throw new RuneRunError("the rune called an import from its start function");
          await this.pick(this.models, m, "model").invoke();
          return 0;
        } catch (exc) {
          return this.failure.record(exc, IMPORTS.model_invoke.failure);
        }
      });
    }
    let instance: WebAssembly.Instance;
    try {
      instance = await WebAssembly.instantiate(module, { [IMPORT_MODULE]: imports });
    } catch (exc) {
      throw new RuneLoadError(`cannot instantiate the rune: ${(exc as Error).message}`);
    }
    this.memory = instance.exports.memory as WebAssembly.Memory;
    const entry = instance.exports[ENTRY_POINT] as () => number;
    this.runExport = suspends ? jspi.promising(entry) : entry;
  }

  /** Run the pipeline once. `inputs` maps capability stage names to inputs. */
  async run(inputs: Record<string, InputValue> = {}): Promise<Output[]> {
    if (this.running) throw new RuneRunError("the rune is already running (one run at a time)");
    const preparing = this.prepare(inputs);
    if (preparing) await preparing; // only when a feeder decodes asynchronously (JPEG)
    this.failure.error = null;
    this.written.fill(null);
    this.running = true;
    let status: number;
    try {
      const result = this.runExport();
      status = typeof result === "number" ? result : await result;
    } catch (exc) {
      throw new RuneRunError(`the rune trapped: ${(exc as Error).message}`);
    } finally {
      this.running = false;
    }
    this.checkMemory();
    if (this.failure.error) throw this.failure.error;
    if (status !== 0) throw new RuneRunError(`the rune failed with status ${status}`);
    return this.collect();
  }

  /** Feed every capability before entering the guest, so input errors come first; a promise
   * only if some feeder is asynchronous. */
  private prepare(inputs: Record<string, InputValue>): Promise<void> | undefined {
    const names = this.manifest.capabilities.map((c) => c.name);
    for (const name of Object.keys(inputs)) {
      if (!names.includes(name)) {
        throw new CapabilityError(
          `the rune has no capability stage named "${name}" (capability stages: ${names.join(", ") || "none"})`,
        );
      }
    }
    const specs = this.manifest.capabilities;
    const fed: Uint8Array[] = new Array(specs.length);
    const pending: Promise<void>[] = [];
    specs.forEach((spec, i) => {
      const data = this.feeds[i](this.resolve(inputs[spec.name]));
      if (data instanceof Promise) pending.push(data.then((d) => void (fed[i] = d)));
      else fed[i] = data;
    });
    const finish = () => {
      specs.forEach((spec, i) => checkLength(spec, fed[i].length));
      this.inputs = fed;
    };
    if (!pending.length) return void finish();
    return Promise.all(pending).then(finish);
  }

  private resolve(value: InputValue | undefined): ResolvedInput | undefined {
    if (typeof value !== "string") return value;
    if (!this.options.readFile) throw new CapabilityError(`a path (${value}) can only be read in Node`);
    try {
      return { kind: "file", name: value, data: this.options.readFile(value) };
    } catch (exc) {
      throw new CapabilityError(`cannot read ${value}: ${(exc as Error).message}`);
    }
  }

  private collect(): Output[] {
    return this.manifest.outputs.map((spec, o) => ({
      name: spec.name,
      kind: spec.kind,
      tensors: spec.inputs.map((t, slot) => {
        const value = this.written[this.outKeys[o][slot]];
        if (value === null) throw new RuneRunError(`rune_run returned without writing output "${spec.name}" slot ${slot}`);
        return {
          elementType: t.elementType,
          dimensions: [...t.dimensions],
          data: Array.isArray(value) ? value : typedArray(t.elementType, value), // owns `value`
        };
      }),
    }));
  }

  /** Slide the SOUND stage's window over a long recording `hopMs` at a time and run once per
   * window (the last one padded with silence), as the Python host's `Rune.stream`. */
  async *stream(
    recording: InputValue,
    hopMs: number,
    options: { capability?: string; inputs?: Record<string, InputValue> } = {},
  ): AsyncGenerator<{ startMs: number; outputs: Output[] }> {
    const spec = soundStage(this.manifest, options.capability);
    const resolved = this.resolve(recording);
    if (resolved === undefined) throw new CapabilityError("streaming needs a recording");
    for (const { startMs, window } of windows(spec, resolved, hopMs)) {
      const samples = spec.tensor.elementType === "i16" ? new Int16Array(window.buffer) : new Float32Array(window.buffer);
      yield { startMs, outputs: await this.run({ ...options.inputs, [spec.name]: samples }) };
    }
  }

  /** Release the model handlers. */
  dispose(): void {
    for (const model of this.models) model.dispose?.();
  }

  // -- imports -------------------------------------------------------------------------------

  private guard(status: Status, body: () => void): Status {
    try {
      if (!this.running) throw new RuneRunError("the rune called an import from its start function");
      this.checkMemory();
      body();
      return 0;
    } catch (exc) {
      return this.failure.record(exc, status);
    }
  }

  private checkMemory(): void {
    const size = this.memory?.buffer.byteLength ?? 0;
    if (this.limits.memoryBytes !== null && size > this.limits.memoryBytes) {
      throw new LimitError(
        `the rune grew its memory to ${size} bytes, more than the limit of ${this.limits.memoryBytes} (limit memoryBytes / --max-memory)`,
      );
    }
  }

  private span(ptr: number, len: number, what: string): Uint8Array {
    const start = ptr >>> 0;
    const size = len >>> 0;
    const total = this.memory.buffer.byteLength;
    if (start + size > total) {
      throw new GuestMemoryError(`${what}: the rune passed ptr=${start} len=${size}, outside its memory (${total} bytes)`);
    }
    return new Uint8Array(this.memory.buffer, start, size);
  }

  private pick<T>(items: readonly T[], index: number, what: string): T {
    if (!(index >= 0 && index < items.length)) {
      throw new RuneRunError(`the rune named ${what} ${index}, but the manifest has ${items.length}`);
    }
    return items[index];
  }

  private checkSize(tensor: TensorSpec, size: number, what: string): void {
    if (size !== tensor.nbytes) {
      throw new RuneRunError(
        `${what}: the rune passed ${size} bytes but the manifest declares ${tensor.describe()} (${tensor.nbytes} bytes)`,
      );
    }
  }

  private capabilityRead(cap: number, ptr: number, len: number): void {
    const spec = this.pick(this.manifest.capabilities, cap, "capability");
    const what = `capability_read for stage "${spec.name}"`;
    const view = this.span(ptr, len, what);
    this.checkSize(spec.tensor, view.length, what);
    view.set(this.inputs[cap]);
  }

  /** The checked guest bytes of slot `slot` of a model's inputs/outputs or an output stage's
   * inputs: the entry and slot exist, the span is inside memory, its size is the tensor's. */
  private slotView(
    entries: readonly { name: string; inputs: TensorSpec[]; outputs?: TensorSpec[] }[],
    index: number,
    slot: number,
    ptr: number,
    len: number,
    what: { entry: "model" | "output"; list: "inputs" | "outputs"; call: string },
  ): [Uint8Array, TensorSpec, string] {
    const spec = this.pick(entries, index, what.entry);
    const side = what.list === "inputs" ? "input" : "output";
    const tensor = this.pick(spec[what.list]!, slot, `${side} slot of ${what.entry} "${spec.name}"`);
    const label = `${what.call} for ${what.entry} "${spec.name}" slot ${slot}`;
    const view = this.span(ptr, len, label);
    this.checkSize(tensor, view.length, label);
    return [view, tensor, label];
  }

  private modelSetInput(model: number, slot: number, ptr: number, len: number): void {
    const what = { entry: "model", list: "inputs", call: "model_set_input" } as const;
    const [view] = this.slotView(this.manifest.models, model, slot, ptr, len, what);
    this.models[model].setInput(slot, view);
  }

  private modelGetOutput(model: number, slot: number, ptr: number, len: number): void {
    const what = { entry: "model", list: "outputs", call: "model_get_output" } as const;
    const [view, tensor] = this.slotView(this.manifest.models, model, slot, ptr, len, what);
    const data = this.models[model].getOutput(slot);
    if (!data || data.length !== view.length) {
      throw new ModelError(
        `model "${this.manifest.models[model].name}" output ${slot} is ${data?.length ?? 0} bytes but the manifest declares ${tensor.describe()} (${tensor.nbytes} bytes)`,
      );
    }
    view.set(data);
  }

  private outputWrite(output: number, slot: number, ptr: number, len: number): void {
    const what = { entry: "output", list: "inputs", call: "output_write" } as const;
    const [view, tensor, label] = this.slotView(this.manifest.outputs, output, slot, ptr, len, what);
    const key = this.outKeys[output][slot];
    this.written[key] = tensor.elementType === "utf8" ? this.readStrings(view, label) : view.slice();
  }

  private readStrings(view: Uint8Array, what: string): string[] {
    const pairs = new DataView(view.buffer, view.byteOffset, view.byteLength);
    const decoder = new TextDecoder("utf-8", { fatal: true });
    const out: string[] = [];
    for (let i = 0; i < view.length / 8; i++) {
      const s = this.span(pairs.getUint32(8 * i, true), pairs.getUint32(8 * i + 4, true), `${what}, string ${i}`);
      try {
        out.push(decoder.decode(s));
      } catch {
        throw new RuneRunError(`${what}, string ${i} is not valid UTF-8`);
      }
    }
    return out;
  }

  private log(level: number, ptr: number, len: number): void {
    const message = new TextDecoder().decode(this.span(ptr, len, "log"));
    this.options.onLog?.(level, message);
  }
}

function checkModule(module: WebAssembly.Module): void {
  for (const imp of WebAssembly.Module.imports(module)) {
    const where = `import "${imp.module}" "${imp.name}"`;
    if (imp.module !== IMPORT_MODULE || !IMPORT_NAMES.includes(imp.name)) {
      throw new RuneLoadError(
        `the rune needs ${where}, which ABI v1 does not provide (available: ${IMPORT_NAMES.join(", ")} from module '${IMPORT_MODULE}')`,
      );
    }
    if (imp.kind !== "function") {
      throw new RuneLoadError(`${where} has the wrong type (ABI v1: ${describeImport(imp.name)})`);
    }
  }
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  if (exports.get("memory") !== "memory") throw new RuneLoadError('the rune does not export its memory as "memory"');
  if (exports.get(ENTRY_POINT) !== "function") throw new RuneLoadError(`the rune does not export a "${ENTRY_POINT}" function`);
}

function checkSizes(manifest: Manifest, limits: Limits, blobsLength: number): void {
  if (limits.maxTensorBytes !== null) {
    for (const t of manifest.tensors) {
      if (t.nbytes > limits.maxTensorBytes) {
        throw new LimitError(
          `tensor ${t.id} (${t.describe()}) is ${t.nbytes} bytes, more than the limit of ${limits.maxTensorBytes} (limit maxTensorBytes / --max-tensor-size)`,
        );
      }
    }
  }
  manifest.models.forEach((model, i) => {
    if (limits.maxModelBytes !== null && model.blob.length > limits.maxModelBytes) {
      throw new LimitError(
        `model "${model.name}" is ${model.blob.length} bytes, more than the limit of ${limits.maxModelBytes} (limit maxModelBytes / --max-model-size)`,
      );
    }
    if (model.blob.offset + model.blob.length > blobsLength) {
      throw new RuneLoadError(
        `bad manifest: models[${i}] (${model.name}) blob [${model.blob.offset}, ${model.blob.offset + model.blob.length}) is outside the rune.blobs section (${blobsLength} bytes)`,
      );
    }
  });
}
