// The main-thread runtime on the shared fixtures (native results) and the
// bad-input set: every entry point, every input kind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { before, describe, test } from 'node:test';
import { assertClose, camelOptions, checkExpected, expectAttentionError, expectRejection, f32, lib, loadFixture, mechanismFor, randomF32, referenceSdpa, rowsAs, runCase, REFERENCE_RTOL, SCALAR_ATOL } from './helpers.mjs';

const KINDS = ['flat', 'float32[]', 'number[][]'];
let rt;

before(async () => { rt = await lib.init(); });

describe('init', () => {
  test('versions of JS, Python and kernel agree; the wasm SIMD kernel is live', () => {
    const v = rt.versions;
    assert.equal(v.js, lib.version);
    assert.equal(v.python, v.js);
    assert.equal(v.kernel, v.js);
    assert.equal(v.isa, 'wasm128');
    assert.match(v.pyodide, /^314\./);
  });

  test('concurrent and repeated init() calls share one runtime', async () => {
    const [a, b] = await Promise.all([lib.init(), lib.init()]);
    assert.equal(a, rt);
    assert.equal(b, rt);
  });

  test('init rejects a non-object options argument with INVALID_CONFIG', async () => {
    await assert.rejects(lib.init(42), e => e instanceof lib.AttentionError && e.code === 'INVALID_CONFIG');
  });
});

for (const file of ['sdpa', 'multihead']) {
  describe(`fixtures/${file}.json`, () => {
    for (const c of loadFixture(file)) {
      test(c.name, async () => {
        const mech = await mechanismFor(rt, c);
        try {
          if (c.state_dict && c.state_from_seed) {
            // the seeded initialisation must be bit-identical to native
            const sd = mech.stateDict();
            for (const [k, v] of Object.entries(c.state_dict)) assert.deepEqual(sd[k], f32(v), `state ${k}`);
          }
          const results = {};
          for (const kind of KINDS) results[kind] = await runCase(mech, c, kind);
          checkExpected(results.flat, c);
          // every input kind gives bit-identical results (same bytes reach the kernel)
          for (const kind of KINDS.slice(1)) assert.deepEqual(results[kind], results.flat, `${kind} vs flat`);
        } finally {
          mech.dispose();
        }
      });
    }
  });
}

describe('fixtures/errors.json: each bad input is a catchable AttentionError with its code', () => {
  for (const c of loadFixture('errors')) {
    test(c.name, async () => {
      const words = c.error.message_contains;
      if (c.method === 'construct') {
        expectAttentionError(() => new rt[c.mechanism](camelOptions(c.config)), c.error.code, words);
        await assert.rejects(rt.create(c.mechanism, camelOptions(c.config)), e => e.code === c.error.code);
        return;
      }
      const mech = await rt.create(c.mechanism, camelOptions(c.config));
      try {
        // runCase is async, so the synchronous throw arrives as a rejection
        for (const kind of KINDS) await expectRejection(runCase(mech, c, kind), c.error.code, words);
      } finally {
        mech.dispose();
      }
    });
  }
});

