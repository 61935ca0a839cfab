// The neighbour graph's HNSW-layer colouring and the GraphRoPE distance-encoding
// panel (shown for GraphRoPE only), in headless Chromium (worker mode, the app's default), against
// make_fixture.py's native values: node colours follow the dataset's layers (and the
// legend), user data without layers is not coloured; GraphRoPE with the latent
// distances sums to 1 and equals the native weights; without distances it equals
// scaled dot-product attention, natively and on the page. Assertions read data-*
// attributes and the exported JSON, never pixels.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  BOOT_TIMEOUT_MS, WEIGHT_TOL, chooseMechanism, exportJson, makeFixture, maxAbsDiff, openPage, renderCount, selectNode, useBrowser,
  waitRender,
} from './harness.mjs';

const env = useBrowser();
let fixture;
before(() => { fixture = makeFixture(); });

/** The graph's neighbour nodes as drawn: id, layer, fill, opacity. */
function drawnNodes(page) {
  return page.$$eval('#graph-view g.node', (gs) => gs.map((g) => ({
    node: Number(g.dataset.node), layer: g.dataset.layer, fill: g.querySelector('circle').getAttribute('fill'),
    dataFill: g.dataset.fill, opacity: g.getAttribute('opacity') ?? '1',
  })));
}

function legend(page) {
  return page.$eval('#layer-legend', (box) => ({
    layers: box.dataset.layers,
    keys: [...box.querySelectorAll('button.layer-key')].map((b) => ({
      layer: Number(b.dataset.layer), fill: b.dataset.fill, count: Number(b.dataset.count), pressed: b.getAttribute('aria-pressed'),
    })),
  }));
}

function effect(page) {
  return page.$eval('#distance-card', (card) => (card.hidden ? null : JSON.parse(card.dataset.effect)));
}

async function checkLayers(page, node) {
  const layers = fixture.neighbourLayers[node];
  const nodes = await drawnNodes(page);
  assert.deepEqual(nodes.map((g) => g.node), fixture.neighbours[node], `node ${node}: one graph node per neighbour`);
  assert.deepEqual(nodes.map((g) => Number(g.layer)), layers, `node ${node}: data-layer = the dataset's layers`);
  nodes.forEach((g) => assert.equal(g.fill, g.dataFill));
  const key = await legend(page);
  const present = [...new Set(layers)].sort((a, b) => a - b);
  assert.equal(key.layers, JSON.stringify(present));
  assert.deepEqual(key.keys.map((k) => k.layer), present);
  for (const k of key.keys) {
    assert.equal(k.count, layers.filter((l) => l === k.layer).length, `layer ${k.layer} count`);
    nodes.filter((g) => Number(g.layer) === k.layer).forEach((g) => assert.equal(g.fill, k.fill, `node ${g.node}: legend colour`));
  }
  assert.equal(new Set(key.keys.map((k) => k.fill)).size, key.keys.length, 'one colour per layer');
  // The heatmap table (the text alternative) has the layer column.
  const tableLayers = await page.$$eval('#heatmap-table tbody tr', (rows) => rows.map((tr) => Number(tr.cells[2].textContent)));
  assert.equal(await page.$eval('#heatmap-table thead th:nth-child(3)', (th) => th.textContent), 'layer');
  assert.deepEqual(tableLayers, layers);
}

