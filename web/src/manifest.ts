/**
 * Typed view of the `rune.manifest` JSON (docs/abi.md, "Manifest"), checked up front against
 * docs/manifest.schema.json, whose types and validator are generated at build time
 * (scripts/schema.mjs). A bad manifest is a RuneLoadError naming the field.
 */
import type { ErrorObject } from "ajv";
import { ABI_VERSION, ELEMENT_BYTES } from "./abi.js";
import { RuneLoadError } from "./errors.js";
import type { RuneManifestABIVersion1 } from "./generated/manifest.js";
import validate from "./generated/validate-manifest.js";

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

/** `/capabilities/0/kind` -> `manifest.capabilities[0].kind`. */
function path(pointer: string): string {
  return (
    "manifest" +
    pointer
      .split("/")
      .slice(1)
      .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, "/").replace(/~0/g, "~")}`))
      .join("")
  );
}

/** The schema's first complaint as one line naming the field, like the Python host's. */
function schemaError(error: ErrorObject): RuneLoadError {
  const where = path(error.instancePath);
  if (error.keyword === "required") {
    return new RuneLoadError(`bad manifest: ${where}.${error.params.missingProperty} is missing`);
  }
  const allowed = error.keyword === "enum" ? ` (${(error.params.allowedValues as string[]).join(", ")})` : "";
  return new RuneLoadError(`bad manifest: ${where} ${error.message}${allowed}`);
}

/**
 * Check and type a manifest: the ABI version first (so a future rune gets a version message),
 * then the JSON Schema of docs/manifest.schema.json (the generated standalone validator), then
 * what a schema cannot say: tensor references, entries in index order, unique stage names.
 */
export function parseManifest(raw: Record<string, unknown>): Manifest {
  const version = raw.abi_version;
  if (version === undefined) throw new RuneLoadError("bad manifest: manifest.abi_version is missing");
  if (version !== ABI_VERSION) {
    throw new RuneLoadError(
      `unsupported rune ABI version ${shown(version)}: this runtime implements ABI version ${ABI_VERSION}`,
    );
  }
  if (!validate(raw)) throw schemaError(validate.errors![0]);
  const m: RuneManifestABIVersion1 = raw;
  const tensors = new Map<number, TensorSpec>();
  (m.tensors ?? []).forEach((t, i) => {
    if (tensors.has(t.id)) throw new RuneLoadError(`bad manifest: tensor id ${t.id} is declared twice (manifest.tensors[${i}])`);
    tensors.set(t.id, new TensorSpec(t.id, t.element_type, t.dimensions));
  });
  const refs = (ids: number[] | undefined, where: string): TensorSpec[] =>
    (ids ?? []).map((id, i) => {
      const t = tensors.get(id);
      if (!t) throw new RuneLoadError(`bad manifest: ${where}[${i}] refers to unknown tensor id ${id}`);
      return t;
    });
  const inOrder = <T extends { index: number }>(entries: T[] | undefined, key: string): T[] =>
    (entries ?? []).map((entry, i) => {
      if (entry.index !== i) {
        throw new RuneLoadError(
          `bad manifest: manifest.${key}[${i}].index is ${entry.index}, but entries must be listed in index order (expected ${i})`,
        );
      }
      return entry;
    });
  const capabilities = inOrder(m.capabilities, "capabilities").map((c, i) => {
    const outputs = refs(c.outputs, `manifest.capabilities[${i}].outputs`);
    if (outputs.length !== 1) {
      throw new RuneLoadError(
        `bad manifest: manifest.capabilities[${i}].outputs must name exactly one tensor (capability_read fills one), got ${outputs.length}`,
      );
    }
    return { index: c.index, name: c.name, kind: c.kind, args: c.args ?? {}, tensor: outputs[0] };
  });
  const models = inOrder(m.models, "models").map((x, i) => ({
    index: x.index,
    name: x.name,
    format: x.format,
    blob: { offset: x.blob.offset, length: x.blob.length },
    inputs: refs(x.inputs, `manifest.models[${i}].inputs`),
    outputs: refs(x.outputs, `manifest.models[${i}].outputs`),
    args: x.args ?? {},
  }));
  const outputs = inOrder(m.outputs, "outputs").map((o, i) => ({
    index: o.index,
    name: o.name,
    kind: o.kind,
    args: o.args ?? {},
    inputs: refs(o.inputs, `manifest.outputs[${i}].inputs`),
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
  return { abiVersion: ABI_VERSION, name: m.name, tensors: [...tensors.values()], capabilities, models, outputs, raw };
}
