// Shared set-up of the browser tests: the native fixture, the static server,
// headless Debian Chromium through playwright-core, and page helpers that read
// data (DOM, exported JSON), never pixels.

import { spawnSync } from 'node:child_process';
import { after, before } from 'node:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';
import { startServer } from '../../web-demo/serve.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(ROOT, 'test-results');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Boot + first render on 2 cores; generous so a slow machine fails on data, not on time. */
export const BOOT_TIMEOUT_MS = 90_000;
export const RENDER_TIMEOUT_MS = 30_000;
const TOLERANCES = JSON.parse(readFileSync(path.join(ROOT, 'tests/fixtures/tolerances.json'), 'utf8')).tolerances;

/** { rtol, atol, why } of tests/fixtures/tolerances.json (the suite's one table); a missing key throws. */
export function tolerance(key) {
  if (!(key in TOLERANCES)) throw new Error(`tests/fixtures/tolerances.json has no row ${key}`);
  return TOLERANCES[key];
}

/** float32 kernels natively (AVX2) vs in wasm (SIMD128) sum in different orders. */
export const WEIGHT_TOL = tolerance('wasm/native_weights').atol;
/** Outputs (|x| up to a few) sum d products more than the weights do. */
export const OUTPUT_TOL = tolerance('wasm/native_outputs').atol;

/** Fail early, with the command to run, if the build is missing. */
export function checkBuilt() {
  for (const p of ['dist/pyodide/pyodide-lock.json', 'dist/ruvector-attention.js']) {
    if (!existsSync(path.join(ROOT, p))) throw new Error(`${p} is missing: run ./build.sh dist first`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (./build.sh test does it)`);
}

/** Run tests/e2e/make_fixture.py natively; returns the parsed fixture. */
export function makeFixture(args = []) {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'ruvector-e2e-')), 'fixture.json');
  const py = process.env.PYTHON ?? 'python3';
  const run = spawnSync(py, [path.join(ROOT, 'tests/e2e/make_fixture.py'), out, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`make_fixture.py failed:\n${run.stderr}`);
  return JSON.parse(readFileSync(out, 'utf8'));
}

export async function startAll() {
  checkBuilt();
  mkdirSync(ARTIFACTS, { recursive: true });
  const server = await startServer({ port: 0 });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return { server, browser };
}

/** A fresh page on `query` (e.g. '?worker=0'); collects console errors for the assertion messages. */
/** One static server and one Chromium for a whole test file, started and stopped by
 * node:test hooks; the returned object gets { server, browser } once started. */
export function useBrowser() {
  const env = {};
  before(async () => { Object.assign(env, await startAll()); });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

/** The JSON a view publishes in a data-* attribute of its card, or null while hidden. */
export function cardData(page, selector, key) {
  return page.$eval(selector, (el, k) => (el.hidden ? null : JSON.parse(el.dataset[k])), key);
}

export async function openPage(browser, server, query = '') {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1500, height: 1100 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  // Nothing may leave 127.0.0.1 (no CDN): abort and record any other request.
  await context.route((url) => url.hostname !== '127.0.0.1', (route) => {
    problems.push(`external request blocked: ${route.request().url()}`);
    return route.abort();
  });
  await page.goto(server.url + query);
  return { page, context, problems };
}

export async function renderCount(page) {
  return page.evaluate(() => Number(document.body.dataset.renderCount ?? 0));
}

/**
 * Wait until a render newer than `before` has completed (or the page reports an
 * error). `expect` ({node, mechanism, options}: a partial view) must match the
 * rendered view, so a render started by an earlier event cannot satisfy it.
 */
export async function waitRender(page, before, expect = {}, timeout = RENDER_TIMEOUT_MS) {
  await page.waitForFunction(([b, want]) => {
    const s = document.body.dataset.state;
    if (s === 'error') return true;
    if (!(Number(document.body.dataset.renderCount ?? 0) > b && s === 'ready')) return false;
    const view = JSON.parse(document.body.dataset.view ?? '{}');
    const same = (a, e) => (e && typeof e === 'object'
      ? Object.entries(e).every(([k, v]) => same(a?.[k], v)) : a === e);
    return same(view, want);
  }, [before, expect], { timeout });
  const state = await page.evaluate(() => [document.body.dataset.state, document.getElementById('status').textContent]);
  if (state[0] === 'error') throw new Error(`the page reports an error: ${state[1]}`);
}

/** Type a node id into the picker and wait for its render. */
export async function selectNode(page, node) {
  const before = await renderCount(page);
  await page.fill('#node', String(node));
  await page.dispatchEvent('#node', 'change');
  await waitRender(page, before, { node });
}

/** Pick a mechanism in the select (a no-op if it is already shown) and wait for its render. */
export async function chooseMechanism(page, name) {
  if (await page.$eval('#mechanism', (el) => el.value) === name) return;
  const before = await renderCount(page);
  await page.selectOption('#mechanism', name);
  await waitRender(page, before, { mechanism: name });
}

/** Click "Weights (JSON)" and return the parsed download. */
export async function exportJson(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  return JSON.parse(readFileSync(await download.path(), 'utf8'));
}

/** Click "View (PNG)" and return the bytes of the download. */
export async function exportPng(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
  return readFileSync(await download.path());
}

/** The heatmap's text alternative (one row per neighbour) read back per head, with the shown sums. */
export async function heatmapTable(page) {
  return page.$eval('#heatmap-table', (table) => {
    const heads = table.querySelectorAll('tfoot td[data-sum]').length;
    const rows = [...table.querySelectorAll('tbody tr')];
    return Array.from({ length: heads }, (_, h) => {
      const cells = rows.map((tr) => tr.querySelector(`td[data-head="${h}"]`));
      return {
        values: cells.map((td) => Number(td.dataset.value)),
        text: cells.map((td) => td.textContent),
        sum: Number(table.querySelector(`tfoot td[data-head="${h}"]`).dataset.sum),
      };
    });
  });
}

/** Largest |a - b| over two (H, n) arrays; throws if the shapes differ. */
export function maxAbsDiff(a, b, what) {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} heads on the page, ${b.length} natively`);
  let worst = 0;
  a.forEach((row, h) => {
    if (row.length !== b[h].length) throw new Error(`${what}: head ${h} has ${row.length} weights on the page, ${b[h].length} natively`);
    row.forEach((x, j) => { worst = Math.max(worst, Math.abs(x - b[h][j])); });
  });
  return worst;
}

/** Width and height from a PNG's IHDR chunk; throws if it is not a PNG. */
export function pngSize(bytes) {
  const magic = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!magic.every((b, i) => bytes[i] === b)) throw new Error('not a PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
