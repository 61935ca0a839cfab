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

// ---- issue 6: sparse / efficient attention
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
// ---- end issue 6

export interface AttentionInfo {
  version: string;
  features: string[];
  supportedTypes: string[];
}

export declare function info(): AttentionInfo;
export declare function version(): string;

/** @internal keeps the AttentionError import used for doc links. */
export type CompatError = AttentionError;
