// How GraphRoPE's distance encoding moves the weights: the weights of
// GraphRoPE on the current query and neighbours with each key at its latent distance
// from the query (the metadata the comparison uses), next to the same mechanism
// with every distance 0 — no rotation at all, which is scaled dot-product attention
// on the same inputs. A grouped bar chart per neighbour (nearest first) and a table
// with the difference. The numbers are in data-effect (JSON) on the card and in
// data-* attributes of the table cells, for tests; nothing is read from pixels.

import { wideCard } from './card.js';
import { latentDistances } from '../data/metadata.js';
import { sum } from '../stats.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const COLOR_WITHOUT = '#9aa3ae';
const COLOR_WITH = '#e07b39';
const CHART_H = 150;
const PAD = { left: 44, right: 8, top: 8, bottom: 22 };

/**
 * GraphRoPE weights with the latent distances and with all distances 0.
 * `rt` is the page's DemoRuntime; `options` GraphRoPE's config (the comparison's).
 */
export async function distanceEffectDetails(rt, { graph, node, query, keys, options }) {
  const n = graph.neighbours(node).length;
  const distances = latentDistances(graph, node);
  const rope = await rt.mechanism('GraphRoPE', options);
  const weightsAt = async (d) => Array.from(await rope.attentionWeights(query.slice(), { data: keys.slice(), rows: n },
    { metadata: { distances: d } }));
  const withDistances = await weightsAt(distances);
  const without = await weightsAt(new Array(n).fill(0));
  return {
    node, options, distanceKind: 'latent', distances, with: withDistances, without,
    diff: withDistances.map((w, j) => w - without[j]),
    sums: { with: sum(withDistances), without: sum(without) },
  };
}

/** The card (created on first use, before `before`). */
export function distanceEffectCard(views, before) {
  return wideCard(views, before, 'distance', 'How the distance encoding moves the weights (GraphRoPE)');
}

/** data: the result of distanceEffectDetails, or {error}. */
export function renderDistanceEffect(card, graph, data) {
  card.hidden = false;
  const body = card.querySelector('#distance-body');
  body.replaceChildren();
  card.dataset.effect = JSON.stringify(data);
  if (data.error) {
    const p = document.createElement('p');
    p.className = 'err';
    p.textContent = `GraphRoPE: ${data.error}`;
    body.append(p);
    return;
  }
  const note = document.createElement('p');
  note.className = 'muted legend-text';
  note.textContent = 'Distance = latent (Euclidean) distance from the query vector to each neighbour: every listed ' +
    'neighbour is one hop away, so hop counts would not tell them apart. GraphRoPE rotates each key by its distance ' +
    `(θ_i = distance / base^(2i/dim), base ${data.options.base}); with every distance 0 nothing rotates and the ` +
    'weights are those of scaled dot-product attention. Neighbours nearest first.';
  body.append(chart(graph, data), note, table(graph, data));
}

