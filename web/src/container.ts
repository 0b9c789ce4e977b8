/**
 * Read the `.rune` container (docs/abi.md, "File layout"): a wasm module with the custom
 * sections `rune.manifest` and `rune.blobs`. Every bound is checked: a truncated or hostile file
 * gives a RuneLoadError, never a misread.
 */
import { RuneLoadError } from "./errors.js";

export const MANIFEST_SECTION = "rune.manifest";
export const BLOBS_SECTION = "rune.blobs";
const MAGIC = [0x00, 0x61, 0x73, 0x6d];

export interface RuneContainer {
  /** The module's bytes (with the rune sections: engines skip custom sections). */
  wasm: Uint8Array;
  manifest: Record<string, unknown>;
  blobs: Uint8Array;
}

interface Section {
  id: number;
  start: number;
  end: number;
  name: string | null;
  contentStart: number;
}

function readU32(data: Uint8Array, pos: number, what: string): [number, number] {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (pos + i >= data.length) {
      throw new RuneLoadError(`truncated file: ${what} at byte ${pos} runs past the end`);
    }
    const byte = data[pos + i];
    result += (byte & 0x7f) * 2 ** (7 * i);
    if (!(byte & 0x80)) {
      if (i === 4 && byte & 0x70) {
        throw new RuneLoadError(`malformed LEB128 ${what} at byte ${pos}: exceeds 32 bits`);
      }
      return [result, pos + i + 1];
    }
  }
  throw new RuneLoadError(`malformed LEB128 ${what} at byte ${pos}: longer than 5 bytes`);
}

function checkHeader(data: Uint8Array): void {
  if (data.length === 0) throw new RuneLoadError("not a rune: the file is empty");
  const magicOk = MAGIC.every((b, i) => i >= data.length || data[i] === b);
  if (data.length < 8) {
    if (magicOk) {
      throw new RuneLoadError(`truncated file: ${data.length} bytes, shorter than a wasm header`);
    }
    throw new RuneLoadError("not a rune: the file is not a WebAssembly module (no \\0asm magic)");
  }
  if (!magicOk) {
    throw new RuneLoadError("not a rune: the file is not a WebAssembly module (no \\0asm magic)");
  }
  const version = data[4] | (data[5] << 8) | (data[6] << 16) | (data[7] << 24);
  if (version !== 1) {
    throw new RuneLoadError(`unsupported WebAssembly binary version ${version >>> 0} (expected 1)`);
  }
}

function* sections(data: Uint8Array): Generator<Section> {
  let pos = 8;
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  while (pos < data.length) {
    const start = pos;
    const id = data[pos];
    const [size, payloadStart] = readU32(data, pos + 1, `size of section ${id}`);
    const end = payloadStart + size;
    if (end > data.length) {
      throw new RuneLoadError(
        `truncated file: section ${id} at byte ${start} declares ${size} bytes ` +
          `but only ${data.length - payloadStart} remain`,
      );
    }
    let name: string | null = null;
    let contentStart = payloadStart;
    if (id === 0) {
      const [nameLen, nameStart] = readU32(data, payloadStart, "custom section name length");
      contentStart = nameStart + nameLen;
      if (contentStart > end) {
        throw new RuneLoadError(
          `malformed custom section at byte ${start}: its name runs past the section`,
        );
      }
      try {
        name = utf8.decode(data.subarray(nameStart, contentStart));
      } catch {
        throw new RuneLoadError(`malformed custom section at byte ${start}: name is not UTF-8`);
      }
    }
    yield { id, start, end, name, contentStart };
    pos = end;
  }
}

/** Split a `.rune` into module, manifest and blobs, validating the layout. */
export function readRune(data: Uint8Array): RuneContainer {
  checkHeader(data);
  const found = new Map<string, Section>();
  for (const section of sections(data)) {
    if (section.name === MANIFEST_SECTION || section.name === BLOBS_SECTION) {
      if (found.has(section.name)) {
        throw new RuneLoadError(`not a valid rune: more than one ${section.name} section`);
      }
      found.set(section.name, section);
    }
  }
  for (const name of [MANIFEST_SECTION, BLOBS_SECTION]) {
    if (!found.has(name)) {
      throw new RuneLoadError(
        `not a rune: the wasm module has no ${name} custom section ` +
          "(was it built by the rune compiler?)",
      );
    }
  }
  const msec = found.get(MANIFEST_SECTION)!;
  const bsec = found.get(BLOBS_SECTION)!;
  let manifest: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(
      data.subarray(msec.contentStart, msec.end),
    );
    manifest = JSON.parse(text);
  } catch (exc) {
    throw new RuneLoadError(
      `bad manifest: rune.manifest is not valid UTF-8 JSON: ${(exc as Error).message}`,
    );
  }
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    throw new RuneLoadError(
      `bad manifest: expected a JSON object, got ${Array.isArray(manifest) ? "list" : typeof manifest}`,
    );
  }
  return {
    wasm: data,
    manifest: manifest as Record<string, unknown>,
    blobs: data.subarray(bsec.contentStart, bsec.end),
  };
}
