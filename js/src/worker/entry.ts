// The worker script (dist/worker.node.mjs, dist/worker.browser.mjs): boots the
// synchronous runtime inside the worker and serves Requests one at a time.
import { boot } from '../boot.ts';
import { AttentionError, serializeError } from '../errors.ts';
import { ExportedObject, type Exports } from '../handle.ts';
import { EXPORTS, MatrixImpl, makeMatrix, makeRuntime } from '../runtime.ts';
import {
  isMatrixRef, isObjectRef, transferables, type CallResult, type ObjectRef, type Request, type Response,
} from './protocol.ts';
import type { Bridge } from '../bridge.ts';
import type { Runtime } from '../../../ts-types/index.d.ts';

interface Port { post(m: Response, transfer?: Transferable[]): void; listen(cb: (m: Request) => void): void }

async function port(): Promise<Port> {
  if (__TARGET__ === 'node') {
    const { parentPort } = await import('node:worker_threads');
    if (!parentPort) throw new Error('worker.node.mjs must run in a worker thread');
    return { post: (m, t) => parentPort.postMessage(m, t as any), listen: cb => parentPort.on('message', cb) };
  }
  const scope = globalThis as unknown as {
    postMessage(m: unknown, t?: Transferable[]): void; onmessage: ((e: MessageEvent) => void) | null;
  };
  return { post: (m, t) => scope.postMessage(m, t ?? []), listen: cb => { scope.onmessage = e => cb(e.data); } };
}

let runtime: Runtime | null = null;
let bridge: Bridge | null = null;
let exports: Exports | null = null;
const objects = new Map<number, ExportedObject | MatrixImpl>();
let nextTarget = 1;

function live(): { rt: Runtime; bridge: Bridge; exports: Exports } {
  if (!runtime || !bridge || !exports) throw new AttentionError('NOT_INITIALIZED', 'the worker has not booted');
  return { rt: runtime, bridge, exports };
}

function target(id: number): ExportedObject | MatrixImpl {
  const obj = objects.get(id);
  if (!obj) throw new AttentionError('DISPOSED', `object ${id} has been disposed`);
  return obj;
}

function matrix(id: number): MatrixImpl {
  const m = target(id);
  if (!(m instanceof MatrixImpl)) throw new AttentionError('UNSUPPORTED', 'not a matrix reference');
  return m;
}

function decode(x: unknown): unknown {
  if (isMatrixRef(x)) return matrix(x.$matrix);
  if (isObjectRef(x)) {
    const obj = target(x.$object);
    if (obj instanceof MatrixImpl) throw new AttentionError('UNSUPPORTED', 'not an object reference');
    return obj;
  }
  if (Array.isArray(x)) return x.some(v => v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) ? x.map(decode) : x;
  if (x && typeof x === 'object' && !ArrayBuffer.isView(x)) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) o[k] = decode(v);
    return o;
  }
  return x;
}

/** The values of obj's exported properties now (the client reads them synchronously). */
function properties(obj: ExportedObject): Record<string, unknown> {
  const info = live().exports.info(obj.name)!;
  const o = obj as unknown as Record<string, unknown>;
  return Object.fromEntries(info.properties.map(p => [p.name, o[p.name]]));
}

/** A result as it is posted: an exported object becomes a reference with its class. */
function reply(value: unknown): unknown {
  if (!(value instanceof ExportedObject)) return value;
  const id = nextTarget++;
  objects.set(id, value);
  return { $object: id, info: live().exports.info(value.name)!, props: properties(value) } satisfies ObjectRef;
}

async function handle(req: Request, progress: (stage: any, detail: string) => void): Promise<unknown> {
  switch (req.type) {
    case 'boot': {
      if (!runtime) {
        const booted = await boot(req.indexURL, progress);
        bridge = booted.bridge;
        runtime = makeRuntime(booted);
        exports = (runtime as unknown as Record<symbol, Exports>)[EXPORTS]!;
      }
      return { versions: runtime.versions, catalog: live().exports.catalog() };
    }
    case 'catalog':
      return live().exports.catalog();
    case 'create':
      return reply(live().exports.create(req.name, decode(req.options)));
    case 'call': {
      const obj = target(req.target);
      if (obj instanceof MatrixImpl) throw new AttentionError('UNSUPPORTED', `Matrix has no method ${req.method}`);
      const call = live().exports.info(obj.name)?.signatures.find(s => s.name === req.method);
      if (!call) throw new AttentionError('UNSUPPORTED', `${obj.name} has no method ${String(req.method)}`);
      const fn = (obj as unknown as Record<string, (...a: unknown[]) => unknown>)[call.name]!;
      const value = reply(fn.apply(obj, req.args.map(decode)));
      return (call.mutates ? { value, props: properties(obj) } : { value }) satisfies CallResult;
    }
    case 'function': {
      const ns = (live().rt as unknown as Record<string, Record<string, (...a: unknown[]) => unknown> | undefined>)[req.namespace];
      const fn = ns && Object.hasOwn(ns, req.name) ? ns[req.name] : undefined;
      if (!fn) throw new AttentionError('UNSUPPORTED', `${req.namespace} has no function ${String(req.name)}`);
      return reply(fn(...req.args.map(decode)));
    }
    case 'matrix': {
      const m = makeMatrix(live().bridge, req.data, req.rows);
      const id = nextTarget++;
      objects.set(id, m);
      return { target: id, rows: m.rows, cols: m.cols };
    }
    case 'matrix-set':
      return matrix(req.target).set(req.data as Float32Array);
    case 'matrix-read':
      return matrix(req.target).toFloat32Array();
    case 'dispose': {
      objects.get(req.target)?.dispose();
      objects.delete(req.target);
      return undefined;
    }
    case 'internal':  // not public API: what the tests need inside the worker
      if (req.what === 'runPython') { live().bridge.runPython(String(req.code)); return undefined; }
      return live().bridge.liveObjects();
    default:
      throw new AttentionError('INTERNAL', `unknown request ${(req as { type: string }).type}`);
  }
}

const p = await port();
// Requests are served strictly in order: Pyodide is single-threaded anyway, and
// a boot must finish before the calls queued behind it run.
let queue: Promise<void> = Promise.resolve();
p.listen(req => {
  queue = queue.then(async () => {
    // The request's argument buffers go back to the client once it is served: every call
    // copies its inputs into Python, so nothing here keeps them (see protocol.ts).
    const received = transferables(req).filter(b => b instanceof ArrayBuffer) as ArrayBuffer[];
    try {
      const value = await handle(req, (stage, detail) => p.post({ id: 0, type: 'progress', stage, detail }));
      const out = transferables(value);
      const spare = received.filter(b => !out.includes(b));
      p.post({ id: req.id, type: 'result', value, spare }, [...out, ...spare]);
    } catch (e) {
      p.post({ id: req.id, type: 'error', error: serializeError(e), spare: received }, received);
    }
  });
});
