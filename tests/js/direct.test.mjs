// The direct path of forward (js/src/direct.ts) for the mechanisms that have a plan
// (scaled dot-product, multi-head, flash, the curved ones): JS calls the kernel export itself.
// It must give the same bytes as the path through Python, never reach Python's
// forward when it is taken, and send every call it cannot prove valid (and every bad
// kernel status) to Python for the typed error. Python's forward is wrapped with a
// call counter to tell the paths apart.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertClose, countPythonForward, expectAttentionError, lib, randomF32, referenceSdpa, REFERENCE_RTOL } from './helpers.mjs';

const COUNTED = ['ScaledDotProductAttention', 'MultiHeadAttention', 'FlashAttention', 'HyperbolicAttention',
  'ManifoldAttention', 'MixedCurvatureAttention'];

const INTERNALS = Symbol.for('ruvector-attention.internals');
let rt, internals, ra;

before(async () => {
  rt = await lib.init();
  internals = rt[INTERNALS];
  const builtins = internals.pyimport('builtins');
  for (const name of COUNTED) builtins.exec(countPythonForward(name).install, builtins.dict());
  ra = internals.pyimport('ruvector_attention');
});

after(() => {
  const builtins = internals.pyimport('builtins');
  for (const name of COUNTED) builtins.exec(countPythonForward(name).remove, builtins.dict());
  internals.useDirect(true);
});

/** Calls of the Python forward of every counted class so far. */
const pythonCalls = () => ra._python_forward_calls;

/** forward through the direct path (asserting Python was not reached) and through Python. */
function bothPaths(mech, ...args) {
  internals.useDirect(true);
  const before = pythonCalls();
  const direct = mech.forward(...args);
  assert.equal(pythonCalls(), before, 'the direct path reached Python');
  internals.useDirect(false);
  const viaPython = mech.forward(...args);
  internals.useDirect(true);
  assert.equal(pythonCalls(), before + 1, 'the comparison call did not go through Python');
  return { direct, viaPython };
}

