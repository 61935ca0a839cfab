// The shipping recipes of docs/shipping.md, run as a user runs them: the packed
// tarball installed into a scratch app (tests/e2e/bundler-app), bundled with esbuild
// and with vite, served from its own origin (a static server; `vite preview`), and
// opened in headless Chromium on the main thread and in a worker. The page's answer
// is checked against a float64 softmax, and a wrong indexURL or a missing worker
// script must fail with INIT_FAILED naming the file and what fixes it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BOOT_TIMEOUT_MS, ROOT, openPage, useBrowser } from './harness.mjs';
import { packAndInstall } from './packed.mjs';
import { startServer } from '../../web-demo/serve.mjs';

const FIXTURE = path.join(ROOT, 'tests', 'e2e', 'bundler-app');
const tmp = mkdtempSync(path.join(tmpdir(), 'ruvector-bundlers-'));
const env = useBrowser();
let app;
after(() => rmSync(tmp, { recursive: true, force: true }));

before(() => {
  ({ app } = packAndInstall(tmp));
  cpSync(FIXTURE, app, { recursive: true });
  // The bundlers are this project's devDependencies, linked in as if installed.
  for (const dep of ['esbuild', 'vite']) symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(app, 'node_modules', dep));
});

/** The wheel's file name in the installed package's Pyodide folder. */
const wheel = () => readdirSync(path.join(app, 'node_modules', 'ruvector-attention', 'dist', 'pyodide')).find((f) => f.endsWith('.whl'));

/** SDPA in float64: softmax(K q / sqrt(d)) V. */
function sdpa64(q, K, V) {
  const s = K.map((k) => k.reduce((a, x, i) => a + x * q[i], 0) / Math.sqrt(q.length));
  const m = Math.max(...s);
  const e = s.map((x) => Math.exp(x - m));
  const z = e.reduce((a, x) => a + x, 0);
  return V[0].map((_, j) => V.reduce((a, v, i) => a + (e[i] / z) * v[j], 0));
}

/** Open `url` and return the app's published result (or throw with the page's problems). */
async function run(url) {
  const { page, context, problems } = await openPage(env.browser, { url }, '');
  try {
    await page.waitForFunction(() => document.body.dataset.result, null, { timeout: BOOT_TIMEOUT_MS });
    const result = JSON.parse(await page.evaluate(() => document.body.dataset.result));
    return { result, problems: problems.filter((p) => !p.startsWith('console: Failed to load resource')) };
  } finally {
    await context.close();
  }
}

async function computes(base, worker) {
  const { result, problems } = await run(`${base}?worker=${worker ? 1 : 0}`);
  assert.equal(result.error, undefined, `the app failed: ${JSON.stringify(result.error)}`);
  assert.deepEqual(problems, []);
  assert.equal(result.mode, worker ? 'worker' : 'main');
  assert.equal(result.versions.python, result.versions.js);
  const want = sdpa64(result.query, result.keys, result.values);
  assert.equal(result.out.length, want.length);
  result.out.forEach((x, j) => assert.ok(Math.abs(x - want[j]) <= 1e-6 * Math.max(1, Math.abs(want[j])),
    `out[${j}] = ${x}, float64 ${want[j]}`));
  console.log(`# boot ${worker ? 'worker' : 'main thread'}: ${result.bootMs.toFixed(0)} ms`);
}

async function refuses(url, words) {
  const { result } = await run(url);
  assert.ok(result.error, 'the app booted although files are missing');
  assert.equal(result.error.attentionError, true, result.error.message);
  assert.equal(result.error.code, 'INIT_FAILED', result.error.message);
  for (const w of words) assert.ok(result.error.message.includes(w), `"${result.error.message}" lacks "${w}"`);
}

