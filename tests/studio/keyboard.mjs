// Keyboard only, at 1280x800: add stages from the palette with Enter, wire them with the
// inspector's input choice, and find no control without a label in any view.
import { check, open, waitForText } from './browser.mjs';

const { page, errors, close } = await open();
const unlabelled = () => page.evaluate(() => [...document.querySelectorAll('button, input, select, textarea, [contenteditable="true"]')]
  .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim() || el.getAttribute('title')))
  .map((el) => el.outerHTML.slice(0, 120)));
try {
  await page.getByTestId('palette-capability-RAND').focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('stage-rand').waitFor();
  await page.getByRole('button', { name: 'Add output' }).focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('palette-out-serial').focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('stage-serial').waitFor();
  const input = page.getByLabel('input 0 of serial');
  await input.focus();
  await page.keyboard.press('ArrowDown');
  await page.getByTestId('rf__edge-serial:0').waitFor();
  await waitForText(page.getByTestId('check-status'), 'no errors');
  const missing = [];
  for (const view of ['Build', 'Inspect', 'Test run', 'Deploy', 'Watch']) {
    await page.getByRole('tab', { name: view }).focus();
    await page.keyboard.press('Enter');
    await page.waitForTimeout(500);
    missing.push(...(await unlabelled()).map((html) => `${view}: ${html}`));
  }
  check(missing.length === 0, `every control has a label:\n${missing.join('\n')}`);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 1280, `nothing scrolls sideways at 1280x800 (width ${width})`);
  check(errors.length === 0, `no page errors: ${errors.join('; ')}`);
} finally {
  await close();
}
