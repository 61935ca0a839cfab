// One encoder per argument kind and one decoder per result kind of the export
// manifest (py/ruvector_attention/exports.py: ARGUMENT_KINDS, RESULT_KINDS), and the
// one generic call encoding every method, constructor and function goes through.
// Nothing here knows a mechanism: the catalogue says which kind each argument is.
import { AttentionError } from './errors.ts';
import type { ArrayResult } from './bridge.ts';
import {
  indexArg, intScalarArg, layersArg, maskArg, rowsArg, rowsOrSetsArg, vectorArg, type Arg,
} from './inputs.ts';
import type {
  ArgumentKind, CallInfo, ParamInfo, ResultKind, Rows2D, StateDict,
} from '../../ts-types/index.d.ts';

/** Marks JS objects that stand for a Python object of this runtime (an exported handle). */
export const HANDLE: unique symbol = Symbol('ruvector-attention.handle');
export interface HandleLike { readonly [HANDLE]: () => number }  // throws once disposed

/** Fields of the "metadata" kind: camelCase name -> its kind and Python name (from the catalogue). */
export type MetadataFields = Record<string, { kind: ArgumentKind; pythonName: string }>;

/** What encoding needs besides the value: the argument list and the metadata fields. */
export interface EncodeContext { args: Arg[]; metadata: MetadataFields }

type Encoder = (x: unknown, name: string, ctx: EncodeContext) => unknown;

/** Append an array argument; the wire value naming it. */
function slot(ctx: EncodeContext, arg: Arg): { $arg: number } {
  return { $arg: ctx.args.push(arg) - 1 };
}

function isPoint(x: unknown): boolean {
  if (x instanceof Float32Array) return true;
  if (Array.isArray(x)) return x.length === 0 || typeof x[0] === 'number';
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

function scalar(type: 'number' | 'boolean' | 'string', what: string): Encoder {
  return (x, name) => {
    if (x === null) return null;  // Python None (nullable options); Python says when it is not allowed
    if (typeof x !== type || (type === 'number' && !Number.isFinite(x as number))) {
      throw new AttentionError('INVALID_CONFIG', `${name} must be ${what}, got ${String(x)}`);
    }
    return x;
  };
}

function plain(x: unknown): unknown {
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return Array.from(x as unknown as ArrayLike<unknown>);
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

export const ENCODERS: Record<ArgumentKind, Encoder> = {
  vector: (x, name, ctx) => slot(ctx, vectorArg(x, name)),
  rows: (x, name, ctx) => slot(ctx, rowsArg(x, name)),
  sets: (x, name, ctx) => slot(ctx, rowsOrSetsArg(x, name)),
  points: (x, name, ctx) => slot(ctx, isPoint(x) ? vectorArg(x, name) : rowsArg(x, name)),
  scalars: (x, name, ctx) => (typeof x === 'number' ? ENCODERS.float(x, name, ctx) : slot(ctx, vectorArg(x, name))),
  index: (x, name, ctx) => slot(ctx, indexArg(x, name)),
  layers: (x, name, ctx) => slot(ctx, layersArg(x, name)),
  mask: (x, name, ctx) => slot(ctx, maskArg(x, name)),
  metadata: (x, name, ctx) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x) || ArrayBuffer.isView(x)) {
      throw new AttentionError('INVALID_CONFIG', `${name} must be an object like { distances: [...] }`);
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(x)) {
      const field = ctx.metadata[key];
      if (!field) throw unknownName(`${name} has no field`, key, Object.keys(ctx.metadata));
      if (value !== undefined) out[field.pythonName] = ENCODERS[field.kind](value, `${name}.${key}`, ctx);
    }
    return out;
  },
  state: (x, name, ctx) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) {
      throw new AttentionError('UNSUPPORTED', `${name} expects { name: Float32Array }`);
    }
    const layout: Record<string, [number, number]> = {};
    const parts: ArrayLike<number>[] = [];
    let total = 0;
    for (const [key, values] of Object.entries(x)) {
      if (!(values instanceof Float32Array) && !Array.isArray(values)) {
        throw new AttentionError('UNSUPPORTED', `${name}['${key}'] must be a Float32Array or number[]`);
      }
      layout[key] = [total, values.length];
      parts.push(values);
      total += values.length;
    }
    const arg: Arg = {
      kind: 'float', shape: [total], length: total,
      write: dst => { let at = 0; for (const p of parts) { dst.set(p, at); at += p.length; } },
    };
    return { $state: ctx.args.push(arg) - 1, layout };
  },
  object: (x, name) => {
    if (typeof x !== 'object' || x === null || !(HANDLE in x)) {
      throw new AttentionError('UNSUPPORTED', `${name} must be an object of this runtime (made by create())`);
    }
    return { $handle: (x as HandleLike)[HANDLE]() };
  },
  int: (x, name) => (x === null ? null : intScalarArg(x, name).value),
  float: scalar('number', 'a finite number'),
  bool: scalar('boolean', 'true or false'),
  str: scalar('string', 'a string'),
  json: x => plain(x),
};

