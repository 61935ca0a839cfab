// Hostile input through the JS API gets an AttentionError with its code and a message
// naming what is wrong — never a raw PythonError / TypeError / RangeError, a hang, or a
// runtime broken for the calls after it.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { SCALAR_ATOL, expectAttentionError, lib } from './helpers.mjs';

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
    assert.ok(Math.abs(out[0] - 0.2) < SCALAR_ATOL, `${what}: a later call still computes`);
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
      const camel = field.replace(/_([a-z])/g, (_, c) => c.toUpperCase());  // JS checks some options first
      await assert.rejects(rt.create(name, options), e => e instanceof lib.AttentionError && e.code === 'INVALID_CONFIG'
        && (e.message.includes(field) || e.message.includes(camel)), `${name} ${JSON.stringify(options)}`);
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

describe('options JSON cannot hold', () => {
  test('a BigInt or a cycle in the options is INVALID_CONFIG, not a raw TypeError', async () => {
    const rt = await lib.init();
    const cycle = { dim: 8 }; cycle.self = cycle;
    for (const options of [{ dim: 8n }, cycle]) {
      await assert.rejects(rt.create('ScaledDotProductAttention', options),
        e => e instanceof lib.AttentionError && e.code === 'INVALID_CONFIG', JSON.stringify(Object.keys(options)));
    }
  });
});

describe('fuzz: every catalogue mechanism, garbage options and arguments', () => {
  test('every failure is an AttentionError (seeded, 30 configs and 200 calls a mechanism)', async () => {
    const rt = await lib.init();
    let seed = 7;
    const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    const pick = a => a[Math.floor(rnd() * a.length)];
    const garbage = () => pick([undefined, null, NaN, -1, 0, 1.5, 2 ** 60, 'x', '8', [], {}, [1, 'a'], new Float32Array(3),
      new Int32Array(2), { data: new Float32Array(4), rows: 3 }, true, () => 1, Symbol.iterator, 10n]);
    const untyped = [];
    const expectTyped = (what, fn) => {
      try { fn(); } catch (e) { if (!(e instanceof lib.AttentionError)) untyped.push(`${what}: ${e?.constructor?.name}: ${e?.message}`); }
    };
    for (const info of rt.mechanisms()) {
      const start = Object.fromEntries(info.fields.filter(f => f.required).map(f => [f.name, f.type === 'int' ? 8 : f.default]));
      for (let t = 0; t < 30; t++) {
        const options = { ...start };
        for (const f of info.fields) if (rnd() < 0.3) options[f.name] = garbage();
        try { (await rt.create(info.name, options)).dispose(); } catch (e) {
          if (!(e instanceof lib.AttentionError)) untyped.push(`${info.name} create: ${e?.constructor?.name}: ${e?.message}`);
        }
      }
      const m = await rt.create(info.name, start);
      for (const method of ['forward', 'attentionWeights', 'forwardBatch', 'forwardGraph', 'backward']) {
        if (typeof m[method] !== 'function') continue;
        for (let t = 0; t < 40; t++) expectTyped(`${info.name}.${method}`, () => m[method](...Array.from({ length: 5 }, garbage)));
      }
      m.dispose();
    }
    assert.deepEqual(untyped, []);
  });
});
