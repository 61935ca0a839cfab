// The worker script (dist/worker.node.mjs, dist/worker.browser.mjs): boots the
// synchronous runtime inside the worker and serves Requests one at a time.
import { boot } from '../boot.ts';
import { AttentionError, serializeError } from '../errors.ts';
import { MechanismBase } from '../mechanism.ts';
import { CurvedAttentionImpl, MatrixImpl, makeMatrix, makeRuntime } from '../runtime.ts';
import {
  GEOMETRY_METHODS, GRAPH_FUNCTIONS, MATRIX_METHODS, MECHANISM_METHODS, MECHANISM_PROPERTIES, isMatrixRef, transferables, type Request, type Response,
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
const objects = new Map<number, MechanismBase | MatrixImpl>();
let nextTarget = 1;

function live(): { rt: Runtime; bridge: Bridge } {
  if (!runtime || !bridge) throw new AttentionError('NOT_INITIALIZED', 'the worker has not booted');
  return { rt: runtime, bridge };
}

function target(id: number): MechanismBase | MatrixImpl {
  const obj = objects.get(id);
  if (!obj) throw new AttentionError('DISPOSED', `object ${id} has been disposed`);
  return obj;
}

function decode(x: unknown): unknown {
  if (isMatrixRef(x)) {
    const m = target(x.$matrix);
    if (!(m instanceof MatrixImpl)) throw new AttentionError('UNSUPPORTED', 'not a matrix reference');
    return m;
  }
  if (x && typeof x === 'object' && !Array.isArray(x) && !ArrayBuffer.isView(x)) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) o[k] = decode(v);
    return o;
  }
  return x;
}

async function handle(req: Request, progress: (stage: any, detail: string) => void): Promise<unknown> {
  switch (req.type) {
    case 'boot': {
      if (!runtime) {
        const booted = await boot(req.indexURL, progress);
        bridge = booted.bridge;
        runtime = makeRuntime(booted);
      }
      return { versions: runtime.versions };
    }
    case 'mechanisms':
      return live().rt.mechanisms();
    case 'create': {
      const mech = (await live().rt.create(req.name, req.options as Record<string, unknown>)) as unknown as MechanismBase;
      const id = nextTarget++;
      objects.set(id, mech);
      return mech instanceof CurvedAttentionImpl
        ? { target: id, name: mech.name, curvature: mech.curvature }
        : { target: id, name: mech.name };
    }
    case 'matrix': {
      const m = makeMatrix(live().bridge, req.data, req.rows);
      const id = nextTarget++;
      objects.set(id, m);
      return { target: id, rows: m.rows, cols: m.cols };
    }
    case 'call': {
      const obj = target(req.target);
      const allowed = obj instanceof MatrixImpl ? MATRIX_METHODS : MECHANISM_METHODS;
      const fn = (obj as unknown as Record<string, unknown>)[req.method];
      if (!allowed.has(req.method) || typeof fn !== 'function') {
        throw new AttentionError('UNSUPPORTED', `${obj instanceof MatrixImpl ? 'Matrix' : (obj as MechanismBase).name} has no method ${req.method}`);
      }
      return (fn as (...a: unknown[]) => unknown).apply(obj, req.args.map(decode));
    }
    case 'get': {  // issue 5
      const obj = target(req.target);
      if (obj instanceof MatrixImpl || !MECHANISM_PROPERTIES.has(req.property) || !(req.property in obj)) {
        throw new AttentionError('UNSUPPORTED', `${obj instanceof MatrixImpl ? 'Matrix' : obj.name} has no property ${String(req.property)}`);
      }
      return (obj as unknown as Record<string, unknown>)[req.property];
    }
    case 'datasets': {
      const ds = live().rt.datasets as unknown as Record<string, (...a: unknown[]) => unknown>;
      if (req.method !== 'hnswGraph' && req.method !== 'knnGraph') {
        throw new AttentionError('UNSUPPORTED', `datasets has no method ${String(req.method)}`);
      }
      return ds[req.method]!(...req.args);
    }
    case 'geometric': {  // issue 5
      if (!GEOMETRY_METHODS.has(req.method)) {
        throw new AttentionError('UNSUPPORTED', `geometric has no function ${String(req.method)}`);
      }
      const geo = live().rt.geometric as unknown as Record<string, (...a: unknown[]) => unknown>;
      return geo[req.method]!(...req.args.map(decode));
    }
    case 'graph': {  // issue 7
      if (!GRAPH_FUNCTIONS.has(req.method)) {
        throw new AttentionError('UNSUPPORTED', `graph has no function ${String(req.method)}`);
      }
      const helpers = live().rt.graph as unknown as Record<string, (...a: unknown[]) => unknown>;
      return helpers[req.method]!(...req.args);
    }
    case 'dispose': {
      objects.get(req.target)?.dispose();
      objects.delete(req.target);
      return undefined;
    }
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
