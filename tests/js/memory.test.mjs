// Memory behaviour of the main-thread runtime: inputs that force the wasm
// heap to grow (views must be re-acquired), and long loops that must not grow
// it or leak Python objects.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { assertClose, lib, randomF32, referenceSdpa as reference, tolerance } from './helpers.mjs';

const INTERNALS = Symbol.for('ruvector-attention.internals');
let rt, internals;
before(async () => { rt = await lib.init(); internals = rt[INTERNALS]; });

test('100 MB of inputs over a loop of growing sizes: the heap grows and results stay right', () => {
  const d = 128, dv = 128;
  const sdpa = new rt.ScaledDotProductAttention({ dim: d });
  const heapBefore = internals.heapBytes();
  let total = 0;
  for (let step = 1; total < 100e6; step++) {
    const n = 4000 * step;  // keys + values: 4 MB, 8 MB, 12 MB, ...
    const K = randomF32(n * d, step), V = randomF32(n * dv, 1000 + step), q = randomF32(d, 7);
    total += (K.length + V.length) * 4;
    const out = sdpa.forward(q, { data: K, rows: n }, { data: V, rows: n });
    assertClose(out, reference(q, K, V, n, d, dv), tolerance('wasm/reference_large').rtol, `n=${n}`);
    // mixed input kinds after growth still reach the kernel intact
    if (step === 2) {
      const rows = Array.from({ length: n }, (_, i) => K.subarray(i * d, (i + 1) * d));
      assert.deepEqual(sdpa.forward(q, rows, { data: V, rows: n }), out);
    }
  }
  assert.ok(total >= 100e6);
  assert.ok(internals.heapBytes() > heapBefore, 'the wasm heap should have grown');
  sdpa.dispose();
});

test('100 000 calls do not grow the wasm heap nor leave Python objects behind', () => {
  const d = 16, n = 32;
  const sdpa = new rt.ScaledDotProductAttention({ dim: d });
  const mha = new rt.MultiHeadAttention({ dim: d, numHeads: 2 });
  const K = { data: randomF32(n * d, 1), rows: n }, V = { data: randomF32(n * d, 2), rows: n };
  const q = randomF32(d, 3);
  const first = sdpa.forward(q, K, V);
  for (let i = 0; i < 1000; i++) sdpa.forward(q, K, V);  // warm up: buffers at their final size
  const heap = internals.heapBytes(), live = internals.liveObjects();
  for (let i = 0; i < 100_000; i++) {
    const out = sdpa.forward(q, K, V);
    if (i % 10_000 === 0) assert.deepEqual(out, first);
    if (i % 1000 === 0) mha.attentionWeights(q, K);
  }
  assert.equal(internals.heapBytes(), heap, 'wasm heap grew during 100 000 calls');
  assert.equal(internals.liveObjects(), live);
  sdpa.dispose(); mha.dispose();
});

test('dispose() frees the Python object of every mechanism and matrix', () => {
  const live = internals.liveObjects();
  const made = [];
  for (let i = 0; i < 200; i++) {
    made.push(new rt.MultiHeadAttention({ dim: 8, numHeads: 2, seed: i }));
    made.push(rt.matrix(randomF32(64, i), 8));
  }
  assert.equal(internals.liveObjects(), live + 400);
  for (const m of made) m.dispose();
  assert.equal(internals.liveObjects(), live);
});

test('objects dropped without dispose() are freed in Python after garbage collection', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const live = internals.liveObjects();
  (() => {
    for (let i = 0; i < 50; i++) {
      new rt.ScaledDotProductAttention({ dim: 4 });
      rt.matrix(randomF32(8, i), 2);
    }
  })();
  assert.equal(internals.liveObjects(), live + 100);
  for (let i = 0; i < 20 && internals.liveObjects() > live; i++) {
    gc();
    await new Promise(r => setTimeout(r, 20));  // finalizers run after the collection, on the event loop
  }
  assert.equal(internals.liveObjects(), live);
});
