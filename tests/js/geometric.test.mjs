// Geometric attention from Node on the wasm kernel: hyperbolic / manifold / mixed /
// edge-featured outputs equal the native package's on the same seeded inputs, the
// Poincaré math methods, the spec's boundary case and typed errors.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { expectAttentionError, lib, tolerance, REFERENCE_RTOL, SCALAR_ATOL } from './helpers.mjs';

// Seeded inputs (inside the unit ball) built identically here and in the native run.
function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.4;
}
const rows = (n, d, seed) => { const r = lcg(seed); return Array.from({ length: n }, () => Array.from({ length: d }, r)); };

const CASES = [
  { name: 'HyperbolicAttention', options: { dim: 8, curvature: -0.7, temperature: 0.8 }, d: 8, dv: 5 },
  { name: 'ManifoldAttention', options: { dim: 8, curvature: 0.6 }, d: 8, dv: 8 },
  { name: 'MixedCurvatureAttention', options: { euclideanDim: 3, hyperbolicDim: 5 }, d: 8, dv: 8 },
  { name: 'EdgeFeaturedAttention', options: { nodeDim: 8, edgeDim: 3, numHeads: 2, seed: 4 }, d: 8, dv: 8, fe: 3 },
];
const N = 6;
const inputs = (c) => ({ q: rows(1, c.d, 1)[0], K: rows(N, c.d, 2), V: rows(N, c.dv, 3), E: c.fe ? rows(N, c.fe, 4) : null });

const NATIVE = `
import json, sys, re
import ruvector_attention as ra
cases = json.loads(sys.stdin.read())
snake = lambda s: re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), s)
out = []
for c in cases:
    m = ra.MECHANISMS[c["name"]](**{snake(k): v for k, v in c["options"].items()})
    kw = {"edge_features": c["E"]} if c["E"] else {}
    out.append({"forward": m.forward(c["q"], c["K"], c["V"], **kw).tolist(),
                "weights": m.attention_weights(c["q"], c["K"], **kw).tolist()})
print(json.dumps(out))
`;

let rt;
before(async () => { rt = await lib.init(); });

function close(actual, expected, what, rtol = REFERENCE_RTOL) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(1e-3, ...expected.map(Math.abs));
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= rtol * scale, `${what}[${i}]: ${actual[i]} vs native ${expected[i]}`);
  }
}

describe('geometric attention (wasm) equals the native package', () => {
  test('forward and attention weights of every geometric mechanism', async () => {
    const payload = CASES.map(c => ({ name: c.name, options: c.options, ...inputs(c) }));
    const native = JSON.parse(execFileSync(process.env.PYTHON || 'python3', ['-c', NATIVE],
      { input: JSON.stringify(payload), encoding: 'utf8' }));
    for (const [i, c] of CASES.entries()) {
      const m = await rt.create(c.name, c.options);
      const { q, K, V, E } = inputs(c);
      const opts = E ? { edgeFeatures: E } : undefined;
      close(Array.from(m.forward(q, K, V, opts)), native[i].forward, `${c.name}.forward`);
      const w = Array.from(m.attentionWeights(q, K, opts));
      close(w, native[i].weights, `${c.name}.attentionWeights`);
      assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < SCALAR_ATOL);
      m.dispose();
    }
  });
});

