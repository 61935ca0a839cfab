// End-to-end tests of the visualizer in headless Chromium (playwright-core +
// Debian chromium). The page computes weights with the library in Pyodide; the
// test compares them with the same mechanisms run natively on the same seeded
// graph (make_fixture.py), in worker mode and on the main thread (?worker=0).
// Assertions read data (exported JSON, the DOM), never pixels.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import {
  ARTIFACTS, BOOT_TIMEOUT_MS, OUTPUT_TOL, ROOT, WEIGHT_TOL, chooseMechanism, exportJson, exportPng, heatmapTable, makeFixture, maxAbsDiff,
  openPage, pngSize, renderCount, selectNode, useBrowser, waitRender,
} from './harness.mjs';

const env = useBrowser();  // { server, browser }
let fixture;               // native reference values

before(() => { fixture = makeFixture(); });

/** Open the page, wait for the first rendered weights, record the cold start. */
async function bootPage(query) {
  const opened = await openPage(env.browser, env.server, query);
  await waitRender(opened.page, 0, {}, BOOT_TIMEOUT_MS);
  const coldMs = await opened.page.evaluate(() => Number(document.body.dataset.coldStartMs));
  const mode = await opened.page.evaluate(() => document.body.dataset.mode);
  const timings = await opened.page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark')
    .filter((m) => m.name.startsWith('ruvector:')).map((m) => [m.name.slice(9), Math.round(m.startTime)])));
  writeFileSync(path.join(ARTIFACTS, `cold-start-${mode}.json`), JSON.stringify({ mode, coldStartMs: coldMs, timings }));
  return { ...opened, coldMs, report: `cold start to first rendered weights (${mode}): ${coldMs} ms; milestones ${JSON.stringify(timings)}` };
}

/** The fixture case (defaults or a changed config) computed natively with exactly these options. */
function referenceFor(mechanism, options) {
  const cases = [fixture.mechanisms[mechanism], ...fixture.changed.filter((c) => c.mechanism === mechanism)];
  return cases.find((c) => c && !c.error && JSON.stringify(sortKeys(c.options)) === JSON.stringify(sortKeys(options)));
}

function sortKeys(o) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/** Scores (s - max s) give the weights back through softmax; the largest is 0. */
function checkScores(row, what) {
  assert.equal(row.scores.length, row.weights.length, `${what}: one score row per head`);
  row.scores.forEach((s, h) => {
    const top = Math.max(...row.weights[h]);
    assert.equal(Math.max(...s.filter((x) => x !== null)), 0, `${what}: head ${h}: the largest score is 0`);
    s.forEach((x, j) => {
      const w = row.weights[h][j];
      assert.ok(x === null ? w === 0 : Math.abs(top * Math.exp(x) - w) < 1e-9, `${what}: head ${h} key ${j}`);
    });
  });
}

function checkSumsToOne(weights, what) {
  weights.forEach((row, h) => {
    const s = row.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - 1) < 1e-5, `${what}: head ${h} sums to ${s}`);
  });
}