describe('inputs', () => {
  const d = 16, n = 40, dv = 8;
  const q = randomF32(d, 1), K = randomF32(n * d, 2), V = randomF32(n * dv, 3);

  test('a resident Matrix gives the same result as copied inputs, and set() updates it in place', () => {
    const sdpa = new rt.ScaledDotProductAttention({ dim: d });
    const copied = sdpa.forward(q, { data: K, rows: n }, { data: V, rows: n });
    const mk = rt.matrix(K, n), mv = rt.matrix(rowsAs('float32[]', { shape: [n, dv], data: Array.from(V) }));
    assert.deepEqual([mk.rows, mk.cols, mv.rows, mv.cols], [n, d, n, dv]);
    assert.deepEqual(sdpa.forward(q, mk, mv), copied);
    assert.deepEqual(mk.toFloat32Array(), K);
    const K2 = randomF32(n * d, 9);
    mk.set(K2);
    assert.deepEqual(sdpa.forward(q, mk, mv), sdpa.forward(q, { data: K2, rows: n }, { data: V, rows: n }));
    expectAttentionError(() => mk.set(new Float32Array(3)), 'DIMENSION_MISMATCH', ['3']);
    mk.dispose(); mk.dispose();  // idempotent
    assert.equal(mk.disposed, true);
    expectAttentionError(() => sdpa.forward(q, mk, mv), 'DISPOSED');
    mv.dispose(); sdpa.dispose();
  });

  test('weights sum to 1 and match a float64 JS reference', () => {
    const sdpa = new rt.ScaledDotProductAttention({ dim: d, temperature: 0.7 });
    const w = sdpa.attentionWeights(q, { data: K, rows: n });
    const logits = Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += q[k] * K[j * d + k];
      return s / Math.sqrt(d) / 0.7;
    });
    const m = Math.max(...logits);
    const e = logits.map(x => Math.exp(x - m));
    const z = e.reduce((a, b) => a + b, 0);
    assertClose(w, Float64Array.from(e, x => x / z), REFERENCE_RTOL, 'weights');
    assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < SCALAR_ATOL);
    sdpa.dispose();
  });

  test('calls with identical shapes but new data, kinds or mechanisms are never confused', () => {
    // the bridge reuses its shaped views when the argument descriptors repeat
    const a = new rt.ScaledDotProductAttention({ dim: 8 }), b = new rt.ScaledDotProductAttention({ dim: 8, temperature: 3 });
    const m = 6, K2 = randomF32(m * 8, 21), V2 = randomF32(m * 4, 22);
    const mk = rt.matrix(K2, m);
    for (let i = 0; i < 6; i++) {
      const qi = randomF32(8, 30 + i), Ki = randomF32(m * 8, 40 + i), Vi = randomF32(m * 4, 50 + i);
      assertClose(a.forward(qi, { data: Ki, rows: m }, { data: Vi, rows: m }), referenceSdpa(qi, Ki, Vi, m, 8, 4), REFERENCE_RTOL, `call ${i}`);
      assertClose(a.forward(qi, mk, { data: V2, rows: m }), referenceSdpa(qi, K2, V2, m, 8, 4), REFERENCE_RTOL, `matrix ${i}`);
      const scaled = Float32Array.from(qi, x => x / 3);
      assertClose(b.forward(qi, { data: Ki, rows: m }, { data: Vi, rows: m }), referenceSdpa(scaled, Ki, Vi, m, 8, 4), REFERENCE_RTOL, `T=3 ${i}`);
    }
    mk.dispose(); a.dispose(); b.dispose();
  });

  test('JS-side shape and type errors name the argument', () => {
    const sdpa = new rt.ScaledDotProductAttention({ dim: 4 });
    expectAttentionError(() => sdpa.forward([1, 0, 0, 0], [[1, 0, 0, 0], [1, 0, 0]], [[1], [2]]),
      'DIMENSION_MISMATCH', ['keys[1]', '3', '4']);
    expectAttentionError(() => sdpa.forward([1, 0, 0, 0], { data: new Float32Array(7), rows: 2 }, [[1], [2]]),
      'DIMENSION_MISMATCH', ['keys', '7', '2']);
    expectAttentionError(() => sdpa.forward([1, 0, 0, 0], { data: new Float32Array(8), rows: 2, cols: 3 }, [[1], [2]]),
      'DIMENSION_MISMATCH', ['cols']);
    expectAttentionError(() => sdpa.forward([1, 0, 0, 0], new Float32Array(8), [[1], [2]]), 'UNSUPPORTED', ['rows']);
    expectAttentionError(() => sdpa.forward('abcd', [[1, 0, 0, 0]], [[1]]), 'UNSUPPORTED', ['query']);
    expectAttentionError(() => sdpa.forward([1, 0, 0, 0], 'keys', [[1]]), 'UNSUPPORTED', ['keys']);
    expectAttentionError(() => sdpa.forward([1, 0, 0, 0], [[1, 0, 0, 0]], [[1]], { mask: 'x' }), 'UNSUPPORTED', ['mask']);
    expectAttentionError(() => sdpa.forwardGraph([[1, 0, 0, 0]], [0, 1.5], [0]), 'OUT_OF_BOUNDS', ['indptr[1]']);
    expectAttentionError(() => sdpa.forward([1, 0, 0, NaN], [[1, 0, 0, 0]], [[1]]), 'NUMERICAL_INSTABILITY', ['query[3]']);
    sdpa.dispose();
  });

  test('invalid constructor options are INVALID_CONFIG; unknown mechanisms UNSUPPORTED', async () => {
    expectAttentionError(() => new rt.ScaledDotProductAttention(), 'INVALID_CONFIG', ['dim']);
    expectAttentionError(() => new rt.ScaledDotProductAttention(128), 'INVALID_CONFIG', ['options']);
    expectAttentionError(() => new rt.ScaledDotProductAttention({ dim: 8, tempreature: 2 }), 'INVALID_CONFIG', ['tempreature']);
    expectAttentionError(() => new rt.ScaledDotProductAttention({ dim: 2.5 }), 'INVALID_CONFIG', ['dim']);
    expectAttentionError(() => new rt.MultiHeadAttention({ dim: 8, numHeads: 17 }), 'INVALID_CONFIG', ['num_heads']);
    await assert.rejects(rt.create('NoSuchAttention', { dim: 4 }), e => e.code === 'UNSUPPORTED' && /NoSuchAttention/.test(e.message));
  });

  test('a disposed mechanism throws DISPOSED from every method; dispose is idempotent', () => {
    const mha = new rt.MultiHeadAttention({ dim: 4, numHeads: 2 });
    mha.dispose();
    mha.dispose();
    assert.equal(mha.disposed, true);
    for (const call of [() => mha.forward([1, 0, 0, 0], [[1, 0, 0, 0]], [[1, 0, 0, 0]]), () => mha.config(),
      () => mha.stateDict(), () => mha.loadStateDict({}), () => mha.headAttentionWeights([1, 0, 0, 0], [[1, 0, 0, 0]])]) {
      expectAttentionError(call, 'DISPOSED', ['MultiHeadAttention']);
    }
  });
});

