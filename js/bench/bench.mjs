// Node benchmark (`./build.sh bench` runs it after the Python one):
//
//  1. the kernel alone: js/bench/kernel_timer.c timing rv_attend natively (AVX2)
//     and compiled to standalone wasm (SIMD128) run under node:wasi;
//  2. the npm API from Node (JS → Pyodide → kernel): SDPA at n = 100, 1000,
//     10000 and multi-head h = 4 at n = 1000, d = 128, with flat input copied
//     in, keys/values already resident in the wasm heap, and Float32Array[];
//  3. gzipped sizes: the wasm kernel, our wheel, the whole dist/ folder;
//  4. one section per mechanism family of the catalogue (js/bench/<family>.mjs);
//  5. cold start: Node init() and the visualizer's time to first weights (coldstart.mjs).
//
// Timings are per call: batches of calls timed together (so timer overhead
// does not count), p50 / p95 over the batches, ops/s = 1 / mean.
// Usage: node js/bench/bench.mjs [--quick] [--json out.json]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';
import { gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'build', 'bench');
const QUICK = process.argv.includes('--quick');
const JSON_OUT = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : join(OUT, 'node-bench.json');
const D = 128;
const SIZES = [100, 1000, 10000];

// Targets (µs, p50, SDPA n = 1000, d = 128).
const TARGETS = { flat: 40, resident: 25, 'Float32Array[]': 80, kernelRatio: 2.5, kernelGzipKB: 64 };

mkdirSync(OUT, { recursive: true });

// ----------------------------------------------------------------- data