/** The reference cases: every fixture node, every mechanism of the catalogue. */
async function checkReferenceCases(page, mode) {
  for (const node of fixture.nodes) {
    await selectNode(page, node);
    const doc = await exportJson(page);
    assert.equal(doc.runtime.mode, mode);
    assert.equal(doc.node, node);
    for (const key of ['numNodes', 'dim', 'm', 'seed']) assert.equal(doc.dataset[key], fixture.dataset[key], `dataset.${key}`);
    assert.deepEqual(doc.neighbours, fixture.neighbours[node], `node ${node}: the same neighbour list as natively`);

    const names = Object.keys(fixture.mechanisms);
    assert.deepEqual(doc.comparison.map((r) => r.name).sort(), [...names].sort(), 'every mechanism is compared');
    for (const row of doc.comparison) {
      const ref = fixture.mechanisms[row.name];
      const what = `${mode} ${row.name} node ${node}`;
      if (ref.error) {
        assert.ok(row.error, `${what}: natively ${ref.error} (${ref.message}); the page gave weights`);
        continue;
      }
      assert.equal(row.error, undefined, `${what}: ${row.error}`);
      assert.deepEqual(row.options, ref.options, `${what}: created with the same options`);
      checkSumsToOne(row.weights, what);
      const diff = maxAbsDiff(row.weights, ref.weights[node], what);
      assert.ok(diff <= WEIGHT_TOL, `${what}: max |page - native| = ${diff}`);
      checkScores(row, what);
      if (typeof ref.outputs[node] === 'string') {
        assert.match(row.outputError ?? '', /./, `${what}: natively forward raises ${ref.outputs[node]}`);
      } else {
        const outDiff = maxAbsDiff([row.output], [ref.outputs[node]], `${what} output`);
        assert.ok(outDiff <= OUTPUT_TOL, `${what}: output max |page - native| = ${outDiff}`);
      }
      if (row.ball) {
        const slice = row.inputs.query.slice(row.ball.from);
        assert.ok(Math.hypot(...slice) * Math.sqrt(-row.ball.k) < 1, `${what}: the query it got is in the ball`);
      } else {
        assert.equal(row.inputs, 'euclidean', `${what}: the Euclidean inputs`);
      }
    }
    assert.deepEqual(doc.inputs.query, fixture.inputs[node].query, 'the exported query vector');
    assert.deepEqual(doc.inputs.keys, fixture.inputs[node].keys, 'the exported keys, one row per neighbour');

    // The views show exactly the current weights.
    const current = doc.current;
    const ref = fixture.mechanisms[current.mechanism];
    assert.ok(maxAbsDiff(current.weights, ref.weights[node], 'current') <= WEIGHT_TOL);
    const table = await heatmapTable(page);
    assert.equal(table.length, current.weights.length, 'one table column per head');
    table.forEach((row, h) => {
      assert.deepEqual(row.values, current.weights[h], `table column of head ${h} = exported weights`);
      assert.deepEqual(row.text, current.weights[h].map((w) => w.toFixed(4)));
      assert.ok(Math.abs(row.sum - 1) < 1e-5);
    });
    const hi = await page.$eval('#heatmap-legend', (el) => Number(el.dataset.hi));
    assert.equal(hi, Math.max(...current.weights.flat()), 'the colour scale tops out at the largest weight');
    assert.equal(await page.$eval('#weights-check', (el) => el.dataset.ok), 'true');
    const edges = await page.$$eval('#graph-view line[data-node]', (ls) => ls.map((l) => Number(l.dataset.node)));
    assert.deepEqual([...edges].sort((a, b) => a - b), [...fixture.neighbours[node]].sort((a, b) => a - b),
      'one graph edge per neighbour');
  }
}

