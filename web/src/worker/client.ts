/**
 * `RuneWorker`: a rune in its own Worker (a browser Web Worker or a Node worker thread), with
 * the Python host's limits: a run (or the load, which runs the module's start function) that
 * passes `deadlineMs` is stopped by terminating the worker, and the caller gets a LimitError;
 * the next run starts a fresh worker and reloads the rune. Memory and size limits are enforced
 * by the host inside the worker.
 */
import type { InputValue } from "../capabilities.js";
import { LimitError, RuneError } from "../errors.js";
import { DEFAULT_LIMITS, type Limits } from "../host.js";
import { type Manifest, parseManifest } from "../manifest.js";
import type { Output } from "../outputs.js";
import { type Reply, type Request, errorOf } from "./protocol.js";

/** A started worker, whatever the platform. */
export interface WorkerLike {
  post(request: Request): void;
  onReply(handler: (reply: Reply) => void): void;
  onCrash(handler: (message: string) => void): void;
  terminate(): void;
}

export interface WorkerOptions {
  seed?: number;
  limits?: Partial<Limits>;
  onLog?: (level: number, message: string) => void;
}

export class RuneWorker {
  private worker: WorkerLike | null = null;
  private pending: ((reply: Reply) => void) | null = null;
  private nextId = 1;
  manifest!: Manifest;

  private constructor(
    private readonly spawn: () => WorkerLike,
    private readonly bytes: Uint8Array,
    private readonly options: WorkerOptions,
    private readonly deadlineMs: number | null,
  ) {}

  /** Load a rune in a new worker made by `spawn` (see the node and browser entries). */
  static async load(spawn: () => WorkerLike, bytes: Uint8Array, options: WorkerOptions = {}): Promise<RuneWorker> {
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const rw = new RuneWorker(spawn, bytes, options, limits.deadlineMs);
    try {
      await rw.start();
    } catch (exc) {
      rw.stop();
      throw exc;
    }
    return rw;
  }

  private async start(): Promise<void> {
    const worker = this.spawn();
    this.worker = worker;
    worker.onReply((reply) => {
      if (reply.type === "log") this.options.onLog?.(reply.level, reply.message);
      else this.pending?.(reply);
    });
    worker.onCrash((message) => this.pending?.({ type: "error", name: "RuneError", message: `the rune's worker crashed: ${message}` }));
    const reply = await this.request({ type: "load", bytes: this.bytes, seed: this.options.seed ?? 0, limits: this.options.limits ?? {} }, "loading");
    if (reply.type !== "loaded") throw new RuneError("unexpected reply from the worker");
    this.manifest = parseManifest(reply.manifest);
  }

  private request(request: Request, what: string): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      this.pending = (reply) => {
        clearTimeout(timer);
        this.pending = null;
        if (reply.type === "error") reject(errorOf(reply));
        else resolve(reply);
      };
      if (this.deadlineMs !== null) {
        timer = setTimeout(() => {
          this.pending = null;
          this.stop();
          reject(
            new LimitError(
              `the rune ran past its deadline of ${this.deadlineMs} ms while ${what}; its worker was terminated (limit deadlineMs / --timeout)`,
            ),
          );
        }, this.deadlineMs);
      }
      this.worker!.post(request);
    });
  }

  /** Run once in the worker; inputs as for `Rune.run` (structured-cloned). */
  async run(inputs: Record<string, InputValue> = {}): Promise<Output[]> {
    if (!this.worker) {
      try {
        await this.start();
      } catch (exc) {
        this.stop();
        throw exc;
      }
    }
    const reply = await this.request({ type: "run", id: this.nextId++, inputs }, "running");
    if (reply.type !== "outputs") throw new RuneError("unexpected reply from the worker");
    return reply.outputs;
  }

  /** Terminate the worker (a later `run` starts a new one). */
  stop(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}
