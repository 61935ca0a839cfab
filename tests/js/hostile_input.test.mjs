// Hostile input through the JS API gets an AttentionError with its code and a message
// naming what is wrong — never a raw PythonError / TypeError / RangeError, a hang, or a
// runtime broken for the calls after it.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { expectAttentionError, lib } from './helpers.mjs';

const q = () => new Float32Array(8).fill(0.1);
const rows = n => Array.from({ length: n }, () => new Float32Array(8).fill(0.2));

describe('hostile input on the main-thread runtime', () => {
  let rt, sdpa;
  before(async () => {
    rt = await lib.init();
    sdpa = await rt.create('ScaledDotProductAttention', { dim: 8 });
  });

  /** An ordinary error and an ordinary result, as before anything went wrong. */
  function stillHealthy(what) {
    expectAttentionError(() => sdpa.forward(new Float32Array(7), rows(2), rows(2)), 'DIMENSION_MISMATCH', ['query', '7', '8']);
    const out = sdpa.forward(q(), rows(3), rows(3));
    assert.ok(Math.abs(out[0] - 0.2) < 1e-6, `${what}: a later call still computes`);
  }

  test('huge sizes are INVALID_CONFIG at once (they hung, or raised a raw PythonError)', async () => {
    for (const [name, options, field] of [
      ['LinearAttention', { dim: 1e9 }, 'dim'], ['MultiHeadAttention', { dim: 1e9, numHeads: 1 }, 'dim'],
      ['StructuralAttention', { dim: 2 ** 53 }, 'dim'], ['GraphRoPE', { dim: 2 ** 53 }, 'dim'],
      ['HNSWAwareAttention', { dim: 8, maxLayers: 1e9 }, 'max_layers'],
      ['FlashAttention', { dim: 8, blockSize: 2 ** 62 }, 'block_size'],
      ['ScaledDotProductAttention', { dim: 8, temperature: 1e-45 }, 'temperature'],
      ['HyperbolicAttention', { dim: 8, curvature: -1e39 }, 'curvature'],
    ]) {
      await assert.rejects(rt.create(name, options), e => e instanceof lib.AttentionError && e.code === 'INVALID_CONFIG'
        && e.message.includes(field), `${name} ${JSON.stringify(options)}`);
    }
    stillHealthy('after the configs');
  });

  test('an input too large for the wasm heap is UNSUPPORTED, and every later call still works', () => {
    // 2^27 floats (512 MiB) per side: more than one bridge buffer may hold; before, a slot
    // ending past 2 GiB broke every later call (RangeError from getBuffer, garbage error text)
    const n = 2 ** 24 + 8;
    const big = { data: new Float32Array(n * 8), rows: n };
    for (let round = 0; round < 3; round++) {
      expectAttentionError(() => sdpa.forward(q(), big, big), 'UNSUPPORTED', ['bridge buffer', 'pass smaller inputs']);
      stillHealthy(`round ${round}`);
    }
  });

  test('typed arrays whose buffer was transferred are UNSUPPORTED naming the argument', () => {
    const gone = (T, n) => { const a = new T(n); structuredClone(a.buffer, { transfer: [a.buffer] }); return a; };
    expectAttentionError(() => sdpa.forward(gone(Float32Array, 8), rows(2), rows(2)), 'UNSUPPORTED', ['query', 'transferred']);
    expectAttentionError(() => sdpa.forward(q(), { data: gone(Float32Array, 16), rows: 2 }, rows(2)), 'UNSUPPORTED', ['keys.data', 'transferred']);
    expectAttentionError(() => sdpa.forward(q(), [gone(Float32Array, 8)], rows(1)), 'UNSUPPORTED', ['keys[0]', 'transferred']);
    expectAttentionError(() => sdpa.forward(q(), rows(2), rows(2), { mask: gone(Uint8Array, 2) }), 'UNSUPPORTED', ['mask', 'transferred']);
    expectAttentionError(() => sdpa.forwardGraph(rows(2), gone(Int32Array, 3), [0, 1]), 'UNSUPPORTED', ['indptr', 'transferred']);
    stillHealthy('after detached buffers');
  });
});