describe('state, config, modes', () => {
  test('stateDict / loadStateDict round-trip with Float32Array values; shape and name errors', () => {
    const a = new rt.MultiHeadAttention({ dim: 8, numHeads: 2, seed: 1 });
    const b = new rt.MultiHeadAttention({ dim: 8, numHeads: 2, seed: 2 });
    const q = randomF32(8, 4), K = { data: randomF32(40, 5), rows: 5 }, V = { data: randomF32(40, 6), rows: 5 };
    assert.notDeepEqual(a.forward(q, K, V), b.forward(q, K, V));
    const sd = a.stateDict();
    assert.deepEqual(Object.keys(sd), ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    assert.ok(Object.values(sd).every(v => v instanceof Float32Array));
    assert.equal(sd.in_proj_weight.length, 3 * 8 * 8);
    b.loadStateDict(sd);
    assert.deepEqual(b.forward(q, K, V), a.forward(q, K, V));
    b.loadStateDict(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, Array.from(v)])));
    assert.deepEqual(b.forward(q, K, V), a.forward(q, K, V));
    expectAttentionError(() => b.loadStateDict({ ...sd, in_proj_bias: new Float32Array(5) }), 'DIMENSION_MISMATCH', ['in_proj_bias']);
    const { in_proj_bias: _dropped, ...missing } = sd;
    expectAttentionError(() => b.loadStateDict(missing), 'INVALID_CONFIG', ['in_proj_bias']);
    a.dispose(); b.dispose();
  });

  test('config() mirrors the Python dataclass in camelCase', () => {
    const mha = new rt.MultiHeadAttention({ dim: 12, numHeads: 3, valueDim: 5, bias: false, seed: 7 });
    assert.deepEqual(mha.config(), { dim: 12, numHeads: 3, valueDim: 5, bias: false, seed: 7 });
    const sdpa = new rt.ScaledDotProductAttention({ dim: 4, scale: 0.5 });
    assert.deepEqual(sdpa.config(), { dim: 4, temperature: 1, scale: 0.5, dropout: 0, seed: 0 });
    mha.dispose(); sdpa.dispose();
  });

  test('dropout acts only in training mode', () => {
    const sdpa = new rt.ScaledDotProductAttention({ dim: 8, dropout: 0.5, seed: 3 });
    const q = randomF32(8, 1), K = { data: randomF32(8 * 64, 2), rows: 64 }, V = { data: randomF32(4 * 64, 3), rows: 64 };
    const evalOut = sdpa.forward(q, K, V);
    assert.equal(sdpa.training, false);
    sdpa.train();
    assert.equal(sdpa.training, true);
    assert.notDeepEqual(sdpa.forward(q, K, V), evalOut);
    sdpa.eval();
    assert.equal(sdpa.training, false);
    assert.deepEqual(sdpa.forward(q, K, V), evalOut);
    sdpa.dispose();
  });
});

