/** Expected values come from the Python host, computed in the test run itself. */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const PYTHON = `${REPO}.venv/bin/python`;

/** Run `code` (which prints one JSON value) in the project's Python; return the value. */
export function python<T>(code: string, input = ""): T {
  return JSON.parse(execFileSync(PYTHON, ["-c", code], { cwd: REPO, input, encoding: "utf8", maxBuffer: 1 << 28 })) as T;
}

export const hex = (b: ArrayBufferView) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
