/** Seeded synthetic graphs (Python `ruvector_attention.datasets`, `rt.datasets`). */

/** A neighbour graph in CSR form with an HNSW layer per node (Python `datasets.LayeredGraph`). */
export interface LayeredGraph {
  /** (N * dim) row-major. */
  vectors: Float32Array;
  dim: number;
  numNodes: number;
  /** (N + 1): the neighbours of i are indices[indptr[i] .. indptr[i+1]), nearest first. */
  indptr: Int32Array;
  /** (E) */
  indices: Int32Array;
  /** (N) HNSW level of each node. */
  layers: Int32Array;
  /** (E) highest layer each link exists on. */
  edgeLayers: Int32Array;
  /** The seed it was made from (null for user data). */
  seed: number | null;
}

export interface HnswGraphOptions {
  /** Default 2000, at least 2m + 1. */
  numNodes?: number;
  /** Default 32. */
  dim?: number;
  /** HNSW's M: 2m links per node on layer 0, m above (default 8). */
  m?: number;
  numClusters?: number;
  /** Same seed → same graph natively and in Pyodide (default 0). */
  seed?: number;
}

/** Seeded synthetic graphs, computed by the Python package (same results as natively). */
export interface Datasets {
  hnswGraph(options?: HnswGraphOptions): LayeredGraph;
  /** Exact k-nearest-neighbour graph over user vectors (N * dim, row-major). */
  knnGraph(vectors: Float32Array, dim: number, options?: { k?: number; layers?: readonly number[] | Int32Array }): LayeredGraph;
}
