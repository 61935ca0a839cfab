// Replays tests/fixtures/masks.json (written natively by make_fixtures.py, every expected
// value checked against torch's F.scaled_dot_product_attention / nn.MultiheadAttention
// there) on the wasm build: a boolean mask (booleans or a Uint8Array) keeps the true keys,
// a Float32Array is added to the scores (0 keeps, -Infinity removes, finite values shift),
// an all-masked row gives zeros; mechanisms without a score bias refuse finite shifts with
// UNSUPPORTED. In Node on the main thread (where SDPA / multi-head forward take the direct
// kernel path) and in the worker, and in headless Chromium on the page and in a Web Worker.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { onBlankPage, useChromium } from './chromium.mjs';
import { assertWithin, camelOptions, expectAttentionError, f32, lib, loadFixture, rowsAs } from './helpers.mjs';

const cases = loadFixture('masks');

/** The JS form of a fixture mask: Float32Array (additive), booleans or a Uint8Array (keep). */
function maskOf(m, i) {
  if (m.form === 'additive') return f32(m);
  return i % 2 ? Uint8Array.from(m.data, v => (v ? 1 : 0)) : m.data;
}

/** One case on a runtime (sync or worker): { data } or { error: { code, message } }. */
async function replay(rt, c, i) {
  const m = await rt.create(c.mechanism, camelOptions(c.config));
  try {
    if (c.state_dict) {
      await m.loadStateDict(Object.fromEntries(Object.entries(c.state_dict).map(([k, v]) => [k, f32(v)])));
    }
    const a = c.args;
    const opts = { mask: maskOf(a.mask, i) };
    const keys = rowsAs('flat', a.keys);
    const r = c.method === 'forward'
      ? await m.forward(f32(a.query), keys, rowsAs('flat', a.values), opts)
      : await m.attentionWeights(f32(a.query), keys, opts);
    return { data: r };
  } catch (e) {
    return { error: { code: e.code, message: e.message } };
  } finally {
    await m.dispose();
  }
}

function check(r, c, where) {
  const what = `${where}: ${c.name}`;
  if (c.error) {
    assert.ok(r.error, `${what}: expected ${c.error.code}, got a result`);
    assert.equal(r.error.code, c.error.code, `${what}: ${r.error.message}`);
    for (const w of c.error.message_contains) assert.ok(r.error.message.includes(w), `${what}: "${r.error.message}" lacks "${w}"`);
    return;
  }
  assert.ok(!r.error, `${what}: ${r.error?.code} ${r.error?.message}`);
  assertWithin(r.data, f32(c.expected), c.tolerance, what);
}

test('the fixture covers the three forms on every mechanism that takes a mask', () => {
  const forms = new Set(cases.map(c => `${c.mechanism}/${c.args.mask.form}`));
  for (const m of ['ScaledDotProductAttention', 'MultiHeadAttention']) {
    assert.ok(forms.has(`${m}/bool`) && forms.has(`${m}/additive`), m);
    assert.ok(cases.some(c => c.mechanism === m && /all masked/.test(c.name) && c.expected.data.every(v => v === 0)));
  }
  assert.ok(new Set(cases.map(c => c.mechanism)).size >= 12);
});

describe('mask fixtures in Node', () => {
  let rt, wrt;
  before(async () => { rt = await lib.init(); wrt = await lib.init({ worker: true }); });
  after(async () => { await wrt?.terminate(); });
  test('main thread: every case, as torch', async () => {
    for (const [i, c] of cases.entries()) check(await replay(rt, c, i), c, 'main');
  });
  test('worker: every case, as torch', async () => {
    for (const [i, c] of cases.entries()) check(await replay(wrt, c, i), c, 'worker');
  });
  test('a number[] mask is 0 / 1 or booleans, never read by truthiness', async () => {
    const m = await rt.create('ScaledDotProductAttention', { dim: 2 });
    expectAttentionError(() => m.forward([1, 0], [[1, 0], [0, 1]], [[1, 2], [3, 4]], { mask: [0, -Infinity] }),
      'UNSUPPORTED', ['mask[1] is -Infinity', 'Float32Array']);
    expectAttentionError(() => m.forward([1, 0], [[1, 0], [0, 1]], [[1, 2], [3, 4]], { mask: Uint8Array.of(1, 2) }),
      'UNSUPPORTED', ['mask[1] = 2']);
    // zeros as floats keep every key (as booleans they would drop them all)
    const all = m.forward([1, 0], [[1, 0], [0, 1]], [[1, 2], [3, 4]]);
    assert.deepEqual(m.forward([1, 0], [[1, 0], [0, 1]], [[1, 2], [3, 4]], { mask: new Float32Array(2) }), all);
    m.dispose();
  });
});

// ---- headless Chromium: the same cases through the browser bundle

async function replayInPage({ cases, options }) {
  const lib = await import('/dist/ruvector-attention.js');
  const rt = await lib.init(options);
  const camel = s => s.replace(/_([a-z0-9])/g, (_, x) => x.toUpperCase());
  const SPECIAL = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
  const f32 = a => Float32Array.from(a.data, v => (typeof v === 'string' ? SPECIAL[v] : v));
  const rows = a => ({ data: f32(a), rows: a.shape[0], cols: a.shape[1] });
  const maskOf = (m, i) => (m.form === 'additive' ? f32(m) : i % 2 ? Uint8Array.from(m.data, v => (v ? 1 : 0)) : m.data);
  const out = [];
  for (const [i, c] of cases.entries()) {
    const m = await rt.create(c.mechanism, Object.fromEntries(Object.entries(c.config).map(([k, v]) => [camel(k), v])));
    try {
      if (c.state_dict) await m.loadStateDict(Object.fromEntries(Object.entries(c.state_dict).map(([k, v]) => [k, f32(v)])));
      const a = c.args, opts = { mask: maskOf(a.mask, i) };
      const r = c.method === 'forward'
        ? await m.forward(f32(a.query), rows(a.keys), rows(a.values), opts)
        : await m.attentionWeights(f32(a.query), rows(a.keys), opts);
      out.push({ data: Array.from(r) });
    } catch (e) {
      out.push({ error: { code: e.code, message: e.message } });
    }
    await m.dispose();
  }
  return { out, mode: rt.mode };
}

describe('mask fixtures in headless Chromium', () => {
  const chromium = useChromium();

  for (const worker of [false, true]) {
    const where = worker ? 'Chromium worker' : 'Chromium page';
    test(`${where}: every case, as torch`, { timeout: 180_000 }, async () => {
      await onBlankPage(chromium, 'mask fixtures', async page => {
        const r = await page.evaluate(replayInPage, { cases, options: worker ? { worker: true } : {} });
        assert.equal(r.mode, worker ? 'worker' : 'main');
        assert.equal(r.out.length, cases.length);
        cases.forEach((c, i) => {
          const o = r.out[i];
          check(o.error ? o : { data: Float32Array.from(o.data) }, c, where);
        });
      });
    });
  }
});
