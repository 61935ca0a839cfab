// The one message union between the main thread and the worker (Web Worker or
// worker_threads). Every request carries an id; the worker answers each with
// exactly one `result` or `error` of the same id. Result Float32Arrays are
// transferred (the worker drops them after posting). Typed-array arguments travel
// as copies of their own bytes in buffers the client transfers, so the caller's
// arrays stay usable; the worker hands those buffers back (`spare`) once the request
// is served and the client reuses them, so steady traffic allocates nothing (a new
// 1 MB buffer per call made the garbage collector pause for milliseconds every few
// dozen calls). Resident matrices cross as { $matrix: target } references, exported
// objects as { $object: target }.
//
// Methods, properties and functions are not listed here: the worker serves whatever
// the catalogue declares (js/src/handle.ts), and refuses everything else.
import type { SerializedError } from '../errors.ts';
import type { BootStage, Catalog, ClassInfo, Versions } from '../../../ts-types/index.d.ts';

export type Request =
  | { id: number; type: 'boot'; indexURL?: string }
  | { id: number; type: 'catalog' }
  | { id: number; type: 'create'; name: string; options: unknown }
  | { id: number; type: 'call'; target: number; method: string; args: unknown[] }
  | { id: number; type: 'function'; namespace: string; name: string; args: unknown[] }
  | { id: number; type: 'matrix'; data: unknown; rows?: number }
  | { id: number; type: 'matrix-set'; target: number; data: unknown }
  | { id: number; type: 'matrix-read'; target: number }
  | { id: number; type: 'dispose'; target: number }
  | { id: number; type: 'internal'; what: 'runPython' | 'liveObjects'; code?: string };

export type Response =
  | { id: number; type: 'result'; value: unknown; spare: ArrayBuffer[] }
  | { id: number; type: 'error'; error: SerializedError; spare: ArrayBuffer[] }
  | { id: 0; type: 'progress'; stage: BootStage; detail: string };

export interface BootResult { versions: Versions; catalog: Catalog }
/** An exported object living in the worker: its class and its properties' values now. */
export interface ObjectRef { $object: number; info: ClassInfo; props: Record<string, unknown> }
/** The answer to a 'call': the result, and the properties again after a mutating method. */
export interface CallResult { value: unknown; props?: Record<string, unknown> }
export interface MatrixResult { target: number; rows: number; cols: number }

/** Marker for a resident matrix inside call arguments. */
export interface MatrixRef { $matrix: number }

export function isMatrixRef(x: unknown): x is MatrixRef {
  return typeof x === 'object' && x !== null && typeof (x as MatrixRef).$matrix === 'number';
}

export function isObjectRef(x: unknown): x is { $object: number } {
  return typeof x === 'object' && x !== null && typeof (x as ObjectRef).$object === 'number';
}

/** ArrayBuffers inside a message, to transfer instead of copy. */
export function transferables(x: unknown, out: Transferable[] = [], seen = new Set<unknown>()): Transferable[] {
  if (ArrayBuffer.isView(x)) {
    if (!seen.has(x.buffer)) { seen.add(x.buffer); out.push(x.buffer as ArrayBuffer); }
  } else if (Array.isArray(x)) {
    for (const v of x) transferables(v, out, seen);
  } else if (x && typeof x === 'object') {
    for (const v of Object.values(x)) transferables(v, out, seen);
  }
  return out;
}
