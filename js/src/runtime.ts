// The main-thread (synchronous) runtime: mechanism classes that mirror the
// Python ones, resident matrices, and the catalogue. Each method is one
// bridge.invoke with its arguments described by inputs.ts.
import { AttentionError, disposedError } from './errors.ts';
import type { Bridge } from './bridge.ts';
import { MechanismBase, asArray, checkOptions, leaked, slot, toRows2D, toStateDict } from './mechanism.ts';
import type { Booted } from './boot.ts';
import {
  MATRIX_HANDLE, MATRIX_VIEW, indexArg, intScalarArg, layersArg, rowsArg, vectorArg, type Arg, type ResidentMatrix,
} from './inputs.ts';
import type {
  Datasets, Geometry, GeometryOptions, GraphHelpers, HnswGraphOptions, LayeredGraph, Gradients, MaskOptions, Matrix, MechanismInfo, Rows, Rows2D, Runtime, Vector, Versions,
} from '../../ts-types/index.d.ts';

export class MultiHeadAttentionImpl extends MechanismBase {
  headAttentionWeights(query: Vector, keys: Rows, options?: MaskOptions): Rows2D {
    return toRows2D(this.call('head_attention_weights', [vectorArg(query, 'query'), rowsArg(keys, 'keys')], options));
  }

  headOutput(head: number, query: Vector, keys: Rows, values: Rows, options?: MaskOptions): Float32Array {
    return asArray(this.call('head_output', [intScalarArg(head, 'head'), vectorArg(query, 'query'),
      rowsArg(keys, 'keys'), rowsArg(values, 'values')], options)).data;
  }
}

type Resident = ReturnType<Bridge['matrix']>;

/** A float32 matrix owned by Python in the wasm heap (see ts-types Matrix). */
export class MatrixImpl implements Matrix, ResidentMatrix {
  readonly rows: number;
  readonly cols: number;
  #bridge: Bridge;
  #m: Resident | null;
  #unregister: object = {};

