// The per-key GraphMetadata (spec §4.6) the page passes to the graph-aware
// mechanisms, derived from the graph on screen for one query node:
//   GraphRoPE            distances: the latent (Euclidean) distance from the query
//                        vector to each neighbour. Every listed neighbour is one hop
//                        away, so hop distances would all be 1; the latent distance
//                        is what orders the list (nearest first) and tells them apart.
//   HNSWAwareAttention   hnswLayers: each neighbour's HNSW layer (0 for user data
//                        without layers).
//   StructuralAttention  structuralFeatures: [degree, PageRank, clustering] of each
//                        neighbour, computed once per graph by the library's CSR
//                        helpers (rt.graph.structuralFeatures, Python
//                        ruvector_attention.graph.structural_features).
// tests/e2e/make_fixture.py derives the same metadata natively.

/** Mechanism name -> the metadata field it reads and how the page derives it (shown in the UI). */
export const METADATA_SOURCES = {
  GraphRoPE: { field: 'distances', source: 'latent (Euclidean) distance from the query' },
  HNSWAwareAttention: { field: 'hnswLayers', source: 'HNSW layer of each neighbour' },
  StructuralAttention: { field: 'structuralFeatures', source: '[degree, PageRank, clustering] from the graph' },
};

/** Latent distance from node `node` to each of its neighbours (nearest first), in float64. */
export function latentDistances(graph, node) {
  return graph.neighbours(node).map((j) => graph.distance(node, j));
}

// One structural-feature table per graph (O(N + E) PageRank / clustering in Pyodide).
const featureTables = new WeakMap();

function structuralTable(rt, graph) {
  if (!featureTables.has(graph)) {
    const made = Promise.resolve(rt.rt.graph.structuralFeatures(graph.indptr, graph.indices));
    featureTables.set(graph, made);
    made.catch(() => featureTables.delete(graph));
  }
  return featureTables.get(graph);
}

/**
 * The GraphMetadata of `name` for query `node` ({distances} / {hnswLayers} /
 * {structuralFeatures}), or undefined for mechanisms that take none.
 * `rt` is the page's DemoRuntime.
 */
export async function metadataFor(rt, name, graph, node) {
  const what = METADATA_SOURCES[name];
  if (!what) return undefined;
  const nbrs = graph.neighbours(node);
  if (what.field === 'distances') return { distances: latentDistances(graph, node) };
  if (what.field === 'hnswLayers') return { hnswLayers: nbrs.map((j) => graph.layers[j]) };
  const { data, cols } = await structuralTable(rt, graph);
  return { structuralFeatures: nbrs.map((j) => Array.from(data.subarray(j * cols, (j + 1) * cols))) };
}
