// Sparse / efficient attention on the wasm build: the shared fixtures
// (tests/fixtures/sparse.json, computed natively and checked against the float64
// twin), the typed extras (blockSize, redrawFeatures, attentionMask with HNSW
// layers), the compat classes, and typed errors.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  assertWithin, compatLib, expectAttentionError, f32, lib, loadFixture, mechanismFor, randomF32, referenceSdpa,
  runCase,
} from './helpers.mjs';

let rt;
before(async () => { rt = await lib.init(); });

describe('fixtures/sparse.json on the wasm kernel', () => {
  const cases = loadFixture('sparse');
  test('covers every sparse mechanism', () => {
    assert.deepEqual([...new Set(cases.map(c => c.mechanism))].sort(),
      ['FlashAttention', 'LinearAttention', 'LocalGlobalAttention']);
  });
  for (const c of cases) {
    test(c.name, async () => {
      const mech = await mechanismFor(rt, c);
      try {
        for (const kind of ['flat', 'float32[]']) {
          const got = await runCase(mech, c, kind);
          if (c.method === 'backward') {
            for (const part of ['query', 'keys', 'values']) {
              const g = part === 'query' ? got.query : got[part].data;
              assertWithin(g, f32(c.expected[part]), c.tolerance, `${c.name} ${part}`);
            }
          } else {
            assertWithin(got instanceof Float32Array ? got : got.data, f32(c.expected), c.tolerance, `${c.name} (${kind})`);
          }
        }
      } finally {
        mech.dispose();
      }
    });
  }
});

