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

/** Scaled dot-product attention: softmax(q·k / √dim) · V. */
export class DotProductAttention {
  readonly #impl: ScaledDotProductAttention;
  constructor(dim: number) {
    this.#impl = new (rt().ScaledDotProductAttention)({ dim: checkDim('dim', dim) });
  }
  get dim(): number { return this.#impl.config().dim; }
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array {
    return this.#impl.forward(query, keys, values);
  }
  /** Same as compute (there is no conversion overhead to skip here). */
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array {
    return this.#impl.forward(query, keys, values);
  }
  /** mask[i] true = key i takes part. */
  computeWithMask(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[], mask: boolean[]): Float32Array {
    return this.#impl.forward(query, keys, values, { mask });
  }
  /** Frees the underlying Python object (optional: it is also freed when garbage-collected). */
  free(): void { this.#impl.dispose(); }
}

/**
 * Multi-head attention as in @ruvector/attention: the query, keys and values
 * are split into numHeads slices of headDim features, each head is scaled
 * dot-product attention on its slice, and the head outputs are concatenated
 * (no learned projections: our MultiHeadAttention with identity weights).
 */
export class MultiHeadAttention {
  readonly #impl: Mha;
  constructor(dim: number, numHeads: number) {
    checkDim('dim', dim);
    checkDim('numHeads', numHeads);
    if (dim % numHeads !== 0) {
      throw new AttentionError('INVALID_CONFIG', `dim ${dim} must be divisible by numHeads ${numHeads}`);
    }
    this.#impl = new (rt().MultiHeadAttention)({ dim, numHeads, bias: false });
    const identity = new Float32Array(dim * dim);
    for (let i = 0; i < dim; i++) identity[i * dim + i] = 1;
    const inProj = new Float32Array(3 * dim * dim);
    for (let k = 0; k < 3; k++) inProj.set(identity, k * dim * dim);
    this.#impl.loadStateDict({ in_proj_weight: inProj, 'out_proj.weight': identity });
  }
  get dim(): number { return this.#impl.config().dim; }
  get numHeads(): number { return this.#impl.config().numHeads; }
  get headDim(): number { return this.dim / this.numHeads; }
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array {
    return this.#impl.forward(query, keys, values);
  }
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array {
    return this.#impl.forward(query, keys, values);
  }
  computeWithMask(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[], mask: boolean[]): Float32Array {
    return this.#impl.forward(query, keys, values, { mask });
  }
  free(): void { this.#impl.dispose(); }
}

// ---- issue 6: sparse / efficient attention
/** Flash attention: exact, tiled (memory O(blockSize)). */
export class FlashAttention {
  readonly #impl: Mechanism<Record<string, any>>;
  constructor(dim: number, blockSize = 64) {
    this.#impl = createSync('FlashAttention', { dim: checkDim('dim', dim), blockSize: checkDim('blockSize', blockSize) });
  }
  get dim(): number { return this.#impl.config().dim; }
  get blockSize(): number { return this.#impl.config().blockSize; }
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array {
    return this.#impl.forward(query, keys, values);
  }
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array {
    return this.#impl.forward(query, keys, values);
  }
  free(): void { this.#impl.dispose(); }
}

/** Linear attention (Performer FAVOR+ random features, seeded). */
export class LinearAttention {
  readonly #impl: Mechanism<Record<string, any>>;
  constructor(dim: number, numFeatures = 256) {
    this.#impl = createSync('LinearAttention', { dim: checkDim('dim', dim), numFeatures: checkDim('numFeatures', numFeatures) });
  }
  get dim(): number { return this.#impl.config().dim; }
  get numFeatures(): number { return this.#impl.config().numFeatures; }
  /** The name the original package's type declarations use. */
  get features(): number { return this.numFeatures; }
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array {
    return this.#impl.forward(query, keys, values);
  }
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array {
    return this.#impl.forward(query, keys, values);
  }
  free(): void { this.#impl.dispose(); }
}

/** Local-global attention: the localWindow first (nearest) keys plus globalTokens hubs. */
export class LocalGlobalAttention {
  readonly #impl: Mechanism<Record<string, any>>;
  constructor(dim: number, localWindow = 16, globalTokens = 4) {
    if (!Number.isInteger(localWindow) || localWindow < 0 || !Number.isInteger(globalTokens) || globalTokens < 0) {
      throw new AttentionError('INVALID_CONFIG', `localWindow and globalTokens must be integers >= 0, got ${localWindow}, ${globalTokens}`);
    }
    this.#impl = createSync('LocalGlobalAttention', { dim: checkDim('dim', dim), localWindow, globalNodes: globalTokens });
  }
  get dim(): number { return this.#impl.config().dim; }
  get localWindow(): number { return this.#impl.config().localWindow; }
  /** The name the original package's type declarations use. */
  get windowSize(): number { return this.localWindow; }
  get globalTokens(): number { return this.#impl.config().globalNodes; }
  compute(query: ArrayInput, keys: ArrayInput[], values: ArrayInput[]): Float32Array {
    return this.#impl.forward(query, keys, values);
  }
  computeRaw(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array {
    return this.#impl.forward(query, keys, values);
  }
  free(): void { this.#impl.dispose(); }
}

/** The main-thread runtime constructs synchronously (its create() only wraps construction). */
function createSync(name: string, options: Record<string, unknown>): Mechanism<Record<string, any>> {
  const r = rt() as unknown as { [INTERNAL_CONSTRUCT]?: (n: string, o: unknown) => Mechanism<Record<string, any>> };
  const make = r[INTERNAL_CONSTRUCT];
  if (!make) throw new AttentionError('INTERNAL', 'runtime cannot construct synchronously');
  return make(name, options);
}
// ---- end issue 6

export interface AttentionInfo { version: string; features: string[]; supportedTypes: string[] }

export function version(): string {
  return rt().versions.js;
}

export function info(): AttentionInfo {
  const r = rt();
  return {
    version: r.versions.js,
    features: [`simd:${r.versions.isa}`, 'wasm', 'pyodide'],
    supportedTypes: ['dot_product', 'multi_head'],
  };
}
