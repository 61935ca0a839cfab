// Geometric attention beyond the mechanism classes: the standalone Poincaré math
// (rt.geometric) on the main thread and in the worker, the worker's typed extras
// (forwardWithEdges, edgeFeatures, the manifold methods), and the @ruvector/attention
// compat names (HyperbolicAttention, EdgeFeaturedAttention, DualSpaceAttention and
// the five math functions) — all compared with the native package on the same inputs,
// and the math also with closed forms written out here.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { compatLib, expectAttentionError, lib, tolerance, REFERENCE_RTOL, WORKER_RTOL, SCALAR_ATOL, NATIVE_RTOL } from './helpers.mjs';

const compat = await compatLib();

function lcg(seed, scale = 0.4) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * scale;
}
const rows = (n, d, seed, scale) => { const r = lcg(seed, scale); return Array.from({ length: n }, () => Array.from({ length: d }, r)); };

function close(actual, expected, what, rtol = REFERENCE_RTOL) {
  actual = Array.from(actual); expected = Array.from(expected);
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(1e-3, ...expected.map(Math.abs));
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= rtol * scale, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

// Closed forms (float64) for k < 0, as in geoopt's stereographic math.
const dot = (a, b) => a.reduce((s, v, i) => s + v * b[i], 0);
function mobius(x, y, k) {
  const xy = dot(x, y), x2 = dot(x, x), y2 = dot(y, y);
  const den = 1 - 2 * k * xy + k * k * x2 * y2;
  return x.map((xi, i) => ((1 - 2 * k * xy - k * y2) * xi + (1 + k * x2) * y[i]) / den);
}
function expMapRef(x, v, k) {
  const c = Math.sqrt(-k), nv = Math.sqrt(dot(v, v)), lam = 2 / (1 + k * dot(x, x));
  const t = Math.tanh(c * lam * nv / 2) / c;
  return mobius(x, v.map(vi => t * vi / nv), k);
}
function distRef(x, y, k) {
  const m = mobius(x.map(v => -v), y, k), c = Math.sqrt(-k);
  return 2 * Math.atanh(c * Math.sqrt(dot(m, m))) / c;
}

const K = -0.7;
const X = rows(5, 6, 11), Y = rows(5, 6, 12), Vt = rows(5, 6, 13), W = [0.1, 0.3, 0.2, 0.25, 0.15];

const NATIVE = `
import json, sys
import ruvector_attention as ra
from ruvector_attention import geometric as g
p = json.loads(sys.stdin.read())
X, Y, V, W, k = p["X"], p["Y"], p["V"], p["W"], p["k"]
L = lambda m: m.tolist()
out = {
  "dist": L(g.poincare_distance(X, Y, k=k)), "dist0": g.poincare_distance(X[0], Y[0], k=k),
  "add": L(g.mobius_add(X, Y, k=k)), "smul": L(g.mobius_scalar_mul(0.6, X[1], k=k)),
  "exp": L(g.exp_map(X, V, k=k)), "log": L(g.log_map(X[2], Y, k=k)),
  "exp0": L(g.exp_map0(V, k=k)), "log0": L(g.log_map0(Y[3], k=k)),
  "proj": L(g.project_to_ball([3.0, 4.0, 0, 0, 0, 0], k=k)), "mid": L(g.gyromidpoint(Y, W, k=k)),
}
h = ra.HyperbolicAttention(6, curvature=k)
out["hyp"] = L(h.forward(X[0], Y, V))
h2 = ra.HyperbolicAttention(6, curvature=k, learn_curvature=True, temperature=0.5)
out["hyp2"] = L(h2.forward(X[0], Y, V))
e = ra.EdgeFeaturedAttention(6, 2, num_heads=3, concat=True, negative_slope=0.1)
E = [r[:2] for r in V]
out["edge"] = L(e.forward_with_edges(X[0], Y, V, E))
e0 = ra.EdgeFeaturedAttention(6, 0, num_heads=2, concat=False)
out["edge0"] = L(e0.forward(X[0], Y, V))
m = ra.MixedCurvatureAttention(3, 3, curvature=k, temperature=0.8)
m.load_state_dict({"euclidean_weight": [0.3], "hyperbolic_weight": [1.7]})
out["dual"] = L(m.forward(X[0], Y, V))
out["space"] = L(m.space_scores(X[0], Y))
print(json.dumps(out))
`;
let native;
const nativeRun = () => (native ??= JSON.parse(execFileSync(process.env.PYTHON || 'python3', ['-c', NATIVE],
  { input: JSON.stringify({ X, Y, V: Vt, W, k: K }), encoding: 'utf8' })));
const flatRows = r => r.flat();

/** Every rt.geometric function on the same inputs; `await` makes one body serve both runtimes. */
async function checkGeometry(geo, what) {
  const n = nativeRun();
  const x = X[0], y = Y[0];
  const d0 = await geo.poincareDistance(x, y, { k: K });
  assert.equal(typeof d0, 'number');
  assert.ok(Math.abs(d0 - distRef(x, y, K)) < SCALAR_ATOL, `${what}: distance vs closed form`);
  assert.ok(Math.abs(d0 - n.dist0) < NATIVE_RTOL * Math.max(1, n.dist0));
  close(await geo.poincareDistance(X, Y, { k: K }), n.dist, `${what} distance rows`);
  const add = await geo.mobiusAdd(X, Y, { k: K });
  assert.deepEqual([add.rows, add.cols], [5, 6]);
  close(add.data, flatRows(n.add), `${what} mobiusAdd rows`);
  close(await geo.mobiusAdd(x, y, { k: K }), mobius(x, y, K), `${what} mobiusAdd vs closed form`);
  close(await geo.mobiusScalarMul(0.6, X[1], { k: K }), n.smul, `${what} mobiusScalarMul`);
  const ex = await geo.expMap({ data: Float32Array.from(X.flat()), rows: 5 }, Vt, { k: K });
  close(ex.data, flatRows(n.exp), `${what} expMap rows (flat input)`);
  close(await geo.expMap(X[1], Vt[1], { k: K }), expMapRef(X[1], Vt[1], K), `${what} expMap vs closed form`);
  close((await geo.logMap(X[2], Y, { k: K })).data, flatRows(n.log), `${what} logMap (one base, rows)`);
  close((await geo.expMap0(Vt, { k: K })).data, flatRows(n.exp0), `${what} expMap0`);
  close(await geo.logMap0(Y[3], { k: K }), n.log0, `${what} logMap0`);
  close(await geo.projectToBall([3, 4, 0, 0, 0, 0], { k: K }), n.proj, `${what} projectToBall`);
  close(await geo.gyromidpoint(Y, W, { k: K }), n.mid, `${what} gyromidpoint`);
  // Identities: log ∘ exp = id off the origin; default k = -1.
  close(await geo.logMap(X[3], await geo.expMap(X[3], Vt[3])), Vt[3], `${what} log(exp)`, tolerance('geometric/roundtrip').rtol);
  assert.ok(Math.abs(await geo.poincareDistance(x, y) - distRef(x, y, -1)) < SCALAR_ATOL);
}

describe('rt.geometric (main thread)', () => {
  let rt;
  before(async () => { rt = await lib.init(); });

  test('every function equals the native package and the closed forms', async () => {
    await checkGeometry(rt.geometric, 'main');
  });

  test('bad input is a typed error', () => {
    assert.throws(() => rt.geometric.mobiusAdd([0.1, 0.2], [0.1, 0.2, 0.3]), e => e.code === 'DIMENSION_MISMATCH');
    assert.throws(() => rt.geometric.expMap0([0.1], { k: Infinity }), e => e.code === 'INVALID_CONFIG' && /\bk\b/.test(e.message));
    assert.throws(() => rt.geometric.projectToBall([0.1], { eps: 2 }), e => e.code === 'INVALID_CONFIG' && /eps/.test(e.message));
    assert.throws(() => rt.geometric.gyromidpoint([[0.1, 0.2]], [1, 2]), e => e.code === 'DIMENSION_MISMATCH');
    assert.throws(() => rt.geometric.logMap0('x'), e => e.code === 'UNSUPPORTED');
  });
});

describe('worker mode: rt.geometric and the typed geometric extras', () => {
  let wrt, rt;
  before(async () => { rt = await lib.init(); wrt = await lib.init({ worker: true }); });
  after(async () => { await wrt?.terminate(); });

  test('rt.geometric in the worker equals the native package', async () => {
    await checkGeometry(wrt.geometric, 'worker');
    await assert.rejects(wrt.geometric.mobiusAdd([0.1], [0.1, 0.2]), e => e.code === 'DIMENSION_MISMATCH');
  });

  test('forwardWithEdges, edgeFeatures options, curved-space methods and spaceScores equal the main thread', async () => {
    const opts = { nodeDim: 6, edgeDim: 2, numHeads: 3, seed: 5 };
    const E = Vt.map(r => r.slice(0, 2));
    const [a, b] = [await rt.create('EdgeFeaturedAttention', opts), await wrt.create('EdgeFeaturedAttention', opts)];
    close(await b.forwardWithEdges(X[0], Y, Vt, E), a.forwardWithEdges(X[0], Y, Vt, E), 'worker forwardWithEdges', WORKER_RTOL);
    close(await b.forward(X[0], Y, Vt, { edgeFeatures: E }), a.forward(X[0], Y, Vt, { edgeFeatures: E }), 'worker forward', WORKER_RTOL);
    const hw = await b.headAttentionWeights(X[0], Y, { edgeFeatures: E });
    assert.equal(hw.rows, 3);
    close(hw.data, a.headAttentionWeights(X[0], Y, { edgeFeatures: E }).data, 'worker headAttentionWeights', WORKER_RTOL);
    await assert.rejects(b.forward(X[0], Y, Vt), e => e.code === 'DIMENSION_MISMATCH');
    a.dispose(); await b.dispose();

    const hopts = { dim: 6, curvature: K };
    const [h, hr] = [await rt.create('HyperbolicAttention', hopts), await wrt.create('HyperbolicAttention', hopts)];
    assert.ok(Math.abs(await hr.poincareDistance(X[0], Y[0]) - h.poincareDistance(X[0], Y[0])) < tolerance('wasm/worker_scalar').atol);
    close(await hr.mobiusAdd(X[0], Y[0]), h.mobiusAdd(X[0], Y[0]), 'worker mobiusAdd', WORKER_RTOL);
    close(await hr.expMap(X[0], Vt[0]), h.expMap(X[0], Vt[0]), 'worker expMap', WORKER_RTOL);
    close(await hr.logMap(X[0], Y[0]), h.logMap(X[0], Y[0]), 'worker logMap', WORKER_RTOL);
    close(await hr.projectToBall([3, 4, 0, 0, 0, 0]), h.projectToBall([3, 4, 0, 0, 0, 0]), 'worker projectToBall', WORKER_RTOL);
    h.dispose(); await hr.dispose();

    const mopts = { euclideanDim: 3, hyperbolicDim: 3 };
    const [m, mr] = [await rt.create('MixedCurvatureAttention', mopts), await wrt.create('MixedCurvatureAttention', mopts)];
    const s = await mr.spaceScores(X[0], Y);
    assert.deepEqual([s.rows, s.cols], [2, 5]);
    close(s.data, m.spaceScores(X[0], Y).data, 'worker spaceScores', WORKER_RTOL);
    m.dispose(); await mr.dispose();
  });
});

describe('compat: the @ruvector/attention geometric names', () => {
  before(async () => { await compat.init(); });

  test('HyperbolicAttention(dim, curvature) and withConfig equal the native mechanism', () => {
    const n = nativeRun();
    const h = new compat.HyperbolicAttention(6, K);
    assert.equal(h.dim, 6);
    assert.ok(Math.abs(h.curvature - K) < tolerance('wasm/parameter').atol);
    close(h.compute(X[0], Y, Vt), n.hyp, 'compat HyperbolicAttention');
    close(h.computeRaw(Float32Array.from(X[0]), Y.map(r => Float32Array.from(r)), Vt.map(r => Float32Array.from(r))),
      n.hyp, 'computeRaw');
    const h2 = compat.HyperbolicAttention.withConfig(6, K, true, 0.5);
    close(h2.compute(X[0], Y, Vt), n.hyp2, 'compat withConfig');
    assert.ok(h2.curvature < 0);
    assert.equal(new compat.HyperbolicAttention(4).curvature, -1, 'default: the unit ball');
    h.free(); h2.free();
  });

  test('EdgeFeaturedAttention({nodeDim, edgeDim, numHeads, ...}), simple and computeWithEdges', () => {
    const n = nativeRun();
    const e = new compat.EdgeFeaturedAttention({ nodeDim: 6, edgeDim: 2, numHeads: 3, concatHeads: true, negativeSlope: 0.1 });
    assert.deepEqual([e.nodeDim, e.edgeDim, e.numHeads], [6, 2, 3]);
    close(e.computeWithEdges(X[0], Y, Vt, Vt.map(r => r.slice(0, 2))), n.edge, 'compat computeWithEdges');
    expectAttentionError(() => e.compute(X[0], Y, Vt), 'DIMENSION_MISMATCH', ['computeWithEdges']);
    const e0 = new compat.EdgeFeaturedAttention({ nodeDim: 6, edgeDim: 0, numHeads: 2, concatHeads: false });
    close(e0.compute(X[0], Y, Vt), n.edge0, 'compat compute (edgeDim 0)');
    const s = compat.EdgeFeaturedAttention.simple(6, 2, 3);
    assert.deepEqual([s.nodeDim, s.edgeDim, s.numHeads], [6, 2, 3]);
    expectAttentionError(() => new compat.EdgeFeaturedAttention({ nodeDim: 6, edgeDim: 2, numHeads: 4 }), 'INVALID_CONFIG', ['num_heads']);
    expectAttentionError(() => new compat.EdgeFeaturedAttention({ nodeDim: 6, edgeDim: 2, numHeads: 3, addSelfLoops: true }),
      'UNSUPPORTED', ['self-loop']);
    e.free(); e0.free(); s.free();
  });

  test('DualSpaceAttention on MixedCurvatureAttention: weights, getSpaceContributions, simple / withWeights', () => {
    const n = nativeRun();
    const d = new compat.DualSpaceAttention({ dim: 6, curvature: K, euclideanWeight: 0.3, hyperbolicWeight: 1.7, temperature: 0.8 });
    assert.equal(d.dim, 6);
    assert.ok(Math.abs(d.euclideanWeight - 0.3) < tolerance('wasm/parameter').atol && Math.abs(d.hyperbolicWeight - 1.7) < tolerance('wasm/parameter').atol);
    close(d.compute(X[0], Y, Vt), n.dual, 'compat DualSpaceAttention');
    const c = d.getSpaceContributions(X[0], Y);
    close(c.euclideanScores, n.space[0], 'euclideanScores');
    close(c.hyperbolicScores, n.space[1], 'hyperbolicScores');
    assert.ok(Array.from(c.hyperbolicScores).every(v => v <= 0), '-distance is never positive');
    const s = compat.DualSpaceAttention.simple(5, -1);
    assert.deepEqual([s.dim, s.euclideanWeight, s.hyperbolicWeight, s.curvature], [5, 0.5, 0.5, -1]);
    assert.equal(s.compute(X[0].slice(0, 5), Y.map(r => r.slice(0, 5)), Vt.map(r => r.slice(0, 5))).length, 5);
    const w = compat.DualSpaceAttention.withWeights(6, K, 0.3, 1.7);
    close(w.getSpaceContributions(X[0], Y).euclideanScores, n.space[0], 'withWeights');
    expectAttentionError(() => compat.DualSpaceAttention.simple(1, -1), 'INVALID_CONFIG', ['dim']);
    d.free(); s.free(); w.free();
  });

  test('math functions: signed curvature, correct expMap / logMap at any base point', () => {
    const n = nativeRun();
    const x = X[0], y = Y[0];
    assert.ok(Math.abs(compat.poincareDistance(x, y, K) - distRef(x, y, K)) < SCALAR_ATOL);
    assert.ok(Math.abs(compat.poincareDistance(x, y) - distRef(x, y, -1)) < SCALAR_ATOL, 'default curvature -1');
    close(compat.mobiusAddition(x, y, K), mobius(x, y, K), 'mobiusAddition');
    close(compat.expMap(X[1], Vt[1], K), expMapRef(X[1], Vt[1], K), 'expMap at a base point off the origin');
    close(compat.logMap(X[1], compat.expMap(X[1], Vt[1], K), K), Vt[1], 'logMap inverts expMap', tolerance('geometric/roundtrip').rtol);
    close(compat.projectToPoincareBall([3, 4, 0, 0, 0, 0], K), n.proj, 'projectToPoincareBall');
    assert.ok(Math.hypot(...compat.projectToPoincareBall([3, 4])) < 1);
    // The original package's positive c: refused, with the mapping in the message.
    expectAttentionError(() => compat.poincareDistance(x, y, 1), 'INVALID_CONFIG', ['curvature', '-c']);
    expectAttentionError(() => new compat.HyperbolicAttention(4, 1), 'INVALID_CONFIG', ['curvature']);
    expectAttentionError(() => compat.mobiusAddition(x, [0.1, 0.2], K), 'DIMENSION_MISMATCH', []);
    expectAttentionError(() => compat.expMap([[0.1]], [0.1], K), 'UNSUPPORTED', ['base']);
    expectAttentionError(() => compat.logMap([NaN, 0], [0.1, 0.1], K), 'NUMERICAL_INSTABILITY', []);
  });
});