describe('typed extras', () => {
  test('FlashAttention equals ScaledDotProductAttention for blocks 1, 7, 64, n', async () => {
    const n = 65, d = 16, dv = 5;
    const q = randomF32(d, 1), K = randomF32(n * d, 2), V = randomF32(n * dv, 3);
    const ref = referenceSdpa(q, K, V, n, d, dv);
    for (const blockSize of [1, 7, 64, n]) {
      const flash = await rt.create('FlashAttention', { dim: d, blockSize });
      assert.equal(flash.blockSize, blockSize);
      assertWithin(flash.forward(q, { data: K, rows: n }, { data: V, rows: n }), ref, { rtol: 1e-4, atol: 1e-5 }, `block ${blockSize}`);
      flash.dispose();
    }
  });

  test('LinearAttention: seeded features equal natively made ones; redraw changes them', async () => {
    const lin = await rt.create('LinearAttention', { dim: 8, numFeatures: 16, seed: 4 });
    assert.equal(lin.numFeatures, 16);
    const before = lin.stateDict().projection_matrix;
    assert.equal(before.length, 16 * 8);
    const n = 30, K = randomF32(n * 8, 8), V = randomF32(n * 3, 9), q = randomF32(8, 10);
    expectAttentionError(() => lin.forwardPrepared(q), 'INVALID_CONFIG', ['set_keys']);
    lin.setKeys({ data: K, rows: n }, { data: V, rows: n });
    assert.deepEqual(lin.forwardPrepared(q), lin.forward(q, { data: K, rows: n }, { data: V, rows: n }));
    lin.redrawFeatures();
    assert.notDeepEqual(lin.stateDict().projection_matrix, before);
    expectAttentionError(() => lin.forwardPrepared(q), 'INVALID_CONFIG', ['prepare_keys again']);
    lin.dispose();
  });

  test('worker mode: the typed extras are reachable', async () => {
    const wrt = await lib.init({ worker: true });
    const lg = await wrt.create('LocalGlobalAttention', { dim: 4, localWindow: 3, globalNodes: 1 });
    const mask = await lg.attentionMask(8, { hnswLayers: [0, 0, 0, 0, 0, 0, 2, 0] });
    assert.deepEqual(Array.from(mask), [1, 1, 1, 0, 0, 0, 1, 0]);
    const lin = await wrt.create('LinearAttention', { dim: 4, numFeatures: 8 });
    await lin.setKeys([[1, 0, 0, 0], [0, 1, 0, 0]], [[1], [3]]);
    const out = await lin.forwardPrepared([1, 0, 0, 0]);
    assert.ok(out[0] > 1 && out[0] < 3);
    await wrt.terminate();
  });

  test('LocalGlobalAttention.attentionMask: window 10 + 5 global over 1000 has <= 15 ones', async () => {
    const lg = await rt.create('LocalGlobalAttention', { dim: 4, localWindow: 10, globalNodes: 5 });
    const layers = new Int32Array(1000);
    for (const j of [500, 600, 700, 800, 900, 950]) layers[j] = 2;
    const mask = lg.attentionMask(1000, { hnswLayers: layers });
    assert.equal(mask.reduce((a, b) => a + b, 0), 15);
    assert.deepEqual([mask[0], mask[9], mask[10], mask[500], mask[900], mask[950]], [1, 1, 0, 1, 1, 0]);
    const keys = randomF32(1000 * 4, 5), values = randomF32(1000 * 2, 6);
    const w = lg.attentionWeights(randomF32(4, 7), { data: keys, rows: 1000 }, { metadata: { hnswLayers: layers } });
    assert.ok(w.every((x, j) => (mask[j] ? x > 0 : x === 0)));
    const out = lg.forward(randomF32(4, 7), { data: keys, rows: 1000 }, { data: values, rows: 1000 },
      { metadata: { hnswLayers: layers }, mask: new Uint8Array(1000) });
    assert.deepEqual(Array.from(out), [0, 0], 'every selected key masked: zeros');
    expectAttentionError(() => lg.attentionMask(10, { hnswLayers: [1, 2] }), 'DIMENSION_MISMATCH', ['hnsw_layers']);
    lg.dispose();
  });

  test('LocalGlobalAttention.forwardGraph with hnswLayers: window + hub neighbours per node, also in worker mode', async () => {
    // node i lists its neighbours nearest first; hubs (layer 2) are picked beyond the window
    const N = 9, d = 4, dv = 3, window = 2, hubs = 1;
    const X = randomF32(N * d, 31), V = randomF32(N * dv, 32);
    const nbrs = Array.from({ length: N }, (_, i) => (i === 4 ? [] : [1, 2, 3, 5, 6, 7, 8, 0].filter(j => j !== i).slice(0, 3 + (i % 4))));
    const indptr = Int32Array.from([0, ...nbrs.map((_, i) => nbrs.slice(0, i + 1).flat().length)]);
    const indices = Int32Array.from(nbrs.flat());
    const layers = Int32Array.from([0, 0, 0, 0, 1, 0, 2, 0, 2]);
    const want = nbrs.map((nb, i) => {
      if (nb.length === 0) return new Float64Array(dv);  // isolated node: zero row
      const extra = nb.slice(window).map((j, p) => [-layers[j], p, j]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const sel = [...nb.slice(0, window), ...extra.slice(0, hubs).map(e => e[2])];
      const pick = (M, w) => Float32Array.from(sel.flatMap(j => Array.from(M.subarray(j * w, (j + 1) * w))));
      return referenceSdpa(X.subarray(i * d, (i + 1) * d), pick(X, d), pick(V, dv), sel.length, d, dv);
    });
    const check = got => {
      assert.deepEqual([got.rows, got.cols], [N, dv]);
      want.forEach((w, i) => assertWithin(got.data.subarray(i * dv, (i + 1) * dv), w, { rtol: 1e-5, atol: 1e-6 }, `node ${i}`));
    };
    const options = { values: { data: V, rows: N }, hnswLayers: layers };
    const lg = await rt.create('LocalGlobalAttention', { dim: d, localWindow: window, globalNodes: hubs });
    check(lg.forwardGraph({ data: X, rows: N }, indptr, indices, options));
    check(lg.forwardGraph({ data: X, rows: N }, indptr, indices, { ...options, hnswLayers: Array.from(layers) }));
    expectAttentionError(() => lg.forwardGraph({ data: X, rows: N }, indptr, indices, { hnswLayers: [0, 1] }),
      'DIMENSION_MISMATCH', ['hnsw_layers']);
    lg.dispose();
    const wrt = await lib.init({ worker: true });
    const wlg = await wrt.create('LocalGlobalAttention', { dim: d, localWindow: window, globalNodes: hubs });
    check(await wlg.forwardGraph({ data: X, rows: N }, indptr, indices, options));
    await wrt.terminate();
  });

  test('bad input gives typed errors', async () => {
    await assert.rejects(rt.create('FlashAttention', { dim: 4, blockSize: 0 }), e => e.code === 'INVALID_CONFIG');
    await assert.rejects(rt.create('LinearAttention', { dim: 4, kernel: 'softmax' }), e => e.code === 'INVALID_CONFIG');
    const flash = await rt.create('FlashAttention', { dim: 4, blockSize: 2 });
    const bad = new Float32Array([1, NaN, 0, 0]);
    expectAttentionError(() => flash.forward(bad, [[1, 0, 0, 0]], [[1]]), 'NUMERICAL_INSTABILITY', ['query[1]']);
    expectAttentionError(() => flash.forward([1, 0, 0], [[1, 0, 0, 0]], [[1]]), 'DIMENSION_MISMATCH', ['query']);
    flash.dispose();
  });
});

describe('compat: @ruvector/attention names', () => {
  test('FlashAttention / LinearAttention / LocalGlobalAttention compute and getters', async () => {
    const compat = await compatLib();
    await compat.init();
    const n = 40, d = 8;
    const q = randomF32(d, 11), K = randomF32(n * d, 12), V = randomF32(n * d, 13);
    const rows = a => Array.from({ length: n }, (_, i) => a.slice(i * d, (i + 1) * d));
    const ref = referenceSdpa(q, K, V, n, d, d);
    const flash = new compat.FlashAttention(d, 7);
    assert.deepEqual([flash.dim, flash.blockSize], [d, 7]);
    assertWithin(flash.compute(Array.from(q), rows(K), rows(V)), ref, { rtol: 1e-4, atol: 1e-5 }, 'flash');
    const lg = new compat.LocalGlobalAttention(d, n, 0);
    assert.deepEqual([lg.dim, lg.localWindow, lg.windowSize, lg.globalTokens], [d, n, n, 0]);
    assertWithin(lg.computeRaw(q, rows(K), rows(V)), ref, { rtol: 1e-4, atol: 1e-5 }, 'local-global, window n');
    const lin = new compat.LinearAttention(d, 128);
    assert.deepEqual([lin.dim, lin.numFeatures, lin.features], [d, 128, 128]);
    const approx = lin.compute(q, rows(K), rows(V));
    const err = Math.hypot(...approx.map((x, i) => x - ref[i])) / Math.hypot(...ref);
    assert.ok(err < 0.5 && approx.every(Number.isFinite), `linear relative error ${err}`);
    expectAttentionError(() => new compat.FlashAttention(d, 0), 'INVALID_CONFIG', ['blockSize']);
    for (const m of [flash, lg, lin]) m.free();
  });
});

describe('js/bench/sparse.mjs from Node', () => {
  test('peak extra memory of flash and linear does not grow with n (Python heap, tracemalloc)', async () => {
    const { bench: sparseBench } = await import('../../js/bench/sparse.mjs');
    const sizes = [500, 20000];
    const result = await sparseBench(rt, randomF32, { d: 32, sizes, quick: true });
    assert.equal(result.rows.length, 4 * sizes.length);
    for (const r of result.rows) {
      assert.ok(r.p50 > 0 && Number.isInteger(r.peakExtraBytes) && r.peakExtraBytes > 0, JSON.stringify(r));
    }
    const bytes = (name, n) => result.rows.find(r => r.mechanism === name && r.n === n).peakExtraBytes;
    // O(block · d) scratch and O(M · d) features: the same bytes at 40x the keys, give or
    // take an allocator rounding (well under one key's row, d · 4 = 128 bytes)
    for (const name of ['flash', 'linear', 'local-global']) {
      assert.ok(bytes(name, 20000) <= bytes(name, 500) + 64, `${name}: ${bytes(name, 500)} -> ${bytes(name, 20000)}`);
    }
    assert.deepEqual(result.summary.map(s => s.mechanism), ['sdpa', 'flash', 'linear', 'local-global']);
  });
});
