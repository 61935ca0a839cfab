// The "geometric" family section of js/bench/bench.mjs. Geometric mechanisms from Node: one query, n = 100 and 1000 keys resident
// in the wasm heap, d = 128, p50 per call next to scaled dot-product attention on the
// same keys in the same run (target: hyperbolic <= 5x SDPA). Keys / values are points
// of the unit ball (largest norm 0.9); edge-featured (GAT, one head) gets 16 edge
// features per key. Each is timed on both routes (the API's, where hyperbolic calls
// the kernel itself like SDPA, and through Python); "x SDPA" divides route by route.
import { bothRoutes } from './timing.mjs';

const EDGE_DIM = 16;
export const TARGET_HYPERBOLIC_X_SDPA = 5;

/** Scale rows (length multiple of d) into the ball: largest row norm 0.9. */
function inBall(x, d) {
  let largest = 0;
  for (let i = 0; i < x.length; i += d) {
    let s = 0;
    for (let j = i; j < i + d; j++) s += x[j] * x[j];
    largest = Math.max(largest, Math.sqrt(s));
  }
  for (let i = 0; i < x.length; i++) x[i] *= 0.9 / largest;
  return x;
}

export async function bench(rt, randomF32, { d = 128, sizes = [100, 1000], quick = false } = {}) {
  const m = {
    sdpa: await rt.create('ScaledDotProductAttention', { dim: d }),
    hyperbolic: await rt.create('HyperbolicAttention', { dim: d }),
    gat: await rt.create('EdgeFeaturedAttention', { nodeDim: d, edgeDim: EDGE_DIM }),
  };
  const samples = quick ? 15 : 150;
  const rows = [];
  for (const n of sizes) {
    const q = inBall(randomF32(d, 61 + n), d);
    const K = rt.matrix(inBall(randomF32(n * d, 62 + n), d), n), V = rt.matrix(inBall(randomF32(n * d, 63 + n), d), n);
    const E = rt.matrix(randomF32(n * EDGE_DIM, 64 + n), n);
    const calls = {
      sdpa: () => m.sdpa.forward(q, K, V),
      hyperbolic: () => m.hyperbolic.forward(q, K, V),
      [`edge-featured (Fe=${EDGE_DIM})`]: () => m.gat.forwardWithEdges(q, K, V, E),
    };
    const at = Object.entries(calls).map(([name, fn]) => {
      const t = bothRoutes(rt, fn, samples);
      return { mechanism: name, n, p50: t.direct, p50ViaPython: t.viaPython };
    });
    for (const r of at) {
      r.xSdpa = r.p50 / at[0].p50;
      r.xSdpaViaPython = r.p50ViaPython / at[0].p50ViaPython;
    }
    rows.push(...at);
    for (const x of [K, V, E]) x.dispose();
  }
  for (const x of Object.values(m)) x.dispose();
  return { d, rows, targetHyperbolicXSdpa: TARGET_HYPERBOLIC_X_SDPA };
}

export function print(result) {
  console.log(`\ngeometric attention from Node, one query, d = ${result.d}, keys resident`);
  console.log(`  ${'mechanism'.padEnd(24)}${'n'.padStart(6)}${'p50 µs'.padStart(10)}${'x SDPA'.padStart(9)}`
    + `${'via Python µs'.padStart(16)}${'x SDPA'.padStart(9)}`);
  for (const r of result.rows) {
    console.log(`  ${r.mechanism.padEnd(24)}${String(r.n).padStart(6)}${r.p50.toFixed(1).padStart(10)}${r.xSdpa.toFixed(2).padStart(9)}`
      + `${r.p50ViaPython.toFixed(1).padStart(16)}${r.xSdpaViaPython.toFixed(2).padStart(9)}`);
  }
  // the hyperbolic target, on each route (the direct route leaves only the kernels' own ratio)
  const verdict = x => `${x.toFixed(2)}x (${x <= result.targetHyperbolicXSdpa ? 'met' : 'MISSED'})`;
  for (const r of result.rows.filter(x => x.mechanism === 'hyperbolic')) {
    console.log(`  hyperbolic n = ${r.n} / SDPA, target ≤ ${result.targetHyperbolicXSdpa}x: direct ${verdict(r.xSdpa)}, `
      + `via Python ${verdict(r.xSdpaViaPython)}`);
  }
}
