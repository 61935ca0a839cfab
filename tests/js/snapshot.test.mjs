// The Pyodide memory snapshot of dist/pyodide: its metadata agrees with the files
// and the versions; init() restores it in Node and in Chromium (page and Web
// Worker) and then gives the reference results; and a missing, stale, corrupt or
// unrestorable snapshot is reported and skipped, never a failed init().
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { DIST, lib } from './helpers.mjs';

const PYODIDE_DIR = join(DIST, 'pyodide');
const meta = JSON.parse(readFileSync(join(PYODIDE_DIR, 'snapshot.json'), 'utf8'));
const pyodideVersion = JSON.parse(readFileSync(join(DIST, '..', 'node_modules', 'pyodide', 'package.json'), 'utf8')).version;
const tmp = mkdtempSync(join(tmpdir(), 'ruvector-snapshot-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const NOT_USED = 'memory snapshot not used';
// SDPA of the docstring example, float64: softmax([1, 0] / 2) . [[1, 2], [3, 4]]
const w0 = 1 / (1 + Math.exp(-0.5));
const EXPECTED = [w0 * 1 + (1 - w0) * 3, w0 * 2 + (1 - w0) * 4];

/** dist/pyodide linked file by file into tmp/name, then `change(dir)` breaks its snapshot. */
function distribution(name, change) {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const f of execFileSync('ls', [PYODIDE_DIR], { encoding: 'utf8' }).trim().split('\n')) {
    symlinkSync(join(PYODIDE_DIR, f), join(dir, f));
  }
  change(dir);
  return dir + '/';
}

/** Replace a file of the distribution by `bytes` (the link is removed first). */
function put(dir, file, bytes) {
  rmSync(join(dir, file));
  writeFileSync(join(dir, file), bytes);
}

function withMeta(dir, fields) {
  put(dir, 'snapshot.json', JSON.stringify({ ...meta, ...fields }));
}

/** init() in a fresh Node process: the progress details, one SDPA forward and one random draw. */
function bootInNode(indexURL) {
  const script = `
    const lib = await import(${JSON.stringify(join(DIST, 'node', 'index.mjs'))});
    const details = [];
    const rt = await lib.init({ ${indexURL ? `indexURL: ${JSON.stringify(indexURL)},` : ''} onProgress: (s, d) => details.push(d) });
    const m = new rt.ScaledDotProductAttention({ dim: 4 });
    const out = Array.from(m.forward([1, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]], [[1, 2], [3, 4]]));
    const random = rt[Symbol.for('ruvector-attention.internals')].pyimport('random').random();
    console.log(JSON.stringify({ details, out, random }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

function assertResult(out, what) {
  out.forEach((x, i) => assert.ok(Math.abs(x - EXPECTED[i]) < 1e-6, `${what}: ${out} vs ${EXPECTED}`));
}

test('snapshot.json names the shipped file, its sha256, heap size and the versions', () => {
  const gz = readFileSync(join(PYODIDE_DIR, meta.file));
  assert.equal(createHash('sha256').update(gz).digest('hex'), meta.sha256);
  assert.equal(gunzipSync(gz).length, meta.bytes);
  assert.equal(createHash('sha256').update(gunzipSync(gz)).digest('hex'), meta.heapSha256);
  assert.equal(meta.pyodide, pyodideVersion);
  assert.equal(meta.version, lib.version);
  assert.ok(meta.modules > 0);
});

test('Node: init() restores the snapshot, gives the reference result and reseeds random', { timeout: 240_000 }, () => {
  const a = bootInNode(), b = bootInNode();
  for (const r of [a, b]) {
    assert.ok(r.details[0].startsWith('restoring Pyodide from its memory snapshot'), r.details.join(' | '));
    assert.ok(!r.details.some(d => d.startsWith(NOT_USED)), r.details.join(' | '));
    assertResult(r.out, 'restored');
  }
  assert.notEqual(a.random, b.random, 'two restores draw different random numbers');
});

const BROKEN = {
  'no snapshot.json': dir => rmSync(join(dir, 'snapshot.json')),
  'another Pyodide version': dir => withMeta(dir, { pyodide: '0.0.1' }),
  'another package version': dir => withMeta(dir, { version: '0.0.1' }),
  'a corrupt file (sha256)': dir => put(dir, meta.file, gzipSync(Buffer.from('not a heap'))),
  'a heap Pyodide rejects': dir => {
    const gz = gzipSync(Buffer.alloc(meta.bytes, 7));  // right size and hash, wrong magic number
    put(dir, meta.file, gz);
    withMeta(dir, { sha256: createHash('sha256').update(gz).digest('hex') });
  },
};
const REASONS = {
  'no snapshot.json': 'snapshot.json', 'another Pyodide version': '0.0.1', 'another package version': '0.0.1',
  'a corrupt file (sha256)': 'sha256', 'a heap Pyodide rejects': 'magic',
};

for (const [name, change] of Object.entries(BROKEN)) {
  test(`Node: ${name} is reported and Pyodide starts without the snapshot`, { timeout: 240_000 }, () => {
    const r = bootInNode(distribution(name.replace(/\W+/g, '-'), change));
    const said = r.details.find(d => d.startsWith(NOT_USED));
    assert.ok(said && said.includes(REASONS[name]), r.details.join(' | '));
    assertResult(r.out, name);
  });
}

// ---------------------------------------------------------------- Chromium

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
let server, browser, origin;
const staleDir = distribution('browser-stale', dir => withMeta(dir, { version: '0.0.1' }));

before(async () => {
  // /dist/... serves dist/, /stale/... the distribution with a stale snapshot.json,
  // /encoded/... dist/ with .gz files sent as Content-Encoding: gzip (as vite preview does)
  const roots = { dist: DIST, stale: staleDir, encoded: DIST };
  server = createServer((req, res) => {
    const [, root, ...rest] = decodeURIComponent(new URL(req.url, 'http://x').pathname).split('/');
    if (!root) { res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>snapshot</title>'); return; }
    const base = roots[root];
    const file = base && join(base, normalize(rest.join('/')).replace(/^(\.\.[/\\])+/, ''));
    if (!file || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404).end(); return; }
    const encoded = root === 'encoded' && file.endsWith('.gz') ? { 'content-encoding': 'gzip' } : {};
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...encoded });
    createReadStream(file).pipe(res);
  });
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await new Promise(r => server?.close(r));
});

async function bootInPage(worker, indexURL) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  await page.goto(origin + '/');
  const r = await page.evaluate(async ({ worker, indexURL }) => {
    const lib = await import('/dist/ruvector-attention.js');
    const details = [];
    const rt = await lib.init({ worker, indexURL, onProgress: (s, d) => details.push(d) });
    const m = await rt.create('ScaledDotProductAttention', { dim: 4 });
    const out = Array.from(await m.forward([1, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]], [[1, 2], [3, 4]]));
    return { details, out };
  }, { worker, indexURL });
  await page.close();
  assert.deepEqual(errors, []);
  return r;
}

for (const worker of [false, true]) {
  const where = worker ? 'Web Worker' : 'page';
  test(`Chromium ${where}: init() restores the snapshot and gives the reference result`, { timeout: 240_000 }, async () => {
    const r = await bootInPage(worker, `${origin}/dist/pyodide/`);
    assert.ok(!r.details.some(d => d.startsWith(NOT_USED)), r.details.join(' | '));
    assertResult(r.out, where);
  });
}

test('Chromium: a stale snapshot is reported and Pyodide starts without it', { timeout: 240_000 }, async () => {
  const r = await bootInPage(true, `${origin}/stale/`);
  assert.ok(r.details.some(d => d.startsWith(NOT_USED) && d.includes('0.0.1')), r.details.join(' | '));
  assertResult(r.out, 'stale');
});

test('Chromium: a snapshot sent with Content-Encoding: gzip is checked by its heap hash and used', { timeout: 240_000 }, async () => {
  const r = await bootInPage(false, `${origin}/encoded/pyodide/`);
  assert.ok(!r.details.some(d => d.startsWith(NOT_USED)), r.details.join(' | '));
  assertResult(r.out, 'encoded');
});
