// Graph-aware attention on the wasm build: the shared fixtures
// (tests/fixtures/graph.json, computed natively and checked against the float64
// twin), the typed extras (forwardWithMetadata, applyRotation, forwardCross,
// headAttentionWeights), worker mode, the compat GraphRoPeAttention, typed errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertWithin, camelOptions, compatLib, expectAttentionError, f32, lib, loadFixture, randomF32, rowsAs,
} from './helpers.mjs';

let rt;
before(async () => { rt = await lib.init(); });

const camelMeta = m => (m === undefined ? undefined : {
  ...(m.distances ? { distances: m.distances } : {}),
  ...(m.hnsw_layers ? { hnswLayers: m.hnsw_layers } : {}),
  ...(m.structural_features ? { structuralFeatures: m.structural_features } : {}),
});

function runGraphCase(mech, c, kind) {
  const a = c.args, metadata = camelMeta(c.metadata), kw = c.kwargs ?? {};
  const rows = name => rowsAs(kind, a[name]);
  switch (c.method) {
    case 'forward_with_metadata':
      return mech.forwardWithMetadata(f32(a.query), rows('keys'), rows('values'), metadata,
        kw.query_distance !== undefined ? { queryDistance: kw.query_distance } : undefined);
    case 'attention_weights': return mech.attentionWeights(f32(a.query), rows('keys'), { metadata });
    case 'backward': return mech.backward(f32(a.query), rows('keys'), rows('values'), f32(a.grad_output), { metadata });
    case 'apply_rotation': return mech.applyRotation(rows('embedding'), kw.distance);
    case 'forward_cross': return mech.forwardCross(f32(a.h), rows('graph_neighbors'), rows('latent_neighbors'));
    default: throw new Error(`unknown method ${c.method}`);
  }
}

describe('fixtures/graph.json on the wasm kernel', () => {
  const cases = loadFixture('graph');
  test('covers every graph-aware mechanism', () => {
    assert.deepEqual([...new Set(cases.map(c => c.mechanism))].sort(),
      ['CrossSpaceAttention', 'GraphRoPE', 'HNSWAwareAttention', 'StructuralAttention']);
  });
  for (const c of cases) {
    test(c.name, async () => {
      const mech = await rt.create(c.mechanism, camelOptions(c.config));
      try {
        for (const kind of ['flat', 'float32[]']) {
          const got = runGraphCase(mech, c, kind);
          if (c.method === 'backward') {
            assertWithin(got.query, f32(c.expected.query), c.tolerance, `${c.name} query`);
            assertWithin(got.keys.data, f32(c.expected.keys), c.tolerance, `${c.name} keys`);
            assertWithin(got.values.data, f32(c.expected.values), c.tolerance, `${c.name} values`);
            assert.deepEqual(Object.keys(got.params).sort(), Object.keys(c.expected.params).sort());
            for (const [k, v] of Object.entries(c.expected.params)) assertWithin(got.params[k], f32(v), c.tolerance, `${c.name} ${k}`);
          } else {
            assertWithin(got, f32(c.expected), c.tolerance, `${c.name} (${kind})`);
          }
        }
      } finally {
        mech.dispose();
      }
    });
  }
});

