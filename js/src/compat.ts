// `ruvector-attention/compat`: the class, method and getter names of the
// `@ruvector/attention` Node package for the mechanisms this package has, so
// its users switch by changing the import (plus one `await init()`).
// Differences: bad input throws a catchable AttentionError instead of
// aborting the process; everything runs on the bundled wasm kernel.
import { AttentionError } from './errors.ts';
import { init as initRuntime } from './index.ts';
import type { Runtime, ScaledDotProductAttention, MultiHeadAttention as Mha } from '../../ts-types/index.d.ts';
import type { Mechanism } from '../../ts-types/index.d.ts';
import { CONSTRUCT as INTERNAL_CONSTRUCT } from './runtime.ts';

export { AttentionError } from './errors.ts';

type ArrayInput = Float32Array | number[];
let runtime: Runtime | null = null;

/** Boot once (main thread); afterwards every class here is synchronous. */
export async function init(options: { indexURL?: string } = {}): Promise<void> {
  runtime = (await initRuntime({ ...options, worker: false })) as Runtime;
}

function rt(): Runtime {
  if (!runtime) {
    throw new AttentionError('NOT_INITIALIZED',
      "call `await init()` from 'ruvector-attention/compat' before creating attention objects");
  }
  return runtime;
}

function checkDim(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new AttentionError('INVALID_CONFIG', `${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** The original package's method names over one mechanism of ours (`impl`). */
abstract class CompatAttention {
  protected abstract readonly impl: Mechanism<Record<string, any>>;
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array {
    return this.impl.forward(query, keys, values);
  }
  /** Same as compute (there is no conversion overhead to skip here). */
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array {
    return this.compute(query, keys, values);
  }
  /** Frees the underlying Python object (optional: it is also freed when garbage-collected). */
  free(): void { this.impl.dispose(); }
}

/** Scaled dot-product attention: softmax(q·k / √dim) · V. */
export class DotProductAttention extends CompatAttention {
  protected readonly impl: ScaledDotProductAttention;
  constructor(dim: number) {
    super();
    this.impl = new (rt().ScaledDotProductAttention)({ dim: checkDim('dim', dim) });
  }
  get dim(): number { return this.impl.config().dim; }
  /** mask[i] true = key i takes part. */
  computeWithMask(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[], mask: boolean[]): Float32Array {
    return this.impl.forward(query, keys, values, { mask });
  }
}

/**
 * Multi-head attention as in @ruvector/attention: the query, keys and values
 * are split into numHeads slices of headDim features, each head is scaled
 * dot-product attention on its slice, and the head outputs are concatenated
 * (no learned projections: our MultiHeadAttention with identity weights).
 */
export class MultiHeadAttention extends CompatAttention {
  protected readonly impl: Mha;
  constructor(dim: number, numHeads: number) {
    super();
    checkDim('dim', dim);
    checkDim('numHeads', numHeads);
    if (dim % numHeads !== 0) {
      throw new AttentionError('INVALID_CONFIG', `dim ${dim} must be divisible by numHeads ${numHeads}`);
    }
    this.impl = new (rt().MultiHeadAttention)({ dim, numHeads, bias: false });
    const identity = new Float32Array(dim * dim);
    for (let i = 0; i < dim; i++) identity[i * dim + i] = 1;
    const inProj = new Float32Array(3 * dim * dim);
    for (let k = 0; k < 3; k++) inProj.set(identity, k * dim * dim);
    this.impl.loadStateDict({ in_proj_weight: inProj, 'out_proj.weight': identity });
  }
  get dim(): number { return this.impl.config().dim; }
  get numHeads(): number { return this.impl.config().numHeads; }
  get headDim(): number { return this.dim / this.numHeads; }
  computeWithMask(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[], mask: boolean[]): Float32Array {
    return this.impl.forward(query, keys, values, { mask });
  }
}

// ---------------------------------------------------------------- sparse / efficient attention
/** Flash attention: exact, tiled (memory O(blockSize)). */
export class FlashAttention extends CompatAttention {
  protected readonly impl: Mechanism<Record<string, any>>;
  constructor(dim: number, blockSize = 64) {
    super();
    this.impl = createSync('FlashAttention', { dim: checkDim('dim', dim), blockSize: checkDim('blockSize', blockSize) });
  }
  get dim(): number { return this.impl.config().dim; }
  get blockSize(): number { return this.impl.config().blockSize; }
}

/** Linear attention (Performer FAVOR+ random features, seeded). */
export class LinearAttention extends CompatAttention {
  protected readonly impl: Mechanism<Record<string, any>>;
  constructor(dim: number, numFeatures = 256) {
    super();
    this.impl = createSync('LinearAttention', { dim: checkDim('dim', dim), numFeatures: checkDim('numFeatures', numFeatures) });
  }
  get dim(): number { return this.impl.config().dim; }
  get numFeatures(): number { return this.impl.config().numFeatures; }
  /** The name the original package's type declarations use. */
  get features(): number { return this.numFeatures; }
}

/** Local-global attention: the localWindow first (nearest) keys plus globalTokens hubs. */
export class LocalGlobalAttention extends CompatAttention {
  protected readonly impl: Mechanism<Record<string, any>>;
  constructor(dim: number, localWindow = 16, globalTokens = 4) {
    super();
    if (!Number.isInteger(localWindow) || localWindow < 0 || !Number.isInteger(globalTokens) || globalTokens < 0) {
      throw new AttentionError('INVALID_CONFIG', `localWindow and globalTokens must be integers >= 0, got ${localWindow}, ${globalTokens}`);
    }
    this.impl = createSync('LocalGlobalAttention', { dim: checkDim('dim', dim), localWindow, globalNodes: globalTokens });
  }
  get dim(): number { return this.impl.config().dim; }
  get localWindow(): number { return this.impl.config().localWindow; }
  /** The name the original package's type declarations use. */
  get windowSize(): number { return this.localWindow; }
  get globalTokens(): number { return this.impl.config().globalNodes; }
}

/** The main-thread runtime constructs synchronously (its create() only wraps construction). */
function createSync(name: string, options: Record<string, unknown>): Mechanism<Record<string, any>> {
  const r = rt() as unknown as { [INTERNAL_CONSTRUCT]?: (n: string, o: unknown) => Mechanism<Record<string, any>> };
  const make = r[INTERNAL_CONSTRUCT];
  if (!make) throw new AttentionError('INTERNAL', 'runtime cannot construct synchronously');
  return make(name, options);
}
// ---------------------------------------------------------------- graph-aware attention
export interface RoPEConfig { dim: number; maxPosition: number; base?: number; scalingFactor?: number }
type RopeImpl = Mechanism<Record<string, any>> & {
  forwardWithMetadata(q: ArrayInput, k: ArrayInput[], v: ArrayInput[], m: { distances: number[] },
                      o: { queryDistance: number }): Float32Array;
  applyRotation(x: ArrayInput, t: number): Float32Array;
};

function checkPosition(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new AttentionError('INVALID_CONFIG', `${name} must be an integer >= 0, got ${String(value)}`);
  }
  return value;
}

/**
 * Graph RoPE with the original package's names: integer positions clamped to
 * maxPosition - 1 and divided by scalingFactor; pairs (2i, 2i+1) are rotated
 * (RoFormer's interleaved layout; see ts-types/compat.d.ts).
 */
export class GraphRoPeAttention extends CompatAttention {
  protected readonly impl: RopeImpl;
  readonly #maxPosition: number;
  readonly #scaling: number;
  constructor(config: RoPEConfig | number, maxPosition = 1000) {
    super();
    const c: RoPEConfig = typeof config === 'number' ? { dim: config, maxPosition } : config;
    if (typeof c !== 'object' || c === null) {
      throw new AttentionError('INVALID_CONFIG', 'GraphRoPeAttention expects { dim, maxPosition, base? } or (dim, maxPosition)');
    }
    this.#maxPosition = checkDim('maxPosition', c.maxPosition);
    const scaling = c.scalingFactor ?? 1;
    if (typeof scaling !== 'number' || !(scaling > 0) || !Number.isFinite(scaling)) {
      throw new AttentionError('INVALID_CONFIG', `scalingFactor must be a finite number > 0, got ${String(scaling)}`);
    }
    this.#scaling = scaling;
    const options: Record<string, unknown> = { dim: checkDim('dim', c.dim) };
    if (c.base !== undefined) options.base = c.base;
    this.impl = createSync('GraphRoPE', options) as RopeImpl;
  }
  get dim(): number { return this.impl.config().dim; }
  get maxPosition(): number { return this.#maxPosition; }
  #position(name: string, p: unknown): number {
    return Math.min(checkPosition(name, p), this.#maxPosition - 1) / this.#scaling;
  }
  override compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array {
    if (!Array.isArray(keys)) throw new AttentionError('DIMENSION_MISMATCH', 'keys must be an array of vectors');
    return this.computeWithPositions(query, keys, values, 0, keys.map((_, j) => j));
  }
  computeWithPositions(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[],
                       queryPosition: number, keyPositions: number[]): Float32Array {
    if (!Array.isArray(keys) || !Array.isArray(keyPositions) || keyPositions.length !== keys.length) {
      throw new AttentionError('DIMENSION_MISMATCH',
        `keyPositions must have one entry per key (${Array.isArray(keys) ? keys.length : '?'}), got ${Array.isArray(keyPositions) ? keyPositions.length : String(keyPositions)}`);
    }
    const distances = keyPositions.map((p, j) => this.#position(`keyPositions[${j}]`, p));
    return this.impl.forwardWithMetadata(query, keys, values, { distances },
      { queryDistance: this.#position('queryPosition', queryPosition) });
  }
  applyRotary(vector: ArrayInput, position: number): Float32Array {
    return this.impl.applyRotation(vector, this.#position('position', position));
  }
  static distanceToPosition(distance: number, maxDistance: number): number {
    checkPosition('distance', distance);
    checkPosition('maxDistance', maxDistance);
    if (distance <= 8) return distance;
    return 8 + Math.min(Math.ceil(Math.log2(distance)), Math.max(maxDistance - 8, 0));
  }
}
// ---------------------------------------------------------------- geometric attention
import type {
  EdgeFeaturedAttention as EdgeImpl, HyperbolicAttention as HyperbolicImpl, MixedCurvatureAttention as MixedImpl,
} from '../../ts-types/index.d.ts';

/**
 * Curvature is signed here (geoopt's convention, k = -1 is the unit Poincaré ball).
 * @ruvector/attention takes a positive c and ignores its sign; its c is -c here, and a
 * curvature >= 0 is an INVALID_CONFIG error rather than a silent change of geometry.
 */
function checkCurvature(name: string, value: unknown): number {
  const k = value === undefined ? -1 : value;
  if (typeof k !== 'number' || !Number.isFinite(k) || !(k < 0)) {
    throw new AttentionError('INVALID_CONFIG',
      `${name} must be a negative number (signed curvature: -1 is the unit Poincaré ball; ` +
      `@ruvector/attention's curvature c > 0 is -c here), got ${String(value)}`);
  }
  return k;
}

function checkNumber(name: string, value: unknown, positive = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (positive && !(value > 0))) {
    throw new AttentionError('INVALID_CONFIG', `${name} must be a finite number${positive ? ' > 0' : ''}, got ${String(value)}`);
  }
  return value;
}

