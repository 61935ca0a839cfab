// Worker mode (worker_threads in Node): the same fixtures through the async
// runtime, errors across the boundary, many concurrent requests matched by id,
// terminate and re-init.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  camelOptions, checkExpected, expectRejection, lib, loadFixture, mechanismFor, randomF32, runCase,
} from './helpers.mjs';

let rt;
before(async () => { rt = await lib.init({ worker: true }); });
after(async () => { await rt?.terminate(); });

test('the worker runtime boots once, reports versions, lists mechanisms', async () => {
  assert.equal(rt.mode, 'worker');
  assert.equal(rt.versions.python, lib.version);
  assert.equal(rt.versions.isa, 'wasm128');
  const again = await lib.init({ worker: true });
  assert.equal(again, rt);
  const names = (await rt.mechanisms()).map(m => m.name);
  assert.ok(names.includes('ScaledDotProductAttention') && names.includes('MultiHeadAttention'));
});

for (const file of ['sdpa', 'multihead']) {
  describe(`fixtures/${file}.json in the worker`, () => {
    for (const c of loadFixture(file)) {
      test(c.name, async () => {
        const mech = await mechanismFor(rt, c);
        try {
          const flat = await runCase(mech, c, 'flat');
          checkExpected(flat, c);
          assert.deepEqual(await runCase(mech, c, 'number[][]'), flat);
        } finally {
          await mech.dispose();
        }
      });
    }
  });
}

describe('errors cross the worker boundary with their code', () => {
  for (const c of loadFixture('errors')) {
    test(c.name, async () => {
      if (c.method === 'construct') {
        await expectRejection(rt.create(c.mechanism, camelOptions(c.config)), c.error.code, c.error.message_contains);
        return;
      }
      const mech = await rt.create(c.mechanism, camelOptions(c.config));
      await expectRejection(runCase(mech, c, 'flat'), c.error.code, c.error.message_contains);
      await mech.dispose();
    });
  }

  test('disposed objects reject with DISPOSED; arguments that cannot be cloned with UNSUPPORTED', async () => {
    const sdpa = await rt.create('ScaledDotProductAttention', { dim: 4 });
    await expectRejection(sdpa.forward([1, 0, 0, 0], [[1, 0, 0, 0]], [() => 1]), 'UNSUPPORTED');
    await sdpa.dispose();
    assert.equal(sdpa.disposed, true);
    await expectRejection(sdpa.forward([1, 0, 0, 0], [[1, 0, 0, 0]], [[1]]), 'DISPOSED');
  });
});

test('100 concurrent requests resolve to their own answers; caller arrays stay usable', async () => {
  const d = 32, n = 200;
  const sdpa = await rt.create('ScaledDotProductAttention', { dim: d });
  const keys = { data: randomF32(n * d, 1), rows: n }, values = { data: randomF32(n * 8, 2), rows: n };
  const main = await lib.init();
  const local = new main.ScaledDotProductAttention({ dim: d });
  const queries = Array.from({ length: 100 }, (_, i) => randomF32(d, 100 + i));
  const results = await Promise.all(queries.map(q => sdpa.forward(q, keys, values)));
  results.forEach((r, i) => assert.deepEqual(r, local.forward(queries[i], keys, values), `request ${i}`));
  assert.equal(keys.data.length, n * d, 'inputs are copied, not transferred away');
  local.dispose();
  await sdpa.dispose();
});

test('typed-array views travel as their own bytes (one copy, transferred); the caller keeps them', async () => {
  // rows as subarray views of one 4 MB buffer, and a small view at its end: each sends only its bytes
  const d = 16, n = 8, big = randomF32(1 << 20, 7);
  const rows = Array.from({ length: n }, (_, i) => big.subarray(i * d, (i + 1) * d));
  const q = big.subarray(big.length - d);
  const sdpa = await rt.create('ScaledDotProductAttention', { dim: d });
  const main = await lib.init();
  const local = new main.ScaledDotProductAttention({ dim: d });
  assert.deepEqual(await sdpa.forward(q, rows, rows), local.forward(q, rows, rows));
  const mk = await rt.matrix(rows);
  assert.deepEqual(await mk.toFloat32Array(), big.slice(0, n * d));
  await mk.set(big.subarray(d, (n + 1) * d));
  assert.deepEqual(await mk.toFloat32Array(), big.slice(d, (n + 1) * d));
  assert.equal(big.length, 1 << 20, 'the caller buffer was not transferred away');
  assert.equal(q.length, d);
  local.dispose();
  await mk.dispose();
  await sdpa.dispose();
});

test('argument buffers handed back by the worker are reused: results stay right across sizes and errors', async () => {
  const d = 16;
  const sdpa = await rt.create('ScaledDotProductAttention', { dim: d });
  const main = await lib.init();
  const local = new main.ScaledDotProductAttention({ dim: d });
  for (let step = 0; step < 60; step++) {
    const n = [5, 300, 5, 4000][step % 4];  // sizes repeat, so pooled buffers of each size come back round
    const q = randomF32(d, step), K = { data: randomF32(n * d, 1000 + step), rows: n }, V = { data: randomF32(n * d, 2000 + step), rows: n };
    if (step % 10 === 9) await expectRejection(sdpa.forward(randomF32(d + 1), K, V), 'DIMENSION_MISMATCH');
    assert.deepEqual(await sdpa.forward(q, K, V), local.forward(q, K, V), `step ${step}, n = ${n}`);
  }
  local.dispose();
  await sdpa.dispose();
});

test('resident matrices, head weights and backward in the worker', async () => {
  const mha = await rt.create('MultiHeadAttention', { dim: 8, numHeads: 2 });
  const K = randomF32(8 * 6, 3), V = randomF32(8 * 6, 4), q = randomF32(8, 5);
  const mk = await rt.matrix(K, 6);
  const viaMatrix = await mha.forward(q, mk, { data: V, rows: 6 });
  assert.deepEqual(viaMatrix, await mha.forward(q, { data: K, rows: 6 }, { data: V, rows: 6 }));
  assert.deepEqual(await mk.toFloat32Array(), K);
  const heads = await mha.headAttentionWeights(q, mk);
  assert.deepEqual([heads.rows, heads.cols], [2, 6]);
  const g = await mha.backward(q, mk, { data: V, rows: 6 }, randomF32(8, 6));
  assert.ok(g.params.in_proj_weight instanceof Float32Array);
  await mk.dispose();
  await expectRejection(mha.forward(q, mk, { data: V, rows: 6 }), 'DISPOSED');
  await mha.train();
  assert.equal(mha.training, true);
  await mha.dispose();
});

test('terminate() rejects later calls with DISPOSED; a new init boots a fresh worker', async () => {
  const rt2 = await lib.init({ worker: true });
  const sdpa = await rt2.create('ScaledDotProductAttention', { dim: 4 });
  await rt2.terminate();
  await expectRejection(sdpa.forward([1, 0, 0, 0], [[1, 0, 0, 0]], [[1]]), 'DISPOSED');
  await expectRejection(rt2.mechanisms(), 'DISPOSED');
  rt = await lib.init({ worker: true });
  assert.notEqual(rt, rt2);
  const fresh = await rt.create('ScaledDotProductAttention', { dim: 4 });
  assert.equal((await fresh.forward([1, 0, 0, 0], [[1, 0, 0, 0]], [[2]]))[0], 2);
});