function randomF32(n, seed) {  // mulberry32, uniform in [-1, 1)
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function rowsOf(flat, n, d) {
  return Array.from({ length: n }, (_, i) => flat.slice(i * d, (i + 1) * d));
}

// ----------------------------------------------------------------- timing

function measure(fn, { n }) {
  const reps = n >= 10000 ? 1 : n >= 1000 ? 4 : 40;
  const samples = QUICK ? 60 : 300;
  for (let i = 0; i < 30 * reps; i++) fn();  // warm up: JIT, buffer sizes
  const t = new Float64Array(samples);
  for (let k = 0; k < samples; k++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    t[k] = ((performance.now() - t0) * 1000) / reps;
  }
  const sorted = Array.from(t).sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / samples;
  return { p50: sorted[Math.floor(samples / 2)], p95: sorted[Math.floor(samples * 0.95)], opsPerSec: 1e6 / mean };
}

async function measureAsync(fn, { n }) {
  const samples = QUICK ? 60 : 300;
  for (let i = 0; i < 30; i++) await fn();
  const t = [];
  for (let k = 0; k < samples; k++) {
    const t0 = performance.now();
    await fn();
    t.push((performance.now() - t0) * 1000);
  }
  t.sort((a, b) => a - b);
  void n;
  return { p50: t[Math.floor(samples / 2)], p95: t[Math.floor(samples * 0.95)], opsPerSec: 1e6 / (t.reduce((a, b) => a + b, 0) / samples) };
}

// ----------------------------------------------------------------- 1. kernel alone

function newer(target, sources) {
  return existsSync(target) && sources.every(s => statSync(s).mtimeMs <= statSync(target).mtimeMs);
}

function kernelTimers() {
  const src = join(ROOT, 'wasm', 'src');
  const sources = [join(ROOT, 'js', 'bench', 'kernel_timer.c'), join(src, 'kernels.c'), join(src, 'simd.h'),
    join(ROOT, 'wasm', 'include', 'ruvector.h')];
  const common = ['-O3', '-fno-math-errno', `-I${join(ROOT, 'wasm', 'include')}`, '-DRV_VERSION="bench"'];
  const native = join(OUT, 'kernel_timer_native');
  if (!newer(native, sources)) {
    execFileSync('cc', [...common, '-mavx2', '-mfma', '-DRV_ISA_AVX2', '-DRV_ISA_SUFFIX=avx2', '-DRV_BENCH_ISA=avx2',
      sources[0], sources[1], '-o', native, '-lm']);
  }
  const wasm = join(OUT, 'kernel_timer.wasm');
  if (!newer(wasm, sources)) {
    execFileSync('emcc', [...common, '-msimd128', '-sSTANDALONE_WASM', '-sWASM_BIGINT', '-DRV_ISA_WASM128',
      '-DRV_ISA_SUFFIX=wasm128', '-DRV_BENCH_ISA=wasm128', sources[0], sources[1], '-o', wasm]);
  }
  // The kernel module on its own (no timer, no main), as its size target counts it.
  const kernelOnly = join(OUT, 'kernel.wasm');
  if (!newer(kernelOnly, sources.slice(1))) {
    execFileSync('emcc', [...common, '-msimd128', '-sSTANDALONE_WASM', '-sWASM_BIGINT', '--no-entry',
      '-DRV_ISA_WASM128', '-DRV_ISA_SUFFIX=wasm128', '-sEXPORTED_FUNCTIONS=_rv_attend_wasm128,_malloc,_free',
      sources[1], '-o', kernelOnly]);
  }
  return { native, wasm, kernelOnly };
}

async function runWasi(file, args) {
  let stdout = '';
  const decoder = new TextDecoder();
  const wasi = new WASI({ version: 'preview1', args: ['kernel_timer', ...args], returnOnExit: true });
  const module = await WebAssembly.compile(readFileSync(file));
  const imports = wasi.getImportObject();
  // capture fd_write to stdout without touching the process's own stdout
  const instance = await WebAssembly.instantiate(module, {
    ...imports,
    wasi_snapshot_preview1: {
      ...imports.wasi_snapshot_preview1,
      fd_write(fd, iovs, iovsLen, nwritten) {
        if (fd !== 1) return imports.wasi_snapshot_preview1.fd_write(fd, iovs, iovsLen, nwritten);
        const mem = new DataView(instance.exports.memory.buffer);
        let total = 0;
        for (let i = 0; i < iovsLen; i++) {
          const ptr = mem.getUint32(iovs + 8 * i, true), len = mem.getUint32(iovs + 8 * i + 4, true);
          stdout += decoder.decode(new Uint8Array(instance.exports.memory.buffer, ptr, len));
          total += len;
        }
        mem.setUint32(nwritten, total, true);
        return 0;
      },
    },
  });
  wasi.start(instance);
  return stdout;
}

// ----------------------------------------------------------------- 2. the API

async function apiBench(lib) {
  const rt = await lib.init();
  const rows = [];
  const add = (what, n, variant, r) => rows.push({ what, n, variant, ...r });
  const q = randomF32(D, 1);
  const sdpa = new rt.ScaledDotProductAttention({ dim: D });
  const internals = rt[Symbol.for('ruvector-attention.internals')];
  for (const n of SIZES) {
    const K = randomF32(n * D, 2), V = randomF32(n * D, 3);
    const flatK = { data: K, rows: n }, flatV = { data: V, rows: n };
    const mk = rt.matrix(K, n), mv = rt.matrix(V, n);
    const rk = rowsOf(K, n, D), rv = rowsOf(V, n, D);
    // SDPA forward calls the kernel from JS (js/src/direct.ts); "via Python" rows switch that
    // off to show what the JS→Python→ctypes layers cost.
    for (const direct of [true, false]) {
      internals.useDirect(direct);
      const tag = direct ? '' : ' via Python';
      add('sdpa', n, 'flat' + tag, measure(() => sdpa.forward(q, flatK, flatV), { n }));
      add('sdpa', n, 'resident' + tag, measure(() => sdpa.forward(q, mk, mv), { n }));
      add('sdpa', n, 'Float32Array[]' + tag, measure(() => sdpa.forward(q, rk, rv), { n }));
    }
    internals.useDirect(true);
    mk.dispose(); mv.dispose();
  }
  const n = 1000;
  const K = randomF32(n * D, 4), V = randomF32(n * D, 5);
  const mha = new rt.MultiHeadAttention({ dim: D, numHeads: 4 });
  add('mha h=4', n, 'flat', measure(() => mha.forward(q, { data: K, rows: n }, { data: V, rows: n }), { n }));
  const mk = rt.matrix(K, n), mv = rt.matrix(V, n);
  add('mha h=4', n, 'resident', measure(() => mha.forward(q, mk, mv), { n }));
  const rk = rowsOf(K, n, D), rv = rowsOf(V, n, D);
  add('mha h=4', n, 'Float32Array[]', measure(() => mha.forward(q, rk, rv), { n }));

  const wrt = await lib.init({ worker: true });
  const ws = await wrt.create('ScaledDotProductAttention', { dim: D });
  add('sdpa (worker round trip)', n, 'flat', await measureAsync(() => ws.forward(q, { data: K, rows: n }, { data: V, rows: n }), { n }));
  await wrt.terminate();
  return { rows, versions: rt.versions };
}

// ----------------------------------------------------------------- 3. sizes

function gz(file) { return gzipSync(readFileSync(file), { level: 9 }).length; }

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function sizes(kernelOnly) {
  const dist = join(ROOT, 'dist');
  const lock = JSON.parse(readFileSync(join(dist, 'pyodide', 'pyodide-lock.json'), 'utf8'));
  const wheel = join(dist, 'pyodide', lock.packages['ruvector-attention'].file_name);
  const files = walk(dist);
  return {
    sideModule: { bytes: statSync(join(ROOT, 'build', 'wasm', 'libruvector_kernel.so')).size, gzip: gz(join(ROOT, 'build', 'wasm', 'libruvector_kernel.so')) },
    standaloneKernel: { bytes: statSync(kernelOnly).size, gzip: gz(kernelOnly) },
    wheel: { bytes: statSync(wheel).size, gzip: gz(wheel) },
    dist: { bytes: files.reduce((a, f) => a + statSync(f).size, 0), gzip: files.reduce((a, f) => a + gz(f), 0), files: files.length },
  };
}

// ----------------------------------------------------------------- report

const us = x => x.toFixed(1).padStart(8);
const kb = x => `${(x / 1024).toFixed(1)} KB`;

const timers = kernelTimers();
const native = JSON.parse(execFileSync(timers.native, SIZES.map(String), { encoding: 'utf8' }));
const wasm = JSON.parse(await runWasi(timers.wasm, SIZES.map(String)));
const lib = await import(join(ROOT, 'dist', 'node', 'index.mjs'));
const api = await apiBench(lib);
// One section per mechanism family of the catalogue that has a js/bench/<family>.mjs
// (exporting bench(rt, randomF32, { quick }) and print(result)).
const families = {};
for (const family of new Set((await lib.init()).mechanisms().map(m => m.family))) {
  const file = join(ROOT, 'js', 'bench', `${family}.mjs`);
  if (!existsSync(file)) continue;
  const section = await import(file);
  families[family] = { section, result: await section.bench(await lib.init(), randomF32, { quick: QUICK }) };
}
const size = sizes(timers.kernelOnly);
const { coldStartBench, printColdStart } = await import('./coldstart.mjs');
const coldStart = await coldStartBench(ROOT, { quick: QUICK });

console.log(`\nNode ${process.version}, Pyodide ${api.versions.pyodide}, kernel ${api.versions.isa}; d = ${D}, one query, per call`);
console.log('\nkernel alone (rv_attend, no host layer)           p50 µs   p95 µs');
for (let i = 0; i < SIZES.length; i++) {
  console.log(`  native AVX2        n = ${String(SIZES[i]).padEnd(6)}                ${us(native[i].p50)} ${us(native[i].p95)}`);
  console.log(`  wasm SIMD128 (wasi) n = ${String(SIZES[i]).padEnd(6)}               ${us(wasm[i].p50)} ${us(wasm[i].p95)}   ${(wasm[i].p50 / native[i].p50).toFixed(2)}x native`);
}
console.log('\nfrom Node through the npm API                                 p50 µs   p95 µs    ops/s');
for (const r of api.rows) {
  console.log(`  ${(r.what + ' n = ' + r.n).padEnd(34)} ${r.variant.padEnd(26)}${us(r.p50)} ${us(r.p95)} ${r.opsPerSec.toFixed(0).padStart(8)}`);
}
const at = variant => api.rows.find(r => r.what === 'sdpa' && r.n === 1000 && r.variant === variant).p50;
const ratio = wasm[1].p50 / native[1].p50;
console.log('\ntargets (SDPA n = 1000):');
for (const v of ['flat', 'resident', 'Float32Array[]']) {
  console.log(`  ${v.padEnd(15)} ${at(v).toFixed(1)} µs (target ≤ ${TARGETS[v]} µs) ${at(v) <= TARGETS[v] ? 'met' : 'MISSED'}`);
}
console.log(`  wasm kernel / native kernel = ${ratio.toFixed(2)} (target ≤ ${TARGETS.kernelRatio}) ${ratio <= TARGETS.kernelRatio ? 'met' : 'MISSED'}`);
console.log('\nsizes (gzip -9)');
console.log(`  wasm kernel side module   ${kb(size.sideModule.bytes)} → ${kb(size.sideModule.gzip)} (target ≤ ${TARGETS.kernelGzipKB} KB)`);
console.log(`  standalone kernel.wasm    ${kb(size.standaloneKernel.bytes)} → ${kb(size.standaloneKernel.gzip)}`);
console.log(`  wheel                     ${kb(size.wheel.bytes)} → ${kb(size.wheel.gzip)}`);
console.log(`  dist/ (${size.dist.files} files)         ${kb(size.dist.bytes)} → ${kb(size.dist.gzip)}`);
for (const { section, result } of Object.values(families)) section.print(result);
printColdStart(coldStart);
const sections = Object.fromEntries(Object.entries(families).map(([family, { result }]) => [family, result]));
writeFileSync(JSON_OUT, JSON.stringify({ node: process.version, versions: api.versions, kernel: { native, wasm }, api: api.rows, sizes: size, ...sections, coldStart }, null, 1));
console.log(`\n(JSON: ${JSON_OUT})`);
