// The sparse / efficient attention panel of the visualizer, in headless
// Chromium, in worker mode (the app's default) and on the main thread (?worker=0), the
// same reference cases in both: the local-global mask pattern
// (at most localWindow + globalNodes neighbours, zero weight elsewhere, globals on
// the highest HNSW layers), linear attention's approximation error against exact
// attention, and flash's agreement with exact. Assertions read data-sparse.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  BOOT_TIMEOUT_MS, cardData, chooseMechanism, exportJson, openPage, useBrowser, waitRender,
} from './harness.mjs';

const env = useBrowser();

function panel(page) {
  return cardData(page, '#sparse-card', 'sparse');
}

// One page per mode: each boot costs seconds of the suite's budget.
for (const [mode, query, runtime] of [['worker', '', /Web Worker/], ['main thread', '?worker=0', /main thread/]]) {
  describe(`sparse panel (${mode})`, () => {
    test('local-global mask, linear error, flash exactness', async () => {
      const { page, context, problems } = await openPage(env.browser, env.server, query);
      try {
        await waitRender(page, 0, {}, BOOT_TIMEOUT_MS);
        assert.match(await page.textContent('#runtime-info'), runtime);
        assert.equal(await panel(page).catch(() => null), null, 'hidden for a dense mechanism');

        await chooseMechanism(page, 'LocalGlobalAttention');
        const lg = await panel(page);
        const doc = await exportJson(page);
        const { localWindow, globalNodes } = doc.current.options;
        assert.equal(lg.kind, 'mask');
        assert.equal(lg.n, doc.neighbours.length);
        assert.ok(lg.attended <= localWindow + globalNodes && lg.attended >= Math.min(lg.n, localWindow));
        lg.cells.forEach((c, j) => {
          if (c === 'none') assert.equal(lg.weights[j], 0, `neighbour ${j} skipped but weighted`);
          if (j < Math.min(localWindow, lg.n)) assert.equal(c, 'local');
        });
        assert.ok(Math.abs(lg.weights.reduce((a, b) => a + b, 0) - 1) < 1e-5);
        // globals sit on the highest HNSW layers among the neighbours outside the window
        const layer = doc.neighbourLayers;
        const skipped = lg.cells.flatMap((c, j) => (c === 'none' ? [layer[j]] : []));
        lg.cells.forEach((c, j) => {
          if (c === 'global') assert.ok(skipped.every((l) => l <= layer[j]), `global ${j} below a skipped key`);
        });
        const strip = await page.$eval('#sparse-card .mask-strip', (el) => el.children.length);
        assert.equal(strip, lg.n);

        await chooseMechanism(page, 'LinearAttention');
        const lin = await panel(page);
        assert.equal(lin.kind, 'linear');
        assert.deepEqual(lin.rows.map((r) => r.numFeatures).sort((a, b) => a - b), [64, 256, 1024]);
        for (const r of lin.rows) {
          assert.ok(Number.isFinite(r.outputError) && r.outputError < 1, `M=${r.numFeatures}: ${r.outputError}`);
          assert.ok(r.weightsTV >= 0 && r.weightsTV < 1);
        }

        await chooseMechanism(page, 'FlashAttention');
        const fl = await panel(page);
        assert.equal(fl.kind, 'flash');
        assert.ok(fl.maxWeightDiff < 1e-5 && fl.maxOutputDiff < 1e-5, JSON.stringify(fl));
        assert.equal(fl.blocks, Math.ceil(fl.n / fl.blockSize));
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });
  });
}