describe('typed extras', () => {
  test('GraphRoPE: scores depend on relative distance only; rotation keeps the norm', async () => {
    const d = 16, n = 9;
    const rope = await rt.create('GraphRoPE', { dim: d });
    const q = randomF32(d, 1), K = { data: randomF32(n * d, 2), rows: n }, V = { data: randomF32(n * 3, 3), rows: n };
    const dist = Array.from({ length: n }, (_, j) => (j * 7) % 5);
    const a = rope.forwardWithMetadata(q, K, V, { distances: dist });
    const b = rope.forwardWithMetadata(q, K, V, { distances: dist.map(t => t + 2.5) }, { queryDistance: 2.5 });
    assertWithin(b, a, { rtol: 1e-5, atol: 1e-6 }, 'shifted query and keys');
    const far = rope.forwardWithMetadata(q, K, V, { distances: dist.map(t => t * 4) });
    assert.ok(far.some((x, i) => Math.abs(x - a[i]) > 1e-3), 'distances move the output');
    const r = rope.applyRotation(q, 3.25);
    const norm = x => Math.hypot(...x);
    assert.ok(Math.abs(norm(r) - norm(q)) < 1e-5);
    const w = rope.attentionWeights(q, K, { metadata: { distances: dist } });
    assert.ok(Math.abs(w.reduce((s, x) => s + x, 0) - 1) < 1e-5);
    expectAttentionError(() => rope.forwardWithMetadata(q, K, V, { hnswLayers: dist }), 'INVALID_CONFIG', ['distances']);
    expectAttentionError(() => rope.forwardWithMetadata(q, K, V, { distances: [1, 2] }), 'DIMENSION_MISMATCH', ['distances']);
    rope.dispose();
  });

  test('HNSWAwareAttention: head weights per layer; layer >= maxLayers is OUT_OF_BOUNDS', async () => {
    const hnsw = await rt.create('HNSWAwareAttention', { dim: 8, maxLayers: 3, numHeads: 2, seed: 1 });
    const K = { data: randomF32(5 * 8, 4), rows: 5 };
    const hw = hnsw.headAttentionWeights(randomF32(8, 5), K, { metadata: { hnswLayers: [0, 1, 2, 0, 1] } });
    assert.deepEqual([hw.rows, hw.cols], [2, 5]);
    for (let h = 0; h < 2; h++) assert.ok(Math.abs(hw.data.subarray(h * 5, h * 5 + 5).reduce((s, x) => s + x, 0) - 1) < 1e-5);
    expectAttentionError(() => hnsw.forwardWithMetadata(randomF32(8, 5), K, K, { hnswLayers: [0, 1, 3, 0, 1] }),
      'OUT_OF_BOUNDS', ['hnsw_layers']);
    hnsw.dispose();
  });

  test('metadata as typed arrays (one copy into a bridge slot each) equals plain arrays', async () => {
    const q = randomF32(8, 11), K = { data: randomF32(6 * 8, 12), rows: 6 }, V = { data: randomF32(6 * 3, 13), rows: 6 };
    const rope = await rt.create('GraphRoPE', { dim: 8 });
    const dist = [0, 1, 2.5, 1, 4, 3];
    assert.deepEqual(rope.forwardWithMetadata(q, K, V, { distances: Float32Array.from(dist) }),
      rope.forwardWithMetadata(q, K, V, { distances: dist }));
    const hnsw = await rt.create('HNSWAwareAttention', { dim: 8, maxLayers: 4, seed: 2 });
    const layers = [3, 0, 1, 0, 2, 1];
    const plain = hnsw.forwardWithMetadata(q, K, V, { hnswLayers: layers });
    for (const typed of [Int32Array.from(layers), Uint8Array.from(layers), Float64Array.from(layers)]) {
      assert.deepEqual(hnsw.forwardWithMetadata(q, K, V, { hnswLayers: typed }), plain, typed.constructor.name);
    }
    expectAttentionError(() => hnsw.forwardWithMetadata(q, K, V, { hnswLayers: [3, 0, 1.5, 0, 2, 1] }),
      'UNSUPPORTED', ['hnsw_layers[2]', 'not an integer']);
    expectAttentionError(() => hnsw.forwardWithMetadata(q, K, V, { hnswLayers: Int32Array.from([0, 1]) }),
      'DIMENSION_MISMATCH', ['hnsw_layers']);
    const structural = await rt.create('StructuralAttention', { dim: 8, structuralDim: 2, seed: 3 });
    const feats = Array.from({ length: 6 }, (_, j) => [j, 1 / (j + 1)]);
    const flatFeats = { data: Float32Array.from(feats.flat()), rows: 6 };
    assert.deepEqual(structural.forwardWithMetadata(q, K, V, { structuralFeatures: flatFeats }),
      structural.forwardWithMetadata(q, K, V, { structuralFeatures: feats }));
    const g = randomF32(3, 14);
    const a = structural.backward(q, K, V, g, { metadata: { structuralFeatures: flatFeats } });
    const b = structural.backward(q, K, V, g, { metadata: { structuralFeatures: feats } });
    assert.deepEqual(a.params['struct_proj.weight'], b.params['struct_proj.weight']);
    assert.ok(a.params['struct_proj.weight'].some(x => Math.abs(x) > 1e-4), 'features reach the projection gradient');
    expectAttentionError(() => structural.forwardWithMetadata(q, K, V, { structuralFeatures: [[1, 2], [3]] }),
      'DIMENSION_MISMATCH', ['structuralFeatures[1]']);
    // forwardGraph: values and per-node layers both ride in slots after the CSR arrays
    const indptr = [0, 2, 3, 3, 5, 6, 6], indices = [1, 2, 0, 0, 1, 5];
    assert.deepEqual(hnsw.forwardGraph(K, indptr, indices, { values: V, metadata: { hnswLayers: Int32Array.from(layers) } }),
      hnsw.forwardGraph(K, indptr, indices, { values: V, metadata: { hnswLayers: layers } }));
    for (const m of [rope, hnsw, structural]) m.dispose();
  });

  test('forwardGraph with per-edge distances equals the per-node calls', async () => {
    const rope = await rt.create('GraphRoPE', { dim: 4 });
    const X = randomF32(4 * 4, 6), indptr = [0, 2, 3, 3, 5], indices = [1, 2, 0, 0, 1], dist = [1, 2, 1, 3, 0.5];
    const out = rope.forwardGraph({ data: X, rows: 4 }, indptr, indices, { metadata: { distances: dist } });
    const row = i => X.subarray(i * 4, i * 4 + 4);
    for (let i = 0; i < 4; i++) {
      const nb = indices.slice(indptr[i], indptr[i + 1]);
      const want = nb.length ? rope.forwardWithMetadata(row(i), nb.map(row), nb.map(row),
        { distances: dist.slice(indptr[i], indptr[i + 1]) }) : new Float32Array(4);
      assertWithin(out.data.subarray(i * 4, i * 4 + 4), want, { rtol: 1e-5, atol: 1e-6 }, `row ${i}`);
    }
    rope.dispose();
  });

  test('CrossSpaceAttention: both neighbour sets empty is EMPTY_INPUT', async () => {
    const cross = await rt.create('CrossSpaceAttention', { dim: 4, fusion: 'mean' });
    const empty = { data: new Float32Array(0), rows: 0, cols: 4 };
    expectAttentionError(() => cross.forwardCross(randomF32(4, 1), empty, empty), 'EMPTY_INPUT');
    cross.dispose();
  });
});

