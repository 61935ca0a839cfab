// Poincaré-disk view, shown when a curved mechanism is selected (HyperbolicAttention,
// ManifoldAttention with k < 0, MixedCurvatureAttention's hyperbolic part): the query,
// its neighbours and the attention weights on the geodesics between them.
//
// The points are the mechanism's inputs, already mapped into the ball
// (data/ball.js), pulled in as the mechanism does (projectToBall). The disk is centred
// on the query by the Möbius translation x ↦ (−q) ⊕_k x, an isometry of the ball, so
// every geodesic from the query is a diameter and each neighbour's distance from the
// centre is its distance d_k(q, x) — the distance hyperbolic attention scores.
// 2-D slices are drawn as they are; higher dimensions go through the tangent space at
// the query: logMap0 → direction from a PCA to 2 components (power iteration on the
// uncentred second moment) with each vector's length kept → expMap0, so the distance
// to the query stays exact and only the angles between neighbours are approximate.
// The disk is drawn at radius 1/sqrt(-k) scaled to the unit circle. The card carries
// its numbers in data-poincare (JSON) for tests; nothing is read from pixels.

import { wideCard } from './card.js';
import { makeScale } from '../colors.js';
import { curvedSpace } from '../data/ball.js';

const SIZE = 480;
const C = SIZE / 2;
const R = SIZE / 2 - 24;
/** Screen geometry of the disk: the SVG's size, the circle's centre (x = y) and radius in pixels. */
export const DISK = { size: SIZE, centre: C, radius: R };
const SVG_NS = 'http://www.w3.org/2000/svg';

export { curvedSpace };

const slice = (flat, rows, dim, from) =>
  Array.from({ length: rows }, (_, i) => Array.from(flat.subarray(i * dim + from, (i + 1) * dim)));
const rowsOf = (r) => Array.from({ length: r.rows }, (_, i) => Array.from(r.data.subarray(i * r.cols, (i + 1) * r.cols)));
const norm = (v) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));

/** The two leading eigenvectors of XᵀX (power iteration with deflation) and their share of the trace. */
export function principalPlane(X, iterations = 200) {
  const d = X[0].length;
  const apply = (v) => {  // XᵀX v without forming XᵀX
    const out = new Array(d).fill(0);
    for (const x of X) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x[j] * v[j];
      for (let j = 0; j < d; j++) out[j] += s * x[j];
    }
    return out;
  };
  const components = [];
  for (let c = 0; c < 2; c++) {
    let v = Array.from({ length: d }, (_, j) => 1 + ((j * 7 + c * 3) % 5) / 10);
    for (let it = 0; it < iterations; it++) {
      let w = apply(v);
      for (const u of components) {  // deflate: stay orthogonal to the earlier component
        const p = w.reduce((a, x, j) => a + x * u[j], 0);
        w = w.map((x, j) => x - p * u[j]);
      }
      const nw = norm(w);
      if (nw === 0) break;
      v = w.map((x) => x / nw);
    }
    components.push(v);
  }
  const trace = X.reduce((a, x) => a + x.reduce((b, y) => b + y * y, 0), 0);
  const captured = components.reduce((a, u) => a + X.reduce((b, x) => b + x.reduce((s, y, j) => s + y * u[j], 0) ** 2, 0), 0);
  return { components, explained: trace > 0 ? captured / trace : 1 };
}

/**
 * The numbers the view shows; `geo` is the library's rt.geometric (sync or worker),
 * `query` (dim) and `keys` (n*dim) the mechanism's inputs (hyperbolic slice in the ball),
 * `ball` evaluate.js's { k, from, scale } of them.
 */
export async function poincareDetails(geo, { mechanism, options, query, keys, n, dim, weights, ball = null }) {
  const space = curvedSpace(mechanism, options, dim);
  if (!space) return null;
  const { from } = space;
  const k = ball?.k ?? space.k;  // evaluate.js's ball: the curvature the mechanism uses
  const h = dim - from;
  const pts = { data: Float32Array.from([...slice(query, 1, dim, from), ...slice(keys, n, dim, from)].flat()), rows: n + 1 };
  const inside = await geo.projectToBall(pts, { k });                  // (n+1, h) as the mechanism sees them
  const q = rowsOf(inside)[0];
  const distances = Array.from(await geo.poincareDistance(q, inside, { k })).slice(1);
  const centred = await geo.mobiusAdd(q.map((x) => -x), inside, { k });  // (−q) ⊕ x: the query at 0
  const tangent = rowsOf(await geo.logMap0(centred, { k }));             // |v_j| = d_k(q, x_j) / 2
  let disk, method, explained = 1;
  if (h === 2) {
    disk = rowsOf(centred);
    method = 'exact';
  } else {
    const plane = principalPlane(tangent.slice(1));
    explained = plane.explained;
    const flat2 = tangent.map((t) => {
      const p = plane.components.map((u) => t.reduce((a, x, j) => a + x * u[j], 0));
      const len = norm(p), want = norm(t);
      return len > 0 ? p.map((x) => (x * want) / len) : [want, 0];  // direction from the plane, length kept
    });
    disk = rowsOf(await geo.expMap0({ data: Float32Array.from(flat2.flat()), rows: n + 1 }, { k }));
    method = 'logMap0 at the query → PCA direction, length kept → expMap0';
  }
  disk[0] = [0, 0];  // (−q) ⊕ q = 0 exactly; rounding would only tilt diameters into huge arcs
  const radius = 1 / Math.sqrt(-k);
  const unit = disk.map((p) => p.map((x) => x / radius));
  return {
    k, dim: h, method, explained, n, weights: Array.from(weights), distances,
    temperature: options.temperature ?? 1,
    query: unit[0], points: unit.slice(1),
    // tangent lengths at the query: half the distance d_k(q, x_j), by the library's logMap0
    tangentNorms: tangent.slice(1).map(norm),
  };
}