function checkPoint(name: string, value: unknown): ArrayInput {
  if (!(value instanceof Float32Array) && !(Array.isArray(value) && value.every(v => typeof v === 'number'))) {
    throw new AttentionError('UNSUPPORTED', `${name} must be a Float32Array or an array of numbers`);
  }
  return value as ArrayInput;
}

/** Hyperbolic attention: scores -d_k(q, k_j)/T, output = weighted gyromidpoint of the values. */
export class HyperbolicAttention extends CompatAttention {
  protected readonly impl: HyperbolicImpl;
  constructor(dim: number, curvature = -1, extra: { learnCurvature?: boolean; temperature?: number } = {}) {
    super();
    this.impl = createSync('HyperbolicAttention', {
      dim: checkDim('dim', dim), curvature: checkCurvature('curvature', curvature), ...extra,
    }) as unknown as HyperbolicImpl;
  }
  /** adaptiveCurvature learns k (it stays negative); temperature T > 0 divides the scores. */
  static withConfig(dim: number, curvature: number, adaptiveCurvature: boolean, temperature: number): HyperbolicAttention {
    if (typeof adaptiveCurvature !== 'boolean') {
      throw new AttentionError('INVALID_CONFIG', `adaptiveCurvature must be a boolean, got ${String(adaptiveCurvature)}`);
    }
    return new HyperbolicAttention(dim, curvature,
      { learnCurvature: adaptiveCurvature, temperature: checkNumber('temperature', temperature, true) });
  }
  get dim(): number { return this.impl.config().dim; }
  /** The curvature in use (negative). */
  get curvature(): number { return this.impl.curvature; }
}

