/**
 * `ruvector-attention/compat`: the names of the `@ruvector/attention` Node
 * package for the mechanisms this package has, so its users switch by
 * changing the import and awaiting `init()` once. Everything is synchronous
 * after that. Unlike that package, bad input throws a catchable
 * {@link AttentionError} (never aborts the process).
 */
import type { AttentionError } from './index.js';

export { AttentionError } from './index.js';

/** Input type of the original package: Float32Array or number[]. */
export type ArrayInput = Float32Array | number[];

/** Boot the runtime (main thread). Must resolve before any class here is constructed. */
export declare function init(options?: { indexURL?: string }): Promise<void>;

/** Scaled dot-product attention: softmax(q·kᵀ / √dim) · V. */
export declare class DotProductAttention {
  /** Throws AttentionError('NOT_INITIALIZED') before `await init()`, 'INVALID_CONFIG' for a bad dim. */
  constructor(dim: number);
  readonly dim: number;
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array;
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array;
  /** mask[i] = true: key i takes part. A fully masked query gives zeros. */
  computeWithMask(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[], mask: boolean[]): Float32Array;
  /** Free the underlying Python object now (otherwise freed when garbage-collected). */
  free(): void;
}

/**
 * Multi-head attention without learned projections (as the original): heads
 * are slices of headDim features, each scaled dot-product attention, outputs
 * concatenated.
 */
export declare class MultiHeadAttention {
  constructor(dim: number, numHeads: number);
  readonly dim: number;
  readonly numHeads: number;
  readonly headDim: number;
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array;
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array;
  computeWithMask(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[], mask: boolean[]): Float32Array;
  free(): void;
}

// ---------------------------------------------------------------- sparse / efficient attention
/** Exact attention computed in key blocks (FlashAttention); memory O(blockSize). */
export declare class FlashAttention {
  constructor(dim: number, blockSize?: number);
  readonly dim: number;
  readonly blockSize: number;
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array;
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array;
  free(): void;
}

/** Linear attention with seeded positive orthogonal random features (Performer FAVOR+). */
export declare class LinearAttention {
  constructor(dim: number, numFeatures?: number);
  readonly dim: number;
  readonly numFeatures: number;
  /** Same as numFeatures (the original package's name). */
  readonly features: number;
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array;
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array;
  free(): void;
}

/** Local window (the first, nearest keys) plus global tokens; reads only those keys. */
export declare class LocalGlobalAttention {
  constructor(dim: number, localWindow?: number, globalTokens?: number);
  readonly dim: number;
  readonly localWindow: number;
  /** Same as localWindow (the original package's name). */
  readonly windowSize: number;
  readonly globalTokens: number;
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array;
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array;
  free(): void;
}
// ---------------------------------------------------------------- graph-aware attention
/** Configuration of {@link GraphRoPeAttention} (the original's RoPEConfig). */
export interface RoPEConfig {
  dim: number;
  /** Positions are clamped to maxPosition - 1. */
  maxPosition: number;
  /** Frequency base (default 10000). */
  base?: number;
  /** Positions are divided by this (default 1). */
  scalingFactor?: number;
}

/**
 * Graph attention with rotary position embeddings of graph positions (hop
 * distances). Positions are integers >= 0, clamped to maxPosition - 1 and
 * divided by scalingFactor, as in the original. Unlike the original, pairs are
 * interleaved (2i, 2i+1) as in RoFormer, the spec and rotary-embedding-torch
 * (the original rotates the halves (i, i + dim/2)); scores are relative in
 * both: they depend only on keyPosition - queryPosition.
 */
export declare class GraphRoPeAttention {
  constructor(config: RoPEConfig);
  /** The `ruvector` wrapper's form: (dim, maxPosition = 1000). */
  constructor(dim: number, maxPosition?: number);
  readonly dim: number;
  readonly maxPosition: number;
  /** Keys at positions 0, 1, 2, ... (sequence RoPE), the query at 0. */
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array;
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array;
  /** keyPositions: one integer >= 0 per key (e.g. hop distances from the query). */
  computeWithPositions(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[],
                       queryPosition: number, keyPositions: number[]): Float32Array;
  /** The vector rotated to `position`. */
  applyRotary(vector: ArrayInput, position: number): Float32Array;
  /** Hop distance -> position bucket: exact up to 8, then 8 + min(ceil(log2 d), maxDistance - 8). */
  static distanceToPosition(distance: number, maxDistance: number): number;
  free(): void;
}
// ---------------------------------------------------------------- geometric attention
// Curvature is signed (geoopt's convention): -1 is the unit Poincaré ball. @ruvector/attention
// takes c > 0 and ignores the sign; pass -c here. A curvature >= 0 throws INVALID_CONFIG.

