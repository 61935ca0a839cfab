// ruvector-attention/compat: the @ruvector/attention names, synchronous after
// one init(), and catchable errors instead of process aborts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkExpected, compatLib, expectAttentionError, f32, lib, loadFixture, randomF32, rowsAs, SCALAR_ATOL } from './helpers.mjs';

const compat = await compatLib();

test('constructing before init() throws NOT_INITIALIZED (catchable)', () => {
  expectAttentionError(() => new compat.DotProductAttention(4), 'NOT_INITIALIZED', ['init']);
  assert.equal(compat.AttentionError, lib.AttentionError, 'one error class for both entry points');
});

test('after init(): DotProductAttention.compute / computeWithMask equal the native fixtures', async () => {
  await compat.init();
  const cases = loadFixture('sdpa').filter(c => c.method === 'forward' && c.config.temperature === 1
    && c.config.scale === null);
  assert.ok(cases.length >= 5);
  for (const c of cases) {
    const dp = new compat.DotProductAttention(c.config.dim);
    assert.equal(dp.dim, c.config.dim);
    const keys = rowsAs('float32[]', c.args.keys), values = rowsAs('number[][]', c.args.values);
    const out = c.args.mask
      ? dp.computeWithMask(Array.from(f32(c.args.query)), keys, values, c.args.mask.data)
      : dp.compute(Array.from(f32(c.args.query)), keys, values);
    checkExpected(out, c);
    if (!c.args.mask) assert.deepEqual(dp.computeRaw(f32(c.args.query), keys, rowsAs('float32[]', c.args.values)), out);
    dp.free();
  }
});

test('MultiHeadAttention(dim, numHeads): getters, and heads = scaled dot-product on feature slices', async () => {
  await compat.init();
  const dim = 12, numHeads = 3, headDim = 4, n = 9;
  const mha = new compat.MultiHeadAttention(dim, numHeads);
  assert.deepEqual([mha.dim, mha.numHeads, mha.headDim], [dim, numHeads, headDim]);
  const q = randomF32(dim, 1), K = randomF32(n * dim, 2), V = randomF32(n * dim, 3);
  const rows = a => Array.from({ length: n }, (_, i) => a.slice(i * dim, (i + 1) * dim));
  const out = mha.compute(q, rows(K), rows(V));
  const head = new compat.DotProductAttention(headDim);
  for (let h = 0; h < numHeads; h++) {
    const sl = a => a.slice(h * headDim, (h + 1) * headDim);
    const expected = head.compute(sl(q), rows(K).map(sl), rows(V).map(sl));
    const got = out.slice(h * headDim, (h + 1) * headDim);
    for (let k = 0; k < headDim; k++) assert.ok(Math.abs(got[k] - expected[k]) <= SCALAR_ATOL, `head ${h}[${k}]: ${got[k]} vs ${expected[k]}`);
  }
  const masked = mha.computeWithMask(q, rows(K), rows(V), Array.from({ length: n }, () => false));
  assert.deepEqual(Array.from(masked), new Array(dim).fill(0), 'fully masked → zeros');
  mha.free(); head.free();
});

test('bad input throws a catchable AttentionError and the process keeps working', async () => {
  await compat.init();
  const dp = new compat.DotProductAttention(4);
  expectAttentionError(() => dp.compute([1, 0, 0, 0], [], []), 'EMPTY_INPUT', ['keys']);
  expectAttentionError(() => dp.compute([1, 0, 0, 0], [[1, 0, 0, 0]], [[1], [2]]), 'DIMENSION_MISMATCH');
  expectAttentionError(() => dp.compute([1, 0, 0], [[1, 0, 0, 0]], [[1]]), 'DIMENSION_MISMATCH', ['query']);
  expectAttentionError(() => dp.compute([1, 0, 0, Infinity], [[1, 0, 0, 0]], [[1]]), 'NUMERICAL_INSTABILITY');
  expectAttentionError(() => new compat.MultiHeadAttention(10, 3), 'INVALID_CONFIG', ['divisible']);
  expectAttentionError(() => new compat.DotProductAttention(0), 'INVALID_CONFIG', ['dim']);
  assert.deepEqual(Array.from(dp.compute([1, 0, 0, 0], [[1, 0, 0, 0]], [[5]])), [5]);
  assert.equal(compat.version(), lib.version);
  // every mechanism class compat exports, in @ruvector/attention's names, each constructible
  const types = { dot_product: 'DotProductAttention', multi_head: 'MultiHeadAttention', flash: 'FlashAttention',
    linear: 'LinearAttention', local_global: 'LocalGlobalAttention', graph_rope: 'GraphRoPeAttention',
    hyperbolic: 'HyperbolicAttention', edge_featured: 'EdgeFeaturedAttention', dual_space: 'DualSpaceAttention' };
  assert.deepEqual(compat.info().supportedTypes, Object.keys(types));
  const classes = Object.keys(compat).filter(k => /Attention$/.test(k) && typeof compat[k] === 'function');
  assert.deepEqual(classes.sort(), Object.values(types).sort(), 'supportedTypes lists every compat mechanism');
  dp.free();
  expectAttentionError(() => dp.compute([1, 0, 0, 0], [[1, 0, 0, 0]], [[5]]), 'DISPOSED');
});
