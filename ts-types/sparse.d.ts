/** Sparse / efficient attention (Python `ruvector_attention.sparse`). */
import type {
  Batched, Differentiable, GraphWide, Gradients, IndexArray, MaskOptions, Mechanism, Rows, Rows2D, Vector,
} from './base.js';

/** Per-key graph metadata (Python GraphMetadata): one entry per key. */
export interface SparseMetadata {
  /** Distance of each key from the query: local = the localWindow smallest. */
  distances?: ArrayLike<number>;
  /** Highest HNSW layer of each key: global = the globalNodes highest. */
  hnswLayers?: ArrayLike<number>;
}
export interface FlashAttentionOptions {
  dim: number;
  /** Keys per block (default 64); extra memory O(blockSize), exact for any n. */
  blockSize?: number;
  /** forwardBatch: query i sees keys j <= i (torch is_causal). Default false. */
  causal?: boolean;
  temperature?: number;
  scale?: number | null;
}
export interface FlashAttentionConfig {
  dim: number; blockSize: number; causal: boolean; temperature: number; scale: number | null;
}
/** Exact attention by tiled online softmax (FlashAttention). */
export interface FlashAttention extends Mechanism<FlashAttentionConfig>, Batched, Differentiable {
  readonly name: 'FlashAttention';
  readonly blockSize: number;
}
export interface LinearAttentionOptions {
  dim: number;
  /** Random features M (default 256; 'elu+1' uses dim). */
  numFeatures?: number;
  /** Feature map (default 'favor+'). */
  kernel?: 'favor+' | 'relu' | 'elu+1';
  orthogonal?: boolean;
  /** Seed of the random features (default 0): identical natively and in wasm. */
  seed?: number;
  /** Scale queries and keys to unit length first (lower variance). */
  normalize?: boolean;
  temperature?: number;
}
export interface LinearAttentionConfig {
  dim: number; numFeatures: number; kernel: 'favor+' | 'relu' | 'elu+1'; orthogonal: boolean; seed: number;
  normalize: boolean; temperature: number;
}
/** Performer FAVOR+ / relu / elu+1 linear attention; approximates softmax attention. */
export interface LinearAttention extends Mechanism<LinearAttentionConfig>, Batched {
  readonly name: 'LinearAttention';
  readonly numFeatures: number;
  redrawFeatures(): void;
  /** Summarise keys / values once (kept in Python); forwardPrepared costs O(M·d) per query. */
  setKeys(keys: Rows, values: Rows, options?: MaskOptions): void;
  forwardPrepared(query: Vector): Float32Array;
}
export interface LocalGlobalAttentionOptions {
  dim: number;
  /** Nearest keys attended (default 16; keys are ordered nearest first). */
  localWindow?: number;
  /** Keys on the highest HNSW layers attended (default 4; needs metadata.hnswLayers). */
  globalNodes?: number;
  temperature?: number;
  scale?: number | null;
}
export interface LocalGlobalAttentionConfig {
  dim: number; localWindow: number; globalNodes: number; temperature: number; scale: number | null;
}
export type SparseOptions = MaskOptions & { metadata?: SparseMetadata };
/** Local window + global hub keys: reads only the selected keys. */
export interface LocalGlobalAttention extends Mechanism<LocalGlobalAttentionConfig>, Batched,
  GraphWide<{ values?: Rows; hnswLayers?: ArrayLike<number> }> {
  readonly name: 'LocalGlobalAttention';
  readonly localWindow: number;
  readonly globalNodes: number;
  forward(query: Vector, keys: Rows, values: Rows, options?: SparseOptions): Float32Array;
  attentionWeights(query: Vector, keys: Rows, options?: SparseOptions): Float32Array;
  /** (n) 1 = the key is attended; at most localWindow + globalNodes ones. */
  attentionMask(n: number, metadata?: SparseMetadata): Uint8Array;
  /** forwardGraph: node i attends to its first localWindow CSR neighbours (listed nearest first)
   *  and, given hnswLayers (N: each node's highest HNSW layer), to the globalNodes others on the
   *  highest layers. */
}
/** This family's mechanisms for {@link Runtime.create}. */
export interface SparseMechanisms {
  FlashAttention: { options: FlashAttentionOptions; instance: FlashAttention };
  LinearAttention: { options: LinearAttentionOptions; instance: LinearAttention };
  LocalGlobalAttention: { options: LocalGlobalAttentionOptions; instance: LocalGlobalAttention };
}