function assertSameBytes(a, b, what) {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} != ${b[i]}`);
}

/** Every input kind forward accepts, for rows (n, w) held flat in `data`. */
function inputKinds(data, n, w) {
  const rows = () => Array.from({ length: n }, (_, i) => data.slice(i * w, (i + 1) * w));
  return {
    flat: () => ({ data, rows: n }),
    'Float32Array[]': rows,
    'number[][]': () => rows().map(r => Array.from(r)),
    resident: () => rt.matrix(data, n),
  };
}

describe('direct path: the same bytes as through Python, without reaching Python', () => {
  for (const [n, d, dv] of [[1, 1, 1], [7, 5, 3], [33, 16, 130], [1000, 128, 128]]) {
    test(`n = ${n}, d = ${d}, dv = ${dv}, every input kind`, () => {
      const sdpa = new rt.ScaledDotProductAttention({ dim: d });
      const q = randomF32(d, n), K = randomF32(n * d, n + 1), V = randomF32(n * dv, n + 2);
      const want = referenceSdpa(q, K, V, n, d, dv);
      const keys = inputKinds(K, n, d), values = inputKinds(V, n, dv);
      for (const kind of Object.keys(keys)) {
        const k = keys[kind](), v = values[kind]();
        const { direct, viaPython } = bothPaths(sdpa, q, k, v);
        assertSameBytes(direct, viaPython, kind);
        assertClose(direct, want, REFERENCE_RTOL, `${kind} vs float64`);
        k.dispose?.(); v.dispose?.();
      }
      // a number[] query and mixed kinds (resident keys, flat values)
      const mk = rt.matrix(K, n);
      const { direct, viaPython } = bothPaths(sdpa, Array.from(q), mk, { data: V, rows: n });
      assertSameBytes(direct, viaPython, 'mixed');
      mk.dispose();
      sdpa.dispose();
    });
  }

  test('masks (Uint8Array of 0 / 1, boolean[]); other bytes are refused; a fully masked query gives zeros', () => {
    const n = 9, d = 4;
    const sdpa = new rt.ScaledDotProductAttention({ dim: d });
    const q = randomF32(d, 3), K = randomF32(n * d, 4), V = randomF32(n * d, 5);
    expectAttentionError(() => sdpa.forward(q, { data: K, rows: n }, { data: V, rows: n },
      { mask: Uint8Array.of(1, 0, 2, 0, 0, 255, 1, 0, 1) }), 'UNSUPPORTED', ['mask[2] = 2']);
    const keep = [1, 0, 1, 0, 0, 1, 1, 0, 1];
    const kept = keep.flatMap((m, j) => (m ? [j] : []));
    const pick = (X, w) => Float32Array.from(kept.flatMap(j => Array.from(X.subarray(j * w, (j + 1) * w))));
    const want = referenceSdpa(q, pick(K, d), pick(V, d), kept.length, d, d);
    for (const mask of [Uint8Array.from(keep), keep.map(Boolean)]) {
      const { direct, viaPython } = bothPaths(sdpa, q, { data: K, rows: n }, { data: V, rows: n }, { mask });
      assertSameBytes(direct, viaPython, mask.constructor.name);
      assertClose(direct, want, REFERENCE_RTOL, `${mask.constructor.name} vs float64 on the kept keys`);
    }
    const { direct } = bothPaths(sdpa, q, { data: K, rows: n }, { data: V, rows: n }, { mask: new Uint8Array(n) });
    assert.deepEqual(Array.from(direct), [0, 0, 0, 0]);
    sdpa.dispose();
  });

  test('scale and temperature options reach the kernel as Python computes them', () => {
    const n = 50, d = 8;
    const q = randomF32(d, 6), K = randomF32(n * d, 7), V = randomF32(n * d, 8);
    for (const options of [{ scale: 0.7 }, { temperature: 0.3 }, { scale: 2.5, temperature: 4 }]) {
      const sdpa = new rt.ScaledDotProductAttention({ dim: d, ...options });
      const { direct, viaPython } = bothPaths(sdpa, q, { data: K, rows: n }, { data: V, rows: n });
      assertSameBytes(direct, viaPython, JSON.stringify(options));
      sdpa.dispose();
    }
  });

  test('wasm memory growth between direct calls: resident and flat inputs stay right', () => {
    const n = 64, d = 32;
    const sdpa = new rt.ScaledDotProductAttention({ dim: d });
    const q = randomF32(d, 9), K = randomF32(n * d, 10), V = randomF32(n * d, 11);
    const mk = rt.matrix(K, n), mv = rt.matrix(V, n);
    const first = sdpa.forward(q, mk, mv);
    const heap = internals.heapBytes();
    const big = rt.matrix(new Float32Array(heap / 4 + (1 << 20)), 1);  // more than the whole heap: it must grow
    assert.ok(internals.heapBytes() > heap, 'the heap did not grow');
    const { direct, viaPython } = bothPaths(sdpa, q, mk, mv);
    assertSameBytes(direct, first, 'resident after growth');
    assertSameBytes(viaPython, first, 'via Python after growth');
    assertSameBytes(sdpa.forward(q, { data: K, rows: n }, { data: V, rows: n }), first, 'flat after growth');
    big.dispose(); mk.dispose(); mv.dispose(); sdpa.dispose();
  });
});

describe('MultiHeadAttention: the same through its own plan', () => {
  test('odd sizes, value width, masks, resident inputs; same bytes as through Python', () => {
    for (const [d, h, vd, n] of [[4, 1, 4, 1], [12, 3, 12, 37], [16, 4, 24, 1000]]) {
      const mha = new rt.MultiHeadAttention({ dim: d, numHeads: h, valueDim: vd, seed: d });
      const q = randomF32(d, 1), K = randomF32(n * d, 2), V = randomF32(n * vd, 3);
      const mk = rt.matrix(K, n);
      const mask = Uint8Array.from({ length: n }, (_, j) => (j % 3 === 1 ? 0 : 1));
      for (const [keys, opts] of [[{ data: K, rows: n }, undefined], [mk, undefined], [mk, { mask }]]) {
        const { direct, viaPython } = bothPaths(mha, q, keys, { data: V, rows: n }, opts);
        assert.equal(direct.length, d);
        assertSameBytes(direct, viaPython, `d=${d} h=${h} vd=${vd} n=${n}`);
      }
      // a byte other than 0 / 1 is not a boolean: Python refuses it, never reads it by truthiness
      const two = Uint8Array.from(mask, (b, j) => (j === 0 ? 2 : b));
      expectAttentionError(() => mha.forward(q, mk, { data: V, rows: n }, { mask: two }), 'UNSUPPORTED', ['mask[0] = 2']);
      mk.dispose();
      mha.dispose();
    }
  });

  test('loadStateDict: the next direct call uses the new parameters', () => {
    const d = 8, n = 20;
    const mha = new rt.MultiHeadAttention({ dim: d, numHeads: 2, seed: 1 });
    const other = new rt.MultiHeadAttention({ dim: d, numHeads: 2, seed: 2 });
    const q = randomF32(d, 4), K = { data: randomF32(n * d, 5), rows: n }, V = { data: randomF32(n * d, 6), rows: n };
    const before = mha.forward(q, K, V);
    mha.loadStateDict(other.stateDict());
    const { direct, viaPython } = bothPaths(mha, q, K, V);
    assertSameBytes(direct, viaPython, 'after loadStateDict');
    assertSameBytes(direct, other.forward(q, K, V), 'equals the mechanism the weights came from');
    assert.notDeepEqual(direct, before);
    mha.dispose(); other.dispose();
  });

  test('a value width other than valueDim goes through Python for its error', () => {
    const mha = new rt.MultiHeadAttention({ dim: 4, numHeads: 2 });
    const before = pythonCalls();
    expectAttentionError(() => mha.forward(randomF32(4), { data: randomF32(12), rows: 3 }, { data: randomF32(15), rows: 3 }),
      'DIMENSION_MISMATCH');
    assert.equal(pythonCalls(), before + 1);
    mha.dispose();
  });
});

describe('flash and the curved mechanisms: the same through their plans', () => {
  /** Rows (n, w) inside the ball of curvature k (norms up to 0.9 / sqrt(-k)); a few outside. */
  function ballRows(n, w, k, seed) {
    const x = randomF32(n * w, seed), r = 1 / Math.sqrt(-k);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < w; j++) s += x[i * w + j] ** 2;
      const scale = (i % 7 === 3 ? 0.999 : 0.9 * ((i % 5) + 1) / 5) * r / Math.sqrt(s); // 0.999: within the margin, pulled in
      for (let j = 0; j < w; j++) x[i * w + j] *= scale;
    }
    return x;
  }

  const cases = [
    ['FlashAttention', { dim: 12, blockSize: 5 }, 12, null],
    ['HyperbolicAttention', { dim: 12, curvature: -0.7, temperature: 0.8 }, 12, null],
    ['ManifoldAttention', { dim: 12, curvature: 0.6 }, 12, null],
    ['MixedCurvatureAttention', { euclideanDim: 5, hyperbolicDim: 7, curvature: -1.3 }, 12, 12],
  ];
  for (const [name, options, d, valueDim] of cases) {
    test(`${name}: odd sizes, masks, resident inputs; same bytes as through Python`, async () => {
      const mech = await rt.create(name, options);
      for (const n of [1, 37, 300]) {
        const dv = valueDim ?? 7;
        const k = Math.min(options.curvature ?? -0.7, -0.7);  // inside this mechanism's ball
        const q = ballRows(1, d, k, n), K = ballRows(n, d, k, n + 1), V = ballRows(n, dv, k, n + 2);
        const mk = rt.matrix(K, n);
        const mask = Uint8Array.from({ length: n }, (_, j) => (j % 4 === 2 ? 0 : 1));
        mask[0] = 1;
        for (const [keys, opts] of [[{ data: K, rows: n }, undefined], [mk, { mask }]]) {
          const { direct, viaPython } = bothPaths(mech, q, keys, { data: V, rows: n }, opts);
          assertSameBytes(direct, viaPython, `${name} n=${n}`);
        }
        mk.dispose();
      }
      mech.dispose();
    });
  }

  test('a learned curvature: after loadStateDict the plan carries the new curvature', async () => {
    const h = await rt.create('HyperbolicAttention', { dim: 6, learnCurvature: true });
    const n = 9, q = ballRows(1, 6, -3, 1), K = { data: ballRows(n, 6, -3, 2), rows: n }, V = { data: ballRows(n, 6, -3, 3), rows: n }; // inside both balls
    const before = h.forward(q, K, V);
    h.loadStateDict({ raw_curvature: new Float32Array([2.5]) });
    const { direct, viaPython } = bothPaths(h, q, K, V);
    assertSameBytes(direct, viaPython, 'after loadStateDict');
    assert.notDeepEqual(direct, before);
    h.dispose();
  });

  test('a point outside the ball: the kernel refuses it, Python names it (OUT_OF_BOUNDS)', async () => {
    const h = await rt.create('HyperbolicAttention', { dim: 4 });
    const before = pythonCalls();
    expectAttentionError(() => h.forward([0.1, 0, 0, 0], [[2, 0, 0, 0]], [[0.1, 0, 0, 0]]), 'OUT_OF_BOUNDS',
      ['keys[0] has norm 2 >= the ball radius 1', "input_mode='euclidean'"]);
    assert.equal(pythonCalls(), before + 1);
    h.forward([0.1, 0, 0, 0], [[0.2, 0, 0, 0]], [[0.1, 0, 0, 0]]); // inside: the direct path
    assert.equal(pythonCalls(), before + 1);
    h.dispose();
  });

  test('euclidean input mode: exp_0 runs in Python, so forward goes through it', async () => {
    const h = await rt.create('HyperbolicAttention', { dim: 4, inputMode: 'euclidean' });
    const before = pythonCalls();
    const out = h.forward([3, 0, 0, 0], [[2, 0, 0, 0]], [[5, 0, 0, 0]]);
    assert.ok(Math.hypot(...out) < 1, 'a point of the ball');
    assert.equal(pythonCalls(), before + 1);
    h.dispose();
  });
});

describe('calls the direct path cannot take go through Python, which raises the typed error', () => {
  const d = 4, n = 3;
  const q = randomF32(d, 1), K = randomF32(n * d, 2), V = randomF32(n * d, 3);
  const flat = (data, rows) => ({ data, rows });

  /** The call reaches Python (it was not taken directly) and throws `code`, as with the direct path off. */
  function viaPythonError(fn, code, words) {
    const before = pythonCalls();
    const direct = expectAttentionError(fn, code, words);
    assert.equal(pythonCalls(), before + 1, 'Python did not see the call');
    internals.useDirect(false);
    try {
      assert.equal(expectAttentionError(fn, code, words).message, direct.message);
    } finally {
      internals.useDirect(true);
    }
  }

  test('shapes Python rejects: empty keys, a query, keys, values or mask of the wrong size', () => {
    const sdpa = new rt.ScaledDotProductAttention({ dim: d });
    viaPythonError(() => sdpa.forward(q, [], []), 'EMPTY_INPUT');
    viaPythonError(() => sdpa.forward(randomF32(d + 1), flat(K, n), flat(V, n)), 'DIMENSION_MISMATCH', ['query']);
    viaPythonError(() => sdpa.forward(q, flat(randomF32(n * (d + 1)), n), flat(V, n)), 'DIMENSION_MISMATCH', ['keys']);
    viaPythonError(() => sdpa.forward(q, flat(K, n), flat(randomF32(2 * d), 2)), 'DIMENSION_MISMATCH', ['values']);
    viaPythonError(() => sdpa.forward(q, flat(K, n), flat(V, n), { mask: [true, false] }), 'DIMENSION_MISMATCH', ['mask']);
    sdpa.dispose();
  });

  test('a NaN input or a score overflow (kernel status not OK) names the problem', () => {
    const sdpa = new rt.ScaledDotProductAttention({ dim: d });
    const bad = K.slice();
    bad[5] = NaN;
    viaPythonError(() => sdpa.forward(q, flat(bad, n), flat(V, n)), 'NUMERICAL_INSTABILITY', ['keys']);
    viaPythonError(() => sdpa.forward([NaN, 0, 0, 0], flat(K, n), flat(V, n)), 'NUMERICAL_INSTABILITY', ['query']);
    const huge = new Float32Array(n * d).fill(3e38);
    viaPythonError(() => sdpa.forward(new Float32Array(d).fill(3e38), flat(huge, n), flat(V, n)), 'NUMERICAL_INSTABILITY');
    sdpa.dispose();
  });

  test('dropout in training mode needs Python; eval() goes back to the direct path', () => {
    const sdpa = new rt.ScaledDotProductAttention({ dim: d, dropout: 0.5, seed: 3 });
    sdpa.train();
    const before = pythonCalls();
    sdpa.forward(q, flat(K, n), flat(V, n));
    assert.equal(pythonCalls(), before + 1);
    sdpa.eval();
    const { direct, viaPython } = bothPaths(sdpa, q, flat(K, n), flat(V, n));
    assertSameBytes(direct, viaPython, 'eval mode');
    sdpa.dispose();
  });

  test('a disposed object throws DISPOSED before any kernel call', () => {
    const sdpa = new rt.ScaledDotProductAttention({ dim: d });
    sdpa.forward(q, flat(K, n), flat(V, n));
    sdpa.dispose();
    expectAttentionError(() => sdpa.forward(q, flat(K, n), flat(V, n)), 'DISPOSED');
  });
});
