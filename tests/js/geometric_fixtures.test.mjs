// Replays tests/fixtures/geometric.json (written natively by make_fixtures.py, each value
// checked against geoopt / torch / PyG there) on the wasm build, on the main thread and in
// the worker, at the file's tolerance: hyperbolic, manifold, mixed-curvature, edge-featured.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertWithin, camelOptions, f32, lib, loadFixture, rowsAs } from './helpers.mjs';

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
    assert.ok(Math.abs(data.reduce((s, v) => s + v, 0) - 1) < 1e-5, `${what}: weights sum to 1`);
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