describe('worker mode (default)', () => {
  let opened;
  before(async () => { opened = await bootPage(''); });
  after(async () => { await opened?.context.close(); });

  test('boots, shows the status line, and renders weights equal to the native values', async (t) => {
    t.diagnostic(opened.report);
    const status = await opened.page.textContent('#status');
    assert.match(status, /Ready/);
    assert.match(await opened.page.textContent('#runtime-info'), /Web Worker .* kernel wasm128/);
    await checkReferenceCases(opened.page, 'worker');

    // The colour scale can span the weights' own range; the legend says which.
    const { page } = opened;
    const doc = await exportJson(page);
    const flat = doc.current.weights.flat();
    await page.selectOption('#heatmap-range', 'data');
    const [lo, hi] = await page.$eval('#heatmap-legend', (el) => [Number(el.dataset.lo), Number(el.dataset.hi)]);
    assert.deepEqual([lo, hi], [Math.min(...flat), Math.max(...flat)]);
    await page.selectOption('#heatmap-range', 'zero');
    assert.equal(await page.$eval('#heatmap-legend', (el) => Number(el.dataset.lo)), 0);
    assert.deepEqual(opened.problems, []);
  });

  test('changing the config re-renders with the natively computed weights', async () => {
    const { page } = opened;
    const node = fixture.nodes[0];
    await selectNode(page, node);
    for (const c of fixture.changed) {
      await chooseMechanism(page, c.mechanism);
      const [[field, value]] = Object.entries(c.change);
      const before = await renderCount(page);
      await page.fill(`#cfg-${field}`, String(value));
      await waitRender(page, before, { mechanism: c.mechanism, options: c.change });
      const doc = await exportJson(page);
      assert.equal(doc.current.mechanism, c.mechanism);
      assert.deepEqual(doc.current.options, c.options, `${c.mechanism} re-created with ${field} = ${value}`);
      const diff = maxAbsDiff(doc.current.weights, c.weights[node], `${c.mechanism} ${field}=${value}`);
      assert.ok(diff <= WEIGHT_TOL, `${c.mechanism} with ${field} = ${value}: max diff ${diff}`);
      assert.equal((await heatmapTable(page)).length, doc.current.weights.length);
      const defaults = fixture.mechanisms[c.mechanism].weights[node];
      assert.notDeepEqual(doc.current.weights, defaults, 'the change changes the weights');
    }
    assert.deepEqual(opened.problems, []);
  });

  test('an invalid config value shows a message and keeps the last view', async () => {
    const { page } = opened;
    await chooseMechanism(page, 'MultiHeadAttention');  // switching resets the config to the defaults
    await chooseMechanism(page, 'ScaledDotProductAttention');
    const before = await exportJson(page);
    assert.equal(before.current.options.temperature, 1);
    await page.fill('#cfg-temperature', '-1');
    await page.waitForFunction(() => document.getElementById('config-message').textContent !== '');
    assert.match(await page.textContent('#config-message'), /temperature/);
    const afterDoc = await exportJson(page);
    assert.deepEqual(afterDoc.current.weights, before.current.weights);
  });

  test('malformed files show a clear error and the page keeps working', async () => {
    const { page } = opened;
    await page.check('input[name="source"][value="file"]');
    const cases = [
      ['ragged.csv', '1,2,3\n4,5\n', /ragged\.csv line 2: 2 numbers; expected 3/],
      ['broken.json', '{"vectors": [[1, 2], [3,', /broken\.json: not valid JSON/],
      ['words.csv', 'a,1,2\nb,3,zz\n', /words\.csv line 2, column 3: "zz"/],
    ];
    for (const [name, text, pattern] of cases) {
      await page.setInputFiles('#file-vectors', { name, mimeType: 'text/plain', buffer: Buffer.from(text) });
      await page.click('#file-load');
      await page.waitForFunction((n) => document.getElementById('data-message').textContent.includes(n), name);
      assert.match(await page.textContent('#data-message'), pattern);
      assert.equal(await page.$eval('#data-message', (el) => el.dataset.kind), 'error');
    }
    // An edge list that names a node the vectors do not have.
    await page.setInputFiles('#file-vectors', { name: 'ok.csv', mimeType: 'text/csv', buffer: Buffer.from('1,0\n0,1\n1,1\n') });
    await page.setInputFiles('#file-edges', { name: 'edges.csv', mimeType: 'text/csv', buffer: Buffer.from('0,1\n2,9\n') });
    await page.click('#file-load');
    await page.waitForFunction(() => document.getElementById('data-message').textContent.includes('edges.csv'));
    assert.match(await page.textContent('#data-message'), /edges\.csv line 2: node 9 does not exist/);

    // A synthetic graph the generator refuses: its typed error is shown, the old graph stays.
    await page.check('input[name="source"][value="synthetic"]');
    await page.fill('#ds-nodes', '5');
    await page.click('#ds-generate');
    await page.waitForFunction(() => document.getElementById('data-message').textContent.includes('num_nodes'));
    assert.match(await page.textContent('#data-message'), /Could not generate the graph: .*num_nodes must be an integer in 17\.\.100000, got 5/);
    await page.fill('#ds-nodes', String(fixture.dataset.numNodes));

    // Still working: the synthetic graph is still there and renders the native weights.
    const node = fixture.nodes[1];
    await selectNode(page, node);
    const doc = await exportJson(page);
    assert.equal(doc.dataset.kind, 'synthetic');
    const ref = referenceFor(doc.current.mechanism, doc.current.options);
    assert.ok(ref, `a native reference for ${doc.current.mechanism} ${JSON.stringify(doc.current.options)}`);
    assert.ok(maxAbsDiff(doc.current.weights, ref.weights[node], 'after errors') <= WEIGHT_TOL);
    assert.deepEqual(opened.problems, []);
  });

  test('a mechanism that cannot run shows its error, never the previous weights under its name', async () => {
    const { page } = opened;
    await page.check('input[name="source"][value="file"]');
    await page.setInputFiles('#file-edges', []);
    await page.fill('#file-k', '4');
    const csv = Array.from({ length: 20 }, (_, i) => Math.sin(i).toFixed(5)).join('\n');  // 1-D vectors
    let before = await renderCount(page);
    await page.setInputFiles('#file-vectors', { name: 'line.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.click('#file-load');
    await waitRender(page, before);
    await chooseMechanism(page, 'ScaledDotProductAttention');
    assert.equal((await exportJson(page)).current.mechanism, 'ScaledDotProductAttention');
    await chooseMechanism(page, 'MixedCurvatureAttention');  // needs dim >= 2 to split
    const view = await page.evaluate(() => JSON.parse(document.body.dataset.view));
    assert.match(view.error, /^MixedCurvatureAttention: /);
    assert.match(await page.textContent('#config-message'), /MixedCurvatureAttention: .*dim 1/);
    assert.match(await page.textContent('#graph-view'), /MixedCurvatureAttention: .*nothing to show/);
    assert.equal(await page.$$eval('#heatmap-table tbody tr', (rows) => rows.length), 0, 'no weights in the table');
    assert.equal(await page.$$eval('#graph-view line[data-node]', (ls) => ls.length), 0, 'no weighted edges');
    assert.equal(await page.$$eval('#compare-table tbody tr', (rows) => rows.length), 0, 'no comparison');
    for (const card of ['#poincare-card', '#distance-card']) {
      assert.ok(await page.$eval(card, (el) => el.hidden).catch(() => true), `${card} hidden`);
    }
    before = await renderCount(page);
    await page.selectOption('#mechanism', 'ScaledDotProductAttention');
    await waitRender(page, before, { mechanism: 'ScaledDotProductAttention' });
    checkSumsToOne((await exportJson(page)).current.weights, 'after the error');
    assert.equal(await page.textContent('#config-message'), '');
    assert.deepEqual(opened.problems, []);
  });

  test('user data loads from CSV (kNN) and JSON with edges, and renders weights', async () => {
    const { page } = opened;
    await page.check('input[name="source"][value="file"]');
    await page.setInputFiles('#file-edges', []);
    const rows = Array.from({ length: 40 }, (_, i) => [`item${i}`, ...Array.from({ length: 8 }, (_, k) => Math.sin(i * 8 + k).toFixed(5))]);
    const csv = `name,${Array.from({ length: 8 }, (_, k) => `x${k}`).join(',')}\n${rows.map((r) => r.join(',')).join('\n')}\n`;
    await page.fill('#file-k', '6');
    let before = await renderCount(page);
    await page.setInputFiles('#file-vectors', { name: 'mine.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.click('#file-load');
    await waitRender(page, before);
    let doc = await exportJson(page);
    assert.equal(doc.dataset.kind, 'file');
    assert.equal(doc.dataset.numNodes, 40);
    assert.equal(doc.dataset.dim, 8);
    assert.equal(doc.neighbours.length, 6);
    assert.match(doc.neighbourLabels[0], /^item\d+$/);
    checkSumsToOne(doc.current.weights, 'csv data');
    assert.match(await page.textContent('#data-message'), /Loaded 40 vectors of dim 8/);

    const json = { vectors: [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]], edges: [[0, 1], [0, 2], [0, 3], [1, 0]] };
    before = await renderCount(page);
    await page.setInputFiles('#file-vectors', { name: 'graph.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(json)) });
    await page.click('#file-load');
    await waitRender(page, before);
    doc = await exportJson(page);
    assert.equal(doc.node, 0);
    assert.deepEqual([...doc.neighbours].sort(), [1, 2, 3]);
    checkSumsToOne(doc.current.weights, 'json data');
    assert.deepEqual(opened.problems, []);
  });

  test('every control is reachable with the keyboard', async () => {
    const { page } = opened;
    await page.check('input[name="source"][value="synthetic"]');
    await page.focus('body');
    const seen = new Set();
    for (let i = 0; i < 120; i++) {  // enough to pass every graph node too
      await page.keyboard.press('Tab');
      seen.add(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName));
    }
    for (const id of ['ds-nodes', 'ds-dim', 'ds-generate', 'node', 'node-random', 'mechanism', 'export-json', 'export-png', 'heatmap']) {
      assert.ok(seen.has(id), `#${id} is reachable with Tab (reached: ${[...seen].join(', ')})`);
    }
  });

  test('the view exports as PNG; a screenshot is saved', async () => {
    const { page } = opened;
    let before = await renderCount(page);
    await page.click('#ds-generate');  // back to the synthetic graph of the fixture
    await waitRender(page, before);
    await chooseMechanism(page, 'MultiHeadAttention');
    await selectNode(page, fixture.nodes[2]);
    const png = pngSize(await exportPng(page));
    assert.ok(png.width > 800 && png.height > 400, `PNG is ${png.width}x${png.height}`);
    // The screenshot shows the hub of the top HNSW layer: long-range links and many neighbours.
    const before2 = await renderCount(page);
    await page.click('#node-hub');
    await waitRender(page, before2);
    const shot = path.join(ARTIFACTS, 'visualizer.png');
    await page.screenshot({ path: shot, fullPage: true });
    const readme = path.join(ROOT, 'docs', 'visualizer.png');
    if (process.env.RUVECTOR_UPDATE_SCREENSHOT === '1' || !existsSync(readme)) copyFileSync(shot, readme);
    assert.deepEqual(opened.problems, []);
  });
});

describe('main-thread mode (?worker=0)', () => {
  let opened;
  before(async () => { opened = await bootPage('?worker=0'); });
  after(async () => { await opened?.context.close(); });

  test('the same reference cases give the native weights on the main thread', async (t) => {
    t.diagnostic(opened.report);
    assert.match(await opened.page.textContent('#runtime-info'), /main thread/);
    await checkReferenceCases(opened.page, 'main');
    assert.deepEqual(opened.problems, []);
  });
});
