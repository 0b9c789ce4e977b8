// The studio's whole journey in a real browser: MicroSpeech template -> break an edge and see
// the diagnostic on it -> fix it -> compile -> IR after fuse-elementwise and the memory
// timeline -> a test run on up.wav in the page ("up") -> deploy to staging and promote -> a
// Python SDK device fetches the rune and sends telemetry -> the chart shows it -> a second
// version on production -> roll back.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, env, open, shot, waitForText } from './browser.mjs';

const { page, errors, close } = await open();
const results = {};

function device() {
  const done = spawnSync(process.env.PYTHON, [process.env.SDK_DEVICE, env.url, results.deviceKey, env.project,
    results.publicKey, join(env.out, 'device'), process.env.UP_WAV], { encoding: 'utf8', timeout: 300000 });
  check(done.status === 0, `the SDK device ran: ${done.stdout}\n${done.stderr}`);
  return JSON.parse(done.stdout.trim().split('\n').pop());
}

try {
  // Start from the MicroSpeech template: seven stages, checked clean by the server.
  await page.getByLabel('Template').selectOption('microspeech');
  for (const stage of ['audio', 'fft', 'noise_filtering', 'model', 'most_confident', 'label', 'serial']) {
    await page.getByTestId(`stage-${stage}`).waitFor();
  }
  await page.getByTestId('stage-fft').getByText('u32[1, 1960]').first().waitFor();
  await waitForText(page.getByTestId('check-status'), 'no errors');
  await shot(page, '1-build-microspeech');

  // Break the fft -> noise_filtering edge (feed it the raw audio): the diagnostic is on the edge.
  await page.getByTestId('stage-noise_filtering').click();
  await page.getByLabel('input 0 of noise_filtering').selectOption('audio');
  const edge = page.getByTestId('rf__edge-noise_filtering:0');
  await waitForText(page.getByTestId('check-status'), '1 error');
  await waitForText(edge, 'noise_filtering takes u32[1, n]');
  check((await edge.getAttribute('class')).includes('edge-error'), 'the broken edge is drawn as an error');
  results.edgeDiagnostic = await edge.textContent();
  check(results.edgeDiagnostic.includes('not i16[1, 16000]'), `the message names the edge's type: ${results.edgeDiagnostic}`);
  await shot(page, '2-diagnostic-on-edge');

  // Fix it.
  await page.getByLabel('input 0 of noise_filtering').selectOption('fft');
  await waitForText(page.getByTestId('check-status'), 'no errors');
  check(!(await edge.getAttribute('class')).includes('edge-error'), 'the fixed edge is no longer an error');

  // Compile at -O2 and inspect.
  await page.getByRole('button', { name: 'Compile' }).click();
  await waitForText(page.getByTestId('compile-status'), 'compiled (-O2)', 300000);
  await page.getByRole('tab', { name: 'Inspect' }).click();
  await page.getByTestId('pass-fuse-elementwise').click();
  await waitForText(page.getByTestId('ir-title'), 'IR after fuse-elementwise');
  const ir = await page.getByTestId('ir-text').textContent();
  check(ir.includes('rune.pipeline') && ir.includes('noise_filtering'), 'the IR after fuse-elementwise is shown');
  results.irChanges = await page.getByTestId('ir-changes').textContent();
  await shot(page, '3-inspect-ir');
  await page.getByTestId('pass-lower-pipeline').click();
  await waitForText(page.getByTestId('ir-title'), 'IR after lower-pipeline');
  results.lowerChanges = await page.getByTestId('ir-changes').textContent();
  await page.getByRole('tab', { name: 'Memory plan' }).click();
  await page.getByTestId('memory-timeline').waitFor();
  results.tensorBoxes = await page.locator('[data-testid^="tensor-"]').count();
  results.memory = await page.getByTestId('memory-summary').textContent();
  check(await page.getByTestId('lower-bound').count() === 1, 'the lower bound is marked');
  await shot(page, '4-inspect-memory');
  await page.getByRole('tab', { name: 'Manifest' }).click();
  results.manifest = JSON.parse(await page.getByTestId('manifest').textContent());
  await shot(page, '5-inspect-manifest');

  // Test run in the page: the browser runtime (web/) runs the compiled rune on up.wav.
  await page.getByRole('tab', { name: 'Test run' }).click();
  await page.getByLabel('audio (SOUND) from a file').setInputFiles(process.env.UP_WAV);
  await page.getByTestId('waveform').waitFor();
  await page.getByTestId('spectrogram').waitFor();
  await page.getByRole('button', { name: 'Run in the browser' }).click();
  await waitForText(page.getByTestId('run-status'), /done|failed/, 120000);
  results.pageRun = await page.getByTestId('output-serial-0').textContent();
  results.pageTiming = await page.getByTestId('run-timing').textContent();
  await shot(page, '5b-test-run');

  // Deploy: a version, to staging, promoted to production; a device key shown once.
  await page.getByRole('tab', { name: 'Deploy' }).click();
  await page.getByRole('button', { name: 'Build a version from this pipeline' }).click();
  await waitForText(page.getByTestId('deploy-status'), 'version 1 built', 300000);
  await page.getByRole('button', { name: 'Deploy version 1 to staging' }).click();
  await waitForText(page.getByTestId('channel-staging-version'), '1');
  await page.getByRole('button', { name: 'Promote to production' }).click();
  await waitForText(page.getByTestId('channel-production-version'), '1');
  await page.getByRole('button', { name: 'Create key' }).click();
  results.deviceKey = (await page.getByTestId('minted-key').textContent()).trim();
  results.publicKey = /public_key="([0-9a-f]+)"/.exec(await page.getByTestId('sdk-snippet').textContent())[1];
  check(results.deviceKey.startsWith('fk_'), 'the new key is shown');
  await shot(page, '6-deploy');

  // A device (the Python SDK) runs production on up.wav and reports; Watch shows it.
  results.first = device();
  await page.getByRole('tab', { name: 'Watch' }).click();
  await waitForText(page.getByTestId('watch-inferences'), '1', 60000);
  await page.getByTestId('latency-total').waitFor();
  results.points = await page.locator('[data-testid="point-total-p50"]').count();
  results.devices = await page.getByTestId('watch-devices').textContent();
  await shot(page, '7-watch');

  // A second version (labels changed) straight to production, then roll back.
  await page.getByRole('tab', { name: 'Build' }).click();
  await page.getByTestId('stage-label').click();
  await page.locator('#arg-label-wordlist').fill('silence\nunknown\nUP-v2\ndown\nleft\nright\n');
  await waitForText(page.getByTestId('check-status'), 'no errors');
  await page.getByRole('tab', { name: 'Deploy' }).click();
  await page.getByRole('button', { name: 'Build a version from this pipeline' }).click();
  await waitForText(page.getByTestId('deploy-status'), 'version 2 built', 300000);
  await page.getByLabel('Deploy to channel').fill('production');
  await page.getByRole('button', { name: 'Deploy version 2 to production' }).click();
  await waitForText(page.getByTestId('channel-production-version'), '2');
  results.second = device();
  await page.getByRole('button', { name: 'Roll back production' }).click();
  await waitForText(page.getByTestId('channel-production-version'), '1');
  await shot(page, '8-rolled-back');
  results.afterRollback = device();
  check(errors.length === 0, `no page errors: ${errors.join('; ')}`);
} catch (error) {
  await shot(page, 'failure-journey');
  throw error;
} finally {
  writeFileSync(join(env.out, 'journey.json'), JSON.stringify(results, null, 2));
  await close();
}
