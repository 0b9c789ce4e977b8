// Shared by the studio's browser scripts: Debian's Chromium through playwright-core (headless,
// fresh profile, no downloads of anything), signed in to the studio.
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../../studio/package.json', import.meta.url));
const { chromium } = require('playwright-core');

export const env = {
  url: process.env.STUDIO_URL,
  project: process.env.STUDIO_PROJECT,
  key: process.env.STUDIO_KEY,
  out: process.env.STUDIO_OUT,
  screenshots: process.env.STUDIO_SCREENSHOTS,
};

export async function open() {
  const profile = mkdtempSync(join(tmpdir(), 'studio-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.setDefaultTimeout(60000);
  await page.goto(env.url);
  await page.getByLabel('Project').fill(env.project);
  await page.getByLabel('API key').fill(env.key);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('tab', { name: 'Build' }).waitFor();
  return {
    page,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function shot(page, name) {
  mkdirSync(env.screenshots, { recursive: true });
  await page.screenshot({ path: join(env.screenshots, `${name}.png`) });
}

export async function waitForText(locator, expected, timeout = 60000) {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.textContent().catch(() => '')) ?? '';
    if (typeof expected === 'string' ? last.includes(expected) : expected.test(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${expected} (last: ${JSON.stringify(last)})`);
}

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}
