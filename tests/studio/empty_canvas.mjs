// From an empty canvas: drag a capability, two proc blocks and an output from the palette,
// type their ports in the inspector, connect them by dragging handle to handle, export the
// Runefile and compile it in the studio (fusion shown on the canvas); the Python side compiles
// the exported file with runec and compares the rune bytes.
import { join } from 'node:path';
import { check, env, open, shot, waitForText } from './browser.mjs';

const { page, errors, close } = await open();
try {
  const canvas = page.getByTestId('canvas');
  const box = await canvas.boundingBox();
  check(box && box.width > 500, `the canvas is visible at 1280x800 (${JSON.stringify(box)})`);

  async function place(testid, y) {
    await page.getByTestId(testid).dragTo(canvas, { targetPosition: { x: 220, y } });
  }
  async function output(stage, dims) {
    await page.getByRole('button', { name: 'Add output' }).click();
    const field = page.getByLabel('output 0 dimensions');
    await field.fill(dims);
    await field.press('Tab');
    await page.getByTestId(`stage-${stage}`).getByText(`f32[${dims}]`).waitFor();
  }

  await place('palette-capability-RAW', 40);
  await page.getByTestId('stage-raw').waitFor();
  await output('raw', '1, 4');
  await page.getByLabel('new argument name').fill('length');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.locator('#arg-raw-length').fill('16');

  await place('palette-proc-block-affine', 190);
  await page.getByTestId('stage-affine').waitFor();
  await output('affine', '1, 4');
  await page.locator('#arg-affine-scale').fill('2');

  await place('palette-proc-block-softmax', 340);
  await page.getByTestId('stage-softmax').waitFor();
  await output('softmax', '1, 4');

  await place('palette-out-serial', 490);
  await page.getByTestId('stage-serial').waitFor();

  async function connect(from, to) {
    const a = await page.getByTestId(from).boundingBox();
    const b = await page.getByTestId(to).boundingBox();
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await page.mouse.up();
  }
  await connect('out-raw-0', 'in-affine-0');
  await connect('out-affine-0', 'in-softmax-0');
  await connect('out-softmax-0', 'in-serial-0');
  for (const id of ['affine:0', 'softmax:0', 'serial:0']) await page.getByTestId(`rf__edge-${id}`).waitFor();
  await waitForText(page.getByTestId('check-status'), 'no errors');

  // Both ways: a comment typed in the Runefile pane survives a later canvas edit.
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\n# built in the studio');
  await page.getByTestId('stage-affine').click();
  await page.locator('#arg-affine-scale').fill('3');
  await page.getByTestId('stage-affine').getByText('f32[1, 4]').first().waitFor();
  await waitForText(page.getByTestId('check-status'), 'no errors');
  await shot(page, 'empty-canvas-built');

  const [runefile] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Runefile' }).click()]);
  await runefile.saveAs(join(env.out, 'Runefile.yml'));

  await page.getByRole('button', { name: 'Compile' }).click();
  await waitForText(page.getByTestId('compile-status'), 'compiled (-O2)');
  await page.getByTestId('stage-affine').getByText('fused #1').waitFor();
  await page.getByTestId('stage-softmax').getByText('fused #1').waitFor();
  await shot(page, 'fusion-on-canvas');
  const [rune] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download .rune' }).click()]);
  await rune.saveAs(join(env.out, 'studio.rune'));
  check(errors.length === 0, `no page errors: ${errors.join('; ')}`);
} catch (error) {
  await shot(page, 'failure-empty-canvas');
  throw error;
} finally {
  await close();
}
