/**
 * Model handlers, keyed by the manifest's model format, as in the Python host
 * (runtime/handlers): a factory gets the model's bytes and its manifest entry and returns a
 * handler. Imports are synchronous (the rune calls `model_invoke` from inside `rune_run`), so a
 * handler's `invoke` is too; loading may be asynchronous.
 */
import { ModelError } from "../errors.js";
import type { ModelSpec } from "../manifest.js";
import { Registry } from "../registry.js";

export interface ModelHandler {
  /** Copy input `slot` (the tensor's little-endian bytes) into the model. */
  setInput(slot: number, data: Uint8Array): void;
  /** Synchronous, unless `async` is set: then the host suspends the rune through JSPI. */
  invoke(): void | Promise<void>;
  readonly async?: boolean;
  /** Output `slot`'s bytes after the last `invoke` (valid until the next one). */
  getOutput(slot: number): Uint8Array;
  dispose?(): void;
}

export type HandlerFactory = (spec: ModelSpec, blob: Uint8Array) => Promise<ModelHandler>;

export class HandlerRegistry extends Registry<HandlerFactory> {
  constructor(factories: Iterable<[string, HandlerFactory]> = []) {
    super(factories, "handler for model format");
  }
  copy(): HandlerRegistry {
    return new HandlerRegistry(this.factories);
  }
  async create(spec: ModelSpec, blob: Uint8Array): Promise<ModelHandler> {
    const factory = this.factories.get(spec.format);
    if (!factory) {
      const known = this.keys.join(", ") || "none";
      throw new ModelError(
        `model "${spec.name}" has format ${spec.format}, which this runtime has no handler for (handlers: ${known})`,
      );
    }
    return factory(spec, blob);
  }
}

/** The `tensorflow-js` factory; TensorFlow.js (about 195 KB gzip) is imported only when a rune
 * has such a model, so pages and processes without one never load it. */
export const lazyTfjsHandler: HandlerFactory = async (spec, blob) =>
  (await import("./tfjs.js")).tfjsHandler()(spec, blob);