async function checkDistanceEffect(page, node) {
  const e = await effect(page);
  const ref = fixture.distanceEffect[node];
  assert.equal(e.node, node);
  assert.equal(e.distanceKind, 'latent');
  assert.ok(maxAbsDiff([e.distances], [ref.distances], 'distances') < 1e-9, 'latent distances as natively');
  const sumWith = e.with.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sumWith - 1) < 1e-5, `with distances: sum ${sumWith}`);
  assert.ok(maxAbsDiff([e.with], [ref.with], 'with') <= WEIGHT_TOL, 'GraphRoPE with distances = native');
  assert.ok(maxAbsDiff([e.without], [ref.without], 'without') <= WEIGHT_TOL, 'GraphRoPE at distance 0 = native');
  const sdpa = fixture.mechanisms.ScaledDotProductAttention.weights[node];
  assert.ok(maxAbsDiff([e.without], sdpa, 'without vs SDPA') <= WEIGHT_TOL, 'without distances = native SDPA');
  const doc = await exportJson(page);
  const pageSdpa = doc.comparison.find((r) => r.name === 'ScaledDotProductAttention').weights;
  assert.ok(maxAbsDiff([e.without], pageSdpa, 'without vs page SDPA') <= WEIGHT_TOL, 'without distances = the page\'s SDPA');
  const rope = doc.comparison.find((r) => r.name === 'GraphRoPE');
  assert.ok(maxAbsDiff(rope.weights, [e.with], 'comparison GraphRoPE') <= WEIGHT_TOL, 'the comparison uses the same distances');
  for (const name of ['GraphRoPE', 'HNSWAwareAttention', 'StructuralAttention']) {
    assert.ok(doc.comparison.find((r) => r.name === name).metadataFrom, `${name} is computed with metadata`);
  }
  assert.ok(Math.max(...e.diff.map(Math.abs)) > 1e-4, 'the distance encoding moves the weights');
  // The table shows the same numbers.
  const rows = await page.$$eval('#distance-table tbody tr', (trs) => trs.map((tr) => ({
    node: Number(tr.dataset.node), with: Number(tr.querySelector('[data-with]').dataset.with),
    without: Number(tr.querySelector('[data-without]').dataset.without), diff: Number(tr.querySelector('[data-diff]').dataset.diff),
  })));
  assert.deepEqual(rows.map((r) => r.node), fixture.neighbours[node]);
  assert.deepEqual(rows.map((r) => r.with), e.with);
  assert.deepEqual(rows.map((r) => r.without), e.without);
  rows.forEach((r) => assert.ok(Math.abs(r.diff - (r.with - r.without)) < 1e-12));
  const bars = await page.$$eval('#distance-card rect[data-series]', (rs) => rs.length);
  assert.equal(bars, 2 * rows.length, 'two bars per neighbour');
}

describe('graph view: HNSW layers and the distance encoding (worker)', () => {
  test('layer colours, legend, GraphRoPE with vs without distances; no colouring without layers', async () => {
    const [first, second] = fixture.nodes;
    const { page, context, problems } = await openPage(env.browser, env.server, `?node=${first}&mechanism=GraphRoPE`);
    try {
      await waitRender(page, 0, { node: first, mechanism: 'GraphRoPE' }, BOOT_TIMEOUT_MS);
      await checkLayers(page, first);
      await checkDistanceEffect(page, first);
      // The card is GraphRoPE's: hidden for a mechanism that reads no distances.
      for (const other of ['MultiHeadAttention', 'HyperbolicAttention']) {
        await chooseMechanism(page, other);
        assert.equal(await effect(page), null, `no distance-encoding card for ${other}`);
      }
      await chooseMechanism(page, 'GraphRoPE');
      await checkDistanceEffect(page, first);

      // Keyboard: Enter on a legend key highlights that layer and dims the others.
      const { keys } = await legend(page);
      const top = keys[keys.length - 1].layer;
      await page.focus(`#layer-legend button[data-layer="${top}"]`);
      await page.keyboard.press('Enter');
      assert.equal((await legend(page)).keys.find((k) => k.layer === top).pressed, 'true');
      for (const g of await drawnNodes(page)) assert.equal(g.opacity, Number(g.layer) === top ? '1' : '0.25', `node ${g.node}`);
      await page.keyboard.press('Enter');
      assert.ok((await drawnNodes(page)).every((g) => g.opacity === '1'), 'pressing again clears the highlight');

      await selectNode(page, second);
      await checkLayers(page, second);
      await checkDistanceEffect(page, second);

      // User data without layers: no layer colouring, no layer column.
      await page.check('input[name="source"][value="file"]');
      const csv = Array.from({ length: 24 }, (_, i) => Array.from({ length: 8 }, (_, k) => Math.cos(i * 3 + k).toFixed(5)).join(',')).join('\n');
      await page.fill('#file-k', '5');
      const before = await renderCount(page);
      await page.setInputFiles('#file-vectors', { name: 'plain.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await page.click('#file-load');
      await waitRender(page, before);
      assert.equal((await legend(page)).layers, 'none');
      const plain = await drawnNodes(page);
      assert.equal(plain.length, 5);
      assert.ok(plain.every((g) => g.layer === '' && g.fill === plain[0].fill), 'one neutral fill');
      assert.ok(!(await page.$$eval('#heatmap-table thead th', (ths) => ths.map((th) => th.textContent))).includes('layer'));
      const e = await effect(page);
      assert.ok(Math.abs(e.with.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'user data: GraphRoPE weights sum to 1');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