  constructor(bridge: Bridge, rows: number, cols: number) {
    this.#bridge = bridge;
    this.rows = rows;
    this.cols = cols;
    const m = bridge.matrix(rows, cols);
    this.#m = m;
    leaked.register(this, () => { m.release(); bridge.dispose(m.handle); }, this.#unregister);
  }

  [MATRIX_HANDLE] = (): number => this.#live().handle;
  [MATRIX_VIEW] = (): Float32Array<ArrayBufferLike> => this.#live().view();

  #live(): Resident {
    if (!this.#m) throw disposedError('Matrix');
    return this.#m;
  }

  get disposed(): boolean { return this.#m === null; }

  set(data: Float32Array): void {
    if (!(data instanceof Float32Array)) throw new AttentionError('UNSUPPORTED', 'Matrix.set expects a Float32Array');
    if (data.length !== this.rows * this.cols) {
      throw new AttentionError('DIMENSION_MISMATCH',
        `Matrix.set got ${data.length} values, expected ${this.rows} x ${this.cols} = ${this.rows * this.cols}`);
    }
    this.#live().view().set(data);
  }

  toFloat32Array(): Float32Array {
    return this.#live().view().slice(0, this.rows * this.cols);
  }

  dispose(): void {
    const m = this.#m;
    if (!m) return;
    this.#m = null;
    leaked.unregister(this.#unregister);
    m.release();
    this.#bridge.dispose(m.handle);
  }
}

/** Copy rows into a new resident matrix. */
export function makeMatrix(bridge: Bridge, data: unknown, rows?: number): MatrixImpl {
  const arg = rowsArg(rows === undefined ? data : { data, rows }, 'matrix');
  if (arg.kind === 'matrix') throw new AttentionError('UNSUPPORTED', 'matrix() got a Matrix already');
  const [r, c] = arg.shape as [number, number];
  const m = new MatrixImpl(bridge, r, c);
  if (arg.length) {
    const tmp = new Float32Array(arg.length);
    arg.write(tmp);
    m.set(tmp);
  }
  return m;
}

const TYPED: Record<string, typeof MechanismBase> = { MultiHeadAttention: MultiHeadAttentionImpl };

// ---- issue 6: sparse / efficient attention (typed extras over MechanismBase)
type SparseMetadata = { distances?: ArrayLike<number>; hnswLayers?: ArrayLike<number> };

export class FlashAttentionImpl extends MechanismBase {
  get blockSize(): number { return this.config().blockSize; }
}

export class LinearAttentionImpl extends MechanismBase {
  get numFeatures(): number { return this.config().numFeatures; }
  /** Draw new random features (the next draw of the seed). */
  redrawFeatures(): void { this.call('redraw_features', []); }
  /** Summarise keys / values once (O(n·M·d)); forwardPrepared then costs O(M·d) per query. */
  setKeys(keys: Rows, values: Rows, options?: MaskOptions): void {
    this.call('set_keys', [rowsArg(keys, 'keys'), rowsArg(values, 'values')], options);
  }
  forwardPrepared(query: Vector): Float32Array {
    return asArray(this.call('forward_prepared', [vectorArg(query, 'query')])).data;
  }
}

export class LocalGlobalAttentionImpl extends MechanismBase {
  get localWindow(): number { return this.config().localWindow; }
  get globalNodes(): number { return this.config().globalNodes; }
  override forward(query: Vector, keys: Rows, values: Rows, options?: MaskOptions & { metadata?: SparseMetadata }): Float32Array {
    const args: Arg[] = [vectorArg(query, 'query'), rowsArg(keys, 'keys'), rowsArg(values, 'values')];
    return asArray(this.call('forward', args, graphKw(options, args))).data;
  }
  override attentionWeights(query: Vector, keys: Rows, options?: MaskOptions & { metadata?: SparseMetadata }): Float32Array {
    const args: Arg[] = [vectorArg(query, 'query'), rowsArg(keys, 'keys')];
    return asArray(this.call('attention_weights', args, graphKw(options, args))).data;
  }
  /** 1 for every key among n that one query attends to (at most localWindow + globalNodes). */
  attentionMask(n: number, metadata?: SparseMetadata): Uint8Array {
    const args: Arg[] = [intScalarArg(n, 'n')];
    const sel = this.call('selected_keys', args, graphKw(metadata === undefined ? undefined : { metadata }, args)) as number[];
    const mask = new Uint8Array(n);
    for (const j of sel) mask[j] = 1;
    return mask;
  }
  /** hnswLayers (N): each node's highest HNSW layer, to pick the globalNodes neighbours. */
  override forwardGraph(features: Rows, indptr: ArrayLike<number> | BigInt64Array, indices: ArrayLike<number> | BigInt64Array,
                        options?: { values?: Rows; hnswLayers?: ArrayLike<number> }): Rows2D {
    return this.graphCall(features, indptr, indices, options?.values, args =>
      (options?.hnswLayers !== undefined ? { hnsw_layers: slot(args, layersArg(options.hnswLayers, 'hnswLayers')) } : {}));
  }
}

Object.assign(TYPED, {
  FlashAttention: FlashAttentionImpl, LinearAttention: LinearAttentionImpl, LocalGlobalAttention: LocalGlobalAttentionImpl,
});
/** Not public API: synchronous construction on the main-thread runtime (used by compat). */
export const CONSTRUCT = Symbol.for('ruvector-attention.construct');
// ---- end issue 6

// ---- issue 7: graph-aware attention (typed extras over MechanismBase)
type GraphMetadataInput = {
  distances?: ArrayLike<number>; hnswLayers?: ArrayLike<number>; edgeWeights?: ArrayLike<number>;
  structuralFeatures?: ArrayLike<ArrayLike<number>>;
};
/** Python's GraphMetadata: each field is appended to `args` as a typed-array slot (one copy, no
 *  per-element conversion) and named in the returned kwargs object as { $arg: index }. */
function graphMetadata(m: GraphMetadataInput | undefined, args: Arg[]): Record<string, unknown> | undefined {
  if (m === undefined) return undefined;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) {
    throw new AttentionError('INVALID_CONFIG', 'metadata must be an object like { distances: [...] }');
  }
  const out: Record<string, unknown> = {};
  if (m.distances !== undefined) out.distances = slot(args, vectorArg(m.distances, 'metadata.distances'));
  if (m.hnswLayers !== undefined) out.hnsw_layers = slot(args, layersArg(m.hnswLayers, 'metadata.hnswLayers'));
  if (m.edgeWeights !== undefined) out.edge_weights = slot(args, vectorArg(m.edgeWeights, 'metadata.edgeWeights'));
  if (m.structuralFeatures !== undefined) {
    out.structural_features = slot(args, rowsArg(m.structuralFeatures, 'metadata.structuralFeatures'));
  }
  return out;
}
type GraphOptions = MaskOptions & { metadata?: GraphMetadataInput; queryDistance?: number };
function graphKw(options: GraphOptions | undefined, args: Arg[], extra: Record<string, unknown> = {}) {
  const kwargs: Record<string, unknown> = { ...extra };
  const metadata = graphMetadata(options?.metadata, args);
  if (metadata) kwargs.metadata = metadata;
  if (options?.queryDistance !== undefined) kwargs.query_distance = options.queryDistance;
  return { ...(options?.mask !== undefined ? { mask: options.mask } : {}), ...(Object.keys(kwargs).length ? { kwargs } : {}) };
}

export class GraphMechanismImpl extends MechanismBase {
  forwardWithMetadata(query: Vector, keys: Rows, values: Rows, metadata: GraphMetadataInput,
                      options?: GraphOptions): Float32Array {
    if (metadata === undefined) throw new AttentionError('INVALID_CONFIG', 'forwardWithMetadata needs metadata');
    const args: Arg[] = [vectorArg(query, 'query'), rowsArg(keys, 'keys'), rowsArg(values, 'values')];
    return asArray(this.call('forward_with_metadata', args, graphKw({ ...options, metadata }, args))).data;
  }
  override attentionWeights(query: Vector, keys: Rows, options?: GraphOptions): Float32Array {
    const args: Arg[] = [vectorArg(query, 'query'), rowsArg(keys, 'keys')];
    return asArray(this.call('attention_weights', args, graphKw(options, args))).data;
  }
  override forwardGraph(features: Rows, indptr: ArrayLike<number> | BigInt64Array, indices: ArrayLike<number> | BigInt64Array,
                        options?: { values?: Rows; metadata?: GraphMetadataInput }): Rows2D {
    return this.graphCall(features, indptr, indices, options?.values, args => {
      const metadata = graphMetadata(options?.metadata, args);
      return metadata ? { metadata } : {};
    });
  }
  override backward(query: Vector, keys: Rows, values: Rows, gradOutput: Vector, options?: GraphOptions): Gradients {
    const args: Arg[] = [vectorArg(query, 'query'), rowsArg(keys, 'keys'), rowsArg(values, 'values'), vectorArg(gradOutput, 'gradOutput')];
    const g = this.call('backward', args, graphKw(options, args)) as Record<string, unknown>;
    return {
      query: asArray(g.query).data, keys: toRows2D(g.keys), values: toRows2D(g.values),
      params: toStateDict(g.params ?? {}),
    };
  }
}

export class GraphRoPEImpl extends GraphMechanismImpl {
  /** R(distance) x for one vector (distance a number), or rows (distances, one per row). */
  applyRotation(embedding: Vector | Rows, distance: number | ArrayLike<number>): Float32Array {
    if (typeof distance === 'number') {
      return asArray(this.call('apply_rotation', [vectorArg(embedding, 'embedding')], { kwargs: { distance } })).data;
    }
    if (distance === null || typeof distance !== 'object' || typeof distance.length !== 'number') {
      throw new AttentionError('INVALID_CONFIG', 'distance must be a number or an array of numbers (one per row)');
    }
    return asArray(this.call('apply_rotation', [rowsArg(embedding, 'embedding'), vectorArg(distance, 'distance')],
      { kwargs: { distance: { $arg: 1 } } })).data;
  }
}

export class HNSWAwareAttentionImpl extends GraphMechanismImpl {
  /** (H, n) softmax weights of every head. */
  headAttentionWeights(query: Vector, keys: Rows, options?: GraphOptions): Rows2D {
    const args: Arg[] = [vectorArg(query, 'query'), rowsArg(keys, 'keys')];
    return toRows2D(this.call('head_attention_weights', args, graphKw(options, args)));
  }
}

export class CrossSpaceAttentionImpl extends MechanismBase {
  /** Fusion of Att(h, G, G), Att(h, L, L) and Att(Att(h, G, G), L, L); either set may be empty. */
  forwardCross(h: Vector, graphNeighbors: Rows, latentNeighbors: Rows): Float32Array {
    return asArray(this.call('forward_cross', [vectorArg(h, 'h'), rowsArg(graphNeighbors, 'graphNeighbors'),
      rowsArg(latentNeighbors, 'latentNeighbors')])).data;
  }
  /** Every node over its graph CSR (indptr, indices) and its latent CSR (latentIndptr, latentIndices). */
  override forwardGraph(features: Rows, indptr: ArrayLike<number> | BigInt64Array, indices: ArrayLike<number> | BigInt64Array,
                        options?: { values?: Rows; latentIndptr?: ArrayLike<number> | BigInt64Array; latentIndices?: ArrayLike<number> | BigInt64Array }): Rows2D {
    return this.graphCall(features, indptr, indices, options?.values, args => ({
      ...(options?.latentIndptr !== undefined ? { latent_indptr: slot(args, indexArg(options.latentIndptr, 'latentIndptr')) } : {}),
      ...(options?.latentIndices !== undefined ? { latent_indices: slot(args, indexArg(options.latentIndices, 'latentIndices')) } : {}),
    }));
  }
}

Object.assign(TYPED, {
  GraphRoPE: GraphRoPEImpl, HNSWAwareAttention: HNSWAwareAttentionImpl, StructuralAttention: GraphMechanismImpl,
  CrossSpaceAttention: CrossSpaceAttentionImpl,
});

/** Python's CSR converters (ruvector_attention.graph): the metadata the graph-aware mechanisms read. */
export function makeGraphHelpers(bridge: Bridge): GraphHelpers {
  const csr = (indptr: unknown, indices: unknown): Arg[] => [indexArg(indptr, 'indptr'), indexArg(indices, 'indices')];
  return {
    bfsDistances: (indptr, indices, source, options) => {
      if (!Number.isInteger(source)) throw new AttentionError('INVALID_CONFIG', `source must be a node id, got ${String(source)}`);
      // JSON has no Infinity: unreachable nodes get a finite marker (default -1).
      const unreachable = options?.unreachable ?? -1;
      if (!Number.isFinite(unreachable)) throw new AttentionError('INVALID_CONFIG', `unreachable must be finite, got ${unreachable}`);
      const r = bridge.callFunction('graph.bfs_distances', csr(indptr, indices), { source, unreachable });
      return Float32Array.from((r as { data?: Float32Array }).data ?? (r as number[]));
    },
    structuralFeatures: (indptr, indices) =>
      toRows2D(bridge.callFunction('graph.structural_features', csr(indptr, indices))),
  };
}
// ---- end issue 7

function toGraph(r: unknown): LayeredGraph {
  const g = r as Record<string, { data: any } | number | null>;
  const data = (k: string) => (g[k] as { data: any }).data;
  const indptr = data('indptr') as Int32Array;
  return {
    vectors: data('vectors'), dim: g.dim as number, numNodes: indptr.length - 1, indptr,
    indices: data('indices'), layers: data('layers'), edgeLayers: data('edgeLayers'), seed: g.seed as number | null,
  };
}

function plainOptions(options: unknown, what: string): Record<string, unknown> {
  return checkOptions(options, what) as Record<string, unknown>;
}

/** Python's ruvector_attention.datasets (same graphs natively and in Pyodide). */
export function makeDatasets(bridge: Bridge): Datasets {
  return {
    hnswGraph: (options?: HnswGraphOptions) =>
      toGraph(bridge.callFunction('datasets.hnsw_graph', [], plainOptions(options, 'hnswGraph'))),
    knnGraph: (vectors: Float32Array, dim: number, options?: { k?: number; layers?: readonly number[] | Int32Array }) => {
      const kwargs: Record<string, unknown> = { dim };
      if (options?.k !== undefined) kwargs.k = options.k;
      if (options?.layers !== undefined) kwargs.layers = Array.from(options.layers);
      return toGraph(bridge.callFunction('datasets.knn_graph', [vectorArg(vectors, 'vectors')], kwargs));
    },
  };
}

/** The synchronous runtime over one booted Pyodide. */
export function makeRuntime(booted: Booted): Runtime {
  const { bridge, versions, catalog } = booted;
  const construct = (name: string, options: unknown): MechanismBase => {
    if (typeof name !== 'string') throw new AttentionError('UNSUPPORTED', 'create() needs a mechanism name');
    const Cls = TYPED[name] ?? MechanismBase;
    return new Cls(bridge, name, options);
  };
  class ScaledDotProductAttention extends MechanismBase {
    constructor(options: unknown) { super(bridge, 'ScaledDotProductAttention', options); }
  }
  class MultiHeadAttention extends MultiHeadAttentionImpl {
    constructor(options: unknown) { super(bridge, 'MultiHeadAttention', options); }
  }
  const rt = {
    mode: 'main' as const,
    versions: Object.freeze({ ...versions }) as Versions,
    mechanisms: (): MechanismInfo[] => structuredClone(catalog),
    ScaledDotProductAttention,
    MultiHeadAttention,
    create: async (name: string, options?: unknown) => construct(name, options),
    matrix: (data: unknown, rows?: number) => makeMatrix(bridge, data, rows),
    datasets: makeDatasets(bridge),
    geometric: makeGeometry(bridge),  // issue 5
    graph: makeGraphHelpers(bridge),  // issue 7
  };
  Object.defineProperty(rt, CONSTRUCT, { value: construct });  // issue 6: compat constructs synchronously
  // Not public API: what the tests need to see inside (Python objects alive, wasm heap size).
  Object.defineProperty(rt, INTERNALS, {
    value: {
      liveObjects: () => bridge.liveObjects(), heapBytes: () => bridge.heapBytes(),
      // direct.ts: off sends every call through Python (tests compare the two paths)
      useDirect: (on: boolean) => { bridge.direct = on; },
      // issue 6: the Node benchmark reads Python's tracemalloc through this (peak extra memory)
      pyimport: (name: string) => booted.py.pyimport(name),
    },
  });
  return rt as unknown as Runtime;
}

export const INTERNALS = Symbol.for('ruvector-attention.internals');

// ---- issue 5: geometric attention
/** Options of the edge-featured calls: the mask, and edge features (one row per key / edge). */
type EdgeOptions = MaskOptions & { edgeFeatures?: Rows };

function edgeKwargs(args: Arg[], options?: EdgeOptions): MaskOptions & { kwargs?: Record<string, unknown> } {
  const out: MaskOptions & { kwargs?: Record<string, unknown> } = {};
  if (options?.mask !== undefined) out.mask = options.mask;
  if (options?.edgeFeatures !== undefined) {
    args.push(rowsArg(options.edgeFeatures, 'edgeFeatures'));
    out.kwargs = { edge_features: { $arg: args.length - 1 } };
  }
  return out;
}

/** EdgeFeaturedAttention (PyG GATConv semantics): every call takes the edge features. */
export class EdgeFeaturedAttentionImpl extends MechanismBase {
  forwardWithEdges(query: Vector, keys: Rows, values: Rows, edgeFeatures: Rows): Float32Array {
    return asArray(this.call('forward_with_edges', [vectorArg(query, 'query'), rowsArg(keys, 'keys'),
      rowsArg(values, 'values'), rowsArg(edgeFeatures, 'edgeFeatures')])).data;
  }
  override forward(query: Vector, keys: Rows, values: Rows, options?: EdgeOptions): Float32Array {
    const args: Arg[] = [vectorArg(query, 'query'), rowsArg(keys, 'keys'), rowsArg(values, 'values')];
    return asArray(this.call('forward', args, edgeKwargs(args, options))).data;
  }
  override attentionWeights(query: Vector, keys: Rows, options?: EdgeOptions): Float32Array {
    const args: Arg[] = [vectorArg(query, 'query'), rowsArg(keys, 'keys')];
    return asArray(this.call('attention_weights', args, edgeKwargs(args, options))).data;
  }
  /** Per-head weights (H, n). */
  headAttentionWeights(query: Vector, keys: Rows, options?: EdgeOptions): Rows2D {
    const args: Arg[] = [vectorArg(query, 'query'), rowsArg(keys, 'keys')];
    return toRows2D(this.call('head_attention_weights', args, edgeKwargs(args, options)));
  }
  override forwardGraph(features: Rows, indptr: ArrayLike<number> | BigInt64Array,
                        indices: ArrayLike<number> | BigInt64Array,
                        options?: { values?: Rows; edgeFeatures?: Rows }): Rows2D {
    return this.graphCall(features, indptr, indices, options?.values, args =>
      (options?.edgeFeatures !== undefined ? { edge_features: slot(args, rowsArg(options.edgeFeatures, 'edgeFeatures')) } : {}));
  }
  override backward(query: Vector, keys: Rows, values: Rows, gradOutput: Vector, options?: EdgeOptions): Gradients {
    const args: Arg[] = [vectorArg(query, 'query'), rowsArg(keys, 'keys'), rowsArg(values, 'values'),
      vectorArg(gradOutput, 'gradOutput')];
    const g = this.call('backward', args, edgeKwargs(args, options)) as Record<string, unknown>;
    return {
      query: asArray(g.query).data, keys: toRows2D(g.keys), values: toRows2D(g.values),
      params: toStateDict(g.params ?? {}),
    };
  }
}

/** Hyperbolic / manifold attention, with the manifold's math at the mechanism's curvature. */
export class CurvedAttentionImpl extends MechanismBase {
  /** The curvature k in use (the learned one when learnCurvature is set). */
  get curvature(): number { return this.call('current_curvature', []) as number; }
  poincareDistance(x: Vector, y: Vector): number {
    return this.call('poincare_distance', [vectorArg(x, 'x'), vectorArg(y, 'y')]) as number;
  }
  mobiusAdd(x: Vector, y: Vector): Float32Array {
    return asArray(this.call('mobius_add', [vectorArg(x, 'x'), vectorArg(y, 'y')])).data;
  }
  expMap(x: Vector, v: Vector): Float32Array {
    return asArray(this.call('exp_map', [vectorArg(x, 'x'), vectorArg(v, 'v')])).data;
  }
  logMap(x: Vector, y: Vector): Float32Array {
    return asArray(this.call('log_map', [vectorArg(x, 'x'), vectorArg(y, 'y')])).data;
  }
  projectToBall(x: Vector, eps?: number): Float32Array {
    return asArray(this.call('project_to_ball', [vectorArg(x, 'x')],
      eps === undefined ? undefined : { kwargs: { eps } })).data;
  }
}

export class MixedCurvatureAttentionImpl extends CurvedAttentionImpl {
  /** (2, n): row 0 the scaled Euclidean dot-products, row 1 the negated hyperbolic distances. */
  spaceScores(query: Vector, keys: Rows): Rows2D {
    return toRows2D(this.call('space_scores', [vectorArg(query, 'query'), rowsArg(keys, 'keys')]));
  }
}

Object.assign(TYPED, {
  EdgeFeaturedAttention: EdgeFeaturedAttentionImpl, HyperbolicAttention: CurvedAttentionImpl,
  ManifoldAttention: CurvedAttentionImpl, MixedCurvatureAttention: MixedCurvatureAttentionImpl,
});

/** A single point (a vector of numbers) rather than rows of points. */
function isPoint(x: unknown): boolean {
  if (x instanceof Float32Array) return true;
  if (Array.isArray(x)) return x.length === 0 || typeof x[0] === 'number';
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}
const pointArg = (x: unknown, name: string): Arg => (isPoint(x) ? vectorArg(x, name) : rowsArg(x, name));

/** The curvature keyword (default -1: the unit Poincaré ball), checked before Python sees it. */
function geoKwargs(options: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const o = checkOptions(options, 'geometric') as { k?: unknown; eps?: unknown };
  const out: Record<string, unknown> = { ...extra };
  if (o.k !== undefined) out.k = o.k;
  if (o.eps !== undefined) out.eps = o.eps;
  return out;
}

/** Point-valued result: a Float32Array for one point, Rows2D for rows. */
function pointResult(r: unknown): Float32Array | Rows2D {
  const a = asArray(r);
  return a.shape.length === 2 ? toRows2D(a) : a.data;
}

/** Python's ruvector_attention.geometric functions (signed curvature k, geoopt's convention). */
export function makeGeometry(bridge: Bridge): Geometry {
  const call = (fn: string, args: Arg[], kwargs: Record<string, unknown>) =>
    bridge.callFunction(`geometric.${fn}`, args, kwargs);
  return {
    poincareDistance: (x: unknown, y: unknown, options?: GeometryOptions) => {
      const r = call('poincare_distance', [pointArg(x, 'x'), pointArg(y, 'y')], geoKwargs(options));
      return (typeof r === 'number' ? r : asArray(r).data) as any;
    },
    mobiusAdd: (x: unknown, y: unknown, options?: GeometryOptions) =>
      pointResult(call('mobius_add', [pointArg(x, 'x'), pointArg(y, 'y')], geoKwargs(options))) as any,
    mobiusScalarMul: (r: number, x: unknown, options?: GeometryOptions) =>
      pointResult(call('mobius_scalar_mul', [pointArg(x, 'x')], geoKwargs(options, { r, x: { $arg: 0 } }))) as any,
    expMap: (x: unknown, v: unknown, options?: GeometryOptions) =>
      pointResult(call('exp_map', [pointArg(x, 'x'), pointArg(v, 'v')], geoKwargs(options))) as any,
    logMap: (x: unknown, y: unknown, options?: GeometryOptions) =>
      pointResult(call('log_map', [pointArg(x, 'x'), pointArg(y, 'y')], geoKwargs(options))) as any,
    expMap0: (v: unknown, options?: GeometryOptions) =>
      pointResult(call('exp_map0', [pointArg(v, 'v')], geoKwargs(options))) as any,
    logMap0: (y: unknown, options?: GeometryOptions) =>
      pointResult(call('log_map0', [pointArg(y, 'y')], geoKwargs(options))) as any,
    projectToBall: (x: unknown, options?: GeometryOptions & { eps?: number }) =>
      pointResult(call('project_to_ball', [pointArg(x, 'x')], geoKwargs(options))) as any,
    gyromidpoint: (points: Rows, weights?: Vector, options?: GeometryOptions) => {
      const args: Arg[] = [rowsArg(points, 'points')];
      if (weights !== undefined && weights !== null) args.push(vectorArg(weights, 'weights'));
      return asArray(call('gyromidpoint', args, geoKwargs(options))).data;
    },
  } as Geometry;
}
// ---- end issue 5
