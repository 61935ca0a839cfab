/** Graph-aware attention (Python `ruvector_attention.graph`) and its CSR helpers (`rt.graph`). */
import type {
  Batched, Differentiable, GraphWide, Gradients, IndexArray, MaskOptions, Mechanism, Rows, Rows2D, Vector,
} from './base.js';

/** Per-key graph metadata (Python GraphMetadata); every field optional, one entry per key. */
export interface GraphMetadata {
  /** Graph (hop) or latent distance of each key from the query; fractional allowed. */
  distances?: ArrayLike<number>;
  /** Highest HNSW layer of each key (integers >= 0). */
  hnswLayers?: ArrayLike<number>;
  edgeWeights?: ArrayLike<number>;
  /** (n, S) structural features per key, e.g. [degree, PageRank, clustering]. */
  structuralFeatures?: ArrayLike<ArrayLike<number>>;
}
export type GraphOptions = MaskOptions & {
  metadata?: GraphMetadata;
  /** GraphRoPE only: the query's own distance (default 0). */
  queryDistance?: number;
};
/** Methods shared by the graph-aware mechanisms that read {@link GraphMetadata}. */
export interface GraphMechanism<Config> extends Mechanism<Config>,
  GraphWide<{ values?: Rows; metadata?: GraphMetadata }>, Differentiable<GraphOptions> {
  /** Output (dv) using the metadata (which field depends on the mechanism; missing → INVALID_CONFIG). */
  forwardWithMetadata(query: Vector, keys: Rows, values: Rows, metadata: GraphMetadata, options?: GraphOptions): Float32Array;
  attentionWeights(query: Vector, keys: Rows, options?: GraphOptions): Float32Array;
  /** forwardGraph's metadata: per-edge distances (GraphRoPE), per-node layers / features (the others). */
}
export interface GraphRoPEOptions { dim: number; base?: number; seed?: number }
export interface GraphRoPEConfig { dim: number; base: number; seed: number }
/** Rotary encoding of graph distance: scores <R(t_q) q, R(t_j) k_j> / √dim. */
export interface GraphRoPE extends GraphMechanism<GraphRoPEConfig> {
  readonly name: 'GraphRoPE';
  /** R(distance) x: pairs (2i, 2i+1) rotated by distance / base^(2i/dim); rows take one distance each. */
  applyRotation(embedding: Vector, distance: number): Float32Array;
  applyRotation(embedding: Rows, distances: ArrayLike<number>): Float32Array;
}
export interface HNSWAwareAttentionOptions { dim: number; maxLayers?: number; numHeads?: number; seed?: number }
export interface HNSWAwareAttentionConfig { dim: number; maxLayers: number; numHeads: number; seed: number }
/** Learned per-layer score bias and key embedding by HNSW layer (metadata.hnswLayers). */
export interface HNSWAwareAttention extends GraphMechanism<HNSWAwareAttentionConfig> {
  readonly name: 'HNSWAwareAttention';
  headAttentionWeights(query: Vector, keys: Rows, options?: GraphOptions): Rows2D;
}
export interface StructuralAttentionOptions { dim: number; structuralDim?: number; seed?: number }
export interface StructuralAttentionConfig { dim: number; structuralDim: number; seed: number }
/** Keys carry a learned projection of their structural features (metadata.structuralFeatures). */
export interface StructuralAttention extends GraphMechanism<StructuralAttentionConfig> {
  readonly name: 'StructuralAttention';
}
export interface CrossSpaceAttentionOptions { dim: number; fusion?: 'gate' | 'mean' | 'linear'; seed?: number }
export interface CrossSpaceAttentionConfig { dim: number; fusion: 'gate' | 'mean' | 'linear'; seed: number }
/** Graph ⊕ latent neighbours: Fusion(Att(h,G,G), Att(h,L,L), Att(Att(h,G,G),L,L)). */
export interface CrossSpaceAttention extends Mechanism<CrossSpaceAttentionConfig>, GraphWide, Differentiable {
  readonly name: 'CrossSpaceAttention';
  /** Either neighbour set may be empty (not both: EMPTY_INPUT). */
  forwardCross(h: Vector, graphNeighbors: Rows, latentNeighbors: Rows): Float32Array;
}
/** This family's mechanisms for {@link Runtime.create}. */
export interface GraphMechanisms {
  GraphRoPE: { options: GraphRoPEOptions; instance: GraphRoPE };
  HNSWAwareAttention: { options: HNSWAwareAttentionOptions; instance: HNSWAwareAttention };
  StructuralAttention: { options: StructuralAttentionOptions; instance: StructuralAttention };
  CrossSpaceAttention: { options: CrossSpaceAttentionOptions; instance: CrossSpaceAttention };
}

/**
 * Python's CSR converters (`ruvector_attention.graph`, `rt.graph`): the per-key
 * {@link GraphMetadata} of the graph-aware mechanisms, computed by the package.
 */
export interface GraphHelpers {
  /** Hop distance from `source` to every node (N); `unreachable` (default Infinity, as in Python) where no path exists. */
  bfsDistances(indptr: IndexArray, indices: IndexArray, source: number, options?: { unreachable?: number }): Float32Array;
  /** (N, 3) [degree, PageRank, clustering coefficient] per node: StructuralAttention's metadata.structuralFeatures. */
  structuralFeatures(indptr: IndexArray, indices: IndexArray): Rows2D;
}
