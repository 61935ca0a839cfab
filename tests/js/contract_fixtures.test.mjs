// Replays tests/fixtures/contract.json — the registry-wide contract of
// tests/python/test_contract.py, written natively by make_fixtures.py for every
// registered mechanism — on the wasm build: in Node on the main thread and in the
// worker, and in headless Chromium on the page and in a module Web Worker. Each
// mechanism: forward, attention weights, fully masked (zeros or the documented
// refusal), logits near ±100, forwardGraph with isolated nodes, a NaN key (the
// NUMERICAL_INSTABILITY code).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { onBlankPage, useChromium } from './chromium.mjs';
import { SCALAR_ATOL, assertWithin, lib, loadFixture } from './helpers.mjs';

const cases = loadFixture('contract');
const catalogue = cases.map(c => c.mechanism);

/**
 * Run every case on a runtime (sync or worker: each result is awaited); results as
 * plain data so they also cross page.evaluate. Standalone: the page runs its source.
 */
async function runCases(rt, cases) {
  const camel = s => s.replace(/_([a-z0-9])/g, (_, x) => x.toUpperCase());
  const camelKeys = o => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));
  const SPECIAL = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
  const f32 = a => Float32Array.from(a.data, v => (typeof v === 'string' ? SPECIAL[v] : v));
  const rows = a => ({ data: f32(a), rows: a.shape[0], cols: a.shape[1] });
  const out = [];
  for (const c of cases) {
    const m = await rt.create(c.mechanism, camelKeys(c.config));
    const a = c.args;
    const mask = a.mask ? { mask: a.mask.data } : undefined;
    try {
      let r;
      if (c.method === 'forward') r = await m.forward(f32(a.query), rows(a.keys), rows(a.values), mask);
      else if (c.method === 'attention_weights') r = await m.attentionWeights(f32(a.query), rows(a.keys), mask);
      else if (c.method === 'forward_graph') {
        const kw = c.kwargs ?? {};
        const options = kw.metadata ? { metadata: camelKeys(kw.metadata) } : camelKeys(kw);
        r = await m.forwardGraph(rows(a.features), a.indptr.data, a.indices.data, options);
      } else throw new Error(`unknown method ${c.method}`);
      const data = r instanceof Float32Array ? r : r.data;
      out.push({ data: Array.from(data, v => (Number.isFinite(v) ? v : String(v))),
                 shape: r instanceof Float32Array ? [r.length] : [r.rows, r.cols] });
    } catch (e) {
      out.push({ error: e.code ?? `not an AttentionError: ${e.name}`, message: String(e.message) });
    } finally {
      await m.dispose();
    }
  }
  return out;
}

/** One case's result against the file: the values at its tolerance, or its error. */
function check(got, c, where) {
  const what = `${where}: ${c.name}`;
  if (c.error) {
    assert.equal(got.error, c.error.code, `${what}: ${got.message ?? 'no error'}`);
    for (const w of c.error.message_contains) assert.ok(got.message.includes(w), `${what}: "${got.message}" lacks "${w}"`);
    return;
  }
  assert.ok(!got.error, `${what}: ${got.error} ${got.message}`);
  assert.deepEqual(got.shape, c.expected.shape, `${what}: shape`);
  assertWithin(Float32Array.from(got.data), Float32Array.from(c.expected.data), c.tolerance, what);
  if (c.method === 'attention_weights' && !c.args.mask) {
    assert.ok(Math.abs(got.data.reduce((s, v) => s + v, 0) - 1) < SCALAR_ATOL, `${what}: weights sum to 1`);
  }
}

test('the contract fixture covers every mechanism in the catalogue', async () => {
  const rt = await lib.init();
  assert.deepEqual([...new Set(catalogue)].sort(), rt.mechanisms().map(m => m.name).sort());
  for (const name of new Set(catalogue)) {
    const mine = cases.filter(c => c.mechanism === name).map(c => c.name);
    assert.ok(mine.some(n => n.includes('NaN key')) && mine.some(n => n.includes('fully masked')), name);
  }
});

for (const worker of [false, true]) {
  describe(`contract fixtures in Node (${worker ? 'worker' : 'main thread'})`, () => {
    let rt;
    before(async () => { rt = await lib.init(worker ? { worker: true } : {}); });
    after(async () => { if (worker) await rt?.terminate(); });
    test('every case within the file tolerance, every error with its code', async () => {
      const got = await runCases(rt, cases);
      cases.forEach((c, i) => check(got[i], c, worker ? 'worker' : 'main'));
    });
  });
}

describe('contract fixtures in headless Chromium', () => {
  const chromium = useChromium();

  for (const worker of [false, true]) {
    const where = worker ? 'Chromium worker' : 'Chromium page';
    test(`${where}: every case within the file tolerance`, { timeout: 180_000 }, async () => {
      await onBlankPage(chromium, 'contract fixtures', async page => {
        const r = await page.evaluate(`(async () => {
          const lib = await import('/dist/ruvector-attention.js');
          const rt = await lib.init(${JSON.stringify(worker ? { worker: true } : {})});
          const runCases = ${runCases.toString()};
          return { out: await runCases(rt, ${JSON.stringify(cases)}), mode: rt.mode, isa: rt.versions.isa };
        })()`);
        assert.equal(r.mode, worker ? 'worker' : 'main');
        assert.equal(r.isa, 'wasm128');
        assert.equal(r.out.length, cases.length);
        cases.forEach((c, i) => check(r.out[i], c, where));
      });
    });
  }
});
