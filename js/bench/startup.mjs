// Start-up time of init(): from a fresh Node process (main thread and worker; also
// the process's CPU time, which a busy machine does not inflate the way it does
// wall time) and from a fresh headless Chromium page (main thread and worker) on
// dist/ served from 127.0.0.1. Each is the median of RUNS cold starts (a new
// browser context per page, so an empty cache). Prints a Markdown table.
// Usage: node js/bench/startup.mjs [runs]   (after ./build.sh dist)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../web-demo/serve.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNS = Number(process.argv[2] ?? 5);
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function nodeStart(worker) {
  const dir = mkdtempSync(join(tmpdir(), 'ruvector-startup-'));
  writeFileSync(join(dir, 'start.mjs'), `const t0 = performance.now();
const { init } = await import(${JSON.stringify(join(ROOT, 'dist', 'node', 'index.mjs'))});
const rt = await init({ worker: ${worker} });
const wall = performance.now() - t0;
const cpu = process.cpuUsage();
console.log(JSON.stringify([wall, (cpu.user + cpu.system) / 1000]));
if (rt.terminate) await rt.terminate();`);
  try {
    return JSON.parse(execFileSync(process.execPath, [join(dir, 'start.mjs')], { encoding: 'utf8' }).trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PAGE = `<!doctype html><script type="module">
const worker = location.search === '?worker';
const t0 = performance.now();
const { init } = await import('/dist/ruvector-attention.js');
await init({ worker, indexURL: '/dist/pyodide/' });
document.body.dataset.ms = String(performance.now() - t0);
</script>`;

async function browserStarts(worker) {
  const web = mkdtempSync(join(tmpdir(), 'ruvector-startup-'));
  writeFileSync(join(web, 'index.html'), PAGE);
  const server = await startServer({ port: 0, roots: { web, dist: join(ROOT, 'dist') } });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
  const times = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(server.url + (worker ? '?worker' : ''));
      await page.waitForFunction(() => document.body?.dataset.ms, null, { timeout: 120_000 });
      times.push(Number(await page.evaluate(() => document.body.dataset.ms)));
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
    rmSync(web, { recursive: true, force: true });
  }
  return times;
}

const nodeRuns = worker => Array.from({ length: RUNS }, () => nodeStart(worker));
const [nodeMain, nodeWorker] = [nodeRuns(false), nodeRuns(true)];
const rows = [
  ['Node, main thread', nodeMain.map(r => r[0]), nodeMain.map(r => r[1])],
  ['Node, worker', nodeWorker.map(r => r[0]), nodeWorker.map(r => r[1])],
  ['Chromium, main thread', await browserStarts(false)],
  ['Chromium, worker', await browserStarts(true)],
];
const ms = x => `${x.toFixed(0)} ms`;
console.log(`init() start-up, median of ${RUNS} cold starts [min–max]; load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`);
console.log('| where | wall time | CPU time of the process (Node) |');
console.log('|---|---|---|');
for (const [what, wall, cpu] of rows) {
  const range = t => `${ms(median(t))} [${Math.min(...t).toFixed(0)}–${Math.max(...t).toFixed(0)}]`;
  console.log(`| ${what} | ${range(wall)} | ${cpu ? range(cpu) : ''} |`);
}
