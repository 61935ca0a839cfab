// The demo's static server: path mapping (and refusing to leave its roots),
// MIME types that browsers insist on, caching headers, and port fallback.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { resolveRequest, startServer } from '../../web-demo/serve.mjs';

const base = mkdtempSync(path.join(tmpdir(), 'ruvector-serve-'));
const roots = { web: path.join(base, 'web'), dist: path.join(base, 'dist') };
let server;

before(async () => {
  mkdirSync(path.join(roots.dist, 'pyodide'), { recursive: true });
  mkdirSync(roots.web, { recursive: true });
  writeFileSync(path.join(roots.web, 'index.html'), '<h1>page</h1>');
  writeFileSync(path.join(roots.dist, 'pyodide', 'pyodide.asm.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
  writeFileSync(path.join(roots.dist, 'bundle.js'), 'export {};');
  writeFileSync(path.join(base, 'secret.txt'), 'outside the roots');
  server = await startServer({ port: 0, roots });
});

after(async () => { await server?.close(); });

test('URL paths map to web-demo/ and /dist/ and never outside them', () => {
  assert.equal(resolveRequest('/', roots), roots.web);
  assert.equal(resolveRequest('/app/main.js?x=1#y', roots), path.join(roots.web, 'app/main.js'));
  assert.equal(resolveRequest('/dist/pyodide/pyodide.mjs', roots), path.join(roots.dist, 'pyodide/pyodide.mjs'));
  for (const evil of ['/../secret.txt', '/%2e%2e/secret.txt', '/dist/../../secret.txt', '/dist/%2e%2e/%2e%2e/secret.txt']) {
    const file = resolveRequest(evil, roots);
    assert.ok(file === null || file.startsWith(roots.web) || file.startsWith(roots.dist), `${evil} -> ${file}`);
  }
  assert.equal(resolveRequest('/%E0%A4%A', roots), null, 'malformed escapes are refused');
});

test('serves files with the right MIME type; wasm is application/wasm', async () => {
  const page = await fetch(server.url);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.equal(await page.text(), '<h1>page</h1>');
  const wasm = await fetch(`${server.url}dist/pyodide/pyodide.asm.wasm`);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.deepEqual([...new Uint8Array(await wasm.arrayBuffer())], [0, 0x61, 0x73, 0x6d]);
  assert.match((await fetch(`${server.url}dist/bundle.js`)).headers.get('content-type'), /^text\/javascript/);
});

test('missing files are 404 with a hint; escapes are not served; only GET/HEAD', async () => {
  const missing = await fetch(`${server.url}dist/nothing.js`);
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /build\.sh dist/);
  const escape = await fetch(`${server.url}%2e%2e/secret.txt`);
  assert.notEqual(escape.status, 200);
  assert.equal((await fetch(server.url, { method: 'POST' })).status, 405);
});

test('revalidation: an unchanged file answers 304 to its ETag', async () => {
  const first = await fetch(`${server.url}dist/bundle.js`);
  const etag = first.headers.get('etag');
  assert.ok(etag);
  assert.equal(first.headers.get('cache-control'), 'no-cache');
  const again = await fetch(`${server.url}dist/bundle.js`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
});

test('a taken port falls back to the next free one', async () => {
  const second = await startServer({ port: server.port, roots });
  try {
    assert.notEqual(second.port, server.port);
    assert.equal((await fetch(second.url)).status, 200);
  } finally {
    await second.close();
  }
});
