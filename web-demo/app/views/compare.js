// Side-by-side comparison of every mechanism on the same query and keys:
// the weights (as a small bar strip), max weight, entropy, top-k mass and timing.

import { makeScale } from '../colors.js';
import { entropy, normalizedEntropy, topKMass, meanRows } from '../stats.js';

const COLUMNS = ['mechanism', 'heads', 'weights (mean over heads)', 'max', 'entropy', 'entropy / ln n', 'top-k mass', 'time (ms)'];

/**
 * @param {HTMLTableElement} table
 * @param {object[]} results  [{name, weights?: number[][], timeMs?, error?}]
 * @param {object} opts       {k, current, onSelect(name)}
 */
export function renderComparison(table, results, { k, current, onSelect }) {
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  COLUMNS.forEach((label) => {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = label === 'top-k mass' ? `top-${k} mass` : label;
    head.append(th);
  });
  const body = table.createTBody();
  for (const r of results) {
    const tr = body.insertRow();
    tr.dataset.mechanism = r.name;
    if (r.name === current) tr.setAttribute('aria-current', 'true');
    const nameCell = document.createElement('th');
    nameCell.scope = 'row';
    const pick = document.createElement('button');
    pick.type = 'button';
    pick.className = 'linkish';
    pick.textContent = r.name;
    pick.title = `Show ${r.name} in the views above`;
    pick.addEventListener('click', () => onSelect(r.name));
    nameCell.append(pick);
    tr.append(nameCell);
    if (r.error) {
      const td = tr.insertCell();
      td.colSpan = COLUMNS.length - 1;
      td.className = 'err';
      td.textContent = r.error;
      continue;
    }
    const s = summarize(r.weights, k);
    tr.insertCell().textContent = String(r.weights.length);
    tr.insertCell().append(sparkline(s.mean));
    for (const [key, value, digits] of [['max', s.max, 4], ['entropy', s.entropy, 3],
      ['normalized-entropy', s.normalizedEntropy, 3], ['top-k', s.topK, 4], ['time', r.timeMs, 2]]) {
      const td = tr.insertCell();
      td.textContent = value.toFixed(digits);
      td.dataset[camel(key)] = String(value);
    }
  }
}

/** Numbers for one mechanism's (H, n) weights; entropy and top-k are averaged over heads. */
export function summarize(weights, k) {
  const mean = meanRows(weights);
  const avg = (f) => weights.reduce((acc, row) => acc + f(row), 0) / weights.length;
  return {
    mean,
    max: Math.max(...mean),
    entropy: avg(entropy),
    normalizedEntropy: avg(normalizedEntropy),
    topK: avg((row) => topKMass(row, k)),
  };
}

function sparkline(row) {
  const scale = makeScale(0, Math.max(...row) || 1);
  const box = document.createElement('span');
  box.className = 'spark';
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', `weights nearest first: ${row.map((w) => w.toFixed(3)).join(', ')}`);
  for (const w of row) {
    const bar = document.createElement('span');
    bar.style.height = `${Math.max(1, 22 * scale.t(w))}px`;
    bar.style.background = scale.color(w);
    box.append(bar);
  }
  return box;
}

function camel(key) {
  return key.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}
