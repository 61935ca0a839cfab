/** Geometric attention (Python `ruvector_attention.geometric`) and the Poincaré math (`rt.geometric`). */
import type {
  Batched, Differentiable, GraphWide, Gradients, IndexArray, MaskOptions, Mechanism, Rows, Rows2D, Vector,
} from './base.js';

/** Mechanisms of a curved space expose its math at their curvature k (signed, geoopt's convention). */
export interface CurvedMechanism<Config> extends Mechanism<Config>, Batched, GraphWide, Differentiable {
  /** The curvature in use (k < 0: Poincaré ball of radius 1/sqrt(-k)); the learned one if learnt. */
  readonly curvature: number;
  /** Geodesic distance d_k(x, y) (k = -1: arccosh(1 + 2|x-y|^2 / ((1-|x|^2)(1-|y|^2)))). */
  poincareDistance(x: Vector, y: Vector): number;
  /** Möbius addition x ⊕_k y (the result is inside the ball). */
  mobiusAdd(x: Vector, y: Vector): Float32Array;
  /** Exponential map at base point x of the tangent vector v. */
  expMap(x: Vector, v: Vector): Float32Array;
  /** Logarithmic map at base point x of the point y (inverse of expMap). */
  logMap(x: Vector, y: Vector): Float32Array;
  /** Pull x inside the ball: |x| <= (1 - eps)/sqrt(-k) (default eps 4e-3). */
  projectToBall(x: Vector, eps?: number): Float32Array;
}
export interface HyperbolicAttentionOptions {
  dim: number;
  /** k < 0 (default -1); k >= 0 is an INVALID_CONFIG error. */
  curvature?: number;
  temperature?: number;
  /** Learn k = -softplus(rawCurvature) (stays negative). */
  learnCurvature?: boolean;
  /** 'ball' (default): inputs are points of the ball, one outside it is OUT_OF_BOUNDS; 'euclidean': Euclidean features mapped in by exp_0 (HGCN). */
  inputMode?: InputMode;
}
/** How a curved mechanism reads its inputs: ball points (never clipped silently) or Euclidean features (exp_0, HGCN). */
export type InputMode = 'ball' | 'euclidean';
export interface HyperbolicAttentionConfig {
  dim: number; curvature: number; temperature: number; learnCurvature: boolean; inputMode: InputMode;
}
/** Scores -d_k(q, k_j)/T, aggregation by the weighted gyromidpoint (output inside the ball). */
export interface HyperbolicAttention extends CurvedMechanism<HyperbolicAttentionConfig> {
  readonly name: 'HyperbolicAttention';
}
export interface ManifoldAttentionOptions {
  dim: number;
  /** Signed curvature k: < 0 ball, 0 Euclidean, > 0 sphere (continuous at 0). */
  curvature: number;
  temperature?: number; inputMode?: InputMode;
}
export interface ManifoldAttentionConfig { dim: number; curvature: number; temperature: number; inputMode: InputMode }
export interface ManifoldAttention extends CurvedMechanism<ManifoldAttentionConfig> { readonly name: 'ManifoldAttention' }
export interface MixedCurvatureAttentionOptions {
  euclideanDim: number; hyperbolicDim: number; curvature?: number; temperature?: number;
  /** The hyperbolic part: 'ball' (default) points, or 'euclidean' features mapped in by exp_0. */
  inputMode?: InputMode;
}
export interface MixedCurvatureAttentionConfig {
  euclideanDim: number; hyperbolicDim: number; curvature: number; temperature: number; inputMode: InputMode;
}
/** E^a × H^b: vectors split into a Euclidean and a hyperbolic part; learned fusion weights. */
export interface MixedCurvatureAttention extends CurvedMechanism<MixedCurvatureAttentionConfig> {
  readonly name: 'MixedCurvatureAttention';
  /** (2, n): row 0 <q_E, k_E>/sqrt(a), row 1 -d_k(q_H, k_H). */
  spaceScores(query: Vector, keys: Rows): Rows2D;
}
/** Edge features: one row per key (or per CSR edge in forwardGraph). */
export type EdgeOptions = MaskOptions & { edgeFeatures?: Rows };
export interface EdgeFeaturedAttentionOptions {
  nodeDim: number;
  /** Edge feature width (default 0: plain GAT). With edgeDim > 0 every call needs edgeFeatures. */
  edgeDim?: number;
  outDim?: number | null; numHeads?: number; concat?: boolean; negativeSlope?: number; bias?: boolean; seed?: number;
  /** forwardGraph gives every node one self-loop (edge features: the mean of its incoming edges'), as PyG GATConv's default (default false). */
  addSelfLoops?: boolean;
}
export interface EdgeFeaturedAttentionConfig {
  nodeDim: number; edgeDim: number; outDim: number | null; numHeads: number; concat: boolean;
  negativeSlope: number; bias: boolean; seed: number; addSelfLoops: boolean;
}
/** GAT with edge attributes, PyG GATConv semantics and parameter names. */
export interface EdgeFeaturedAttention extends Mechanism<EdgeFeaturedAttentionConfig>, Batched,
  GraphWide<{ values?: Rows; edgeFeatures?: Rows }>, Differentiable<EdgeOptions> {
  readonly name: 'EdgeFeaturedAttention';
  forwardWithEdges(query: Vector, keys: Rows, values: Rows, edgeFeatures: Rows): Float32Array;
  forward(query: Vector, keys: Rows, values: Rows, options?: EdgeOptions): Float32Array;
  attentionWeights(query: Vector, keys: Rows, options?: EdgeOptions): Float32Array;
  /** (H, n) per-head weights. */
  headAttentionWeights(query: Vector, keys: Rows, options?: EdgeOptions): Rows2D;
}
/** This family's mechanisms for {@link Runtime.create}. */
export interface GeometricMechanisms {
  HyperbolicAttention: { options: HyperbolicAttentionOptions; instance: HyperbolicAttention };
  ManifoldAttention: { options: ManifoldAttentionOptions; instance: ManifoldAttention };
  MixedCurvatureAttention: { options: MixedCurvatureAttentionOptions; instance: MixedCurvatureAttention };
  EdgeFeaturedAttention: { options: EdgeFeaturedAttentionOptions; instance: EdgeFeaturedAttention };
}
/** Curvature of the geometry functions: signed k (default -1, the unit Poincaré ball; 0 Euclidean; > 0 sphere). */
export interface GeometryOptions { k?: number }
/**
 * Python's `ruvector_attention.geometric` functions (`rt.geometric`). A point is a
 * {@link Vector}; {@link Rows} are many points (two row arguments pair up row by row,
 * or one of them is a single point used for every row). Point results are inside
 * the ball (k < 0); rows give {@link Rows2D}.
 */
