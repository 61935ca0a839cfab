// Turns the accepted JS input kinds into argument descriptions the bridge can
// write into Python-owned buffers: a shape plus a `write` that copies the
// values with TypedArray.set (a memcpy for Float32Array sources), or a
// resident matrix handle (no copy at all). Shape errors that JS can see are
// reported here, naming the argument; everything else is Python's to check.
import { AttentionError } from './errors.ts';

/** Marks objects that wrap a Python-resident matrix (see runtime.ts / worker). */
export const MATRIX_HANDLE: unique symbol = Symbol('ruvector-attention.matrix');

/** Resident matrices in this thread's heap also give their data view (the direct path reads its address). */
export const MATRIX_VIEW: unique symbol = Symbol('ruvector-attention.matrix-view');

export interface ResidentMatrix {
  readonly [MATRIX_HANDLE]: () => number;   // throws if disposed
  readonly [MATRIX_VIEW]?: () => Float32Array<ArrayBufferLike>;
  readonly rows: number;
  readonly cols: number;
}

export type FloatArg = {
  kind: 'float';
  shape: number[];
  length: number;
  write(dst: Float32Array): void;
};
export type MatrixArg = {
  kind: 'matrix'; shape: number[]; handle: number; view?: () => Float32Array<ArrayBufferLike>;
};
export type IntArg = { kind: 'int'; shape: number[]; length: number; write(dst: Int32Array): void };
export type ScalarArg = { kind: 'scalar'; shape: []; value: number };
export type BytesArg = { kind: 'bytes'; shape: number[]; length: number; write(dst: Uint8Array): void };
export type Arg = FloatArg | MatrixArg | IntArg | ScalarArg | BytesArg;

/** A whole number in int32 range (e.g. a head index, a node id). */
export function intScalarArg(x: unknown, name: string): ScalarArg {
  if (typeof x !== 'number' || !Number.isInteger(x) || Math.abs(x) > 0x7fffffff) {
    throw new AttentionError('INVALID_CONFIG', `${name} must be an integer, got ${String(x)}`);
  }
  return { kind: 'scalar', shape: [], value: x };
}

type Numeric = ArrayLike<number>;

function isNumericArray(x: unknown): x is Numeric {
  if (x instanceof Float32Array || Array.isArray(x)) return true;  // the common cases first (hot loop)
  return ArrayBuffer.isView(x) && !(x instanceof DataView) && !(x instanceof BigInt64Array)
    && !(x instanceof BigUint64Array);
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'Array';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}

function unsupported(name: string, expected: string, got: unknown): AttentionError {
  return new AttentionError('UNSUPPORTED', `${name} must be ${expected}, got ${typeName(got)}`);
}

/** A view whose ArrayBuffer was transferred (postMessage) or detached reads as empty and
 *  throws a raw TypeError when copied: refuse it by name. Only empty views are probed. */
function attached<T>(x: T, name: string): T {
  if (!ArrayBuffer.isView(x) || x.byteLength !== 0) return x;
  const buffer = x.buffer as ArrayBuffer & { detached?: boolean };
  let gone = buffer.detached;
  if (gone === undefined) {
    try { new Uint8Array(buffer); gone = false; } catch { gone = true; }
  }
  if (gone) {
    throw new AttentionError('UNSUPPORTED',
      `${name} is a ${typeName(x)} whose buffer was transferred or detached: it holds no data`);
  }
  return x;
}

function isResident(x: unknown): x is ResidentMatrix {
  return typeof x === 'object' && x !== null && MATRIX_HANDLE in x;
}

function isFlatRows(x: unknown): x is { data: Float32Array; rows: number; cols?: number } {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x)
    && 'data' in x && 'rows' in x;
}

