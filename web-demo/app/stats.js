// Summary numbers for one row of attention weights (a probability vector).

/** Shannon entropy in nats; 0·ln 0 = 0. A uniform row over n keys gives ln n. */
export function entropy(row) {
  let h = 0;
  for (const p of row) if (p > 0) h -= p * Math.log(p);
  return h;
}

/** Entropy divided by ln n: 0 = all mass on one key, 1 = uniform. */
export function normalizedEntropy(row) {
  return row.length > 1 ? entropy(row) / Math.log(row.length) : 0;
}

/** Mass of the k largest weights. */
export function topKMass(row, k) {
  return Array.from(row).sort((a, b) => b - a).slice(0, k).reduce((s, x) => s + x, 0);
}

export function sum(row) {
  let s = 0;
  for (const x of row) s += x;
  return s;
}

/** Element-wise mean of equal-length rows. */
export function meanRows(rows) {
  const out = new Float64Array(rows[0].length);
  for (const row of rows) row.forEach((x, j) => { out[j] += x / rows.length; });
  return Array.from(out);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Index of the largest value (first one on ties). */
export function argmax(row) {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}