// A triangle 0-1-2 (both directions) and node 3 with a single link 3 -> 0.
const CSR = { indptr: Int32Array.from([0, 2, 4, 6, 7]), indices: Int32Array.from([1, 2, 0, 2, 0, 1, 0]) };

describe('rt.graph: CSR converters (the metadata the visualizer passes)', () => {
  test('bfsDistances: hop counts, unreachable marker (default Infinity, as in Python)', () => {
    assert.deepEqual(Array.from(rt.graph.bfsDistances(CSR.indptr, CSR.indices, 0)), [0, 1, 1, Infinity]);
    assert.deepEqual(Array.from(rt.graph.bfsDistances(CSR.indptr, CSR.indices, 3, { unreachable: 99 })), [1, 2, 2, 0]);
    assert.deepEqual(Array.from(rt.graph.bfsDistances([0, 1, 1], [1], 1, { unreachable: 7 })), [7, 0]);
    expectAttentionError(() => rt.graph.bfsDistances(CSR.indptr, CSR.indices, 4), 'OUT_OF_BOUNDS');
    expectAttentionError(() => rt.graph.bfsDistances(CSR.indptr, CSR.indices, 0.5), 'INVALID_CONFIG', ['source']);
  });
  test('structuralFeatures: [degree, PageRank, clustering] per node', () => {
    const f = rt.graph.structuralFeatures(CSR.indptr, CSR.indices);
    assert.deepEqual([f.rows, f.cols], [4, 3]);
    const col = c => Array.from({ length: 4 }, (_, i) => f.data[3 * i + c]);
    assert.deepEqual(col(0), [2, 2, 2, 1]);
    assertWithin(col(2), [1 / 3, 1, 1, 0], { rtol: 0, atol: 1e-7 }, 'clustering (edges symmetrised)');
    const pr = col(1);
    assert.ok(Math.abs(pr.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'PageRank sums to 1');
    assert.equal(pr[1], pr[2], 'symmetric nodes');
    assertWithin([pr[3]], [0.15 / 4], { rtol: 0, atol: 1e-7 }, 'no in-links: (1 - damping) / N');
    expectAttentionError(() => rt.graph.structuralFeatures([0, 1], [5]), 'OUT_OF_BOUNDS');
  });
});

describe('worker mode', () => {
  let wrt;
  before(async () => { wrt = await lib.init({ worker: true }); });
  after(async () => { await wrt?.terminate(); });
  test('rt.graph equals the main thread', async () => {
    assert.deepEqual(Array.from(await wrt.graph.bfsDistances(CSR.indptr, CSR.indices, 3)),
      Array.from(rt.graph.bfsDistances(CSR.indptr, CSR.indices, 3)));
    const remote = await wrt.graph.structuralFeatures(CSR.indptr, CSR.indices);
    assert.deepEqual(Array.from(remote.data), Array.from(rt.graph.structuralFeatures(CSR.indptr, CSR.indices).data));
  });
  test('GraphRoPE.forwardWithMetadata and applyRotation equal the main thread', async () => {
    const q = randomF32(8, 7), K = { data: randomF32(6 * 8, 8), rows: 6 }, meta = { distances: [0, 1, 2, 1, 0, 3] };
    const main = await rt.create('GraphRoPE', { dim: 8 });
    const remote = await wrt.create('GraphRoPE', { dim: 8 });
    assertWithin(await remote.forwardWithMetadata(q, K, K, meta), main.forwardWithMetadata(q, K, K, meta),
      { rtol: 0, atol: 0 }, 'worker forward');
    assertWithin(await remote.applyRotation(q, 1.5), main.applyRotation(q, 1.5), { rtol: 0, atol: 0 }, 'worker rotation');
    main.dispose();
    await remote.dispose();
  });
});

describe('compat GraphRoPeAttention', () => {
  let compat;
  before(async () => { compat = await compatLib(); await compat.init(); });
  const q = Array.from(randomF32(8, 11)), keys = [0, 1, 2, 3].map(i => randomF32(8, 20 + i)),
    values = [0, 1, 2, 3].map(i => randomF32(3, 30 + i));

  test('computeWithPositions equals GraphRoPE with those distances; relative; clamped', async () => {
    const c = new compat.GraphRoPeAttention({ dim: 8, maxPosition: 16, base: 100 });
    assert.deepEqual([c.dim, c.maxPosition], [8, 16]);
    const rope = await rt.create('GraphRoPE', { dim: 8, base: 100 });
    const got = c.computeWithPositions(q, keys, values, 0, [1, 2, 3, 9]);
    assertWithin(got, rope.forwardWithMetadata(q, keys, values, { distances: [1, 2, 3, 9] }), { rtol: 0, atol: 0 }, 'compat');
    assertWithin(c.computeWithPositions(q, keys, values, 2, [3, 4, 5, 11]), got, { rtol: 1e-5, atol: 1e-6 }, 'relative');
    assertWithin(c.computeWithPositions(q, keys, values, 0, [1, 2, 3, 400]),
      c.computeWithPositions(q, keys, values, 0, [1, 2, 3, 15]), { rtol: 0, atol: 0 }, 'clamped to maxPosition - 1');
    assertWithin(c.compute(q, keys, values), c.computeWithPositions(q, keys, values, 0, [0, 1, 2, 3]), { rtol: 0, atol: 0 }, 'compute');
    assertWithin(c.applyRotary(q, 5), rope.applyRotation(q, 5), { rtol: 0, atol: 0 }, 'applyRotary');
    expectAttentionError(() => c.computeWithPositions(q, keys, values, 0, [1, 2]), 'DIMENSION_MISMATCH', ['keyPositions']);
    expectAttentionError(() => c.computeWithPositions(q, keys, values, -1, [1, 2, 3, 4]), 'INVALID_CONFIG', ['queryPosition']);
    expectAttentionError(() => new compat.GraphRoPeAttention({ dim: 7, maxPosition: 4 }), 'INVALID_CONFIG', ['even']);
    c.free();
    rope.dispose();
    const simple = new compat.GraphRoPeAttention(8);
    assert.equal(simple.maxPosition, 1000);
    simple.free();
  });

  test('distanceToPosition: exact up to 8, then logarithmic buckets', () => {
    const f = compat.GraphRoPeAttention.distanceToPosition;
    assert.deepEqual([0, 5, 8].map(d => f(d, 20)), [0, 5, 8]);
    assert.equal(f(16, 20), 12);
    assert.equal(f(17, 20), 13);
    assert.ok(f(32, 20) > f(16, 20));
    assert.equal(f(1 << 20, 10), 10);
    expectAttentionError(() => f(1.5, 20), 'INVALID_CONFIG', ['distance']);
  });
});
