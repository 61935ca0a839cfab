// Shared by the per-family Node benchmarks (sparse, graph, geometric).

/** p50 in µs of single fn() calls, after a short warm-up. */
export function p50(fn, samples) {
  for (let i = 0; i < 5; i++) fn();
  const t = [];
  for (let i = 0; i < samples; i++) { const t0 = performance.now(); fn(); t.push((performance.now() - t0) * 1000); }
  return t.sort((a, b) => a - b)[samples >> 1];
}

/**
 * The reference row of an "x SDPA" column: SDPA's forward timed through the same route as
 * the other mechanisms (JS → Python → ctypes → kernel). From JS, SDPA normally calls the
 * kernel itself (js/src/direct.ts) and the others do not, so dividing by that time would
 * measure the route (~14 µs a call), not the mechanism. Returns the p50 of both routes.
 */
export function sdpaReference(rt, fn, samples) {
  const internals = rt[Symbol.for('ruvector-attention.internals')];
  internals.useDirect(false);
  let viaPython;
  try { viaPython = p50(fn, samples); } finally { internals.useDirect(true); }
  return { viaPython, direct: p50(fn, samples) };
}
