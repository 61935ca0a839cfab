// The query node and its neighbours as an SVG graph, attention on the edges.
// Layout: the query in the centre; each neighbour at a radius that grows with
// its distance to the query and at the angle of its offset projected on the
// two principal directions of the neighbourhood (so similar neighbours sit
// together). Styles are attributes, not CSS, so the PNG export is faithful.

import { makeScale } from '../colors.js';
import { LAYER_FILL, layerFill } from './layers.js';

const WIDTH = 640;   // wider than tall: room for labels left and right
const HEIGHT = 560;
const CX = WIDTH / 2;
const CY = HEIGHT / 2;
const R_MIN = 80;
const R_MAX = 205;   // leaves room for the labels outside the outer ring
const SVG_NS = 'http://www.w3.org/2000/svg';
// A white outline under the text keeps labels readable where they cross edges.
const HALO = { stroke: '#ffffff', 'stroke-width': 3, 'paint-order': 'stroke', 'stroke-linejoin': 'round' };

/**
 * @param {HTMLElement} container
 * @param {object} v
 * @param {import('../data/graph.js').DemoGraph} v.graph
 * @param {number} v.node
 * @param {number[]} v.weights    one weight per neighbour (n), nearest first
 * @param {(node: number) => void} v.onPick
 */
export function renderGraph(container, { graph, node, weights, onPick }) {
  const nbrs = graph.neighbours(node);
  const edgeLayers = graph.neighbourLayers(node);
  const pos = radialLayout(graph, node, nbrs);
  const scale = makeScale(0, Math.max(...weights) || 1);
  const top = new Set([...weights.keys()].sort((a, b) => weights[b] - weights[a]).slice(0, 5));

  const svg = svgEl('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, role: 'group',
    'aria-label': `Node ${graph.label(node)} and its ${nbrs.length} neighbours; edge width is the attention weight`,
    'font-family': 'system-ui, sans-serif',
  });
  svg.append(svgEl('rect', { x: 0, y: 0, width: WIDTH, height: HEIGHT, fill: '#ffffff' }));
  // Faint rings: the distance scale.
  for (const r of [R_MIN, (R_MIN + R_MAX) / 2, R_MAX]) {
    svg.append(svgEl('circle', { cx: CX, cy: CY, r, fill: 'none', stroke: '#eceff3', 'stroke-width': 1 }));
  }
  // Light edges first so heavy ones are drawn on top.
  const order = [...nbrs.keys()].sort((a, b) => weights[a] - weights[b]);
  for (const r of order) {
    const w = weights[r];
    const line = svgEl('line', {
      x1: CX, y1: CY, x2: pos[r].x, y2: pos[r].y,
      stroke: scale.color(w), 'stroke-width': (1 + 9 * scale.t(w)).toFixed(2),
      // butt caps keep the dashes of thick upper-layer edges apart
      'stroke-linecap': edgeLayers[r] > 0 ? 'butt' : 'round', 'stroke-opacity': 0.9,
      'stroke-dasharray': edgeLayers[r] > 0 ? '7 5' : 'none',
      'data-node': nbrs[r], 'data-weight': w,
    });
    line.append(title(`→ node ${graph.label(nbrs[r])}: weight ${w.toFixed(4)}` +
      (edgeLayers[r] > 0 ? ` (layer-${edgeLayers[r]} link)` : '')));
    svg.append(line);
  }
  nbrs.forEach((j, r) => {
    const layerText = graph.hasLayers ? `, layer ${graph.layers[j]}` : '';
    const g = svgEl('g', {
      class: 'node', tabindex: 0, role: 'button', 'data-node': j,
      'data-layer': graph.hasLayers ? graph.layers[j] : '', 'data-fill': layerFill(graph, graph.layers[j]),
      'aria-label': `node ${graph.label(j)}${layerText}, weight ${weights[r].toFixed(4)}; press Enter to make it the query`,
    });
    g.append(svgEl('circle', {
      cx: pos[r].x, cy: pos[r].y, r: 6 + 3 * Math.min(graph.layers[j], 4),
      fill: layerFill(graph, graph.layers[j]), stroke: '#2b2f36', 'stroke-width': 1,
    }));
    // Labels run outward along the spoke (turned upright on the left half), so
    // neighbours at nearby angles never print over each other.
    const theta = Math.atan2(pos[r].y - CY, pos[r].x - CX);
    const right = Math.cos(theta) >= 0;
    const gap = 10 + 3 * Math.min(graph.layers[j], 4);
    const lx = pos[r].x + gap * Math.cos(theta);
    const ly = pos[r].y + gap * Math.sin(theta);
    const deg = (theta * 180) / Math.PI + (right ? 0 : 180);
    const text = svgEl('text', {
      x: lx.toFixed(1), y: ly.toFixed(1), dy: '0.35em', 'text-anchor': right ? 'start' : 'end',
      transform: `rotate(${deg.toFixed(1)} ${lx.toFixed(1)} ${ly.toFixed(1)})`,
      'font-size': 11, fill: '#222', 'font-weight': top.has(r) ? 700 : 400, ...HALO,
    });
    text.textContent = top.has(r) ? `${graph.label(j)} · ${weights[r].toFixed(3)}` : graph.label(j);
    g.append(title(`node ${graph.label(j)}${graph.hasLayers ? ` (layer ${graph.layers[j]})` : ''}: weight ${weights[r].toFixed(5)}`), text);
    g.addEventListener('click', () => onPick(j));
    g.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        onPick(j);
      }
    });
    svg.append(g);
  });
  svg.append(svgEl('circle', { cx: CX, cy: CY, r: 12 + 3 * Math.min(graph.layers[node], 4), fill: '#1d2433', stroke: '#f5a623', 'stroke-width': 3 }));
  const q = svgEl('text', {
    x: CX, y: CY - 20 - 3 * Math.min(graph.layers[node], 4), 'text-anchor': 'middle',
    'font-size': 13, 'font-weight': 700, fill: '#1d2433', ...HALO,
  });
  q.textContent = `query ${graph.label(node)}`;
  svg.append(q);
  if (graph.hasLayers) svg.append(layerKey(graph));  // drawn in the SVG so the PNG export keeps it
  container.replaceChildren(svg);
  return svg;
}

