/**
 * Public types of the npm package `ruvector-attention`.
 *
 * The package runs the Python package `ruvector_attention` (and its C SIMD
 * kernel compiled to WebAssembly) inside Pyodide, in Node.js and browsers.
 * Every class mirrors the Python class of the same name with camelCase
 * methods; Python keyword arguments become an options object.
 *
 * Shape legend: n keys, d = dim (query/key width), dv value width,
 * B batch size, N graph nodes, E edges, H heads.
 */

// ---------------------------------------------------------------- errors

/** Error codes: the Python error hierarchy plus the JS-side states. */
export type ErrorCode =
  | 'DIMENSION_MISMATCH'     // DimensionMismatchError
  | 'EMPTY_INPUT'            // EmptyInputError
  | 'NUMERICAL_INSTABILITY'  // NumericalInstabilityError
  | 'INVALID_CONFIG'         // InvalidConfigError
  | 'OUT_OF_BOUNDS'          // OutOfBoundsError
  | 'UNSUPPORTED'            // UnsupportedError
  | 'INTERNAL'               // anything else raised by Python or the runtime
  | 'DISPOSED'               // a method was called on a disposed object / terminated runtime
  | 'INIT_FAILED'            // Pyodide or the wheel could not be loaded, or versions disagree
  | 'NOT_INITIALIZED';       // compat classes used before `await init()`

/** Every error this package throws (or rejects with) is an AttentionError. */
export declare class AttentionError extends Error {
  constructor(code: ErrorCode, message: string, pythonType?: string);
  readonly name: 'AttentionError';
  readonly code: ErrorCode;
  /** The Python exception class name, e.g. 'DimensionMismatchError' (absent for JS-side errors). */
  readonly pythonType?: string;
}

// ---------------------------------------------------------------- inputs / outputs

/** One vector (query, gradient, …): a Float32Array (fastest) or numbers. */
export type Vector = Float32Array | readonly number[];

/**
 * A set of rows stored in one flat row-major Float32Array: the fast path
 * (one copy into a Python-owned buffer, no per-element conversion).
 * `data.length` must equal `rows * width`; `cols`, when given, is checked.
 */
export interface FlatRows {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols?: number;
}

/** A 2-D result: row-major `data` of `rows * cols` values. Also usable as input. */
export interface Rows2D extends FlatRows {
  readonly cols: number;
}

/**
 * A set of rows (keys, values, queries, features):
 * an array of rows (each a Float32Array or number[]), a {@link FlatRows},
 * or a {@link Matrix} that already lives in the wasm heap (no copy at all).
 */
export type Rows = readonly (Float32Array | readonly number[])[] | FlatRows | MatrixHandle;

/**
 * A resident matrix as an argument: a {@link Matrix} of the main runtime or an
 * {@link AsyncMatrix} of the worker runtime (each only in the runtime that made it).
 */
export interface MatrixHandle {
  readonly rows: number;
  readonly cols: number;
  readonly disposed: boolean;
}

/** Key mask, torch's meaning by type. Boolean — a Uint8Array of 0 / 1, booleans, or 0 / 1
 *  numbers: true keeps the key (torch SDPA's boolean attn_mask). Additive — a Float32Array /
 *  Float64Array: added to the scores, 0 keeps, -Infinity removes, a finite value shifts (its
 *  float attn_mask; finite shifts in ScaledDotProductAttention and MultiHeadAttention, the
 *  other mechanisms take 0 / -Infinity and refuse shifts with UNSUPPORTED). */
export type Mask = Uint8Array | readonly boolean[] | readonly number[] | Float32Array | Float64Array;

/** CSR index arrays (int64 in Python; values must fit in 2^53). */
export type IndexArray = Int32Array | Uint32Array | BigInt64Array | readonly number[];

export interface MaskOptions {
  /** Fully masked → zero output / zero weights, never NaN. */
  mask?: Mask;
}

/** Per-parameter float32 values, keyed by the Python `state_dict()` names (PyTorch's). */
export type StateDict = Record<string, Float32Array>;

