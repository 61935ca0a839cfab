// The one message union between the main thread and the worker (Web Worker or
// worker_threads). Every request carries an id; the worker answers each with
// exactly one `result` or `error` of the same id. Result Float32Arrays are
// transferred (the worker drops them after posting). Typed-array arguments travel
// as copies of their own bytes in buffers the client transfers, so the caller's
// arrays stay usable; the worker hands those buffers back (`spare`) once the request
// is served and the client reuses them, so steady traffic allocates nothing (a new
// 1 MB buffer per call made the garbage collector pause for milliseconds every few
// dozen calls). Resident matrices cross as { $matrix: target } references.
import type { SerializedError } from '../errors.ts';
import type { BootStage, MechanismInfo, Versions } from '../../../ts-types/index.d.ts';

export type Request =
  | { id: number; type: 'boot'; indexURL?: string }
  | { id: number; type: 'mechanisms' }
  | { id: number; type: 'create'; name: string; options: unknown }
  | { id: number; type: 'matrix'; data: unknown; rows?: number }
  | { id: number; type: 'call'; target: number; method: string; args: unknown[] }
  | { id: number; type: 'get'; target: number; property: string }  // issue 5: a mechanism's read-only property
  | { id: number; type: 'dispose'; target: number }
  | { id: number; type: 'datasets'; method: 'hnswGraph' | 'knnGraph'; args: unknown[] }
  | { id: number; type: 'geometric'; method: string; args: unknown[] }  // issue 5: rt.geometric
  | { id: number; type: 'graph'; method: string; args: unknown[] };  // issue 7: rt.graph

export type Response =
  | { id: number; type: 'result'; value: unknown; spare: ArrayBuffer[] }
  | { id: number; type: 'error'; error: SerializedError; spare: ArrayBuffer[] }
  | { id: 0; type: 'progress'; stage: BootStage; detail: string };

export interface BootResult { versions: Versions }
export interface CreateResult {
  target: number; name: string;
  /** issue 5: set for curved mechanisms; the handle's synchronous `curvature` (refreshed after loadStateDict). */
  curvature?: number;
}
export interface MatrixResult { target: number; rows: number; cols: number }
export type MechanismsResult = MechanismInfo[];

/** Marker for a resident matrix inside call arguments. */
export interface MatrixRef { $matrix: number }

export function isMatrixRef(x: unknown): x is MatrixRef {
  return typeof x === 'object' && x !== null && typeof (x as MatrixRef).$matrix === 'number';
}

/** Methods the worker will call on a mechanism / matrix (anything else is refused). */
export const MECHANISM_METHODS = new Set([
  'forward', 'attentionWeights', 'forwardBatch', 'forwardGraph', 'backward', 'config',
  'stateDict', 'loadStateDict', 'train', 'eval', 'headAttentionWeights', 'headOutput',
  'forwardWithMetadata', 'applyRotation', 'forwardCross', // issue 7: graph-aware
  'attentionMask', 'redrawFeatures', 'setKeys', 'forwardPrepared', // issue 6: sparse
  'forwardWithEdges', 'poincareDistance', 'mobiusAdd', 'expMap', 'logMap', 'projectToBall', 'spaceScores', // issue 5
]);
/** issue 5: the rt.geometric functions the worker will call. */
export const GEOMETRY_METHODS = new Set([
  'poincareDistance', 'mobiusAdd', 'mobiusScalarMul', 'expMap', 'logMap', 'expMap0', 'logMap0',
  'projectToBall', 'gyromidpoint',
]);
/** issue 7: the rt.graph functions the worker will call. */
export const GRAPH_FUNCTIONS = new Set(['bfsDistances', 'structuralFeatures']);
export const MATRIX_METHODS = new Set(['set', 'toFloat32Array']);
/** issue 5: properties a 'get' request may read from a mechanism. */
export const MECHANISM_PROPERTIES = new Set(['curvature']);

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
