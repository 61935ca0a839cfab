// The curved mechanisms in the visualizer, in headless Chromium (worker mode, the
// app's default). Assertions read data-poincare, the exported JSON and the geometry
// of the drawn SVG paths (sampled with getPointAtLength), never pixels:
//   * the data are mapped into the ball as documented (expMap0 of s·x, checked
//     against the closed form), and the weights equal the native ones on those inputs;
//   * the disk is centred on the query (Möbius translation): each neighbour's distance
//     from the centre, 2·artanh(|p|)/√|k|, is its library distance from the query;
//   * every geodesic drawn — the view's and 32 random pairs through geodesicPath —
//     stays inside the unit disk and is a geodesic: d(p,s) + d(s,q) = d(p,q);
//   * MixedCurvatureAttention takes euclideanDim + hyperbolicDim from the data.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  BOOT_TIMEOUT_MS, WEIGHT_TOL, cardData, chooseMechanism, exportJson, makeFixture, maxAbsDiff, openPage, renderCount,
  tolerance, useBrowser, waitRender,
} from './harness.mjs';

const DRAWN = tolerance('poincare/drawn_distance');
const DETOUR = tolerance('poincare/geodesic_detour');
const EXPMAP0 = tolerance('poincare/expmap0');

const env = useBrowser();
let small;  // native values for a dim-16 graph: MixedCurvature must split 16, not assume 32

before(() => { small = makeFixture(['--nodes', '300', '--dim', '16', '--query', '5']); });

function panel(page) {
  return cardData(page, '#poincare-card', 'poincare');
}

/** Poincaré distance in the unit disk (k = -1), float64. */
function unitDistance(x, y) {
  const sq = (v) => v.reduce((a, b) => a + b * b, 0);
  const diff = sq(x.map((a, i) => a - y[i]));
  return Math.acosh(1 + (2 * diff) / ((1 - sq(x)) * (1 - sq(y))));
}

/** Each path of `selector` sampled at `count` points, in unit-disk coordinates. */
function samplePaths(page, selector, count = 64) {
  return page.evaluate(async ([sel, m]) => {
    const { DISK } = await import('./app/views/poincare.js');
    return [...document.querySelectorAll(sel)].map((path) => {
      const total = path.getTotalLength();
      return Array.from({ length: m + 1 }, (_, i) => {
        const pt = path.getPointAtLength((total * i) / m);
        return [(pt.x - DISK.centre) / DISK.radius, (DISK.centre - pt.y) / DISK.radius];
      });
    });
  }, [selector, count]);
}

/** Every sample inside the disk and on the geodesic from its first to its last point. */
function checkGeodesic(samples, what) {
  const p = samples[0], q = samples[samples.length - 1];
  const dpq = unitDistance(p, q);
  for (const s of samples) {
    assert.ok(Math.hypot(...s) < 1, `${what}: sample ${s} lies outside the disk`);
    const detour = unitDistance(p, s) + unitDistance(s, q) - dpq;
    assert.ok(detour <= DETOUR.atol + DETOUR.rtol * dpq, `${what}: sample ${s} is off the geodesic by ${detour}`);
  }
}

async function checkDisk(page, doc, p) {
  assert.ok(p && p.kind !== 'error', JSON.stringify(p));
  assert.equal(p.n, doc.neighbours.length);
  assert.deepEqual(p.query, [0, 0], 'the query is the centre');
  const rk = Math.sqrt(-p.k);
  p.points.forEach((pt, j) => {
    assert.ok(Math.hypot(...pt) < 1, `neighbour ${j} outside the disk: ${pt}`);
    // Möbius translation is an isometry and lengths are kept by the projection:
    const drawn = (2 * Math.atanh(Math.hypot(...pt))) / rk;
    const tol = DRAWN.atol + DRAWN.rtol * p.distances[j];
    assert.ok(Math.abs(drawn - p.distances[j]) <= tol, `neighbour ${j}: drawn at distance ${drawn}, d_k(q, x) = ${p.distances[j]}`);
    assert.ok(Math.abs(2 * p.tangentNorms[j] - p.distances[j]) <= tol, `neighbour ${j}: |logMap0| is half the distance`);
  });
  const paths = await samplePaths(page, '#poincare-card path');
  assert.equal(paths.length, p.n, 'one geodesic per neighbour');
  paths.forEach((s, j) => checkGeodesic(s, `drawn geodesic ${j}`));
}

/** The exported ball inputs are expMap0_k(s x) of the exported Euclidean inputs (closed form, float64). */
function checkBallInputs(doc, row) {
  const { k, from, scale } = row.ball;
  const rk = Math.sqrt(-k);
  const euclid = [doc.inputs.query, ...doc.inputs.keys];
  const ball = [row.inputs.query, ...row.inputs.keys];
  euclid.forEach((x, i) => {
    const v = x.slice(from).map((a) => Math.fround(a * scale));
    const nv = Math.hypot(...v);
    const want = v.map((a) => (Math.tanh(rk * nv) * a) / (rk * nv));
    assert.deepEqual(ball[i].slice(0, from), x.slice(0, from), 'the Euclidean part is left alone');
    want.forEach((w, j) => assert.ok(Math.abs(ball[i][from + j] - w) <= EXPMAP0.atol, `row ${i}: expMap0 coordinate ${j}`));
    assert.ok(Math.hypot(...ball[i].slice(from)) * rk <= Math.tanh(2) + EXPMAP0.atol, `row ${i} lands inside tanh(2) of the radius`);
  });
}

