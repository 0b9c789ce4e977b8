// Build step: from docs/manifest.schema.json (written by `rune.abi.schema`), generate the
// manifest's TypeScript types (json-schema-to-typescript) and a standalone validator (Ajv's
// standalone code, so no schema is compiled at run time and no `eval` is needed in a page).
import Ajv2020 from "ajv/dist/2020.js";
import standaloneCode from "ajv/dist/standalone/index.js";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { compile } from "json-schema-to-typescript";

const schema = JSON.parse(readFileSync(new URL("../../docs/manifest.schema.json", import.meta.url), "utf8"));
mkdirSync("src/generated", { recursive: true });
const types = await compile(schema, "RuneManifest", {
  bannerComment: "/* Generated from docs/manifest.schema.json by scripts/schema.mjs; do not edit. */",
  additionalProperties: true,
  unreachableDefinitions: true,
});
writeFileSync("src/generated/manifest.d.ts", types);
const ajv = new Ajv2020({ code: { source: true, esm: true }, allErrors: false, strict: false });
const validate = ajv.compile(schema);
writeFileSync("src/generated/validate-manifest.js", standaloneCode(ajv, validate));
writeFileSync(
  "src/generated/validate-manifest.d.ts",
  `import type { ErrorObject } from "ajv";\nimport type { RuneManifestABIVersion1 as RuneManifest } from "./manifest";\n` +
    `declare const validate: ((data: unknown) => data is RuneManifest) & { errors?: ErrorObject[] | null };\n` +
    `export default validate;\n`,
);
