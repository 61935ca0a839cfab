// The browser bundle in headless Chromium: boots with the default indexURL
// (dist/pyodide next to the bundle) or a page-relative one, loads the kernel on the main thread
// (asynchronous compilation), and gives the native fixture results on the
// page and in a module Web Worker. Nothing outside 127.0.0.1 is requested.
import assert from 'node:assert/strict';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { DIST, checkExpected, countPythonForward, loadFixture } from './helpers.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.html': 'text/html' };
const PAGE = '<!doctype html><meta charset="utf-8"><title>ruvector-attention bundle test</title>';

let server, browser, origin;
const foreign = [];

before(async () => {
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/') { res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE); return; }
    const file = join(DIST, normalize(path).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(DIST) || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await new Promise(r => server?.close(r));
});

/** Runs the SDPA + multi-head forward fixtures in the page, in the given mode. */
async function runInPage(worker) {
  const page = await browser.newPage();
  page.on('request', r => { if (!r.url().startsWith(origin)) foreign.push(r.url()); });
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  await page.goto(origin + '/');
  const cases = [...loadFixture('sdpa'), ...loadFixture('multihead')]
    .filter(c => ['forward', 'attention_weights', 'head_attention_weights'].includes(c.method));
  const results = await page.evaluate(async ({ cases, worker, counter }) => {
    const lib = await import('/ruvector-attention.js');
    const t0 = performance.now();
    // the worker case also checks that a page-relative indexURL is resolved against the page
    const rt = await lib.init(worker ? { worker, indexURL: 'pyodide/' } : {});
    const bootMs = performance.now() - t0;
    const out = [];
    for (const c of cases) {
      const camel = s => s.replace(/_([a-z0-9])/g, (_, x) => x.toUpperCase());
      const opts = Object.fromEntries(Object.entries(c.config).map(([k, v]) => [camel(k), v]));
      const m = await rt.create(c.mechanism, opts);
      if (c.state_dict && !c.state_from_seed) {
        await m.loadStateDict(Object.fromEntries(Object.entries(c.state_dict).map(([k, v]) => [k, new Float32Array(v.data)])));
      }
      const a = c.args;
      const rows = x => ({ data: new Float32Array(x.data), rows: x.shape[0] });
      const mask = a.mask ? { mask: a.mask.data } : undefined;
      const q = new Float32Array(a.query.data);
      let r;
      if (c.method === 'forward') r = await m.forward(q, rows(a.keys), rows(a.values), mask);
      else if (c.method === 'attention_weights') r = await m.attentionWeights(q, rows(a.keys), mask);
      else r = (await m.headAttentionWeights(q, rows(a.keys), mask)).data;
      await m.dispose();
      out.push(Array.from(r));
    }
    let code = null;
    try {
      const m = await rt.create('ScaledDotProductAttention', { dim: 4 });
      await m.forward([1, 0, 0, 0], [], []);
    } catch (e) { code = e.code; }
    // main thread: SDPA forward calls the kernel from JS (direct.ts) without reaching Python
    let direct = null;
    const internals = rt[Symbol.for('ruvector-attention.internals')];
    if (rt.mode === 'main') {
      const builtins = internals.pyimport('builtins');
      builtins.exec(counter.install, builtins.dict());
      const ra = internals.pyimport('ruvector_attention');
      const m = new rt.ScaledDotProductAttention({ dim: 3 });
      const args = [[0.5, -1, 2], { data: Float32Array.from([1, 2, 3, -1, 0, 4]), rows: 2 }, [[1, 2], [3, 4]]];
      const viaKernel = m.forward(...args);
      const calls = ra._python_forward_calls;
      internals.useDirect(false);
      const viaPython = m.forward(...args);
      internals.useDirect(true);
      direct = { calls, pythonCalls: ra._python_forward_calls, same: viaKernel.every((x, i) => Object.is(x, viaPython[i])) };
      builtins.exec(counter.remove, builtins.dict());
      m.dispose();
    }
    return { out, code, bootMs, mode: rt.mode, isa: rt.versions.isa, direct };
  }, { cases, worker, counter: countPythonForward('ScaledDotProductAttention') });
  await page.close();
  assert.deepEqual(errors, []);
  return { cases, ...results };
}

for (const worker of [false, true]) {
  test(`browser ${worker ? 'Web Worker, relative indexURL' : 'main thread, default indexURL'}: native fixture results, typed errors`, { timeout: 120_000 }, async t => {
    const r = await runInPage(worker);
    t.diagnostic(`init() in Chromium (${r.mode}): ${r.bootMs.toFixed(0)} ms`);
    assert.equal(r.mode, worker ? 'worker' : 'main');
    assert.equal(r.isa, 'wasm128');
    assert.equal(r.code, 'EMPTY_INPUT');
    if (!worker) assert.deepEqual(r.direct, { calls: 0, pythonCalls: 1, same: true }, 'the direct kernel path on the main thread');
    r.cases.forEach((c, i) => checkExpected(c.method === 'head_attention_weights'
      ? { data: Float32Array.from(r.out[i]), rows: c.expected.shape[0], cols: c.expected.shape[1] }
      : Float32Array.from(r.out[i]), c));
    assert.deepEqual(foreign, [], 'requests left 127.0.0.1');
  });
}