describe('esbuild', () => {
  let server;
  let bare;
  before(async () => {
    execFileSync(process.execPath, ['build-esbuild.mjs'], { cwd: app, encoding: 'utf8' });
    // The recipe's output: the bundle, the page, one worker file and the Pyodide folder.
    assert.deepEqual(readdirSync(path.join(app, 'out')).sort(), ['index.html', 'main.js', 'pyodide', 'worker.js']);
    server = await startServer({ port: 0, roots: { web: path.join(app, 'out'), dist: path.join(tmp, 'unused') } });
    // The same bundle served without the worker script and without pyodide/.
    const only = path.join(tmp, 'bare');
    mkdirSync(only);
    for (const f of ['index.html', 'main.js']) cpSync(path.join(app, 'out', f), path.join(only, f));
    // ... with Pyodide folders that each lack one file.
    for (const missing of ['pyodide.asm.wasm', wheel()]) {
      mkdirSync(path.join(only, `no-${missing}`));
      for (const f of readdirSync(path.join(app, 'out', 'pyodide'))) {
        if (f !== missing) symlinkSync(path.join(app, 'out', 'pyodide', f), path.join(only, `no-${missing}`, f));
      }
    }
    bare = await startServer({ port: 0, roots: { web: only, dist: path.join(tmp, 'unused') } });
  });
  after(async () => { await server?.close(); await bare?.close(); });

  test('a server that refuses HEAD requests still boots (the file check stands aside)', async () => {
    // A proxy in front of the static server that answers every HEAD with 405.
    const noHead = createServer((req, res) => {
      if (req.method === 'HEAD') { res.writeHead(405, { Allow: 'GET' }).end(); return; }
      const upstream = httpRequest(new URL(req.url, server.url), { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise((resolve) => noHead.listen(0, '127.0.0.1', resolve));
    try {
      await computes(`http://127.0.0.1:${noHead.address().port}/`, false);
    } finally {
      noHead.closeAllConnections();
      await new Promise((resolve) => noHead.close(resolve));
    }
  });

  test('the bundled app computes SDPA on the main thread', () => computes(server.url, false));
  test('the bundled app computes SDPA in a worker', () => computes(server.url, true));
  test('without pyodide/ the error names the missing file and init({ indexURL })', () =>
    refuses(`${bare.url}?worker=0`, [`${bare.url}pyodide/pyodide.mjs`, 'HTTP 404', 'init({ indexURL })', 'dist/pyodide/']));
  test('a Pyodide folder without pyodide.asm.wasm: the error names it (main thread)', () =>
    refuses(`${bare.url}?worker=0&indexURL=./no-pyodide.asm.wasm/`, [`${bare.url}no-pyodide.asm.wasm/pyodide.asm.wasm`, 'HTTP 404', 'init({ indexURL })']));
  test('a Pyodide folder without the wheel: the error names it (main thread)', () =>
    refuses(`${bare.url}?worker=0&indexURL=./no-${wheel()}/`, [`${bare.url}no-${wheel()}/${wheel()}`, 'HTTP 404', 'init({ indexURL })']));
  test('without worker.js the error names the worker script and where it belongs', () =>
    refuses(`${bare.url}?worker=1`, [`${bare.url}worker.js`, 'dist/worker.js']));
});

describe('vite', () => {
  let server;
  before(async () => {
    const vite = path.join(app, 'node_modules', 'vite', 'bin', 'vite.js');
    execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: app, encoding: 'utf8' });
    const out = path.join(app, 'dist');
    assert.ok(existsSync(path.join(out, 'pyodide', 'pyodide-lock.json')), 'the plugin copied pyodide/');
    // vite copies the worker script by itself (as an asset: no file to copy by hand).
    assert.equal(readdirSync(path.join(out, 'assets')).filter((f) => /^worker-.*\.js$/.test(f)).length, 1);
    const { preview } = await import('vite');
    server = await preview({ root: app, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  });
  after(async () => { await server?.close(); });

  const base = () => server.resolvedUrls.local[0];
  test('the built app computes SDPA on the main thread', () => computes(base(), false));
  test('the built app computes SDPA in a worker', () => computes(base(), true));
  test('a wrong indexURL (answered by the page fallback) names the file and init({ indexURL })', () =>
    refuses(`${base()}?worker=1&indexURL=./nowhere/`, [`${base()}nowhere/pyodide.mjs`, 'HTML page', 'init({ indexURL })']));
});