export interface EdgeFeaturedConfig {
  nodeDim: number; edgeDim: number; numHeads: number; concatHeads?: boolean; addSelfLoops?: boolean; negativeSlope?: number;
}

/** GAT with edge features (PyG GATConv semantics): score LeakyReLU(aᵀ[W h_i ‖ W h_j ‖ W_e e_ij]) per head. */
export class EdgeFeaturedAttention extends CompatAttention {
  protected readonly impl: EdgeImpl;
  constructor(config: EdgeFeaturedConfig) {
    super();
    if (typeof config !== 'object' || config === null) {
      throw new AttentionError('INVALID_CONFIG', 'EdgeFeaturedAttention expects { nodeDim, edgeDim, numHeads, concatHeads?, negativeSlope? }');
    }
    if (config.addSelfLoops === true) {
      throw new AttentionError('UNSUPPORTED',
        'addSelfLoops: the keys are exactly the neighbours attended to; include the node itself among the keys for a self-loop');
    }
    if (typeof config.edgeDim !== 'number' || !Number.isInteger(config.edgeDim) || config.edgeDim < 0) {
      throw new AttentionError('INVALID_CONFIG', `edgeDim must be an integer >= 0, got ${String(config.edgeDim)}`);
    }
    const options: Record<string, unknown> = {
      nodeDim: checkDim('nodeDim', config.nodeDim), edgeDim: config.edgeDim, numHeads: checkDim('numHeads', config.numHeads),
    };
    if (config.concatHeads !== undefined) options.concat = config.concatHeads;
    if (config.negativeSlope !== undefined) options.negativeSlope = checkNumber('negativeSlope', config.negativeSlope);
    this.impl = createSync('EdgeFeaturedAttention', options) as unknown as EdgeImpl;
  }
  static simple(nodeDim: number, edgeDim: number, numHeads: number): EdgeFeaturedAttention {
    return new EdgeFeaturedAttention({ nodeDim, edgeDim, numHeads });
  }
  get nodeDim(): number { return this.impl.config().nodeDim; }
  get edgeDim(): number { return this.impl.config().edgeDim; }
  get numHeads(): number { return this.impl.config().numHeads; }
  /** Without edge features: only for edgeDim 0 (never silently zero features). */
  override compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array {
    if (this.edgeDim > 0) {
      throw new AttentionError('DIMENSION_MISMATCH',
        `this EdgeFeaturedAttention has edgeDim ${this.edgeDim}: call computeWithEdges(query, keys, values, edgeFeatures)`);
    }
    return this.impl.forward(query, keys, values);
  }
  /** edgeFeatures: one row of edgeDim features per key. */
  computeWithEdges(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[], edgeFeatures: ArrayInput[]): Float32Array {
    return this.impl.forwardWithEdges(query, keys, values, edgeFeatures);
  }
}

