// Sparse / efficient attention panel, shown when the selected mechanism is
// one of them:
//   LocalGlobalAttention  the mask pattern over the query's neighbours (nearest first):
//                         L = local window, G = global (highest HNSW layers), · = skipped,
//                         computed with the neighbours' HNSW layers as metadata;
//   LinearAttention       the approximation error against exact softmax attention for
//                         the selected query: relative L2 error of the output and total
//                         variation of the weights, at the configured features and at
//                         64 / 256 / 1024;
//   FlashAttention        the key blocks and the largest weight difference from exact
//                         scaled dot-product attention (flash is exact).
// The card carries its numbers in data-sparse (JSON) for tests; nothing is read from pixels.

import { wideCard } from './card.js';

export const SPARSE_MECHANISMS = new Set(['LocalGlobalAttention', 'LinearAttention', 'FlashAttention']);
const FEATURE_STUDY = [64, 256, 1024];

/** The numbers the panel shows; `rt` is the page's DemoRuntime (rt.rt the library runtime). */
export async function sparseDetails(rt, { mechanism, options, query, keys, n, layers }) {
  const flat = () => ({ data: keys.slice(), rows: n });
  const exact = await rt.rt.create('ScaledDotProductAttention', { dim: options.dim });
  try {
    const wExact = Array.from(await exact.attentionWeights(query.slice(), flat()));
    if (mechanism === 'LocalGlobalAttention') {
      const mech = await rt.rt.create(mechanism, options);
      try {
        const metadata = { hnswLayers: Array.from(layers) };
        const mask = Array.from(await mech.attentionMask(n, metadata));
        const weights = Array.from(await mech.attentionWeights(query.slice(), flat(), { metadata }));
        const cells = mask.map((m, j) => (!m ? 'none' : j < options.localWindow ? 'local' : 'global'));
        return { kind: 'mask', n, cells, weights, attended: mask.reduce((a, b) => a + b, 0),
          budget: options.localWindow + options.globalNodes };
      } finally { await mech.dispose(); }
    }
    if (mechanism === 'LinearAttention') {
      const outExact = Array.from(await exact.forward(query.slice(), flat(), flat()));
      const rows = [];
      for (const m of [...new Set([options.numFeatures, ...FEATURE_STUDY])]) {
        const lin = await rt.rt.create(mechanism, { ...options, numFeatures: m });
        try {
          const w = Array.from(await lin.attentionWeights(query.slice(), flat()));
          const out = Array.from(await lin.forward(query.slice(), flat(), flat()));
          rows.push({ numFeatures: m, configured: m === options.numFeatures,
            outputError: l2(out.map((x, i) => x - outExact[i])) / Math.max(l2(outExact), 1e-30),
            weightsTV: 0.5 * w.reduce((a, x, i) => a + Math.abs(x - wExact[i]), 0) });
        } finally { await lin.dispose(); }
      }
      return { kind: 'linear', n, rows };
    }
    const flash = await rt.rt.create(mechanism, options);
    try {
      const w = Array.from(await flash.attentionWeights(query.slice(), flat()));
      const out = Array.from(await flash.forward(query.slice(), flat(), flat()));
      const outExact = Array.from(await exact.forward(query.slice(), flat(), flat()));
      return { kind: 'flash', n, blockSize: options.blockSize, blocks: Math.ceil(n / options.blockSize),
        maxWeightDiff: Math.max(...w.map((x, i) => Math.abs(x - wExact[i]))),
        maxOutputDiff: Math.max(...out.map((x, i) => Math.abs(x - outExact[i]))) };
    } finally { await flash.dispose(); }
  } finally { await exact.dispose(); }
}

function l2(v) { return Math.sqrt(v.reduce((a, x) => a + x * x, 0)); }

/** The card (created on first use, before the comparison card); hidden for other mechanisms. */
export function sparseCard(views, before) {
  return wideCard(views, before, 'sparse');
}

export function renderSparse(card, mechanism, data) {
  card.hidden = !data;
  card.dataset.sparse = data ? JSON.stringify({ mechanism, ...data }) : '';
  if (!data) return;
  const title = card.querySelector('#sparse-title');
  const body = card.querySelector('#sparse-body');
  body.replaceChildren();
  if (data.kind === 'error') {
    title.textContent = `${mechanism}: details unavailable`;
    body.textContent = data.message;
    return;
  }
  if (data.kind === 'mask') {
    title.textContent = `Sparsity pattern: ${data.attended} of ${data.n} neighbours attended (budget ${data.budget})`;
    const strip = document.createElement('div');
    strip.className = 'mask-strip';
    strip.setAttribute('role', 'img');
    strip.setAttribute('aria-label', `mask: ${data.cells.map((c) => c[0]).join('')}`);
    data.cells.forEach((c, j) => {
      const cell = document.createElement('span');
      cell.className = `mask-cell mask-${c}`;
      cell.textContent = c === 'local' ? 'L' : c === 'global' ? 'G' : '·';
      cell.title = `neighbour ${j}: ${c}${c === 'none' ? '' : `, weight ${data.weights[j].toFixed(4)}`}`;
      strip.append(cell);
    });
    const note = document.createElement('p');
    note.className = 'muted';
    note.textContent = 'L = local window (nearest first), G = global (highest HNSW layers), · = not read at all.';
    body.append(strip, note);
    return;
  }
  const table = document.createElement('table');
  const addRow = (cells, head = false) => {
    const tr = (head ? table.createTHead() : table.tBodies[0] ?? table.createTBody()).insertRow();
    for (const c of cells) {
      const td = document.createElement(head ? 'th' : 'td');
      td.textContent = c;
      tr.append(td);
    }
    return tr;
  };
  if (data.kind === 'linear') {
    title.textContent = `Linear attention vs exact softmax attention on this query (${data.n} keys)`;
    addRow(['features M', 'output rel. error', 'weights total variation'], true);
    for (const r of data.rows) {
      const tr = addRow([`${r.numFeatures}${r.configured ? ' (configured)' : ''}`, r.outputError.toExponential(2), r.weightsTV.toFixed(4)]);
      tr.dataset.features = String(r.numFeatures);
    }
  } else {
    title.textContent = `Flash attention: ${data.blocks} block${data.blocks > 1 ? 's' : ''} of ${data.blockSize} keys, exact`;
    addRow(['max |weight − exact|', 'max |output − exact|'], true);
    addRow([data.maxWeightDiff.toExponential(2), data.maxOutputDiff.toExponential(2)]);
  }
  body.append(table);
}
