/**
 * Typed view of the `rune.manifest` JSON (docs/abi.md, "Manifest"), checked up front as the
 * Python host checks it (runtime/manifest.py): ABI version first, then field types, tensor
 * references and entry indices. A bad manifest is a RuneLoadError naming the field.
 */
import { ABI_VERSION, ELEMENT_BYTES } from "./abi.js";
import { RuneLoadError } from "./errors.js";

export type Args = Record<string, unknown>;

export class TensorSpec {
  constructor(
    readonly id: number,
    readonly elementType: string,
    readonly dimensions: number[],
  ) {}
  /** Number of elements (1 for a 0-d tensor). */
  get count(): number {
    return this.dimensions.reduce((a, b) => a * b, 1);
  }
  /** Exact byte length in guest memory (a utf8 element is a (ptr, len) pair). */
  get nbytes(): number {
    return this.count * ELEMENT_BYTES[this.elementType];
  }
  describe(): string {
    return `${this.elementType}[${this.dimensions.join(",")}]`;
  }
}

export interface CapabilitySpec {
  index: number;
  name: string;
  kind: string;
  args: Args;
  tensor: TensorSpec;
}
export interface ModelSpec {
  index: number;
  name: string;
  format: string;
  blob: { offset: number; length: number };
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  args: Args;
}
export interface OutputSpec {
  index: number;
  name: string;
  kind: string;
  args: Args;
  inputs: TensorSpec[];
}
export interface Manifest {
  abiVersion: number;
  name: string;
  tensors: TensorSpec[];
  capabilities: CapabilitySpec[];
  models: ModelSpec[];
  outputs: OutputSpec[];
  raw: Record<string, unknown>;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= 40 ? text : Array.isArray(value) ? "list" : typeof value;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new RuneLoadError(`bad manifest: ${path} must be ${expected}, got ${shown(value)}`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isNat = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

class Fields {
  readonly obj: Record<string, unknown>;
  constructor(
    value: unknown,
    readonly path: string,
  ) {
    if (!isObject(value)) fail(path, "an object", value);
    this.obj = value;
  }
  get(key: string, required: boolean): unknown {
    if (!(key in this.obj)) {
      if (required) throw new RuneLoadError(`bad manifest: ${this.path}.${key} is missing`);
      return undefined;
    }
    return this.obj[key];
  }
  integer(key: string): number {
    const value = this.get(key, true);
    if (!isNat(value)) fail(`${this.path}.${key}`, "a non-negative integer", value);
    return value;
  }
  string(key: string): string {
    const value = this.get(key, true);
    if (typeof value !== "string") fail(`${this.path}.${key}`, "a string", value);
    return value;
  }
  mapping(key: string): Args {
    const value = this.get(key, false);
    if (value === undefined || value === null) return {};
    if (!isObject(value)) fail(`${this.path}.${key}`, "an object", value);
    return value;
  }
  array(key: string, required = false): unknown[] {
    const value = this.get(key, required);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) fail(`${this.path}.${key}`, "a list", value);
    return value;
  }
}

/** Check and type a manifest; the ABI version is checked before anything else. */
export function parseManifest(raw: Record<string, unknown>): Manifest {
  const version = raw.abi_version;
  if (version === undefined) throw new RuneLoadError("bad manifest: manifest.abi_version is missing");
  if (version !== ABI_VERSION) {
    throw new RuneLoadError(
      `unsupported rune ABI version ${shown(version)}: this runtime implements ABI version ${ABI_VERSION}`,
    );
  }
  const root = new Fields(raw, "manifest");
  const tensors = new Map<number, TensorSpec>();
  root.array("tensors").forEach((item, i) => {
    const f = new Fields(item, `manifest.tensors[${i}]`);
    const id = f.integer("id");
    const etype = f.string("element_type");
    if (!(etype in ELEMENT_BYTES)) {
      throw new RuneLoadError(
        `bad manifest: ${f.path}.element_type '${etype}' is not one of ${Object.keys(ELEMENT_BYTES).join(", ")}`,
      );
    }
    const dims = f.array("dimensions", true);
    dims.forEach((d, j) => {
      if (!isNat(d)) fail(`${f.path}.dimensions[${j}]`, "a non-negative integer", d);
    });
    if (tensors.has(id)) throw new RuneLoadError(`bad manifest: tensor id ${id} is declared twice`);
    tensors.set(id, new TensorSpec(id, etype, dims as number[]));
  });
  const tensorList = (f: Fields, key: string): TensorSpec[] =>
    f.array(key).map((tid, i) => {
      const path = `${f.path}.${key}[${i}]`;
      if (typeof tid !== "number" || !Number.isInteger(tid)) fail(path, "a tensor id (integer)", tid);
      const t = tensors.get(tid);
      if (!t) throw new RuneLoadError(`bad manifest: ${path} refers to unknown tensor id ${tid}`);
      return t;
    });
  const entries = (key: string): Fields[] =>
    root.array(key).map((item, i) => {
      const f = new Fields(item, `manifest.${key}[${i}]`);
      const index = f.integer("index");
      if (index !== i) {
        throw new RuneLoadError(
          `bad manifest: ${f.path}.index is ${index}, but entries must be listed in index order (expected ${i})`,
        );
      }
      return f;
    });
  const capabilities = entries("capabilities").map((f) => {
    const outputs = tensorList(f, "outputs");
    if (outputs.length !== 1) {
      throw new RuneLoadError(
        `bad manifest: ${f.path}.outputs must name exactly one tensor (capability_read fills one), got ${outputs.length}`,
      );
    }
    return {
      index: f.integer("index"),
      name: f.string("name"),
      kind: f.string("kind"),
      args: f.mapping("args"),
      tensor: outputs[0],
    };
  });
  const models = entries("models").map((f) => {
    const blob = new Fields(f.get("blob", true), `${f.path}.blob`);
    return {
      index: f.integer("index"),
      name: f.string("name"),
      format: f.string("format"),
      blob: { offset: blob.integer("offset"), length: blob.integer("length") },
      inputs: tensorList(f, "inputs"),
      outputs: tensorList(f, "outputs"),
      args: f.mapping("args"),
    };
  });
  const outputs = entries("outputs").map((f) => ({
    index: f.integer("index"),
    name: f.string("name"),
    kind: f.string("kind"),
    args: f.mapping("args"),
    inputs: tensorList(f, "inputs"),
  }));
  for (const [key, names] of [
    ["capabilities", capabilities.map((c) => c.name)],
    ["outputs", outputs.map((o) => o.name)],
  ] as const) {
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) throw new RuneLoadError(`bad manifest: two ${key} entries are named '${name}'`);
      seen.add(name);
    }
  }
  return {
    abiVersion: ABI_VERSION,
    name: root.string("name"),
    tensors: [...tensors.values()],
    capabilities,
    models,
    outputs,
    raw,
  };
}