/** The card (created on first use, before `before`); hidden for flat mechanisms. */
export function poincareCard(views, before) {
  return wideCard(views, before, 'poincare');
}

function svgEl(tag, attrs = {}) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** SVG path of the geodesic between p and q in the unit disk (an arc orthogonal to the circle). */
export function geodesicPath(p, q) {
  const X = (v) => C + R * v[0], Y = (v) => C - R * v[1];
  const cross = p[0] * q[1] - p[1] * q[0];
  if (Math.abs(cross) < 1e-9) return `M ${X(p)} ${Y(p)} L ${X(q)} ${Y(q)}`;  // through the centre: a diameter
  // The circle through p and q orthogonal to the unit circle: |c|² = r² + 1, i.e. 2 c·p = |p|² + 1.
  const a = (p[0] ** 2 + p[1] ** 2 + 1) / 2, b = (q[0] ** 2 + q[1] ** 2 + 1) / 2;
  const c = [(a * q[1] - b * p[1]) / cross, (b * p[0] - a * q[0]) / cross];
  const r = Math.hypot(p[0] - c[0], p[1] - c[1]);
  // The minor arc around c (the part of the circle inside the disk). Flipping y keeps
  // the picture's orientation, so a counter-clockwise turn in the disk is
  // counter-clockwise on screen: SVG's negative-angle direction, sweep-flag 0.
  const turn = (p[0] - c[0]) * (q[1] - c[1]) - (p[1] - c[1]) * (q[0] - c[0]);
  const sweep = turn > 0 ? 0 : 1;
  return `M ${X(p)} ${Y(p)} A ${R * r} ${R * r} 0 0 ${sweep} ${X(q)} ${Y(q)}`;
}

export function renderPoincare(card, mechanism, data) {
  card.hidden = !data;
  card.dataset.poincare = data ? JSON.stringify({ mechanism, ...data }) : '';
  if (!data) return;
  const title = card.querySelector('#poincare-title');
  const body = card.querySelector('#poincare-body');
  body.replaceChildren();
  if (data.kind === 'error') {
    title.textContent = `${mechanism}: Poincaré view unavailable`;
    body.textContent = data.message;
    return;
  }
  title.textContent = `Poincaré disk (k = ${data.k}) centred on the query: ${data.n} neighbours` +
    (data.method === 'exact' ? '' : ` · ${data.dim}-D via ${data.method} (${(100 * data.explained).toFixed(0)}% of the tangent energy)`);
  const scale = makeScale(0, Math.max(...data.weights) || 1);
  const svg = svgEl('svg', {
    viewBox: `0 0 ${SIZE} ${SIZE}`, width: SIZE, height: SIZE, role: 'img',
    'aria-label': `Poincaré disk: query and ${data.n} neighbours, geodesics weighted by attention`,
    'font-family': 'system-ui, sans-serif',
  });
  svg.append(svgEl('rect', { x: 0, y: 0, width: SIZE, height: SIZE, fill: '#ffffff' }));
  svg.append(svgEl('circle', { cx: C, cy: C, r: R, fill: '#f7f9fc', stroke: '#9aa5b1', 'stroke-width': 1.5 }));
  const order = [...data.points.keys()].sort((a, b) => data.weights[a] - data.weights[b]);
  for (const j of order) {
    const w = data.weights[j];
    const path = svgEl('path', {
      d: geodesicPath(data.query, data.points[j]), fill: 'none', stroke: scale.color(w),
      'stroke-width': (0.75 + 7 * scale.t(w)).toFixed(2), 'stroke-opacity': 0.9, 'data-weight': w,
    });
    const t = svgEl('title');
    t.textContent = `neighbour ${j}: weight ${w.toFixed(4)}, distance ${data.distances[j].toFixed(3)}`;
    path.append(t);
    svg.append(path);
  }
  for (const [j, p] of data.points.entries()) {
    svg.append(svgEl('circle', { cx: C + R * p[0], cy: C - R * p[1], r: 3 + 4 * scale.t(data.weights[j]),
      fill: '#4c78a8', stroke: '#ffffff', 'stroke-width': 1 }));
  }
  svg.append(svgEl('circle', { cx: C + R * data.query[0], cy: C - R * data.query[1], r: 7, fill: '#e45756',
    stroke: '#ffffff', 'stroke-width': 1.5 }));
  const note = document.createElement('p');
  note.className = 'muted';
  note.textContent = 'Red: the query, moved to the centre by the Möbius translation x ↦ (−q) ⊕ x (an isometry), so each ' +
    'neighbour\'s distance from the centre is its hyperbolic distance from the query; blue: the neighbours ' +
    '(size = weight); edges are geodesics, width = attention weight. The data are mapped into the ball ' +
    'with the exponential map at the origin after one scale per data set (see the docs).';
  body.append(svg, note);
}