/** Hyperbolic attention: scores -d_k(q, k_j)/T, output the weighted gyromidpoint of the values. */
export declare class HyperbolicAttention {
  /** curvature < 0, default -1. */
  constructor(dim: number, curvature?: number);
  /** adaptiveCurvature: learn k (kept negative); temperature > 0. */
  static withConfig(dim: number, curvature: number, adaptiveCurvature: boolean, temperature: number): HyperbolicAttention;
  readonly dim: number;
  readonly curvature: number;
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array;
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array;
  free(): void;
}

export interface EdgeFeaturedConfig {
  nodeDim: number;
  edgeDim: number;
  numHeads: number;
  /** Concatenate the heads (default true; nodeDim must be divisible by numHeads) or average them. */
  concatHeads?: boolean;
  /** Only false: the keys are the neighbours attended to (include the node itself for a self-loop). */
  addSelfLoops?: false;
  /** LeakyReLU slope (default 0.2). */
  negativeSlope?: number;
}

/** GAT with edge features, PyG GATConv semantics (seeded glorot weights). */
export declare class EdgeFeaturedAttention {
  constructor(config: EdgeFeaturedConfig);
  static simple(nodeDim: number, edgeDim: number, numHeads: number): EdgeFeaturedAttention;
  readonly nodeDim: number;
  readonly edgeDim: number;
  readonly numHeads: number;
  /** Only when edgeDim is 0 (otherwise DIMENSION_MISMATCH: use computeWithEdges). */
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array;
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array;
  /** edgeFeatures: one row of edgeDim features per key. */
  computeWithEdges(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[], edgeFeatures: ArrayInput[]): Float32Array;
  free(): void;
}

export interface DualSpaceConfig {
  /** >= 2: the first ceil(dim/2) features are Euclidean, the rest a point of the Poincaré ball. */
  dim: number;
  /** < 0 */
  curvature: number;
  euclideanWeight: number;
  hyperbolicWeight: number;
  temperature?: number;
}
export interface SpaceContributions { euclideanScores: Float32Array; hyperbolicScores: Float32Array }

/** Euclidean × hyperbolic attention (MixedCurvatureAttention with the given fusion weights). */
export declare class DualSpaceAttention {
  constructor(config: DualSpaceConfig);
  /** Weights 0.5 / 0.5. */
  static simple(dim: number, curvature: number): DualSpaceAttention;
  static withWeights(dim: number, curvature: number, euclideanWeight: number, hyperbolicWeight: number): DualSpaceAttention;
  readonly dim: number;
  readonly curvature: number;
  readonly euclideanWeight: number;
  readonly hyperbolicWeight: number;
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array;
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array;
  /** Unweighted scores per key: <q_E, k_E>/sqrt(ceil(dim/2)) and -d_k(q_H, k_H). */
  getSpaceContributions(query: ArrayInput, keys: ArrayInput[]): SpaceContributions;
  free(): void;
}

/** Geodesic distance (curvature < 0, default -1). */
export declare function poincareDistance(a: ArrayInput, b: ArrayInput, curvature?: number): number;
export declare function mobiusAddition(a: ArrayInput, b: ArrayInput, curvature?: number): Float32Array;
/** The exponential map at base (geoopt's expmap; correct for every base point). */
export declare function expMap(base: ArrayInput, tangent: ArrayInput, curvature?: number): Float32Array;
/** The logarithmic map at base, inverse of expMap. */
export declare function logMap(base: ArrayInput, point: ArrayInput, curvature?: number): Float32Array;
export declare function projectToPoincareBall(vector: ArrayInput, curvature?: number): Float32Array;
export interface AttentionInfo {
  version: string;
  features: string[];
  supportedTypes: string[];
}

export declare function info(): AttentionInfo;
export declare function version(): string;

/** @internal keeps the AttentionError import used for doc links. */
export type CompatError = AttentionError;