/** Positions of the neighbours: radius from distance, angle from a 2-D PCA of the offsets. */
export function radialLayout(graph, node, nbrs) {
  const d = graph.dim;
  const q = graph.vector(node);
  const offsets = nbrs.map((j) => Float64Array.from(graph.vector(j), (x, k) => x - q[k]));
  const dist = offsets.map((o) => Math.hypot(...o));
  const [p1, p2] = principalAxes(offsets, d);
  const raw = offsets.map((o) => Math.atan2(dot(o, p2), dot(o, p1)));
  // Even spacing in the order of the PCA angle: similar neighbours stay side by
  // side, and labels never pile up.
  const byAngle = [...raw.keys()].sort((a, b) => raw[a] - raw[b]);
  const angle = new Array(nbrs.length);
  byAngle.forEach((r, rank) => { angle[r] = -Math.PI + (2 * Math.PI * (rank + 0.5)) / nbrs.length; });
  // Radius: half distance, half distance rank — a hub's few long upper-layer
  // links would otherwise squeeze all its layer-0 neighbours onto the inner ring.
  const lo = Math.min(...dist);
  const hi = Math.max(...dist);
  const rank = new Array(nbrs.length);
  [...dist.keys()].sort((a, b) => dist[a] - dist[b]).forEach((r, k) => { rank[r] = k; });
  return nbrs.map((_, r) => {
    const byDistance = hi > lo ? (dist[r] - lo) / (hi - lo) : 0.5;
    const byRank = nbrs.length > 1 ? rank[r] / (nbrs.length - 1) : 0.5;
    const radius = R_MIN + (0.5 * byDistance + 0.5 * byRank) * (R_MAX - R_MIN);
    return { x: CX + radius * Math.cos(angle[r]), y: CY + radius * Math.sin(angle[r]) };
  });
}

/** Two leading principal directions of the rows (power iteration with deflation, seeded start). */
function principalAxes(rows, d) {
  const axes = [];
  for (let a = 0; a < 2; a++) {
    let v = Float64Array.from({ length: d }, (_, k) => Math.sin(k + 1 + a));  // fixed start: same layout every time
    for (let it = 0; it < 60; it++) {
      const next = new Float64Array(d);
      for (const row of rows) {
        const s = dot(row, v);
        for (let k = 0; k < d; k++) next[k] += s * row[k];
      }
      for (const prev of axes) {
        const s = dot(next, prev);
        for (let k = 0; k < d; k++) next[k] -= s * prev[k];
      }
      const norm = Math.hypot(...next);
      if (norm === 0) break;
      v = next.map((x) => x / norm);
    }
    axes.push(v);
  }
  return axes;
}

function dot(a, b) {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

function layerKey(graph) {
  const top = Math.min(graph.layers.reduce((m, x) => Math.max(m, x), 0), LAYER_FILL.length - 1);
  const g = svgEl('g', { 'aria-hidden': 'true' });
  for (let l = 0; l <= top; l++) {
    g.append(svgEl('circle', { cx: 16, cy: 18 + l * 18, r: 6, fill: LAYER_FILL[l], stroke: '#2b2f36', 'stroke-width': 1 }));
    const t = svgEl('text', { x: 28, y: 22 + l * 18, 'font-size': 11, fill: '#444' });
    t.textContent = l === 0 ? 'layer 0' : `layer ${l}${l === top && top === LAYER_FILL.length - 1 ? '+' : ''}`;
    g.append(t);
  }
  return g;
}

function title(text) {
  const t = svgEl('title', {});
  t.textContent = text;
  return t;
}

function svgEl(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}
