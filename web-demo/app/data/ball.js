// Euclidean data into the Poincaré ball, for the curved mechanisms.
//
// The page's vectors are Euclidean (synthetic graph: norms about 2.5 … 5; user data:
// anything), while HyperbolicAttention, ManifoldAttention with k < 0 and the hyperbolic
// factor of MixedCurvatureAttention read points of the ball of radius 1/√|k|. Handed
// over as they are, almost every point lies outside and is pulled onto the boundary,
// where all distances look alike and the weights come out near uniform. The page
// therefore maps them as HGCN does (Chami et al. 2019, https://arxiv.org/abs/1910.12933:
// Euclidean features through the exponential map at the origin), after one scale per
// data set so that no point reaches the boundary:
//
//   x_H ↦ expMap0_k(s · x_H),   s = 2 / (√|k| · max_i ‖x_H,i‖)
//
// x_H is the hyperbolic slice of a vector (all of it, or MixedCurvature's last
// hyperbolicDim coordinates); the maximum runs over every vector of the data set, so
// the map is the same for every query and the longest vector lands at tanh(2) ≈ 0.96
// of the radius: inside the ball's float32 margin (1 − 4e-3), never clipped, and spread
// enough that the weights tell neighbours apart about as much as scaled dot-product
// attention does on the same data (tanh(1) left them near uniform). The exponential
// map is the library's (rt.geometric.expMap0).

const BALL_TANGENT_RADIUS = 2;  // √|k| · ‖s x‖ of the longest vector: it lands at tanh(2) of the radius

/** The curvature k < 0 and the first coordinate of the hyperbolic slice, or null if flat. */
export function curvedSpace(mechanism, options, dim) {
  if (mechanism === 'HyperbolicAttention') return { k: options.curvature ?? -1, from: 0 };
  if (mechanism === 'ManifoldAttention' && options.k < 0) return { k: options.k, from: 0 };
  if (mechanism === 'MixedCurvatureAttention') {
    return { k: options.curvature ?? -1, from: dim - options.hyperbolicDim };
  }
  return null;
}

const maxNorms = new WeakMap();  // graph -> Map(from -> largest norm of the slice from..dim)

/** Largest ‖x[from..dim)‖ over the data set, summed in float64. */
export function maxSliceNorm(graph, from) {
  if (!maxNorms.has(graph)) maxNorms.set(graph, new Map());
  const cache = maxNorms.get(graph);
  if (!cache.has(from)) {
    let best = 0;
    for (let i = 0; i < graph.count; i++) {
      const v = graph.vector(i);
      let s = 0;
      for (let j = from; j < graph.dim; j++) s += v[j] * v[j];
      best = Math.max(best, s);
    }
    cache.set(from, Math.sqrt(best));
  }
  return cache.get(from);
}

/** s of the map above (1 when every slice is zero: nothing to scale). */
export function ballScale(graph, { k, from }) {
  const m = maxSliceNorm(graph, from);
  return m > 0 ? BALL_TANGENT_RADIUS / (Math.sqrt(-k) * m) : 1;
}

/**
 * The query (d) and keys (n*d) with their hyperbolic slice mapped into the ball;
 * the Euclidean part (MixedCurvature's first coordinates) is left as it is.
 * `geo` is rt.geometric (sync or worker). Returns { query, keys, scale }.
 */
export async function toBall(geo, space, graph, query, keys, n) {
  const { k, from } = space;
  const d = graph.dim;
  const h = d - from;
  if (from < 0 || h < 1) throw new Error(`the hyperbolic part (${h} coordinates) does not fit vectors of dim ${d}`);
  const scale = ballScale(graph, space);
  const tangent = new Float32Array((n + 1) * h);
  const rowOf = (r) => (r === 0 ? query : keys.subarray((r - 1) * d, r * d));
  for (let r = 0; r <= n; r++) {
    const src = rowOf(r);
    for (let j = 0; j < h; j++) tangent[r * h + j] = src[from + j] * scale;
  }
  const { data } = await geo.expMap0({ data: tangent, rows: n + 1 }, { k });
  const out = new Float32Array((n + 1) * d);
  for (let r = 0; r <= n; r++) {
    out.set(rowOf(r).subarray(0, from), r * d);
    out.set(data.subarray(r * h, (r + 1) * h), r * d + from);
  }
  return { query: out.slice(0, d), keys: out.slice(d), scale };
}
