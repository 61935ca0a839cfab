// Trained weights in the visualizer, in headless Chromium, in worker mode and on the
// main thread: a .safetensors file the library saved natively (make_fixture.py: multi-
// head weights no seed gives, 2 heads where the page defaults to 4) is uploaded into
// the selected mechanism; the page adopts the file's config, its weights equal the
// native weights of the trained mechanism, and the seeded ones come back on request.
// Files of another mechanism, with the wrong tensors, or not safetensors at all, are
// refused with a message and change nothing; float16 weights without metadata load into
// the page's own config; a learned curvature is the one the data are mapped at.
// Assertions read the exported JSON.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  BOOT_TIMEOUT_MS, WEIGHT_TOL, cardData, chooseMechanism, exportJson, makeFixture, maxAbsDiff, openPage, renderCount,
  selectNode, useBrowser, waitRender,
} from './harness.mjs';

const env = useBrowser();
let fixture;
before(() => { fixture = makeFixture(); });

async function upload(page, file) {
  await page.setInputFiles('#weights-file', { name: path.basename(file), mimeType: 'application/octet-stream',
    buffer: readFileSync(file) });
  await page.click('#weights-load');
}

async function refused(page, file, pattern) {
  const before = await exportJson(page);
  await page.evaluate(() => { document.getElementById('weights-message').textContent = ''; });
  await upload(page, file);
  await page.waitForFunction(() => document.getElementById('weights-message').textContent !== '');
  assert.equal(await page.$eval('#weights-message', (el) => el.dataset.kind), 'error');
  assert.match(await page.textContent('#weights-message'), pattern);
  const after = await exportJson(page);
  assert.deepEqual(after.current.options, before.current.options, `${file}: the config is unchanged`);
  assert.deepEqual(after.current.weights, before.current.weights, `${file}: the weights are unchanged`);
}

for (const [mode, query] of [['worker', ''], ['main thread', '?worker=0']]) {
  describe(`trained weights from a .safetensors file (${mode})`, () => {
    test('load into the selected mechanism, adopt its config, equal the native weights; bad files refused', async () => {
      const t = fixture.trained;
      const node = fixture.nodes[1];
      const { page, context, problems } = await openPage(env.browser, env.server, `${query}${query ? '&' : '?'}node=${node}`);
      try {
        await waitRender(page, 0, { node }, BOOT_TIMEOUT_MS);
        await chooseMechanism(page, t.mechanism);
        assert.match(await page.textContent('#weights-source'), /seeded/);

        let before = await renderCount(page);
        await upload(page, t.files.trained);
        await waitRender(page, before, { mechanism: t.mechanism, options: t.options });
        let doc = await exportJson(page);
        assert.deepEqual(doc.current.options, t.options, 'the file\'s config (2 heads, seed 7) is adopted');
        assert.equal(doc.current.weights.length, 2, 'two heads');
        assert.ok(maxAbsDiff(doc.current.weights, t.weights[node], 'trained') <= WEIGHT_TOL, 'the trained weights');
        assert.ok(maxAbsDiff(doc.current.weights, t.seeded[node], 'vs seeded') > 1e-3, 'not the seeded ones');
        assert.equal(doc.current.weightsFrom.file, 'trained.safetensors');
        const row = doc.comparison.find((r) => r.name === t.mechanism);
        assert.ok(maxAbsDiff(row.weights, t.weights[node], 'comparison') <= WEIGHT_TOL, 'the comparison uses them too');
        assert.match(await page.textContent('#weights-source'), /trained, from trained\.safetensors/);
        assert.match(await page.textContent('#weights-message'), /numHeads = 2/);

        // Another query node keeps the loaded weights.
        await selectNode(page, fixture.nodes[0]);
        doc = await exportJson(page);
        assert.ok(maxAbsDiff(doc.current.weights, t.weights[fixture.nodes[0]], 'other node') <= WEIGHT_TOL);

        await refused(page, t.files.other, /holds HNSWAwareAttention weights; the selected mechanism is MultiHeadAttention/);
        await refused(page, t.files.wrong, /missing keys .*unexpected keys|in_proj_weight/);
        await refused(page, t.files.garbage, /not a valid safetensors file/);

        // float16 weights without metadata (as another framework writes them): the page's config stays.
        await chooseMechanism(page, 'ScaledDotProductAttention');
        await chooseMechanism(page, t.mechanism);  // back to the defaults: 4 heads
        before = await renderCount(page);
        await upload(page, t.files.plain);
        await waitRender(page, before, { mechanism: t.mechanism, options: t.plain.options });
        doc = await exportJson(page);
        assert.deepEqual(doc.current.options, t.plain.options);
        assert.ok(maxAbsDiff(doc.current.weights, t.plain.weights[fixture.nodes[0]], 'float16') <= WEIGHT_TOL, 'float16 weights');
        assert.equal(doc.current.weightsFrom.file, 'plain_f16.safetensors');

        before = await renderCount(page);
        await page.click('#weights-reset');
        await waitRender(page, before, { mechanism: t.mechanism });
        doc = await exportJson(page);
        const seeded = fixture.mechanisms[t.mechanism].weights[fixture.nodes[0]];
        assert.ok(maxAbsDiff(doc.current.weights, seeded, 'seeded') <= WEIGHT_TOL, 'seeded again');
        assert.equal(doc.current.weightsFrom, null);
        assert.match(await page.textContent('#weights-source'), /seeded/);

        // A learned curvature (k = -2, not the option's -1): the data are mapped and the disk drawn at it.
        const c = t.curvature;
        await chooseMechanism(page, 'HyperbolicAttention');
        before = await renderCount(page);
        await upload(page, t.files.curvature);
        await waitRender(page, before, { mechanism: 'HyperbolicAttention', options: { learnCurvature: true } });
        doc = await exportJson(page);
        assert.deepEqual(doc.current.options, c.options);
        assert.ok(Math.abs(doc.current.ball.k - c.k) < 1e-12, `the curvature in use: ${doc.current.ball.k}`);
        assert.ok(maxAbsDiff(doc.current.weights, c.weights[fixture.nodes[0]], 'learned k') <= WEIGHT_TOL);
        assert.ok(Math.abs((await cardData(page, '#poincare-card', 'poincare')).k - c.k) < 1e-12, 'the disk at k = -2');
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });
  });
}
