// The colour scale of every view: viridis (perceptually uniform, colour-blind safe).
// Stops are matplotlib's viridis sampled at 0, 1/8, …, 1 (CC0); linear in between.

const VIRIDIS = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** RGB triple for t in [0, 1] (clamped; NaN maps to 0). */
export function viridis(t) {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const pos = x * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(pos));
  const f = pos - i;
  return VIRIDIS[i].map((a, c) => Math.round(a + (VIRIDIS[i + 1][c] - a) * f));
}

export function rgb([r, g, b]) {
  return `rgb(${r}, ${g}, ${b})`;
}

/** A scale from [lo, hi] to colours; lo == hi maps everything to the bottom colour. */
export function makeScale(lo, hi) {
  const span = hi - lo;
  const t = (v) => (span > 0 ? (v - lo) / span : 0);
  return { lo, hi, t, color: (v) => rgb(viridis(t(v))) };
}

/** Dark text on light cells, light text on dark ones. */
export function textColorOn([r, g, b]) {
  return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#111' : '#fff';
}
