// `node test/browser.mjs config.json results.json`: the browser half of tests/web. Starts the
// loopback server, launches Debian's Chromium headless through playwright-core (fresh profile,
// fake microphone and camera from the given files, no downloads), runs the page's checks and
// writes what they returned. Each part is optional, as the config says.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

const [configPath, resultsPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, "utf8"));
const results = {};
const { server, origin } = await serve({
  routes: { "/cases.json": config.cases, "/": join(import.meta.dirname, "page.html") },
  allowed: config.allowed ?? [],
});
const profile = mkdtempSync(join(tmpdir(), "rune-web-chromium-"));
const args = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--autoplay-policy=no-user-gesture-required",
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
];
if (config.microphone) args.push(`--use-file-for-fake-audio-capture=${config.microphone.wav}`);
if (config.camera) args.push(`--use-file-for-fake-video-capture=${config.camera.y4m}`);
const context = await chromium.launchPersistentContext(profile, {
  executablePath: config.chromium ?? "/usr/bin/chromium",
  headless: true,
  args,
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const console_ = [];
  page.on("console", (m) => console_.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => console_.push(`pageerror: ${e.message}`));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
  results.userAgent = await page.evaluate(() => navigator.userAgent);
  if (config.cases) results.cases = await page.evaluate(() => window.runCases());
  if (config.bad) {
    results.bad = await page.evaluate((p) => window.badInputs(p), config.bad);
    results.bad.alive = await page.evaluate(() => document.getElementById("status").textContent);
  }
  if (config.microphone) {
    results.microphone = await page.evaluate(({ rune, ms }) => window.microphone(rune, ms), config.microphone);
  }
  if (config.camera) results.camera = await page.evaluate((rune) => window.camera(rune), config.camera.rune);
  if (config.motion) {
    results.motion = await page.evaluate(({ rune, csv }) => window.motion(rune, csv), config.motion);
  }
  if (config.demo) {
    const demo = await context.newPage();
    demo.on("pageerror", (e) => console_.push(`demo pageerror: ${e.message}`));
    await demo.goto(`${origin}/dist/demo/index.html`);
    await demo.setInputFiles("#rune-file", config.demo.rune);
    await demo.setInputFiles("#input-files", config.demo.inputs);
    await demo.click("#run");
    await demo.waitForSelector("#outputs .output, #error:not(:empty)", { timeout: 60_000 });
    results.demo = {
      outputs: await demo.textContent("#outputs"),
      error: await demo.textContent("#error"),
    };
    await demo.screenshot({ path: config.demo.screenshot, fullPage: true });
  }
  results.console = console_;
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
writeFileSync(resultsPath, JSON.stringify(results));