describe('curved mechanisms in the visualizer (worker)', () => {
  test('Hyperbolic and MixedCurvature: ball inputs, the disk centred on the query, geodesics inside', async () => {
    const { page, context, problems } = await openPage(env.browser, env.server, '');
    try {
      await waitRender(page, 0, {}, BOOT_TIMEOUT_MS);
      assert.equal(await panel(page).catch(() => null), null, 'hidden for a flat mechanism');

      await chooseMechanism(page, 'HyperbolicAttention');
      const p = await panel(page);
      const doc = await exportJson(page);
      checkBallInputs(doc, doc.current);
      await checkDisk(page, doc, p);
      // the weights drawn are the page's; hyperbolic attention: w_j / w_0 = exp(-(d_j - d_0) / T)
      p.weights.forEach((w, j) => assert.ok(Math.abs(w - doc.current.weights[0][j]) < 1e-6));
      for (let j = 1; j < p.n; j++) {
        const want = -(p.distances[j] - p.distances[0]) / p.temperature;
        assert.ok(Math.abs(Math.log(p.weights[j] / p.weights[0]) - want) < 1e-3, `neighbour ${j}`);
      }
      const entropy = -p.weights.reduce((a, w) => a + w * Math.log(w), 0) / Math.log(p.n);
      assert.ok(entropy < 0.999, `the mapped data give weights that are not near uniform (entropy / ln n = ${entropy})`);

      await chooseMechanism(page, 'MixedCurvatureAttention');
      const m = await panel(page);
      const mdoc = await exportJson(page);
      assert.equal(m.dim, mdoc.current.options.hyperbolicDim, 'only the hyperbolic factor is drawn');
      checkBallInputs(mdoc, mdoc.current);
      await checkDisk(page, mdoc, m);

      // A 2-D hyperbolic factor is drawn exactly: euclideanDim edited, hyperbolicDim follows.
      const before2 = await renderCount(page);
      await page.fill('#cfg-euclideanDim', String(mdoc.dataset.dim - 2));
      await waitRender(page, before2, { mechanism: 'MixedCurvatureAttention', options: { hyperbolicDim: 2 } });
      assert.equal(await page.$eval('#cfg-hyperbolicDim', (el) => el.value), '2');
      const exact = await panel(page);
      assert.equal(exact.method, 'exact');
      await checkDisk(page, await exportJson(page), exact);

      await chooseMechanism(page, 'ScaledDotProductAttention');
      assert.equal(await panel(page), null, 'hidden again for a flat mechanism');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('geodesicPath: 32 random pairs and 4 diameters stay inside the disk and are geodesics', async () => {
    const { page, context } = await openPage(env.browser, env.server, '');
    try {
      await waitRender(page, 0, {}, BOOT_TIMEOUT_MS);
      let seed = 12345;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const point = () => {
        const r = 0.95 * Math.sqrt(rand()), a = 2 * Math.PI * rand();
        return [r * Math.cos(a), r * Math.sin(a)];
      };
      const pairs = Array.from({ length: 32 }, () => [point(), point()]);
      pairs.push([[0, 0], [0.5, 0.3]], [[-0.4, -0.2], [0.8, 0.4]], [[0.9, 0], [-0.9, 0]], [[0, -0.7], [0, 0.6]]);
      const samples = await page.evaluate(async (ps) => {
        const { DISK, geodesicPath } = await import('./app/views/poincare.js');
        const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
        svg.setAttribute('viewBox', `0 0 ${DISK.size} ${DISK.size}`);
        document.body.append(svg);
        const out = ps.map(([p, q]) => {
          const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
          path.setAttribute('d', geodesicPath(p, q));
          svg.append(path);
          const total = path.getTotalLength();
          return Array.from({ length: 65 }, (_, i) => {
            const pt = path.getPointAtLength((total * i) / 64);
            return [(pt.x - DISK.centre) / DISK.radius, (DISK.centre - pt.y) / DISK.radius];
          });
        });
        svg.remove();
        return out;
      }, pairs);
      samples.forEach((s, i) => {
        const [p, q] = pairs[i];
        assert.ok(Math.hypot(s[0][0] - p[0], s[0][1] - p[1]) < 1e-4, `pair ${i} starts at p`);
        assert.ok(Math.hypot(s[64][0] - q[0], s[64][1] - q[1]) < 1e-4, `pair ${i} ends at q`);
        checkGeodesic(s, `pair ${i} ${JSON.stringify(pairs[i])}`);
      });
    } finally {
      await context.close();
    }
  });

  test('MixedCurvatureAttention takes its widths from the data (dim 16): native weights, no error', async () => {
    const node = small.nodes[0];
    const { page, context, problems } = await openPage(env.browser, env.server,
      `?nodes=300&dim=16&node=${node}&mechanism=MixedCurvatureAttention`);
    try {
      await waitRender(page, 0, { node, mechanism: 'MixedCurvatureAttention' }, BOOT_TIMEOUT_MS);
      const doc = await exportJson(page);
      const ref = small.mechanisms.MixedCurvatureAttention;
      assert.equal(ref.error, undefined, `natively: ${ref.message}`);
      assert.deepEqual(doc.current.options, ref.options);
      assert.equal(doc.current.options.euclideanDim + doc.current.options.hyperbolicDim, 16);
      assert.ok(maxAbsDiff(doc.current.weights, ref.weights[node], 'mixed dim 16') <= WEIGHT_TOL);
      assert.equal(await page.textContent('#config-message'), '');
      assert.equal((await panel(page)).dim, 8);
      // an edit that leaves no hyperbolic width is refused by the form, the view stays
      await page.fill('#cfg-euclideanDim', '16');
      await page.waitForFunction(() => document.getElementById('config-message').textContent !== '');
      assert.match(await page.textContent('#config-message'), /euclideanDim must be a whole number in 1\.\.15/);
      assert.deepEqual((await exportJson(page)).current.weights, doc.current.weights);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