describe('catalogue and datasets', () => {
  test('mechanisms() lists every Python mechanism with typed config fields', () => {
    const cat = rt.mechanisms();
    const names = cat.map(m => m.name);
    assert.ok(names.includes('ScaledDotProductAttention') && names.includes('MultiHeadAttention'));
    const mha = cat.find(m => m.name === 'MultiHeadAttention');
    const field = name => mha.fields.find(f => f.name === name);
    assert.deepEqual(mha.fields.map(f => f.name), ['dim', 'numHeads', 'valueDim', 'bias', 'seed']);
    assert.equal(field('dim').required, true);
    assert.equal(field('numHeads').type, 'int');
    assert.equal(field('numHeads').max, 16);
    assert.equal(field('valueDim').nullable, true);
    assert.equal(field('bias').default, true);
    assert.ok(mha.methods.includes('headAttentionWeights'));
    const sdpa = cat.find(m => m.name === 'ScaledDotProductAttention');
    const t = sdpa.fields.find(f => f.name === 'temperature');
    assert.equal(t.min, 0);
    assert.equal(t.minExclusive, true);
    // every listed mechanism can be created from its defaults
    return Promise.all(cat.map(async info => {
      const opts = Object.fromEntries(info.fields.filter(f => f.default !== undefined).map(f => [f.name, f.default]));
      (await rt.create(info.name, opts)).dispose();
    }));
  });

  test('datasets.hnswGraph is seeded and well-formed CSR', () => {
    const g = rt.datasets.hnswGraph({ numNodes: 120, dim: 8, m: 4, seed: 5 });
    assert.equal(g.numNodes, 120);
    assert.equal(g.vectors.length, 120 * 8);
    assert.ok(g.indptr instanceof Int32Array && g.indices instanceof Int32Array);
    assert.equal(g.indptr[0], 0);
    assert.equal(g.indptr[120], g.indices.length);
    assert.equal(g.edgeLayers.length, g.indices.length);
    assert.ok(g.indices.every(j => j >= 0 && j < 120));
    assert.deepEqual(rt.datasets.hnswGraph({ numNodes: 120, dim: 8, m: 4, seed: 5 }), g);
    assert.notDeepEqual(rt.datasets.hnswGraph({ numNodes: 120, dim: 8, m: 4, seed: 6 }).vectors, g.vectors);
    expectAttentionError(() => rt.datasets.hnswGraph({ numNodes: 3, m: 4 }), 'INVALID_CONFIG', ['num_nodes']);
    const knn = rt.datasets.knnGraph(g.vectors, 8, { k: 3 });
    assert.equal(knn.indices.length, 120 * 3);
  });

  test('datasets: the same graphs as the native package, bit for bit (wasm vs native neighbour search)', () => {
    const script = `
import json, sys
from ruvector_attention import datasets
g = datasets.hnsw_graph(3000, 24, m=6, seed=11)
k = datasets.knn_graph(g.vectors[:400 * 24], 24, k=7)
print(json.dumps([list(g.vectors), list(g.indices), list(g.edge_layers), list(g.layers), list(k.indices)]))`;
    const [vectors, indices, edgeLayers, layers, knn] = JSON.parse(execFileSync(process.env.PYTHON || 'python3', ['-c', script],
      { encoding: 'utf8', maxBuffer: 64 << 20 }));
    const g = rt.datasets.hnswGraph({ numNodes: 3000, dim: 24, m: 6, seed: 11 });
    assert.deepEqual(Array.from(g.vectors), vectors);
    assert.deepEqual(Array.from(g.indices), indices);
    assert.deepEqual(Array.from(g.edgeLayers), edgeLayers);
    assert.deepEqual(Array.from(g.layers), layers);
    assert.deepEqual(Array.from(rt.datasets.knnGraph(g.vectors.slice(0, 400 * 24), 24, { k: 7 }).indices), knn);
  });
});
