// The "graph" family section of js/bench/bench.mjs. Graph-aware mechanisms from Node: one query, n = 1000 keys resident in
// the wasm heap, d = 128, p50 per call next to scaled dot-product attention on the
// same keys in the same run. GraphRoPE with hop distances (1..6: a handful of
// distinct rotations) and with all-distinct fractional distances; HNSW-aware with
// layers 0..3; structural with 3 features; cross-space over 2 x n neighbours.
// Metadata is passed as plain number arrays (number[], number[][]); each field is
// copied into a typed-array slot of the bridge, which is part of what a call costs.
// "x SDPA" divides by SDPA through Python, the route these mechanisms take (no kernel
// plan; timing.mjs).
import { bothRoutes, p50 } from './timing.mjs';

export async function bench(rt, randomF32, { d = 128, n = 1000, quick = false } = {}) {
  const q = randomF32(d, 51);
  const K = rt.matrix(randomF32(n * d, 52), n), V = rt.matrix(randomF32(n * d, 53), n), L = rt.matrix(randomF32(n * d, 54), n);
  const u = randomF32(4 * n, 55);  // seeded uniforms in [-1, 1) for the metadata
  const hops = Array.from({ length: n }, (_, j) => 1 + Math.floor((u[j] + 1) * 3));
  const frac = Array.from({ length: n }, (_, j) => (u[n + j] + 1) * 3);
  const layers = Array.from({ length: n }, (_, j) => Math.floor((u[2 * n + j] + 1) * 2));
  const feats = Array.from({ length: n }, (_, j) => [1 + j % 40, (u[3 * n + j] + 1) / (2 * n), (u[j] + 1) / 2]);
  const m = {
    sdpa: await rt.create('ScaledDotProductAttention', { dim: d }),
    rope: await rt.create('GraphRoPE', { dim: d }),
    hnsw: await rt.create('HNSWAwareAttention', { dim: d, maxLayers: 16 }),
    structural: await rt.create('StructuralAttention', { dim: d, structuralDim: 3 }),
    cross: await rt.create('CrossSpaceAttention', { dim: d }),
  };
  const calls = {
    'graph-rope hops': () => m.rope.forwardWithMetadata(q, K, V, { distances: hops }),
    'graph-rope fractional': () => m.rope.forwardWithMetadata(q, K, V, { distances: frac }),
    'hnsw-aware': () => m.hnsw.forwardWithMetadata(q, K, V, { hnswLayers: layers }),
    structural: () => m.structural.forwardWithMetadata(q, K, V, { structuralFeatures: feats }),
    'cross-space (2 x n)': () => m.cross.forwardCross(q, K, L),
  };
  const samples = quick ? 15 : 150;
  const sdpa = bothRoutes(rt, () => m.sdpa.forward(q, K, V), samples);
  const rows = [{ mechanism: 'sdpa via Python', n, p50: sdpa.viaPython }, { mechanism: 'sdpa (direct)', n, p50: sdpa.direct },
    ...Object.entries(calls).map(([name, fn]) => ({ mechanism: name, n, p50: p50(fn, samples) }))];
  for (const r of rows) r.xSdpa = r.p50 / rows[0].p50;
  for (const x of [...Object.values(m), K, V, L]) x.dispose();
  return { d, n, rows };
}

export function print(result) {
  console.log(`\ngraph-aware attention from Node, one query, n = ${result.n}, d = ${result.d}, keys resident`);
  console.log(`  ${'mechanism'.padEnd(24)}${'p50 µs'.padStart(10)}${'x SDPA'.padStart(9)}`);
  for (const r of result.rows) {
    console.log(`  ${r.mechanism.padEnd(24)}${r.p50.toFixed(1).padStart(10)}${r.xSdpa.toFixed(2).padStart(9)}`);
  }
}
