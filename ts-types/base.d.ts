/**
 * The types every family shares: errors, inputs and outputs, resident matrices, the
 * methods every mechanism has, and the catalogue (the export manifest as JS sees it).
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

/**
 * Key mask, read by its type as torch reads a mask's dtype: a Uint8Array, boolean[] or
 * 0/1 number[] keeps the keys that are true / nonzero (torch SDPA's boolean attn_mask);
 * a Float32Array / Float64Array is added to the scores (torch SDPA's float attn_mask: 0
 * keeps, -Infinity removes, a finite value shifts — finite shifts in
 * ScaledDotProductAttention and MultiHeadAttention; the other mechanisms take 0 /
 * -Infinity and refuse shifts with UNSUPPORTED).
 */
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

/** Mechanisms with `forward_batch`. */
export interface Batched {
  /**
   * Many queries (B,d). keys/values: one shared set (n,d)/(n,dv), or one set
   * per query (an array of B sets). Returns (B, dv).
   */
  forwardBatch(queries: Rows, keys: Rows | readonly Rows[], values: Rows | readonly Rows[]): Rows2D;
}

/** Mechanisms with `forward_graph`; `Options` are the per-node / per-edge extras. */
export interface GraphWide<Options = { values?: Rows }> {
  /**
   * Every node attends to its CSR neighbours: row i of the result equals
   * forward(features[i], features[nbrs(i)], values[nbrs(i)]); isolated → zeros.
   * features (N,d), indptr (N+1), indices (E) → (N, dv).
   */
  forwardGraph(features: Rows, indptr: IndexArray, indices: IndexArray, options?: Options): Rows2D;
}

/** Mechanisms with `backward`. */
export interface Differentiable<Options = MaskOptions> {
  /** Gradients of sum(gradOutput · forward(query, keys, values)). */
  backward(query: Vector, keys: Rows, values: Rows, gradOutput: Vector, options?: Options): Gradients;
}

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

/** Argument kinds of the export manifest (how JS encodes a value; `Catalog.kinds` describes each). */
export type ArgumentKind =
  | 'vector' | 'rows' | 'sets' | 'points' | 'scalars' | 'index' | 'layers' | 'mask' | 'metadata'
  | 'state' | 'object' | 'int' | 'float' | 'bool' | 'str' | 'json';
/** Result kinds of the export manifest (how JS decodes a result). */
export type ResultKind =
  | 'none' | 'vector' | 'matrix' | 'points' | 'scalars' | 'number' | 'bool' | 'mask' | 'gradients'
  | 'state' | 'json' | 'record' | 'handle';

/** One parameter of an exported method, constructor or function. */
export interface ParamInfo {
  /** camelCase (the JS name). */
  name: string;
  pythonName: string;
  kind: ArgumentKind;
  optional: boolean;
}

/** An exported method, constructor or function: positional `args`, then the fields of
 *  the trailing options object. */
export interface CallInfo {
  name: string;
  pythonName: string;
  args: readonly ParamInfo[];
  options: readonly ParamInfo[];
  returns: ResultKind;
  /** Changes the object's state (its properties are read again after it). */
  mutates?: boolean;
}

/** An exported read-only property. */
export interface PropertyInfo extends CallInfo {}

/** An exported class: a mechanism or a stateful object. */
export interface ClassInfo {
  /** Class name, usable with {@link Runtime.create}. */
  name: string;
  /** One-line description (first docstring line). */
  summary: string;
  /** Python sub-package, e.g. 'core', 'geometric'. */
  family?: string;
  /** The options object of create() / new. */
  constructor: CallInfo;
  /** camelCase names of the exported methods (e.g. 'headAttentionWeights'). */
  methods: readonly string[];
  signatures: readonly CallInfo[];
  properties: readonly PropertyInfo[];
}

/** An exported module function, `rt[namespace][name]`. */
export interface FunctionInfo extends CallInfo {
  namespace: string;
  /** "sub-package.function" in Python. */
  qualifiedName: string;
  summary: string;
}

/** The export manifest: every class and function the runtime builds at run time. */
export interface Catalog {
  mechanisms: readonly MechanismInfo[];
  objects: readonly ClassInfo[];
  functions: readonly FunctionInfo[];
  kinds: {
    arguments: Record<ArgumentKind, string>;
    results: Record<ResultKind, string>;
    /** Fields of the 'metadata' kind. */
    metadata: Record<string, { kind: ArgumentKind; pythonName: string }>;
  };
}

export interface MechanismInfo extends ClassInfo {
  /** Cost for one query, e.g. 'O(n)'. */
  complexity?: string;
  fields: readonly ConfigField[];
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

/** Makes every method return a Promise (worker mode). Plain properties stay. */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : T[K];
};