/** Edit distance, for "did you mean" (names are short). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** INVALID_CONFIG naming an unknown name, the closest known one, and every known one. */
export function unknownName(what: string, name: string, known: readonly string[]): AttentionError {
  const best = known.map(k => [k, distance(name, k)] as const).sort((a, b) => a[1] - b[1])[0];
  const hint = best && best[1] <= Math.max(2, Math.floor(name.length / 3)) ? `; did you mean '${best[0]}'?` : '';
  return new AttentionError('INVALID_CONFIG', `${what} '${name}'${hint} (known: ${known.join(', ')})`);
}

export function checkOptions(options: unknown, what: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options) || ArrayBuffer.isView(options)) {
    throw new AttentionError('INVALID_CONFIG', `${what} options must be an object like { dim: 128 }`);
  }
  return options as Record<string, unknown>;
}

/** A call encoded for the bridge: the array arguments, and the keyword arguments as JSON
 *  (absent when every argument is an array passed positionally: the fast path). */
export interface Encoded { args: Arg[]; kwargs?: Record<string, unknown> }

function isSlot(wire: unknown, index: number): boolean {
  return !!wire && typeof wire === 'object' && (wire as { $arg?: number }).$arg === index;
}

/**
 * `values` (JS positional arguments, then the options object) as the declaration `call`
 * says: positional parameters first, the options object's fields by name (unknown ones are
 * INVALID_CONFIG with a suggestion), missing required ones INVALID_CONFIG. Positional
 * parameters that are arrays in order stay positional (only the options travel as JSON);
 * otherwise every argument goes by name.
 */
export function encodeCall(call: CallInfo, values: readonly unknown[], what: string, metadata: MetadataFields): Encoded {
  const ctx: EncodeContext = { args: [], metadata };
  const p = call.args.length;
  if (values.length > p + (call.options.length ? 1 : 0)) {
    throw new AttentionError('INVALID_CONFIG', `${what} takes ${p} argument(s)${call.options.length ? ' and an options object' : ''}, got ${values.length}`);
  }
  let inOrder = true, gap = false;
  const named: Record<string, unknown> = {};
  for (let i = 0; i < p; i++) {
    const param = call.args[i]!;
    const x = values[i];
    if (x === undefined) {
      if (!param.optional) throw new AttentionError('INVALID_CONFIG', `${what} needs ${param.name}`);
      gap = true;
      continue;
    }
    const wire = ENCODERS[param.kind](x, param.name, ctx);
    named[param.pythonName] = wire;
    if (gap || !isSlot(wire, i) || ctx.args.length !== i + 1) inOrder = false;
  }
  let options: Record<string, unknown> | undefined;
  const given = values.length > p ? values[p] : undefined;
  if (given !== undefined) {
    const fields = checkOptions(given, what);
    for (const key in fields) {
      const value = fields[key];
      const param = findParam(call.options, key, what);
      if (value === undefined) continue;
      (options ??= {})[param.pythonName] = ENCODERS[param.kind](value, key, ctx);
    }
  }
  for (const param of call.options) {
    if (!param.optional && !(options && param.pythonName in options)) {
      throw new AttentionError('INVALID_CONFIG', `${what} needs option ${param.name}`);
    }
  }
  if (inOrder) return options ? { args: ctx.args, kwargs: options } : { args: ctx.args };
  return { args: ctx.args, kwargs: options ? Object.assign(named, options) : named };
}

function findParam(params: readonly ParamInfo[], key: string, what: string): ParamInfo {
  for (const p of params) if (p.name === key) return p;
  throw unknownName(`${what} has no option`, key, params.map(p => p.name));
}

// ------------------------------------------------------------------ results

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

function toState(r: unknown): StateDict {
  const out: StateDict = {};
  for (const [k, v] of Object.entries((r ?? {}) as Record<string, unknown>)) out[k] = asArray(v).data;
  return out;
}

function isArrayResult(x: unknown): x is { data: ArrayBufferView; shape: number[] } {
  return !!x && typeof x === 'object' && ArrayBuffer.isView((x as { data?: unknown }).data)
    && Array.isArray((x as { shape?: unknown }).shape);
}

/** What decoding needs besides the value: turning a { $handle, class } into an object. */
export type Adopt = (ref: { $handle: number; class: string }) => unknown;

export const DECODERS: Record<ResultKind, (r: unknown, adopt: Adopt) => unknown> = {
  none: () => undefined,
  vector: r => asArray(r).data,
  matrix: r => toRows2D(r),
  points: r => (asArray(r).shape.length === 2 ? toRows2D(r) : asArray(r).data),
  scalars: r => (typeof r === 'number' ? r : asArray(r).data),
  number: r => r as number,
  bool: r => r as boolean,
  mask: r => Uint8Array.from((r as { data: ArrayLike<number> }).data),
  gradients: r => {
    const g = r as Record<string, unknown>;
    return { query: asArray(g.query).data, keys: toRows2D(g.keys), values: toRows2D(g.values), params: toState(g.params) };
  },
  state: r => toState(r),
  json: r => r,
  record: r => Object.fromEntries(Object.entries(r as Record<string, unknown>).map(([k, v]) => [k, isArrayResult(v) ? v.data : v])),
  handle: (r, adopt) => (r === null || r === undefined ? r : adopt(r as { $handle: number; class: string })),
};