describe('geometry from JS', () => {
  test('Poincaré math methods follow the signed-curvature convention', async () => {
    const h = await rt.create('HyperbolicAttention', { dim: 2, curvature: -1 });
    const x = [0.3, -0.1], y = [-0.4, 0.25];
    const d2 = (0.3 + 0.4) ** 2 + (0.1 + 0.25) ** 2;
    const expected = Math.acosh(1 + 2 * d2 / ((1 - 0.1) * (1 - (0.16 + 0.0625))));
    assert.ok(Math.abs(h.poincareDistance(x, y) - expected) < SCALAR_ATOL);
    assert.equal(h.poincareDistance(x, x), 0);
    const v = [0.2, 0.1];
    const back = h.logMap(x, h.expMap(x, v));  // log ∘ exp = id off the origin
    close(Array.from(back), v, 'logMap(expMap)', tolerance('geometric/roundtrip').rtol);
    const left = h.mobiusAdd([-0.3, 0.1], h.mobiusAdd(x, y));  // left cancellation
    close(Array.from(left), y, 'left cancellation', tolerance('geometric/roundtrip').rtol);
    const p = h.projectToBall([3, 4]);
    assert.ok(Math.hypot(p[0], p[1]) < 1);
    assert.equal(h.curvature, -1);
    h.dispose();
  });

  test("the spec's boundary case: far-out Euclidean inputs are mapped in (HGCN), refused as ball points", async () => {
    const h = await rt.create('HyperbolicAttention', { dim: 128, curvature: -1, inputMode: 'euclidean' });
    const keys = rows(10, 128, 9).map(r => r.map(v => v * 10));
    const out = h.forward(new Float32Array(128).fill(0.99), keys, keys);
    assert.ok(Math.hypot(...out) < 1);
    h.dispose();
    const ball = await rt.create('HyperbolicAttention', { dim: 128, curvature: -1 });
    expectAttentionError(() => ball.forward(new Float32Array(128).fill(0.99), keys, keys), 'OUT_OF_BOUNDS',
      ['query has norm 11.2', "input_mode='euclidean'"]);
    ball.dispose();
  });

  test('edge-featured: per-head weights, graph, and the missing-edge-features error', async () => {
    const g = await rt.create('EdgeFeaturedAttention', { nodeDim: 4, edgeDim: 2, numHeads: 2 });
    const q = [1, 0, 0, 1], K = [[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], E = [[1, 0], [0, 1], [1, 1]];
    const hw = g.headAttentionWeights(q, K, { edgeFeatures: E });
    assert.equal(hw.rows, 2);
    const graph = g.forwardGraph(K, [0, 2, 2, 3], [1, 2, 0], { edgeFeatures: [[1, 0], [0, 1], [1, 1]] });
    assert.equal(graph.rows, 3);
    close(Array.from(graph.data.subarray(0, 4)),
      Array.from(g.forwardWithEdges(K[0], [K[1], K[2]], [K[1], K[2]], [[1, 0], [0, 1]])), 'graph row 0');
    assert.throws(() => g.forward(q, K, K), (e) => e.code === 'DIMENSION_MISMATCH' && /edge_features/.test(e.message));
    g.dispose();
  });

  test('bad configs and NaN inputs are typed errors', async () => {
    await assert.rejects(rt.create('HyperbolicAttention', { dim: 4, curvature: 0.5 }),
      (e) => e.code === 'INVALID_CONFIG' && /curvature/.test(e.message));
    const h = await rt.create('HyperbolicAttention', { dim: 2 });
    assert.throws(() => h.forward([NaN, 0], [[0.1, 0.1]], [[0.1, 0.1]]), (e) => e.code === 'NUMERICAL_INSTABILITY');
    h.dispose();
  });
});

describe('worker handles', () => {
  test('curvature is a synchronous property, as on the main thread, refreshed by loadStateDict', async () => {
    const wrt = await lib.init({ worker: true });
    try {
      const m = await wrt.create('ManifoldAttention', { dim: 4, curvature: 0.5 });
      assert.equal(m.curvature, 0.5);
      const mixed = await wrt.create('MixedCurvatureAttention', { euclideanDim: 2, hyperbolicDim: 2, curvature: -2 });
      assert.equal(mixed.curvature, -2);
      const h = await wrt.create('HyperbolicAttention', { dim: 2, curvature: -0.7, learnCurvature: true });
      assert.ok(Math.abs(h.curvature + 0.7) < tolerance('wasm/parameter').atol, `learned curvature starts at -0.7, got ${h.curvature}`);
      const state = await h.stateDict();
      assert.deepEqual(Object.keys(state), ['raw_curvature']);
      await h.loadStateDict({ raw_curvature: Float32Array.of(2) });
      const softplus2 = Math.log1p(Math.exp(2));
      assert.ok(Math.abs(h.curvature + softplus2) < tolerance('wasm/parameter').atol, `k = -softplus(2) after loading, got ${h.curvature}`);
      // the same value the worker's own geometry uses: d(0, x) at k = -softplus(2)
      const x = [0.1, 0.2], r = Math.hypot(...x), c = Math.sqrt(softplus2);
      assert.ok(Math.abs(await h.poincareDistance([0, 0], x) - 2 * Math.atanh(c * r) / c) < SCALAR_ATOL);
      const sdpa = await wrt.create('ScaledDotProductAttention', { dim: 2 });
      assert.equal('curvature' in sdpa, false);
      for (const o of [m, mixed, h, sdpa]) await o.dispose();
      assert.throws(() => h.curvature, (e) => e.code === 'DISPOSED');  // as on the main thread
    } finally {
      await wrt.terminate();
    }
  });
});