function chart(graph, { node, with: withD, without }) {
  const nbrs = graph.neighbours(node);
  const n = nbrs.length;
  const width = Math.max(360, Math.min(1100, 40 + n * 26));
  const hi = Math.max(...withD, ...without) || 1;
  const plotW = width - PAD.left - PAD.right;
  const plotH = CHART_H - PAD.top - PAD.bottom;
  const slot = plotW / n;
  const bar = Math.max(2, Math.min(10, slot / 2 - 1));
  const svg = svgEl('svg', {
    viewBox: `0 0 ${width} ${CHART_H + 18}`, width, height: CHART_H + 18, role: 'img', class: 'distance-chart',
    'aria-label': `GraphRoPE weights per neighbour, without distances (grey) and with latent distances (orange); ` +
      'the table below lists every value.',
    'font-family': 'system-ui, sans-serif',
  });
  const y = (w) => PAD.top + plotH * (1 - w / hi);
  svg.append(svgEl('line', { x1: PAD.left, y1: PAD.top + plotH, x2: width - PAD.right, y2: PAD.top + plotH, stroke: '#8a929c' }));
  for (const t of [0, hi / 2, hi]) {
    const label = svgEl('text', { x: PAD.left - 4, y: y(t), dy: '0.35em', 'text-anchor': 'end', 'font-size': 10, fill: '#5b6470' });
    label.textContent = t.toFixed(3);
    svg.append(label);
  }
  nbrs.forEach((j, r) => {
    const x0 = PAD.left + r * slot + slot / 2;
    for (const [w, dx, color, series] of [[without[r], -bar, COLOR_WITHOUT, 'without'], [withD[r], 0, COLOR_WITH, 'with']]) {
      const rect = svgEl('rect', { x: x0 + dx, y: y(w), width: bar, height: PAD.top + plotH - y(w), fill: color,
        'data-series': series, 'data-node': j, 'data-weight': w });
      const tip = svgEl('title', {});
      tip.textContent = `node ${graph.label(j)}: ${series} distances ${w.toFixed(5)}`;
      rect.append(tip);
      svg.append(rect);
    }
    if (n <= 40 || r % Math.ceil(n / 40) === 0) {
      const label = svgEl('text', { x: x0, y: PAD.top + plotH + 12, 'text-anchor': 'middle', 'font-size': 9, fill: '#5b6470' });
      label.textContent = graph.label(j);
      svg.append(label);
    }
  });
  const key = [['without distances (= SDPA)', COLOR_WITHOUT], ['with latent distances', COLOR_WITH]];
  key.forEach(([text, color], i) => {
    const x = PAD.left + i * 190;
    svg.append(svgEl('rect', { x, y: CHART_H + 4, width: 10, height: 10, fill: color }));
    const t = svgEl('text', { x: x + 14, y: CHART_H + 13, 'font-size': 11, fill: '#333' });
    t.textContent = text;
    svg.append(t);
  });
  return svg;
}

function table(graph, data) {
  const details = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = 'Weights with and without distances as a table';
  const wrap = document.createElement('div');
  wrap.className = 'table-scroll';
  const t = document.createElement('table');
  t.id = 'distance-table';
  const head = t.createTHead().insertRow();
  const columns = ['rank', 'node', ...(graph.hasLayers ? ['layer'] : []), 'distance', 'without (= SDPA)', 'with distances', 'difference'];
  for (const label of columns) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = label;
    head.append(th);
  }
  const tbody = t.createTBody();
  graph.neighbours(data.node).forEach((j, r) => {
    const tr = tbody.insertRow();
    tr.dataset.node = String(j);
    const rank = document.createElement('th');
    rank.scope = 'row';
    rank.textContent = String(r + 1);
    tr.append(rank);
    tr.insertCell().textContent = graph.label(j);
    if (graph.hasLayers) tr.insertCell().textContent = String(graph.layers[j]);
    for (const [key, value, text] of [
      ['distance', data.distances[r], data.distances[r].toFixed(3)],
      ['without', data.without[r], data.without[r].toFixed(4)],
      ['with', data.with[r], data.with[r].toFixed(4)],
      ['diff', data.diff[r], `${data.diff[r] >= 0 ? '+' : '−'}${Math.abs(data.diff[r]).toFixed(4)}`]]) {
      const td = tr.insertCell();
      td.textContent = text;
      td.dataset[key] = String(value);
    }
  });
  const foot = t.createTFoot().insertRow();
  const th = document.createElement('th');
  th.scope = 'row';
  th.textContent = 'sum';
  th.colSpan = graph.hasLayers ? 4 : 3;
  foot.append(th);
  foot.insertCell().textContent = data.sums.without.toFixed(4);
  foot.insertCell().textContent = data.sums.with.toFixed(4);
  foot.insertCell();
  wrap.append(t);
  details.append(summary, wrap);
  return details;
}

function svgEl(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}