export interface Geometry {
  /** d_k(x, y): a number for two points, one per row otherwise. */
  poincareDistance(x: Vector, y: Vector, options?: GeometryOptions): number;
  poincareDistance(x: Vector | Rows, y: Vector | Rows, options?: GeometryOptions): Float32Array;
  mobiusAdd(x: Vector, y: Vector, options?: GeometryOptions): Float32Array;
  mobiusAdd(x: Vector | Rows, y: Vector | Rows, options?: GeometryOptions): Rows2D;
  /** r ⊗_k x. */
  mobiusScalarMul(r: number, x: Vector, options?: GeometryOptions): Float32Array;
  mobiusScalarMul(r: number, x: Rows, options?: GeometryOptions): Rows2D;
  /** Exponential map at base point x of the tangent vector v. */
  expMap(x: Vector, v: Vector, options?: GeometryOptions): Float32Array;
  expMap(x: Vector | Rows, v: Vector | Rows, options?: GeometryOptions): Rows2D;
  /** Logarithmic map at base point x of the point y. */
  logMap(x: Vector, y: Vector, options?: GeometryOptions): Float32Array;
  logMap(x: Vector | Rows, y: Vector | Rows, options?: GeometryOptions): Rows2D;
  expMap0(v: Vector, options?: GeometryOptions): Float32Array;
  expMap0(v: Rows, options?: GeometryOptions): Rows2D;
  logMap0(y: Vector, options?: GeometryOptions): Float32Array;
  logMap0(y: Rows, options?: GeometryOptions): Rows2D;
  /** |x| <= (1 - eps)/sqrt(-k) (default eps 4e-3); identity for k >= 0. */
  projectToBall(x: Vector, options?: GeometryOptions & { eps?: number }): Float32Array;
  projectToBall(x: Rows, options?: GeometryOptions & { eps?: number }): Rows2D;
  /** Weighted gyromidpoint of the points (weights default to 1). */
  gyromidpoint(points: Rows, weights?: Vector, options?: GeometryOptions): Float32Array;
}
/** {@link Geometry} in worker mode (overloads kept: Async<> would keep only the last one). */
export interface AsyncGeometry {
  poincareDistance(x: Vector, y: Vector, options?: GeometryOptions): Promise<number>;
  poincareDistance(x: Vector | Rows, y: Vector | Rows, options?: GeometryOptions): Promise<Float32Array>;
  mobiusAdd(x: Vector, y: Vector, options?: GeometryOptions): Promise<Float32Array>;
  mobiusAdd(x: Vector | Rows, y: Vector | Rows, options?: GeometryOptions): Promise<Rows2D>;
  mobiusScalarMul(r: number, x: Vector, options?: GeometryOptions): Promise<Float32Array>;
  mobiusScalarMul(r: number, x: Rows, options?: GeometryOptions): Promise<Rows2D>;
  expMap(x: Vector, v: Vector, options?: GeometryOptions): Promise<Float32Array>;
  expMap(x: Vector | Rows, v: Vector | Rows, options?: GeometryOptions): Promise<Rows2D>;
  logMap(x: Vector, y: Vector, options?: GeometryOptions): Promise<Float32Array>;
  logMap(x: Vector | Rows, y: Vector | Rows, options?: GeometryOptions): Promise<Rows2D>;
  expMap0(v: Vector, options?: GeometryOptions): Promise<Float32Array>;
  expMap0(v: Rows, options?: GeometryOptions): Promise<Rows2D>;
  logMap0(y: Vector, options?: GeometryOptions): Promise<Float32Array>;
  logMap0(y: Rows, options?: GeometryOptions): Promise<Rows2D>;
  projectToBall(x: Vector, options?: GeometryOptions & { eps?: number }): Promise<Float32Array>;
  projectToBall(x: Rows, options?: GeometryOptions & { eps?: number }): Promise<Rows2D>;
  gyromidpoint(points: Rows, weights?: Vector, options?: GeometryOptions): Promise<Float32Array>;
}
