/**
 * The ABI's facts (imports, statuses, element sizes, capability kinds), read from the tables
 * `rune.abi` owns: `scripts/emit_abi.py` writes `generated/abi.json` at build time.
 */
import table from "./generated/abi.json";

export const ABI_VERSION: number = table.abi_version;
export const IMPORT_MODULE: string = table.import_module;
export const ENTRY_POINT: string = table.entry_point;
export const IMPORTS: Record<string, { params: string[]; results: string[]; failure: number }> = table.imports;
export const IMPORT_NAMES: string[] = Object.keys(table.imports);
export const STATUS = table.status as Record<
  "OK" | "CAPABILITY" | "MODEL" | "OUTPUT" | "MEMORY" | "INTERNAL",
  number
>;
export const ELEMENT_BYTES: Record<string, number> = table.element_bytes;
export const CAPABILITY_KINDS: string[] = table.capability_kinds;
export const SOURCE_GROUPS: Record<string, string> = table.source_groups;
export const EXTENSIONS: Record<string, string> = table.extensions;

/** `(params) -> results` for messages. */
export function describeImport(name: string): string {
  const sig = IMPORTS[name];
  return `(${sig.params.join(", ")}) -> (${sig.results.join(", ")})`;
}
