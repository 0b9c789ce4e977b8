/** Messages between `RuneWorker` and the worker that hosts the rune (structured-clonable). */
import * as errors from "../errors.js";
import type { InputValue } from "../capabilities.js";
import type { Limits } from "../host.js";
import type { Output } from "../outputs.js";

export type Request =
  | { type: "load"; bytes: Uint8Array; seed: number; limits: Partial<Limits> }
  | { type: "run"; id: number; inputs: Record<string, InputValue> };

export type Reply =
  | { type: "loaded"; manifest: Record<string, unknown> }
  | { type: "outputs"; id: number; outputs: Output[] }
  | { type: "log"; level: number; message: string }
  | { type: "error"; id?: number; name: string; message: string };

const CLASSES: Record<string, new (message: string) => errors.RuneError> = {
  RuneError: errors.RuneError,
  RuneLoadError: errors.RuneLoadError,
  CapabilityError: errors.CapabilityError,
  ModelError: errors.ModelError,
  RuneRunError: errors.RuneRunError,
  GuestMemoryError: errors.GuestMemoryError,
  LimitError: errors.LimitError,
};

export function errorReply(exc: unknown, id?: number): Reply {
  const e = exc as Error;
  const known = e instanceof errors.RuneError;
  return {
    type: "error",
    id,
    name: known ? e.name : "RuneError",
    message: known ? e.message : `internal error: ${e?.message ?? String(exc)}`,
  };
}

/** The error a reply describes, as its own class. */
export function errorOf(reply: { name: string; message: string }): errors.RuneError {
  return new (CLASSES[reply.name] ?? errors.RuneError)(reply.message);
}
