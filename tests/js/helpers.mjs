// Shared by the Node tests: the built distribution, the shared fixtures
// (tests/fixtures/*.json, generated natively by tests/python/make_fixtures.py)
// and the one comparison helper.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = join(ROOT, 'dist');

if (!existsSync(join(DIST, 'node', 'index.mjs')) || !existsSync(join(DIST, 'pyodide', 'pyodide-lock.json'))) {
  throw new Error('dist/ is not built: run ./build.sh dist first');
}

/** The package entry points, loaded from dist/ exactly as a Node user gets them. */
export const lib = await import(join(DIST, 'node', 'index.mjs'));
export const compatLib = () => import(join(DIST, 'node', 'compat.mjs'));

/** JS (wasm kernel) vs the native kernel on the same inputs: 1e-6 relative to the array's scale. */
export const NATIVE_RTOL = 1e-6;

let native;
/**
 * The fixture cases replayed now by the native package (tests/js/native_results.py):
 * the fixture files were written by an earlier build, so wasm is compared to these
 * at NATIVE_RTOL, and to the files' float64-checked values at their own tolerance.
 */
export function nativeResults() {
  native ??= JSON.parse(execFileSync(process.env.PYTHON || 'python3', [join(ROOT, 'tests', 'js', 'native_results.py'),
    'sdpa', 'multihead'], { encoding: 'utf8', maxBuffer: 64 << 20 })).results;
  return native;
}

