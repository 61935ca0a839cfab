// The "sparse" family section of js/bench/bench.mjs. Scalability of the sparse / efficient mechanisms from Node: one query,
// d = 128, n = 1e3, 1e4, 1e5 keys held resident in the wasm heap (no per-call copy;
// copies cycled past the caches),
// p50 per call and the fitted exponent of time vs n (1 = linear, 0 = flat).
// Linear attention summarises the keys once (setKeys) and then costs O(M·d) a query.
// Peak extra memory of one call: Python's tracemalloc around one JS call (it sees the
// output and every kernel scratch buffer: the kernel itself allocates nothing), plus
// whether that call grew the wasm linear memory. JS-side copies of the DV-float output
// are not counted.

import { p50 } from './timing.mjs';

export const SPARSE_SIZES = [1000, 10000, 100000];
const ROTATION_BYTES = 64 << 20;  // key copies per size: more than the last-level cache

/** Slope of log(time) against log(n), least squares. */
export function fittedExponent(ns, times) {
  const xs = ns.map(Math.log), ys = times.map(Math.log);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length, my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0, den = 0;
  for (let i = 0; i < xs.length; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2; }
  return num / den;
}

const INTERNALS = Symbol.for('ruvector-attention.internals');

/** Peak Python-heap bytes allocated during one fn() (after a warm-up call), and the growth
 *  of the wasm linear memory during it. */
function peakExtra(internals, tracemalloc, fn) {
  fn();  // first-call allocations (caches, buffers grown once) are not per-op costs
  const traced = () => { const t = tracemalloc.get_traced_memory(); const r = t.toJs(); t.destroy(); return r; };
  tracemalloc.reset_peak();
  const heap0 = internals.heapBytes(), [before] = traced();
  fn();
  const [, peak] = traced();
  return { bytes: Math.max(0, peak - before), heapGrowth: internals.heapBytes() - heap0 };
}

export async function bench(rt, randomF32, { d = 128, sizes = SPARSE_SIZES, quick = false } = {}) {
  const mechs = {
    sdpa: await rt.create('ScaledDotProductAttention', { dim: d }),
    flash: await rt.create('FlashAttention', { dim: d, blockSize: 64 }),
    linear: await rt.create('LinearAttention', { dim: d, numFeatures: 256 }),
    'local-global': await rt.create('LocalGlobalAttention', { dim: d, localWindow: 16, globalNodes: 4 }),
  };
  const q = randomF32(d, 41);
  const internals = rt[INTERNALS];
  const tracemalloc = internals.pyimport('tracemalloc');
  const rows = [];
  for (const n of sizes) {
    // cycle through key copies that together exceed the caches (as the Python benchmark
    // does), so every n is timed streaming from memory, not small n from cache
    const copies = Math.max(1, Math.floor(ROTATION_BYTES / (2 * n * d * 4)));
    const sets = Array.from({ length: copies }, (_, i) =>
      [rt.matrix(randomF32(n * d, 42 + 2 * i), n), rt.matrix(randomF32(n * d, 43 + 2 * i), n)]);
    let turn = 0;
    const next = () => sets[(turn = (turn + 1) % copies)];
    mechs.linear.setKeys(...sets[0]);
    const samples = quick ? 15 : n >= 100000 ? 40 : 150;
    const calls = {
      sdpa: () => mechs.sdpa.forward(q, ...next()),
      flash: () => mechs.flash.forward(q, ...next()),
      linear: () => mechs.linear.forwardPrepared(q),
      'local-global': () => mechs['local-global'].forward(q, ...next()),
    };
    for (const [name, fn] of Object.entries(calls)) rows.push({ mechanism: name, n, p50: p50(fn, samples) });
    tracemalloc.start();  // after the timings: tracing slows every allocation
    try {
      for (const [name, fn] of Object.entries(calls)) {
        const m = peakExtra(internals, tracemalloc, fn);
        Object.assign(rows.find(r => r.mechanism === name && r.n === n), { peakExtraBytes: m.bytes, heapGrowth: m.heapGrowth });
      }
    } finally {
      tracemalloc.stop();
    }
    for (const [K, V] of sets) { K.dispose(); V.dispose(); }
  }
  for (const m of Object.values(mechs)) m.dispose();
  tracemalloc.destroy();
  const summary = Object.keys(mechs).map(name => {
    const mine = rows.filter(r => r.mechanism === name);
    return {
      mechanism: name, exponent: fittedExponent(mine.map(r => r.n), mine.map(r => r.p50)),
      memoryGrowthBytes: mine[mine.length - 1].peakExtraBytes - mine[0].peakExtraBytes,
    };
  });
  return { d, sizes, rows, summary };
}

export function print(result) {
  const head = result.sizes.map(n => `n=${n} µs`.padStart(14)).join('');
  console.log(`\nscalability from Node, one query, d = ${result.d}, keys resident (linear: setKeys once)`);
  console.log(`  ${'mechanism'.padEnd(14)}${head}  exponent  peak extra bytes (by n; Python heap)`);
  for (const s of result.summary) {
    const mine = result.sizes.map(n => result.rows.find(r => r.mechanism === s.mechanism && r.n === n));
    const t = mine.map(r => r.p50.toFixed(1).padStart(14)).join('');
    const mem = mine.map(r => String(r.peakExtraBytes)).join(' / ');
    console.log(`  ${s.mechanism.padEnd(14)}${t}  ${s.exponent.toFixed(2).padStart(8)}  ${mem}`);
  }
  const grew = result.rows.filter(r => r.heapGrowth > 0);
  console.log(grew.length
    ? `  wasm memory grew during: ${grew.map(r => `${r.mechanism} n=${r.n} (+${r.heapGrowth} B)`).join(', ')}`
    : '  no measured call grew the wasm linear memory');
}