/** One vector (query, gradient): Float32Array (memcpy) or any array of numbers. */
export function vectorArg(x: unknown, name: string): FloatArg {
  if (!isNumericArray(x)) throw unsupported(name, 'a Float32Array or an array of numbers', x);
  const src = attached(x, name);
  return { kind: 'float', shape: [src.length], length: src.length, write: dst => dst.set(src) };
}

/** A set of rows: Float32Array[] / number[][] / {data, rows[, cols]} / resident Matrix. */
export function rowsArg(x: unknown, name: string): FloatArg | MatrixArg {
  if (isResident(x)) return { kind: 'matrix', shape: [x.rows, x.cols], handle: x[MATRIX_HANDLE](), view: x[MATRIX_VIEW] };
  if (isFlatRows(x)) return flatRowsArg(x, name);
  if (Array.isArray(x)) return arrayRowsArg(x, name);
  if (x instanceof Float32Array) {
    throw new AttentionError('UNSUPPORTED',
      `${name} is a flat Float32Array: pass { data, rows } (or flat(data, rows)) so the row count is explicit`);
  }
  throw unsupported(name, 'Float32Array[], number[][], { data: Float32Array, rows } or a Matrix', x);
}

function flatRowsArg(x: { data: unknown; rows: unknown; cols?: unknown }, name: string): FloatArg {
  const { data, rows, cols } = x;
  if (!(data instanceof Float32Array)) throw unsupported(`${name}.data`, 'a Float32Array', data);
  attached(data, `${name}.data`);
  if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 0) {
    throw new AttentionError('DIMENSION_MISMATCH', `${name}.rows must be a whole number >= 0, got ${String(rows)}`);
  }
  let width: number;
  if (rows === 0) {
    if (data.length !== 0) {
      throw new AttentionError('DIMENSION_MISMATCH', `${name} has rows = 0 but ${data.length} values`);
    }
    width = typeof cols === 'number' ? cols : 0;
  } else {
    if (data.length % rows !== 0) {
      throw new AttentionError('DIMENSION_MISMATCH',
        `${name}.data has ${data.length} values, which is not ${rows} rows of equal width`);
    }
    width = data.length / rows;
    if (cols !== undefined && cols !== width) {
      throw new AttentionError('DIMENSION_MISMATCH',
        `${name} says cols = ${String(cols)} but ${data.length} values / ${rows} rows = ${width}`);
    }
  }
  return { kind: 'float', shape: [rows, width], length: data.length, write: dst => dst.set(data) };
}

function arrayRowsArg(x: readonly unknown[], name: string): FloatArg {
  const rows = x.length;
  if (rows === 0) return { kind: 'float', shape: [0, 0], length: 0, write: () => {} };
  const first = x[0];
  if (!isNumericArray(first)) throw unsupported(`${name}[0]`, 'a Float32Array or an array of numbers', first);
  const width = attached(first, `${name}[0]`).length;
  for (let i = 1; i < rows; i++) {
    const row = x[i];
    if (!isNumericArray(row)) throw unsupported(`${name}[${i}]`, 'a Float32Array or an array of numbers', row);
    attached(row, `${name}[${i}]`);
    if (row.length !== width) {
      throw new AttentionError('DIMENSION_MISMATCH',
        `${name}[${i}] has ${row.length} values, expected ${width} like ${name}[0]`);
    }
  }
  const list = x as readonly Numeric[];
  return {
    kind: 'float', shape: [rows, width], length: rows * width,
    write: dst => { for (let i = 0, off = 0; i < rows; i++, off += width) dst.set(list[i]!, off); },
  };
}

