// Heatmap of attention weights: one row per head, one column per neighbour
// (nearest first), on a canvas with a colour scale, hover values, arrow-key
// navigation, and the same numbers as a table (the text alternative; there,
// one row per neighbour).

import { makeScale, viridis, rgb, textColorOn } from '../colors.js';
import { sum } from '../stats.js';

const ROW_H = 30;
const LABEL_W = 64;
const HEAD_H = 48;  // room for upright column labels (node ids)

/**
 * @param {object} el        {canvas, tip, legend, table}
 * @param {object} data
 * @param {number[][]} data.weights  (H, n)
 * @param {string[]} data.columns    neighbour labels (n)
 * @param {string} data.caption
 * @param {'zero'|'data'} [data.range]  colour scale from 0 or from the smallest weight
 * @param {number[]} [data.layers]     HNSW layer of each neighbour (shown in the table)
 */
export function renderHeatmap(el, { weights, columns, caption, range = 'zero', layers = null }) {
  const heads = weights.length;
  const n = columns.length;
  const hi = Math.max(...weights.flat());
  // 'data' stretches the colours over the weights' own range: near-uniform rows show their structure.
  const lo = range === 'data' ? Math.min(...weights.flat()) : 0;
  const scale = makeScale(lo, hi > lo ? hi : lo + 1);
  drawCanvas(el.canvas, weights, columns, scale);
  renderLegend(el.legend, scale);
  renderTable(el.table, weights, columns, caption, layers);
  el.canvas.setAttribute('aria-label', `${caption}: ${heads} head(s) × ${n} neighbours; the table below lists every value.`);
  wireHover(el, weights, columns);
  return scale;
}

function drawCanvas(canvas, weights, columns, scale) {
  const ratio = window.devicePixelRatio || 1;
  const cssW = Math.max(320, canvas.parentElement.clientWidth || 600);
  const cellW = (cssW - LABEL_W) / columns.length;
  const cssH = HEAD_H + weights.length * ROW_H;
  canvas.width = Math.round(cssW * ratio);
  canvas.height = Math.round(cssH * ratio);
  canvas.style.height = `${cssH}px`;
  canvas.dataset.cellW = String(cellW);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, cssW, cssH);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = '#5b6470';
  // Column labels stand upright so every neighbour keeps its label; only when
  // cells get thinner than the text, every k-th column is labelled.
  const every = Math.ceil(12 / cellW);
  ctx.textAlign = 'left';
  columns.forEach((label, j) => {
    if (j % every !== 0) return;
    ctx.save();
    ctx.translate(LABEL_W + (j + 0.5) * cellW, HEAD_H - 4);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(label, 0, 0, HEAD_H - 6);
    ctx.restore();
  });
  ctx.textAlign = 'right';
  weights.forEach((row, h) => {
    const y = HEAD_H + h * ROW_H;
    ctx.fillStyle = '#5b6470';
    ctx.fillText(weights.length > 1 ? `head ${h}` : 'weights', LABEL_W - 8, y + ROW_H / 2);
    row.forEach((w, j) => {
      const c = viridis(scale.t(w));
      ctx.fillStyle = rgb(c);
      ctx.fillRect(LABEL_W + j * cellW, y, Math.ceil(cellW), ROW_H - 1);
      if (cellW >= 38) {
        ctx.fillStyle = textColorOn(c);
        ctx.textAlign = 'center';
        ctx.fillText(w.toFixed(3), LABEL_W + (j + 0.5) * cellW, y + ROW_H / 2);
        ctx.textAlign = 'right';
      }
    });
  });
}

