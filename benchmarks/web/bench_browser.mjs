// `node bench_browser.mjs spec.json`: the same medians in headless Chromium (Debian's, through
// playwright-core), the rune loaded in the page from the built bundle and the runes served on
// loopback.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { serve } from "../../web/test/serve.mjs";
import { bench } from "./bench_node.mjs";
// The package's own dependencies (web/node_modules), resolved from web/.
const { chromium } = createRequire(new URL("../../web/package.json", import.meta.url))("playwright-core");

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const { server, origin } = await serve({ allowed: spec.runes.map((r) => r.path) });
const profile = mkdtempSync(join(tmpdir(), "rune-web-bench-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${origin}/dist/demo/index.html`);
  const result = await page.evaluate(
    async ({ spec, source }) => {
      const web = await import("/dist/web/browser.mjs");
      for (const r of spec.runes) {
        r.bytes = new Uint8Array(await (await fetch(`/file?path=${encodeURIComponent(r.path)}`)).arrayBuffer());
      }
      const bench = new Function(`return (${source})`)();
      return bench((b) => web.loadRune(b), spec);
    },
    { spec, source: bench.toString() },
  );
  process.stdout.write(JSON.stringify(result) + "\n");
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
