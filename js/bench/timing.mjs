// Shared by the per-family Node benchmarks (sparse, graph, geometric).

/** p50 in µs of single fn() calls, after a short warm-up. */
export function p50(fn, samples) {
  for (let i = 0; i < 5; i++) fn();
  const t = [];
  for (let i = 0; i < samples; i++) { const t0 = performance.now(); fn(); t.push((performance.now() - t0) * 1000); }
  return t.sort((a, b) => a - b)[samples >> 1];
}

/**
 * p50 of fn on both routes from JS: `direct` as the API runs it (a mechanism with a
 * kernel plan calls the kernel itself, js/src/direct.ts) and `viaPython` with that
 * switched off (JS → Python → ctypes → kernel). "x SDPA" columns divide route by route:
 * dividing a Python-route time by SDPA's direct one would measure the route (~14 µs a
 * call), not the mechanism.
 */
export function bothRoutes(rt, fn, samples) {
  const internals = rt[Symbol.for('ruvector-attention.internals')];
  internals.useDirect(false);
  let viaPython;
  try { viaPython = p50(fn, samples); } finally { internals.useDirect(true); }
  return { viaPython, direct: p50(fn, samples) };
}
