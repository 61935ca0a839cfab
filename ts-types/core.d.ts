/** Core mechanisms (Python `ruvector_attention.core`): scaled dot-product and multi-head attention. */
import type {
  Batched, Differentiable, GraphWide, Gradients, IndexArray, MaskOptions, Mechanism, Rows, Rows2D, Vector,
} from './base.js';

export interface ScaledDotProductAttentionOptions {
  dim: number;
  /** weights = softmax(q·k / (scale · temperature)); default 1, must be > 0. */
  temperature?: number;
  /** Default √dim. */
  scale?: number | null;
  /** In [0, 1); only active in training mode. */
  dropout?: number;
  seed?: number;
}
export interface ScaledDotProductAttentionConfig {
  dim: number; temperature: number; scale: number | null; dropout: number; seed: number;
}
export interface ScaledDotProductAttention extends Mechanism<ScaledDotProductAttentionConfig>, Batched, GraphWide, Differentiable {
  readonly name: 'ScaledDotProductAttention';
}

export interface MultiHeadAttentionOptions {
  dim: number;
  /** 1–16, must divide dim. */
  numHeads: number;
  /** Width of the values; default dim. */
  valueDim?: number | null;
  bias?: boolean;
  seed?: number;
}
export interface MultiHeadAttentionConfig {
  dim: number; numHeads: number; valueDim: number | null; bias: boolean; seed: number;
}
export interface MultiHeadAttention extends Mechanism<MultiHeadAttentionConfig>, Batched, GraphWide, Differentiable {
  readonly name: 'MultiHeadAttention';
  /** attentionWeights() is the mean over heads (torch's default); this is (H, n). */
  headAttentionWeights(query: Vector, keys: Rows, options?: MaskOptions): Rows2D;
  /** Output of one head before the output projection: (dim / numHeads). */
  headOutput(head: number, query: Vector, keys: Rows, values: Rows, options?: MaskOptions): Float32Array;
}

/** This family's mechanisms for {@link Runtime.create}: options and instance type by name. */
export interface CoreMechanisms {
  ScaledDotProductAttention: { options: ScaledDotProductAttentionOptions; instance: ScaledDotProductAttention };
  MultiHeadAttention: { options: MultiHeadAttentionOptions; instance: MultiHeadAttention };
}
