// Cold start (bench.mjs runs it last): Node init() in fresh processes, and the
// visualizer's time to the first rendered weights in fresh headless-Chromium
// contexts (its data-cold-start-ms: navigation start → first weights), each
// with the distribution's memory snapshot and with a copy of dist/ that has
// none (Pyodide then boots itself, as before the snapshot existed).
// Node rows give wall and CPU time (process.cpuUsage, all threads): on a shared
// machine CPU time is the steadier number. p50 of RUNS runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = 3;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** dist/ linked file by file into a scratch folder, without the snapshot's metadata. */
function distWithoutSnapshot(dist) {
  const out = mkdtempSync(join(tmpdir(), 'ruvector-nosnapshot-'));
  const link = (from, to) => {
    mkdirSync(to, { recursive: true });
    for (const f of readdirSync(from)) {
      if (f === 'snapshot.json') continue;
      if (statSync(join(from, f)).isDirectory()) link(join(from, f), join(to, f));
      else symlinkSync(join(from, f), join(to, f));
    }
  };
  link(dist, out);
  return out;
}

/** One init() in a fresh Node process -> {wallMs, cpuMs, stages: {stage: ms}, detail}. */
function nodeInit(dist) {
  const script = `
    const c0 = process.cpuUsage(), t0 = performance.now();
    const lib = await import(${JSON.stringify(join(dist, 'node', 'index.mjs'))});
    const stages = {}, details = [];
    await lib.init({ indexURL: ${JSON.stringify(join(dist, 'pyodide') + '/')},
      onProgress: (s, d) => { stages[s] = Math.round(performance.now() - t0); details.push(d); } });
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, stages,
      snapshot: !details.some(d => d.startsWith('memory snapshot not used')) }));
    process.exit(0);`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

/** Visualizer time to first weights, one fresh browser context per run. */
async function visualizer(root, dist, query, runs) {
  const { chromium } = await import('playwright-core');
  const { startServer } = await import(join(root, 'web-demo', 'serve.mjs'));
  const server = await startServer({ port: 0, roots: { web: join(root, 'web-demo'), dist } });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const out = [];
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(server.url + query);
      await page.waitForFunction(() => document.body.dataset.coldStartMs || document.body.dataset.state === 'error',
        null, { timeout: 120_000 });
      out.push(await page.evaluate(() => ({
        ms: Number(document.body.dataset.coldStartMs),
        marks: Object.fromEntries(performance.getEntriesByType('mark').filter(m => m.name.startsWith('ruvector:'))
          .map(m => [m.name.slice(9), Math.round(m.startTime)])),
      })));
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return out;
}

export async function coldStartBench(root, { quick = false } = {}) {
  const runs = quick ? 2 : RUNS;
  const dist = join(root, 'dist');
  const bare = distWithoutSnapshot(dist);
  const result = { node: {}, chromium: {} };
  try {
    for (const [name, d] of [['snapshot', dist], ['no snapshot', bare]]) {
      const rs = Array.from({ length: runs }, () => nodeInit(d));
      result.node[name] = { wallMs: median(rs.map(r => r.wallMs)), cpuMs: median(rs.map(r => r.cpuMs)),
        snapshotUsed: rs.every(r => r.snapshot), stages: rs[0].stages };
      for (const [mode, query] of [['worker', ''], ['main thread', '?worker=0']]) {
        const vs = await visualizer(root, d, query, runs);
        result.chromium[`${name}, ${mode}`] = { ms: median(vs.map(v => v.ms)), marks: vs[0].marks };
      }
    }
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
  return result;
}

export function printColdStart(r) {
  const ms = x => `${x.toFixed(0).padStart(6)} ms`;
  console.log('\ncold start (p50)                       wall       CPU');
  for (const [name, v] of Object.entries(r.node)) {
    console.log(`  Node init(), ${name.padEnd(12)}  ${ms(v.wallMs)} ${ms(v.cpuMs)}   stages ${JSON.stringify(v.stages)}` +
      (name === 'snapshot' && !v.snapshotUsed ? '  (snapshot NOT used)' : ''));
  }
  for (const [name, v] of Object.entries(r.chromium)) {
    console.log(`  visualizer to first weights, ${name.padEnd(24)} ${ms(v.ms)}   marks ${JSON.stringify(v.marks)}`);
  }
  console.log('  targets: Node init() ≤ 1200 ms, visualizer ≤ 2500 ms on the 2-core machine');
}
