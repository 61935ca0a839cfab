// The Poincaré-disk view of the visualizer (issue 5), in headless Chromium (worker
// mode, the app's default). Assertions read data-poincare and the exported JSON:
// every point inside the unit disk, the weights are the page's, hyperbolic weights
// are softmax(-d/T) of the distances the geometry functions give, and the
// logMap0 → PCA → expMap0 projection never moves a point away from the origin.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  BOOT_TIMEOUT_MS, cardData, chooseMechanism, exportJson, openPage, useBrowser, waitRender,
} from './harness.mjs';

const env = useBrowser();

function panel(page) {
  return cardData(page, '#poincare-card', 'poincare');
}

describe('Poincaré disk (worker)', () => {
  test('hyperbolic and mixed-curvature: points in the disk, weights from distances, shrinking projection', async () => {
    const { page, context, problems } = await openPage(env.browser, env.server, '');
    try {
      await waitRender(page, 0, {}, BOOT_TIMEOUT_MS);
      assert.equal(await panel(page).catch(() => null), null, 'hidden for a flat mechanism');

      await chooseMechanism(page, 'HyperbolicAttention');
      const p = await panel(page);
      const doc = await exportJson(page);
      assert.ok(p && p.kind !== 'error', JSON.stringify(p));
      assert.equal(p.n, doc.neighbours.length);
      assert.equal(p.points.length, p.n);
      assert.equal(p.dim, doc.dataset.dim);
      for (const q of [p.query, ...p.points]) assert.ok(Math.hypot(...q) < 1, `outside the disk: ${q}`);
      // the weights drawn are the page's (mean over heads) and sum to 1
      p.weights.forEach((w, j) => assert.ok(Math.abs(w - doc.current.weights[0][j]) < 1e-6));
      assert.ok(Math.abs(p.weights.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      // hyperbolic attention: w_j / w_0 = exp(-(d_j - d_0) / T), d from rt.geometric.poincareDistance
      for (let j = 1; j < p.n; j++) {
        const want = -(p.distances[j] - p.distances[0]) / p.temperature;
        assert.ok(Math.abs(Math.log(p.weights[j] / p.weights[0]) - want) < 1e-3, `neighbour ${j}`);
      }
      if (p.method !== 'exact') {
        assert.ok(p.explained > 0 && p.explained <= 1 + 1e-9);
        p.diskNorms.forEach((r, i) => assert.ok(r <= p.originNorms[i] + 1e-4, `point ${i} moved outwards`));
      }
      const paths = await page.$$eval('#poincare-card path', (els) => els.map((e) => Number(e.dataset.weight)));
      assert.equal(paths.length, p.n);

      await chooseMechanism(page, 'MixedCurvatureAttention');
      const m = await panel(page);
      const mdoc = await exportJson(page);
      assert.equal(m.dim, mdoc.current.options.hyperbolicDim, 'only the hyperbolic factor is drawn');
      for (const q of [m.query, ...m.points]) assert.ok(Math.hypot(...q) < 1);

      await chooseMechanism(page, 'ScaledDotProductAttention');
      assert.equal(await panel(page), null, 'hidden again for a flat mechanism');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