/** forwardBatch keys/values: one shared set (2-D) or one set per query (3-D). */
export function rowsOrSetsArg(x: unknown, name: string): FloatArg | MatrixArg {
  const perQuery = Array.isArray(x) && x.length > 0
    && (isFlatRows(x[0]) || isResident(x[0]) || (Array.isArray(x[0]) && x[0].length > 0 && isNumericArray(x[0][0])));
  if (!perQuery) return rowsArg(x, name);
  const sets = (x as unknown[]).map((s, i) => rowsArg(s, `${name}[${i}]`));
  const [n, d] = sets[0]!.shape as [number, number];
  sets.forEach((s, i) => {
    if (s.shape[0] !== n || s.shape[1] !== d) {
      throw new AttentionError('DIMENSION_MISMATCH',
        `${name}[${i}] is (${s.shape.join(', ')}), expected (${n}, ${d}) like ${name}[0]`);
    }
    if (s.kind === 'matrix') {
      throw new AttentionError('UNSUPPORTED', `${name}[${i}]: per-query sets cannot be resident matrices`);
    }
  });
  const floats = sets as FloatArg[];
  const size = n * d;
  return {
    kind: 'float', shape: [sets.length, n, d], length: sets.length * size,
    write: dst => floats.forEach((s, i) => s.write(dst.subarray(i * size, (i + 1) * size))),
  };
}

/** CSR indptr / indices. Values must be whole numbers in int32 range (wasm32 cannot hold more). */
export function indexArg(x: unknown, name: string): IntArg {
  let src: ArrayLike<number | bigint>;
  if (Array.isArray(x) || x instanceof Int32Array || x instanceof Uint32Array
      || x instanceof BigInt64Array || x instanceof BigUint64Array) {
    src = x;
  } else {
    throw unsupported(name, 'an Int32Array, Uint32Array, BigInt64Array or number[]', x);
  }
  attached(x, name);
  const n = src.length;
  const checked = x instanceof Int32Array;
  return {
    kind: 'int', shape: [n], length: n,
    write: dst => {
      if (checked) { dst.set(x as Int32Array); return; }
      for (let i = 0; i < n; i++) {
        const v = Number(src[i]);
        if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
          throw new AttentionError('OUT_OF_BOUNDS', `${name}[${i}] = ${String(src[i])} is not an int32 index`);
        }
        dst[i] = v;
      }
    },
  };
}

/** Per-key integer metadata (HNSW layers): an int slot when every value is a whole int32,
 *  else a float slot, so that Python names the entry that is not an integer. */
export function layersArg(x: unknown, name: string): IntArg | FloatArg {
  const asFloat = vectorArg(x, name);
  const src = x as ArrayLike<number>;
  const n = src.length;
  if (!(src instanceof Int32Array)) {
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) return asFloat;
    }
  }
  return { kind: 'int', shape: [n], length: n, write: dst => dst.set(src) };
}

/**
 * A key mask, its type kept as torch reads a mask's dtype: a Float32Array / Float64Array
 * travels as float32 (added to the scores), anything else as bytes — a Uint8Array as it
 * is, booleans as 1 / 0, numbers only when 0 or 1 (an integer 0/1 mask).
 */
export function maskArg(x: unknown, name = 'mask'): BytesArg | FloatArg {
  attached(x, name);
  if (x instanceof Float32Array || x instanceof Float64Array) return vectorArg(x, name);
  if (x instanceof Uint8Array) return { kind: 'bytes', shape: [x.length], length: x.length, write: dst => dst.set(x) };
  if (!Array.isArray(x) && !isNumericArray(x)) {
    throw unsupported(name, 'a Uint8Array, boolean[], 0/1 number[] or a Float32Array (added to the scores)', x);
  }
  const src = x as ArrayLike<unknown>;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v !== true && v !== false && v !== 0 && v !== 1) {
      throw new AttentionError('UNSUPPORTED', `${name}[${i}] is ${String(v)}: a boolean mask holds true / false or 1 / 0 ` +
        '(true keeps the key); pass a Float32Array for an additive mask (0 keeps, -Infinity removes)');
    }
  }
  return {
    kind: 'bytes', shape: [src.length], length: src.length,
    write: dst => { for (let i = 0; i < src.length; i++) dst[i] = src[i] ? 1 : 0; },
  };
}