function renderLegend(legend, scale) {
  const stops = Array.from({ length: 9 }, (_, i) => `${rgb(viridis(i / 8))} ${(i / 8) * 100}%`).join(', ');
  legend.replaceChildren();
  legend.dataset.lo = String(scale.lo);
  legend.dataset.hi = String(scale.hi);
  const lo = document.createElement('span');
  lo.textContent = scale.lo.toFixed(3);
  const bar = document.createElement('span');
  bar.className = 'bar';
  bar.style.background = `linear-gradient(to right, ${stops})`;
  bar.setAttribute('role', 'img');
  bar.setAttribute('aria-label', `colour scale from ${scale.lo.toFixed(3)} (dark purple) to ${scale.hi.toFixed(3)} (yellow)`);
  const hi = document.createElement('span');
  hi.textContent = scale.hi.toFixed(3);
  legend.append('weight', lo, bar, hi);
}

/** One row per neighbour (nearest first), one column per head: reads well aloud and needs no sideways scrolling. */
function renderTable(table, weights, columns, caption, layers) {
  table.replaceChildren();
  const cap = table.createCaption();
  cap.textContent = caption;
  const multi = weights.length > 1;
  const heads = weights.map((_, h) => (multi ? `head ${h}` : 'weight'));
  const head = table.createTHead().insertRow();
  for (const label of ['rank', 'node', ...(layers ? ['layer'] : []), ...heads, ...(multi ? ['mean'] : [])]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = label;
    head.append(th);
  }
  const body = table.createTBody();
  columns.forEach((label, j) => {
    const tr = body.insertRow();
    const rank = document.createElement('th');
    rank.scope = 'row';
    rank.textContent = String(j + 1);
    tr.append(rank);
    tr.insertCell().textContent = label;
    if (layers) tr.insertCell().textContent = String(layers[j]);
    weights.forEach((row, h) => {
      const td = tr.insertCell();
      td.textContent = row[j].toFixed(4);
      td.dataset.head = String(h);
      td.dataset.value = String(row[j]);
    });
    if (multi) tr.insertCell().textContent = (weights.reduce((a, row) => a + row[j], 0) / weights.length).toFixed(4);
  });
  const foot = table.createTFoot().insertRow();
  const th = document.createElement('th');
  th.scope = 'row';
  th.textContent = 'sum';
  th.colSpan = layers ? 3 : 2;
  foot.append(th);
  weights.forEach((row, h) => {
    const td = foot.insertCell();
    td.textContent = sum(row).toFixed(4);
    td.dataset.head = String(h);
    td.dataset.sum = String(sum(row));
  });
  if (multi) foot.insertCell();
}

function wireHover({ canvas, tip }, weights, columns) {
  const cellAt = (x, y) => {
    const cellW = Number(canvas.dataset.cellW);
    const j = Math.floor((x - LABEL_W) / cellW);
    const h = Math.floor((y - HEAD_H) / ROW_H);
    return h >= 0 && h < weights.length && j >= 0 && j < columns.length ? { h, j } : null;
  };
  const show = (cell) => {
    if (!cell) {
      tip.hidden = true;
      return;
    }
    const cellW = Number(canvas.dataset.cellW);
    tip.hidden = false;
    tip.textContent = `head ${cell.h} · neighbour ${cell.j + 1} (node ${columns[cell.j]}): ${weights[cell.h][cell.j].toFixed(5)}`;
    tip.style.left = `${LABEL_W + (cell.j + 0.5) * cellW}px`;
    tip.style.top = `${HEAD_H + cell.h * ROW_H}px`;
  };
  let focused = { h: 0, j: 0 };
  canvas.onmousemove = (ev) => show(cellAt(ev.offsetX, ev.offsetY));
  canvas.onmouseleave = () => show(null);
  // Arrow keys walk the cells for keyboard users; the tip shows the value.
  canvas.tabIndex = 0;
  canvas.onfocus = () => show(focused);
  canvas.onblur = () => show(null);
  canvas.onkeydown = (ev) => {
    const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (!moves[ev.key]) return;
    ev.preventDefault();
    const [dh, dj] = moves[ev.key];
    focused = {
      h: Math.min(weights.length - 1, Math.max(0, focused.h + dh)),
      j: Math.min(columns.length - 1, Math.max(0, focused.j + dj)),
    };
    show(focused);
  };
}