export function loadFixture(name) {
  const file = join(ROOT, 'tests', 'fixtures', `${name}.json`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run python3 tests/python/make_fixtures.py`);
  return JSON.parse(readFileSync(file, 'utf8')).cases;
}

const SPECIAL = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** A fixture ARRAY {shape, data} as a Float32Array (non-finite values spelled as strings). */
export function f32(array) {
  return Float32Array.from(array.data, v => (typeof v === 'string' ? SPECIAL[v] : v));
}

/** ARRAY of shape (n, d) as each input kind the API accepts. */
export function rowsAs(kind, array) {
  const [n, d] = array.shape;
  const data = f32(array);
  const rows = () => Array.from({ length: n }, (_, i) => data.slice(i * d, (i + 1) * d));
  switch (kind) {
    case 'flat': return { data, rows: n, cols: d };
    case 'float32[]': return rows();
    case 'number[][]': return rows().map(r => Array.from(r));
    default: throw new Error(kind);
  }
}

/** (B, n, d) → one set per query. */
export function setsAs(kind, array) {
  const [b, n, d] = array.shape;
  const data = f32(array);
  return Array.from({ length: b }, (_, i) =>
    rowsAs(kind, { shape: [n, d], data: Array.from(data.subarray(i * n * d, (i + 1) * n * d)) }));
}

export function camel(name) {
  return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

export function camelOptions(config) {
  const out = {};
  for (const [k, v] of Object.entries(config ?? {})) out[camel(k)] = v;
  return out;
}

/**
 * |got_i - want_i| <= rtol * ‖want‖∞ for every element: relative to the array's scale.
 * Wasm SIMD128 and native AVX2 sum in different orders, so the rounding error of an
 * element is about eps·(size of its summands), not eps·|element| (a small element
 * next to large ones differs by more than 1e-6 of itself, never of the array).
 */
export function assertClose(got, want, rtol, what) {
  assert.equal(got.length, want.length, `${what}: length ${got.length} != ${want.length}`);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  const tol = rtol * Math.max(scale, 1e-30);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      assert.fail(`${what}[${i}]: got ${got[i]}, expected ${want[i]} (|diff| ${Math.abs(got[i] - want[i]).toExponential(2)} > ${tol.toExponential(2)} = ${rtol} x max|expected|)`);
    }
  }
}

export function expectAttentionError(fn, code, words = []) {
  let thrown;
  try { fn(); } catch (e) { thrown = e; }
  assert.ok(thrown, `expected AttentionError ${code}, nothing was thrown`);
  assert.ok(thrown instanceof lib.AttentionError, `expected AttentionError, got ${thrown?.constructor?.name}: ${thrown?.message}`);
  assert.equal(thrown.code, code, `code: ${thrown.message}`);
  for (const w of words) assert.ok(thrown.message.includes(w), `message "${thrown.message}" lacks "${w}"`);
  return thrown;
}

export async function expectRejection(promise, code, words = []) {
  let thrown;
  try { await promise; } catch (e) { thrown = e; }
  assert.ok(thrown, `expected a rejection with ${code}`);
  assert.ok(thrown instanceof lib.AttentionError, `expected AttentionError, got ${thrown?.constructor?.name}: ${thrown?.message}`);
  assert.equal(thrown.code, code, `code: ${thrown.message}`);
  for (const w of words) assert.ok(thrown.message.includes(w), `message "${thrown.message}" lacks "${w}"`);
  return thrown;
}

/** Seeded uniform floats in [-1, 1) (mulberry32), for inputs beyond the fixtures. */
export function randomF32(n, seed = 1) {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Runs one fixture case through a (sync or async) mechanism; returns the raw result. */
export async function runCase(mech, c, kind) {
  const a = c.args;
  const rows = x => rowsAs(kind, x);
  const maskOpt = a.mask ? { mask: a.mask.data } : undefined;
  switch (c.method) {
    case 'forward': return mech.forward(f32(a.query), rows(a.keys), rows(a.values), maskOpt);
    case 'attention_weights': return mech.attentionWeights(f32(a.query), rows(a.keys), maskOpt);
    case 'head_attention_weights': return mech.headAttentionWeights(f32(a.query), rows(a.keys), maskOpt);
    case 'head_output': return mech.headOutput(a.head, f32(a.query), rows(a.keys), rows(a.values), maskOpt);
    case 'forward_batch': {
      const kv = x => (x.shape.length === 3 ? setsAs(kind, x) : rows(x));
      return mech.forwardBatch(rows(a.queries), kv(a.keys), kv(a.values));
    }
    case 'forward_graph':
      return mech.forwardGraph(rows(a.features), Int32Array.from(a.indptr.data), a.indices.data,
        a.values ? { values: rows(a.values) } : undefined);
    case 'backward':
      return mech.backward(f32(a.query), rows(a.keys), rows(a.values), f32(a.grad_output), maskOpt);
    default: throw new Error(`unknown fixture method ${c.method}`);
  }
}

/** |got - want| <= atol + rtol·|want| element-wise (the fixture files' own criterion). */
export function assertWithin(got, want, { rtol, atol }, what) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) {
      assert.fail(`${what}[${i}]: got ${got[i]}, expected ${want[i]} (fixture tolerance rtol ${rtol}, atol ${atol})`);
    }
  }
}

/**
 * Check a result against the native package run now (NATIVE_RTOL of the array's scale)
 * and against the fixture's recorded values (its own tolerance); shapes must match.
 */
export function checkExpected(got, c) {
  const now = nativeResults()[c.name];
  assert.ok(now, `no native result for ${c.name}`);
  const flatOf = r => (r instanceof Float32Array ? r : r.data);
  const both = (g, nat, rec, what) => {
    assertClose(g, nat.data, NATIVE_RTOL, `${what} vs native`);
    assertWithin(g, f32(rec), c.tolerance, `${what} vs fixture`);
  };
  if (c.method === 'backward') {
    both(got.query, now.query, c.expected.query, `${c.name} grad query`);
    both(got.keys.data, now.keys, c.expected.keys, `${c.name} grad keys`);
    assert.deepEqual([got.keys.rows, got.keys.cols], c.expected.keys.shape);
    both(got.values.data, now.values, c.expected.values, `${c.name} grad values`);
    assert.deepEqual(Object.keys(got.params).sort(), Object.keys(c.expected.params).sort(), `${c.name} param names`);
    for (const k of Object.keys(c.expected.params)) both(got.params[k], now.params[k], c.expected.params[k], `${c.name} grad ${k}`);
    return;
  }
  const shape = got instanceof Float32Array ? [got.length] : [got.rows, got.cols];
  if (!c.expected.shape.includes(0)) assert.deepEqual(shape, c.expected.shape, `${c.name} shape`);
  both(flatOf(got), now, c.expected, c.name);
}

/** Make the fixture's mechanism through `create` (works in both runtimes). */
export async function mechanismFor(rt, c) {
  const mech = await rt.create(c.mechanism, camelOptions(c.config));
  if (c.state_dict && !c.state_from_seed) {
    const state = {};
    for (const [k, v] of Object.entries(c.state_dict)) state[k] = f32(v);
    await mech.loadStateDict(state);
  }
  return mech;
}

/** float64 reference scaled dot-product attention for one query (K: n×d, V: n×dv, flat). */
export function referenceSdpa(q, K, V, n, d, dv) {
  const s = new Float64Array(n);
  let m = -Infinity;
  for (let j = 0; j < n; j++) {
    let dot = 0;
    for (let k = 0; k < d; k++) dot += q[k] * K[j * d + k];
    s[j] = dot / Math.sqrt(d);
    m = Math.max(m, s[j]);
  }
  const out = new Float64Array(dv);
  let z = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp(s[j] - m);
    z += e;
    for (let k = 0; k < dv; k++) out[k] += e * V[j * dv + k];
  }
  return out.map(v => v / z);
}

/**
 * Python source (run with builtins.exec) that counts calls of the Python `forward` of
 * the mechanism class `name` (ruvector_attention.<name>) in the module attribute
 * `ruvector_attention._python_forward_calls`, and removes the counter again: tells the
 * direct path (js/src/direct.ts) from the path through Python. The wrapper goes on the
 * class that defines `forward` (a subclass attribute would override it, and a class
 * that overrides forward gets no direct plan).
 */
export function countPythonForward(name) {
  const owner = `import ruvector_attention as ra
cls = next(c for c in ra.${name}.__mro__ if "forward" in vars(c))
`;
  return {
    install: `${owner}
ra._python_forward_calls = getattr(ra, "_python_forward_calls", 0)
if "_unwrapped_forward" not in vars(cls):
    cls._unwrapped_forward = cls.forward
    import functools
    @functools.wraps(cls.forward)  # keeps the export declaration (exports.spec_of)
    def forward(self, *args, _cls=cls, **kwargs):
        ra._python_forward_calls += 1
        return _cls._unwrapped_forward(self, *args, **kwargs)
    cls.forward = forward
`,
    remove: `${owner}
if "_unwrapped_forward" in vars(cls):
    cls.forward = cls._unwrapped_forward
    del cls._unwrapped_forward
`,
  };
}
