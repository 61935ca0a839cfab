// The base of every main-thread mechanism class: the methods every Python
// mechanism has, each one bridge.invoke with its arguments described by inputs.ts,
// plus the result converters the typed subclasses share.
import { AttentionError, disposedError } from './errors.ts';
import type { ArrayResult, Bridge } from './bridge.ts';
import { bindDirect, forwardDirect, type Direct } from './direct.ts';
import { indexArg, rowsArg, rowsOrSetsArg, vectorArg, type Arg } from './inputs.ts';
import type {
  Gradients, MaskOptions, Mechanism, Rows, Rows2D, StateDict, Vector,
} from '../../ts-types/index.d.ts';

// Python objects of JS objects that were garbage-collected without dispose().
export const leaked = new FinalizationRegistry<() => void>(free => { try { free(); } catch { /* runtime gone */ } });

type IndexInput = ArrayLike<number> | BigInt64Array;

/** Append `arg` to args and name it for a keyword argument ({ $arg: its index }). */
export function slot(args: Arg[], arg: Arg): { $arg: number } {
  return { $arg: args.push(arg) - 1 };
}

export function asArray(r: unknown): ArrayResult {
  if (!r || typeof r !== 'object' || !((r as ArrayResult).data instanceof Float32Array)) {
    throw new AttentionError('INTERNAL', 'expected an array result from Python');
  }
  return r as ArrayResult;
}

export function toRows2D(r: unknown): Rows2D {
  const { data, shape } = asArray(r);
  if (shape.length === 2) return { data, rows: shape[0]!, cols: shape[1]! };
  if (data.length === 0) return { data, rows: shape[0] ?? 0, cols: 0 };
  throw new AttentionError('INTERNAL', `expected a 2-D result, got shape (${shape.join(', ')})`);
}

export function toStateDict(r: unknown): StateDict {
  const out: StateDict = {};
  for (const [k, v] of Object.entries(r as Record<string, unknown>)) out[k] = asArray(v).data;
  return out;
}

export function checkOptions(options: unknown, what: string): object {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new AttentionError('INVALID_CONFIG', `${what} options must be an object like { dim: 128 }`);
  }
  return options;
}

/** Base class: the methods every Python mechanism has. */
export class MechanismBase implements Mechanism {
  readonly name: string;
  #bridge: Bridge;
  #handle: number;
  #training = false;
  #unregister: object = {};
  #direct: Direct | undefined;  // forward's kernel plan (direct.ts); undefined: not asked yet

  constructor(bridge: Bridge, name: string, options: unknown) {
    this.#bridge = bridge;
    this.name = name;
    const handle = bridge.create(name, checkOptions(options, name));
    this.#handle = handle;
    leaked.register(this, () => bridge.dispose(handle), this.#unregister);
  }

  get disposed(): boolean { return this.#handle === 0; }
  get training(): boolean { return this.#training; }

  /** The Python object's handle; throws once disposed. */
  protected get handle(): number {
    if (this.#handle === 0) throw disposedError(this.name);
    return this.#handle;
  }

  protected call(method: string, args: Arg[], options?: MaskOptions & { kwargs?: Record<string, unknown> }): unknown {
    return this.#bridge.invoke(this.handle, method, args, options);
  }

  /** The kernel itself when the mechanism has a plan and the call fits it (direct.ts), else Python. */
  forward(query: Vector, keys: Rows, values: Rows, options?: MaskOptions): Float32Array {
    const q = vectorArg(query, 'query'), k = rowsArg(keys, 'keys'), v = rowsArg(values, 'values');
    const direct = this.#directPlan();
    const out = direct && this.#bridge.direct ? forwardDirect(this.#bridge, direct, q, k, v, options?.mask ?? undefined) : null;
    return out ?? asArray(this.call('forward', [q, k, v], options)).data;
  }

  #directPlan(): Direct {
    const handle = this.handle;  // throws once disposed
    if (this.#direct === undefined) this.#direct = bindDirect(this.#bridge, handle);
    return this.#direct;
  }

  attentionWeights(query: Vector, keys: Rows, options?: MaskOptions): Float32Array {
    return asArray(this.call('attention_weights', [vectorArg(query, 'query'), rowsArg(keys, 'keys')], options)).data;
  }

  forwardBatch(queries: Rows, keys: Rows | readonly Rows[], values: Rows | readonly Rows[]): Rows2D {
    return toRows2D(this.call('forward_batch',
      [rowsArg(queries, 'queries'), rowsOrSetsArg(keys, 'keys'), rowsOrSetsArg(values, 'values')]));
  }

  forwardGraph(features: Rows, indptr: IndexInput, indices: IndexInput, options?: { values?: Rows }): Rows2D {
    return this.graphCall(features, indptr, indices, options?.values);
  }

  /** forward_graph on features and the CSR, with optional values and the keyword slots
   *  `extra` appends to args (a mechanism's own per-node / per-edge inputs). */
  protected graphCall(features: Rows, indptr: IndexInput, indices: IndexInput, values: Rows | undefined,
                      extra: (args: Arg[]) => Record<string, unknown> = () => ({})): Rows2D {
    const args: Arg[] = [rowsArg(features, 'features'), indexArg(indptr, 'indptr'), indexArg(indices, 'indices')];
    const kwargs: Record<string, unknown> = {};
    if (values !== undefined) kwargs.values = slot(args, rowsArg(values, 'values'));
    Object.assign(kwargs, extra(args));
    return toRows2D(this.call('forward_graph', args, Object.keys(kwargs).length ? { kwargs } : undefined));
  }

  backward(query: Vector, keys: Rows, values: Rows, gradOutput: Vector, options?: MaskOptions): Gradients {
    const g = this.call('backward', [vectorArg(query, 'query'), rowsArg(keys, 'keys'), rowsArg(values, 'values'),
      vectorArg(gradOutput, 'gradOutput')], options) as Record<string, unknown>;
    return {
      query: asArray(g.query).data, keys: toRows2D(g.keys), values: toRows2D(g.values),
      params: toStateDict(g.params ?? {}),
    };
  }

  config(): any {
    return this.call('config', []);
  }

  stateDict(): StateDict {
    return toStateDict(this.call('state_dict', []));
  }

  loadStateDict(state: Record<string, Float32Array | readonly number[]>): void {
    const handle = this.handle;
    if (typeof state !== 'object' || state === null) {
      throw new AttentionError('UNSUPPORTED', 'loadStateDict expects { name: Float32Array }');
    }
    this.#direct = undefined;  // new parameter buffers: the plan's addresses change
    this.#bridge.loadStateDict(handle, state);
  }

  train(mode = true): void {
    this.#direct = undefined;  // the plan may depend on the mode (dropout)
    this.call(mode ? 'train' : 'eval', []);
    this.#training = mode;
  }

  eval(): void { this.train(false); }

  dispose(): void {
    if (this.#handle === 0) return;
    const handle = this.#handle;
    this.#handle = 0;
    leaked.unregister(this.#unregister);
    this.#bridge.dispose(handle);
  }
}
