/** `node dist/test/node-cases.mjs cases.json results.json`: every case in Node. */
import { readFileSync, writeFileSync } from "node:fs";
import { nodeHandlers } from "rune-web";
import { type Case, type CaseResult, runCase } from "./cases.js";

const [casesPath, resultsPath] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(casesPath, "utf8")) as Case[];
const results: CaseResult[] = [];
for (const c of cases) results.push(await runCase(c, async (p) => readFileSync(p), nodeHandlers));
writeFileSync(resultsPath, JSON.stringify(results));
