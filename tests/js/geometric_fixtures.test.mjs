// Replays tests/fixtures/geometric.json (written natively by make_fixtures.py, each value
// checked against geoopt / torch / PyG there) on the wasm build, at the file's tolerance:
// hyperbolic, manifold, mixed-curvature, edge-featured — in Node on the main thread and in
// the worker, and in headless Chromium on the page and in a module Web Worker (the browser
// bundle with its default indexURL; nothing outside 127.0.0.1 is requested).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { onBlankPage, useChromium } from './chromium.mjs';
import { assertWithin, camelOptions, f32, lib, loadFixture, rowsAs, tolerance, SCALAR_ATOL } from './helpers.mjs';

const cases = loadFixture('geometric');

/** Run one case on a runtime (sync or worker: every result is awaited). */
async function replay(rt, c) {
  const m = await rt.create(c.mechanism, camelOptions(c.config));
  if (c.state_dict) {
    await m.loadStateDict(Object.fromEntries(Object.entries(c.state_dict).map(([k, v]) => [k, f32(v)])));
  }
  const a = c.args;
  const rows = k => rowsAs('flat', a[k]);
  const mask = a.mask ? { mask: a.mask.data } : undefined;
  try {
    switch (c.method) {
      case 'forward': return await m.forward(f32(a.query), rows('keys'), rows('values'), mask);
      case 'attention_weights': return await m.attentionWeights(f32(a.query), rows('keys'), mask);
      case 'backward': return await m.backward(f32(a.query), rows('keys'), rows('values'), f32(a.grad_output));
      case 'forward_with_edges':
        return await m.forwardWithEdges(f32(a.query), rows('keys'), rows('values'), rows('edge_features'));
      case 'forward_graph':
        return await m.forwardGraph(rows('features'), a.indptr.data, a.indices.data, { edgeFeatures: rows('edge_features') });
      default: throw new Error(`unknown method ${c.method}`);
    }
  } finally {
    await m.dispose();
  }
}

function check(got, c, where) {
  const what = `${where}: ${c.name}`;
  if (c.method === 'backward') {
    for (const part of ['query', 'keys', 'values']) {
      const g = part === 'query' ? got.query : got[part].data;
      assertWithin(g, f32(c.expected[part]), c.tolerance, `${what} grad ${part}`);
    }
    return;
  }
  const data = got instanceof Float32Array ? got : got.data;
  if (!(got instanceof Float32Array)) assert.deepEqual([got.rows, got.cols], c.expected.shape, `${what}: shape`);
  assertWithin(data, f32(c.expected), c.tolerance, what);
  if (c.method === 'attention_weights' && !c.args.mask) {
    assert.ok(Math.abs(data.reduce((s, v) => s + v, 0) - 1) < SCALAR_ATOL, `${what}: weights sum to 1`);
  }
}

test('the fixture file covers every geometric mechanism and method', () => {
  assert.ok(cases.length >= 15);
  assert.deepEqual(new Set(cases.map(c => c.mechanism)),
    new Set(['HyperbolicAttention', 'ManifoldAttention', 'MixedCurvatureAttention', 'EdgeFeaturedAttention']));
  assert.deepEqual(new Set(cases.map(c => c.method)),
    new Set(['forward', 'attention_weights', 'backward', 'forward_with_edges', 'forward_graph']));
});

describe('geometric fixtures on the main thread', () => {
  let rt;
  before(async () => { rt = await lib.init(); });
  test('every case within the file tolerance', async () => {
    for (const c of cases) check(await replay(rt, c), c, 'main');
  });
});

describe('geometric fixtures in the worker', () => {
  let wrt;
  before(async () => { wrt = await lib.init({ worker: true }); });
  after(async () => { await wrt?.terminate(); });
  test('every case within the file tolerance', async () => {
    for (const c of cases) check(await replay(wrt, c), c, 'worker');
  });
});

// ---- headless Chromium: the same cases through the browser bundle

/** In the page: replay every case on `init(options)`; results as plain arrays (structured clone). */
async function replayInPage({ cases, options }) {
  const lib = await import('/dist/ruvector-attention.js');
  const rt = await lib.init(options);
  const camel = s => s.replace(/_([a-z0-9])/g, (_, x) => x.toUpperCase());
  const f32 = a => Float32Array.from(a.data);
  const rows = a => ({ data: f32(a), rows: a.shape[0], cols: a.shape[1] });
  const plain = r => (r instanceof Float32Array ? Array.from(r) : { data: Array.from(r.data), rows: r.rows, cols: r.cols });
  const out = [];
  for (const c of cases) {
    const m = await rt.create(c.mechanism, Object.fromEntries(Object.entries(c.config).map(([k, v]) => [camel(k), v])));
    if (c.state_dict) await m.loadStateDict(Object.fromEntries(Object.entries(c.state_dict).map(([k, v]) => [k, f32(v)])));
    const a = c.args;
    const mask = a.mask ? { mask: a.mask.data } : undefined;
    let r;
    if (c.method === 'forward') r = plain(await m.forward(f32(a.query), rows(a.keys), rows(a.values), mask));
    else if (c.method === 'attention_weights') r = plain(await m.attentionWeights(f32(a.query), rows(a.keys), mask));
    else if (c.method === 'backward') {
      const g = await m.backward(f32(a.query), rows(a.keys), rows(a.values), f32(a.grad_output));
      r = { query: plain(g.query), keys: plain(g.keys), values: plain(g.values) };
    } else if (c.method === 'forward_with_edges') {
      r = plain(await m.forwardWithEdges(f32(a.query), rows(a.keys), rows(a.values), rows(a.edge_features)));
    } else if (c.method === 'forward_graph') {
      r = plain(await m.forwardGraph(rows(a.features), a.indptr.data, a.indices.data, { edgeFeatures: rows(a.edge_features) }));
    } else throw new Error(`unknown method ${c.method}`);
    await m.dispose();
    out.push(r);
  }
  return { out, mode: rt.mode, isa: rt.versions.isa };
}

/** A page result back to the API's shapes (Float32Array, Rows2D, gradients). */
function revive(r, c) {
  const arr = x => (Array.isArray(x) ? Float32Array.from(x) : { ...x, data: Float32Array.from(x.data) });
  return c.method === 'backward' ? { query: arr(r.query), keys: arr(r.keys), values: arr(r.values) } : arr(r);
}

describe('geometric fixtures in headless Chromium', () => {
  const chromium = useChromium();

  for (const worker of [false, true]) {
    const where = worker ? 'Chromium worker' : 'Chromium page';
    test(`${where}: every case within the file tolerance`, { timeout: 180_000 }, async () => {
      await onBlankPage(chromium, 'geometric fixtures', async page => {
        const r = await page.evaluate(replayInPage, { cases, options: worker ? { worker: true } : {} });
        assert.equal(r.mode, worker ? 'worker' : 'main');
        assert.equal(r.isa, 'wasm128');
        assert.equal(r.out.length, cases.length);
        cases.forEach((c, i) => check(revive(r.out[i], c), c, where));
      });
    });
  }
});