export interface DualSpaceConfig {
  dim: number; curvature: number; euclideanWeight: number; hyperbolicWeight: number; temperature?: number;
}
export interface SpaceContributions { euclideanScores: Float32Array; hyperbolicScores: Float32Array }

/**
 * Euclidean + hyperbolic attention on MixedCurvatureAttention: the first
 * ceil(dim/2) features are Euclidean, the rest a point of the Poincaré ball;
 * scores (euclideanWeight <q_E, k_E>/√a - hyperbolicWeight d_k(q_H, k_H)) / T.
 */
export class DualSpaceAttention extends CompatAttention {
  protected readonly impl: MixedImpl;
  readonly #dim: number;
  constructor(config: DualSpaceConfig) {
    super();
    if (typeof config !== 'object' || config === null) {
      throw new AttentionError('INVALID_CONFIG', 'DualSpaceAttention expects { dim, curvature, euclideanWeight, hyperbolicWeight, temperature? }');
    }
    const dim = checkDim('dim', config.dim);
    if (dim < 2) throw new AttentionError('INVALID_CONFIG', `dim must be >= 2 (a Euclidean and a hyperbolic part), got ${dim}`);
    const euclideanDim = Math.ceil(dim / 2);
    const options: Record<string, unknown> = {
      euclideanDim, hyperbolicDim: dim - euclideanDim, curvature: checkCurvature('curvature', config.curvature),
    };
    if (config.temperature !== undefined) options.temperature = checkNumber('temperature', config.temperature, true);
    const ew = checkNumber('euclideanWeight', config.euclideanWeight);
    const hw = checkNumber('hyperbolicWeight', config.hyperbolicWeight);
    this.impl = createSync('MixedCurvatureAttention', options) as unknown as MixedImpl;
    this.impl.loadStateDict({ euclidean_weight: [ew], hyperbolic_weight: [hw] });
    this.#dim = dim;
  }
  /** Equal weights 0.5 / 0.5. */
  static simple(dim: number, curvature: number): DualSpaceAttention {
    return new DualSpaceAttention({ dim, curvature, euclideanWeight: 0.5, hyperbolicWeight: 0.5 });
  }
  static withWeights(dim: number, curvature: number, euclideanWeight: number, hyperbolicWeight: number): DualSpaceAttention {
    return new DualSpaceAttention({ dim, curvature, euclideanWeight, hyperbolicWeight });
  }
  get dim(): number { return this.#dim; }
  get curvature(): number { return this.impl.curvature; }
  get euclideanWeight(): number { return this.impl.stateDict().euclidean_weight![0]!; }
  get hyperbolicWeight(): number { return this.impl.stateDict().hyperbolic_weight![0]!; }
  /** The unweighted scores per key: <q_E, k_E>/√a and -d_k(q_H, k_H). */
  getSpaceContributions(query: ArrayInput, keys: ArrayInput[]): SpaceContributions {
    const { data, cols } = this.impl.spaceScores(query, keys);
    return { euclideanScores: data.slice(0, cols), hyperbolicScores: data.slice(cols, 2 * cols) };
  }
}

/** Geodesic distance in the Poincaré ball of curvature k < 0 (default -1). */
export function poincareDistance(a: ArrayInput, b: ArrayInput, curvature = -1): number {
  return rt().geometric.poincareDistance(checkPoint('a', a), checkPoint('b', b), { k: checkCurvature('curvature', curvature) });
}
/** Möbius addition a ⊕_k b. */
export function mobiusAddition(a: ArrayInput, b: ArrayInput, curvature = -1): Float32Array {
  return rt().geometric.mobiusAdd(checkPoint('a', a), checkPoint('b', b), { k: checkCurvature('curvature', curvature) });
}
/** exp_base(tangent) = base ⊕_k tan_k(λ_base |v| / 2) v/|v| (geoopt's expmap). */
export function expMap(base: ArrayInput, tangent: ArrayInput, curvature = -1): Float32Array {
  return rt().geometric.expMap(checkPoint('base', base), checkPoint('tangent', tangent), { k: checkCurvature('curvature', curvature) });
}
/** log_base(point), the inverse of expMap. */
export function logMap(base: ArrayInput, point: ArrayInput, curvature = -1): Float32Array {
  return rt().geometric.logMap(checkPoint('base', base), checkPoint('point', point), { k: checkCurvature('curvature', curvature) });
}
/** Pull a vector inside the ball: |x| <= (1 - 4e-3)/sqrt(-k). */
export function projectToPoincareBall(vector: ArrayInput, curvature = -1): Float32Array {
  return rt().geometric.projectToBall(checkPoint('vector', vector), { k: checkCurvature('curvature', curvature) });
}
export interface AttentionInfo { version: string; features: string[]; supportedTypes: string[] }

export function version(): string {
  return rt().versions.js;
}

export function info(): AttentionInfo {
  const r = rt();
  return {
    version: r.versions.js,
    features: [`simd:${r.versions.isa}`, 'wasm', 'pyodide'],
    // @ruvector/attention's type names, one per mechanism class exported here
    supportedTypes: ['dot_product', 'multi_head', 'flash', 'linear', 'local_global', 'graph_rope',
      'hyperbolic', 'edge_featured', 'dual_space'],
  };
}