export interface Gradients {
  /** (d) */
  query: Float32Array;
  /** (n, d) */
  keys: Rows2D;
  /** (n, dv) */
  values: Rows2D;
  /** Gradients of every parameter, keyed like {@link StateDict}. */
  params: StateDict;
}

/**
 * A float32 matrix owned by Python inside the wasm heap. Pass it wherever
 * {@link Rows} is accepted to skip the input copy (e.g. keys reused across
 * many queries). `set()` overwrites it in place with one memcpy.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly disposed: boolean;
  /** Overwrite all values; `data.length` must be rows * cols. */
  set(data: Float32Array): void;
  /** A copy of the contents. */
  toFloat32Array(): Float32Array;
  dispose(): void;
}

// ---------------------------------------------------------------- mechanisms

/** Methods every mechanism has (the Python `Attention` base class). */
export interface Mechanism<Config = Record<string, unknown>> {
  /** The Python class name, e.g. 'ScaledDotProductAttention'. */
  readonly name: string;
  readonly disposed: boolean;
  /** Attention output for one query: (d), (n,d), (n,dv) → (dv). */
  forward(query: Vector, keys: Rows, values: Rows, options?: MaskOptions): Float32Array;
  /** Softmax weights over the keys: (n). Sums to 1 (0 everywhere if fully masked). */
  attentionWeights(query: Vector, keys: Rows, options?: MaskOptions): Float32Array;
  /**
   * Many queries (B,d). keys/values: one shared set (n,d)/(n,dv), or one set
   * per query (an array of B sets). Returns (B, dv).
   */
  forwardBatch(queries: Rows, keys: Rows | readonly Rows[], values: Rows | readonly Rows[]): Rows2D;
  /**
   * Every node attends to its CSR neighbours: row i of the result equals
   * forward(features[i], features[nbrs(i)], values[nbrs(i)]); isolated → zeros.
   * features (N,d), indptr (N+1), indices (E) → (N, dv).
   */
  forwardGraph(features: Rows, indptr: IndexArray, indices: IndexArray,
               options?: { values?: Rows }): Rows2D;
  /** Gradients of sum(gradOutput · forward(query, keys, values)). */
  backward(query: Vector, keys: Rows, values: Rows, gradOutput: Vector, options?: MaskOptions): Gradients;
  /** The frozen Python config, camelCase keys. */
  config(): Config;
  stateDict(): StateDict;
  /** Shapes are checked against the mechanism's own parameters. */
  loadStateDict(state: Record<string, Float32Array | readonly number[]>): void;
  /** Training mode enables dropout (seeded). Default: eval mode. */
  train(mode?: boolean): void;
  eval(): void;
  readonly training: boolean;
  /** Frees the Python object. Any later call throws AttentionError('DISPOSED'). Idempotent. */
  dispose(): void;
}

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
export interface ScaledDotProductAttention extends Mechanism<ScaledDotProductAttentionConfig> {
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
export interface MultiHeadAttention extends Mechanism<MultiHeadAttentionConfig> {
  readonly name: 'MultiHeadAttention';
  /** attentionWeights() is the mean over heads (torch's default); this is (H, n). */
  headAttentionWeights(query: Vector, keys: Rows, options?: MaskOptions): Rows2D;
  /** Output of one head before the output projection: (dim / numHeads). */
  headOutput(head: number, query: Vector, keys: Rows, values: Rows, options?: MaskOptions): Float32Array;
}

/** Typed names for {@link Runtime.create}; other catalogue names give a plain {@link Mechanism}. */
export interface MechanismTypes {
  ScaledDotProductAttention: { options: ScaledDotProductAttentionOptions; instance: ScaledDotProductAttention };
  MultiHeadAttention: { options: MultiHeadAttentionOptions; instance: MultiHeadAttention };
}
export type MechanismName = keyof MechanismTypes;

// ---- issue 6: sparse / efficient attention (merged into MechanismTypes)
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
export interface FlashAttention extends Mechanism<FlashAttentionConfig> {
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
export interface LinearAttention extends Mechanism<LinearAttentionConfig> {
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
export interface LocalGlobalAttention extends Mechanism<LocalGlobalAttentionConfig> {
  readonly name: 'LocalGlobalAttention';
  readonly localWindow: number;
  readonly globalNodes: number;
  forward(query: Vector, keys: Rows, values: Rows, options?: SparseOptions): Float32Array;
  attentionWeights(query: Vector, keys: Rows, options?: SparseOptions): Float32Array;
  /** (n) 1 = the key is attended; at most localWindow + globalNodes ones. */
  attentionMask(n: number, metadata?: SparseMetadata): Uint8Array;
  /** Node i attends to its first localWindow CSR neighbours (listed nearest first) and, given
   *  hnswLayers (N: each node's highest HNSW layer), to the globalNodes others on the highest layers. */
  forwardGraph(features: Rows, indptr: IndexArray, indices: IndexArray,
               options?: { values?: Rows; hnswLayers?: ArrayLike<number> }): Rows2D;
}
export interface MechanismTypes {
  FlashAttention: { options: FlashAttentionOptions; instance: FlashAttention };
  LinearAttention: { options: LinearAttentionOptions; instance: LinearAttention };
  LocalGlobalAttention: { options: LocalGlobalAttentionOptions; instance: LocalGlobalAttention };
}
// ---- end issue 6

// ---- issue 7: graph-aware attention (merged into MechanismTypes)
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
export interface GraphMechanism<Config> extends Mechanism<Config> {
  /** Output (dv) using the metadata (which field depends on the mechanism; missing → INVALID_CONFIG). */
  forwardWithMetadata(query: Vector, keys: Rows, values: Rows, metadata: GraphMetadata, options?: GraphOptions): Float32Array;
  attentionWeights(query: Vector, keys: Rows, options?: GraphOptions): Float32Array;
  /** metadata: per-edge distances (GraphRoPE), per-node layers / features (the others). */
  forwardGraph(features: Rows, indptr: IndexArray, indices: IndexArray,
               options?: { values?: Rows; metadata?: GraphMetadata }): Rows2D;
  backward(query: Vector, keys: Rows, values: Rows, gradOutput: Vector, options?: GraphOptions): Gradients;
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
export interface CrossSpaceAttention extends Mechanism<CrossSpaceAttentionConfig> {
  readonly name: 'CrossSpaceAttention';
  /** Either neighbour set may be empty (not both: EMPTY_INPUT). */
  forwardCross(h: Vector, graphNeighbors: Rows, latentNeighbors: Rows): Float32Array;
}
export interface MechanismTypes {
  GraphRoPE: { options: GraphRoPEOptions; instance: GraphRoPE };
  HNSWAwareAttention: { options: HNSWAwareAttentionOptions; instance: HNSWAwareAttention };
  StructuralAttention: { options: StructuralAttentionOptions; instance: StructuralAttention };
  CrossSpaceAttention: { options: CrossSpaceAttentionOptions; instance: CrossSpaceAttention };
}
// ---- end issue 7

// ---- issue 5: geometric attention (merged into MechanismTypes)
/** Mechanisms of a curved space expose its math at their curvature k (signed, geoopt's convention). */
export interface CurvedMechanism<Config> extends Mechanism<Config> {
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
  seed?: number;
}
/** How a curved mechanism reads its inputs: ball points (never clipped silently) or Euclidean features (exp_0, HGCN). */
export type InputMode = 'ball' | 'euclidean';
export interface HyperbolicAttentionConfig {
  dim: number; curvature: number; temperature: number; learnCurvature: boolean; inputMode: InputMode; seed: number;
}
/** Scores -d_k(q, k_j)/T, aggregation by the weighted gyromidpoint (output inside the ball). */
export interface HyperbolicAttention extends CurvedMechanism<HyperbolicAttentionConfig> {
  readonly name: 'HyperbolicAttention';
}
export interface ManifoldAttentionOptions {
  dim: number;
  /** Signed curvature: < 0 ball, 0 Euclidean, > 0 sphere (continuous at 0). */
  k: number;
  temperature?: number; inputMode?: InputMode; seed?: number;
}
export interface ManifoldAttentionConfig { dim: number; k: number; temperature: number; inputMode: InputMode; seed: number }
export interface ManifoldAttention extends CurvedMechanism<ManifoldAttentionConfig> { readonly name: 'ManifoldAttention' }
export interface MixedCurvatureAttentionOptions {
  euclideanDim: number; hyperbolicDim: number; curvature?: number; temperature?: number; seed?: number;
  /** The hyperbolic part: 'ball' (default) points, or 'euclidean' features mapped in by exp_0. */
  inputMode?: InputMode;
}
export interface MixedCurvatureAttentionConfig {
  euclideanDim: number; hyperbolicDim: number; curvature: number; temperature: number; seed: number; inputMode: InputMode;
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
export interface EdgeFeaturedAttention extends Mechanism<EdgeFeaturedAttentionConfig> {
  readonly name: 'EdgeFeaturedAttention';
  forwardWithEdges(query: Vector, keys: Rows, values: Rows, edgeFeatures: Rows): Float32Array;
  forward(query: Vector, keys: Rows, values: Rows, options?: EdgeOptions): Float32Array;
  attentionWeights(query: Vector, keys: Rows, options?: EdgeOptions): Float32Array;
  /** (H, n) per-head weights. */
  headAttentionWeights(query: Vector, keys: Rows, options?: EdgeOptions): Rows2D;
  forwardGraph(features: Rows, indptr: IndexArray, indices: IndexArray,
               options?: { values?: Rows; edgeFeatures?: Rows }): Rows2D;
  backward(query: Vector, keys: Rows, values: Rows, gradOutput: Vector, options?: EdgeOptions): Gradients;
}
export interface MechanismTypes {
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
// ---- end issue 5

// ---------------------------------------------------------------- catalogue

/** One constructor field of a mechanism, from the Python `mechanism_catalog()`. */
export interface ConfigField {
  /** camelCase name used in the options object. */
  name: string;
  /** The Python keyword name. */
  pythonName: string;
  type: 'int' | 'float' | 'bool' | 'str' | 'enum';
  /** The Python default (null = None); for a required field, a sensible starting value. */
  default?: number | boolean | string | null;
  /** A positional constructor argument in Python (must be given). */
  required: boolean;
  /** Whether null (Python None) is allowed. */
  nullable: boolean;
  /** Numeric bounds where the Python config has them (inclusive unless *Exclusive). */
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  /** Allowed values for 'enum' (and fixed string choices). */
  choices?: readonly string[];
  doc?: string;
}

export interface MechanismInfo {
  /** Class name, usable with {@link Runtime.create}. */
  name: string;
  /** One-line description (first docstring line). */
  summary: string;
  /** Python sub-package, e.g. 'core', 'geometric'. */
  family?: string;
  /** Cost for one query, e.g. 'O(n)'. */
  complexity?: string;
  fields: readonly ConfigField[];
  /** camelCase names of the methods this mechanism supports (e.g. 'headAttentionWeights'). */
  methods: readonly string[];
}

export interface Versions {
  /** The npm package version. */
  js: string;
  /** ruvector_attention.__version__ */
  python: string;
  /** rv_version() of the loaded wasm kernel. */
  kernel: string;
  /** Live SIMD path, e.g. 'wasm128'. */
  isa: string;
  /** Pyodide version. */
  pyodide: string;
}

// ---------------------------------------------------------------- datasets

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

/**
 * Python's CSR converters (`ruvector_attention.graph`, `rt.graph`): the per-key
 * {@link GraphMetadata} of the graph-aware mechanisms, computed by the package.
 */
export interface GraphHelpers {
  /** Hop distance from `source` to every node (N); `unreachable` (default -1) where no path exists. */
  bfsDistances(indptr: IndexArray, indices: IndexArray, source: number, options?: { unreachable?: number }): Float32Array;
  /** (N, 3) [degree, PageRank, clustering coefficient] per node: StructuralAttention's metadata.structuralFeatures. */
  structuralFeatures(indptr: IndexArray, indices: IndexArray): Rows2D;
}

/** Seeded synthetic graphs, computed by the Python package (same results as natively). */
export interface Datasets {
  hnswGraph(options?: HnswGraphOptions): LayeredGraph;
  /** Exact k-nearest-neighbour graph over user vectors (N * dim, row-major). */
  knnGraph(vectors: Float32Array, dim: number, options?: { k?: number; layers?: readonly number[] | Int32Array }): LayeredGraph;
}

// ---------------------------------------------------------------- runtimes

/** Makes every method return a Promise (worker mode). Plain properties stay. */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : T[K];
};

export type AsyncMechanism<Config = Record<string, unknown>> = Async<Mechanism<Config>>;
export type AsyncScaledDotProductAttention = Async<ScaledDotProductAttention>;
export type AsyncMultiHeadAttention = Async<MultiHeadAttention>;
export type AsyncMatrix = Async<Matrix>;

/** Boot stages reported through {@link InitOptions.onProgress}. */
export type BootStage = 'pyodide' | 'package' | 'verify' | 'ready';

export interface InitOptions {
  /** Run Pyodide in a Web Worker (browser) / worker_threads (Node). */
  worker?: boolean;
  /**
   * Where the Pyodide distribution (pyodide.mjs, pyodide.asm.wasm,
   * pyodide-lock.json, our wheel) is served from; must end with '/'.
   * Default: this package's `dist/pyodide/` (browser: `pyodide/` next to the
   * bundle that imports the package).
   */
  indexURL?: string;
  /** Called at each boot stage (e.g. for a status line). */
  onProgress?: (stage: BootStage, detail: string) => void;
}

/** Main-thread runtime: synchronous methods. */
export interface Runtime {
  readonly mode: 'main';
  readonly versions: Versions;
  /** Every mechanism of the Python package, with its config fields. */
  mechanisms(): MechanismInfo[];
  readonly ScaledDotProductAttention: new (options: ScaledDotProductAttentionOptions) => ScaledDotProductAttention;
  readonly MultiHeadAttention: new (options: MultiHeadAttentionOptions) => MultiHeadAttention;
  /** Construct any mechanism of the catalogue by name (same API in both runtimes). */
  create<N extends MechanismName>(name: N, options: MechanismTypes[N]['options']): Promise<MechanismTypes[N]['instance']>;
  create(name: string, options?: Record<string, unknown>): Promise<Mechanism>;
  /** Copy rows into a Python-owned buffer in the wasm heap (see {@link Matrix}). */
  matrix(data: Float32Array, rows: number): Matrix;
  matrix(rows: Rows): Matrix;
  readonly datasets: Datasets;
  /** Poincaré / κ-stereographic math (issue 5). */
  readonly geometric: Geometry;
  /** CSR converters for graph metadata (issue 7). */
  readonly graph: GraphHelpers;
}

/** Worker runtime: every method returns a Promise. */
export interface AsyncRuntime {
  readonly mode: 'worker';
  readonly versions: Versions;
  mechanisms(): Promise<MechanismInfo[]>;
  create<N extends MechanismName>(name: N, options: MechanismTypes[N]['options']): Promise<Async<MechanismTypes[N]['instance']>>;
  create(name: string, options?: Record<string, unknown>): Promise<AsyncMechanism>;
  matrix(data: Float32Array, rows: number): Promise<AsyncMatrix>;
  matrix(rows: Rows): Promise<AsyncMatrix>;
  readonly datasets: Async<Datasets>;
  readonly geometric: AsyncGeometry;
  readonly graph: Async<GraphHelpers>;
  /** Stops the worker; later calls reject with AttentionError('DISPOSED'). A new init({worker:true}) boots again. */
  terminate(): Promise<void>;
}

/**
 * Boot Pyodide and load the package (once: concurrent calls share one boot;
 * after a failure the next call retries). Rejects with AttentionError('INIT_FAILED').
 */
export declare function init(options?: InitOptions & { worker?: false }): Promise<Runtime>;
export declare function init(options: InitOptions & { worker: true }): Promise<AsyncRuntime>;
export declare function init(options?: InitOptions): Promise<Runtime | AsyncRuntime>;

/** Helper: a {@link FlatRows} from a flat row-major array and its row count. */
export declare function flat(data: Float32Array, rows: number): FlatRows;

/** The npm package version. */
export declare const version: string;
