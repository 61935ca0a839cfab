// The graph the page shows: vectors + CSR neighbour lists (nearest first) + HNSW layers.
// Made either by the Python generator (ruvector_attention.datasets.hnsw_graph, run
// through the runtime) or from the user's files.

export class DemoGraph {
  /**
   * @param {object} g
   * @param {Float32Array} g.vectors  (count*dim) row-major
   * @param {number} g.dim
   * @param {Int32Array} g.indptr     (count+1)
   * @param {Int32Array} g.indices    (E)
   * @param {Int32Array} g.layers     (count) HNSW level per node
   * @param {Int32Array} g.edgeLayers (E) highest layer of each link
   * @param {string[]|null} [g.labels]
   * @param {object} g.source          where it came from (shown and exported)
   * @param {boolean} [g.hasLayers]    false when the data came without layers (then all 0, not shown)
   */
  constructor({ vectors, dim, indptr, indices, layers, edgeLayers, labels = null, source, hasLayers = true }) {
    this.vectors = vectors;
    this.dim = dim;
    this.count = indptr.length - 1;
    this.indptr = indptr;
    this.indices = indices;
    this.layers = layers;
    this.edgeLayers = edgeLayers;
    this.labels = labels;
    this.source = source;
    this.hasLayers = hasLayers;
  }

  label(i) {
    return this.labels ? this.labels[i] : String(i);
  }

  vector(i) {
    return this.vectors.subarray(i * this.dim, (i + 1) * this.dim);
  }

  neighbours(i) {
    return Array.from(this.indices.subarray(this.indptr[i], this.indptr[i + 1]));
  }

  neighbourLayers(i) {
    return Array.from(this.edgeLayers.subarray(this.indptr[i], this.indptr[i + 1]));
  }

  /** The neighbours' vectors stacked row-major: the keys (and values) of node i's query. */
  keysOf(i) {
    const nbrs = this.neighbours(i);
    const keys = new Float32Array(nbrs.length * this.dim);
    nbrs.forEach((j, r) => keys.set(this.vector(j), r * this.dim));
    return keys;
  }

  distance(i, j) {
    return Math.sqrt(squaredDistance(this.vectors, i, j, this.dim));
  }

  /** The node with the most neighbours among those on the highest layer (an HNSW entry point). */
  hub() {
    let best = 0;
    for (let i = 1; i < this.count; i++) {
      const degree = (k) => this.indptr[k + 1] - this.indptr[k];
      if (this.layers[i] > this.layers[best] || (this.layers[i] === this.layers[best] && degree(i) > degree(best))) best = i;
    }
    return best;
  }

  /**
   * The result of the Python generator (a LayeredGraph) as sent back by the
   * runtime: arrays arrive as { data, shape } (or plain typed arrays).
   */
  static fromDataset(d, source) {
    const arr = (x, what) => {
      const data = x?.data ?? x;
      if (!data || typeof data.length !== 'number') throw new Error(`the generated graph has no ${what} array`);
      return data;
    };
    const ints = (x, what) => Int32Array.from(arr(x, what), Number);
    const graph = new DemoGraph({
      vectors: Float32Array.from(arr(d.vectors, 'vectors')),
      dim: d.dim,
      indptr: ints(d.indptr, 'indptr'),
      indices: ints(d.indices, 'indices'),
      layers: ints(d.layers, 'layers'),
      edgeLayers: ints(d.edgeLayers, 'edgeLayers'),
      source,
    });
    if (graph.vectors.length !== graph.count * graph.dim || graph.indptr[graph.count] !== graph.indices.length) {
      throw new Error('the generated graph is inconsistent (vectors or CSR sizes disagree)');
    }
    return graph;
  }

  /** User vectors with an explicit edge list (source attends to target). */
  static fromEdges({ vectors, count, dim, labels, layers }, { sources, targets }, source) {
    const lists = Array.from({ length: count }, () => new Set());
    sources.forEach((s, e) => lists[s].add(targets[e]));
    return DemoGraph.fromLists(vectors, dim, lists.map((s) => [...s]), { labels, layers, source });
  }

  /**
   * User vectors without edges: the exact k nearest neighbours of every node.
   * Runs in slices with `await` between them so the page stays responsive;
   * onProgress(fraction) reports how far it is.
   */
  static async fromKnn({ vectors, count, dim, labels, layers }, k, source, onProgress = () => {}) {
    const kk = Math.min(k, count - 1);
    const lists = new Array(count);
    const slice = Math.max(1, Math.floor(2e6 / (count * dim)));  // ~2 M multiply-adds per slice
    for (let i = 0; i < count; i++) {
      lists[i] = nearestOf(vectors, i, count, dim, kk);
      if ((i + 1) % slice === 0) {
        onProgress((i + 1) / count);
        await new Promise((r) => setTimeout(r, 0));
      }
    }
    return DemoGraph.fromLists(vectors, dim, lists, { labels, layers, source });
  }

  /** CSR from per-node lists, each sorted nearest first (ties by index) like the Python generator. */
  static fromLists(vectors, dim, lists, { labels = null, layers = null, source }) {
    const count = lists.length;
    const indptr = new Int32Array(count + 1);
    const flat = [];
    lists.forEach((list, i) => {
      const d = (j) => squaredDistance(vectors, i, j, dim);
      flat.push(...[...list].sort((a, b) => d(a) - d(b) || a - b));
      indptr[i + 1] = flat.length;
    });
    return new DemoGraph({
      vectors, dim, indptr,
      indices: Int32Array.from(flat),
      layers: layers ?? new Int32Array(count),
      edgeLayers: new Int32Array(flat.length),
      labels, source, hasLayers: layers != null,
    });
  }
}

/** The k rows nearest to row i (ties by index), nearest first: insertion into a short sorted list. */
function nearestOf(vectors, i, count, dim, k) {
  const best = [];  // [distance, j], ascending
  for (let j = 0; j < count; j++) {
    if (j === i) continue;
    const d = squaredDistance(vectors, i, j, dim);
    if (best.length === k && d >= best[k - 1][0]) continue;  // j > earlier ties, so >= keeps index order
    let at = best.length;
    while (at > 0 && best[at - 1][0] > d) at--;
    best.splice(at, 0, [d, j]);
    if (best.length > k) best.pop();
  }
  return best.map(([, j]) => j);
}

function squaredDistance(vectors, i, j, dim) {
  let s = 0;
  for (let k = 0; k < dim; k++) {
    const t = vectors[i * dim + k] - vectors[j * dim + k];
    s += t * t;
  }
  return s;
}
