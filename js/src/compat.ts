// `ruvector-attention/compat`: the class, method and getter names of the
// `@ruvector/attention` Node package for the mechanisms this package has, so
// its users switch by changing the import (plus one `await init()`).
// Differences: bad input throws a catchable AttentionError instead of
// aborting the process; everything runs on the bundled wasm kernel.
import { AttentionError } from './errors.ts';
import { init as initRuntime } from './index.ts';
import type { Runtime, ScaledDotProductAttention, MultiHeadAttention as Mha } from '../../ts-types/index.d.ts';

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
