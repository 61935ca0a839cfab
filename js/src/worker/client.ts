// The main-thread side of worker mode: an AsyncRuntime whose objects are thin
// handles built from the catalogue the worker sends at boot; every method posts one
// Request and awaits its Response.
import { AttentionError, deserializeError, disposedError } from '../errors.ts';
import { startWorker, type WorkerLike } from '../platform.ts';
import { checkMembers } from '../handle.ts';
import { INTERNALS } from '../runtime.ts';
import {
  isObjectRef, type BootResult, type CallResult, type MatrixResult, type ObjectRef, type Request, type Response,
} from './protocol.ts';
import type { AsyncRuntime, Catalog, ClassInfo, InitOptions } from '../../../ts-types/index.d.ts';

type Pending = { resolve: (v: any) => void; reject: (e: Error) => void };
type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** Most bytes of argument buffers kept for reuse (see protocol.ts). */
const POOL_BYTES = 64 << 20;

/** Argument buffers the worker handed back, by size, reused for later arguments. */
class BufferPool {
  #free = new Map<number, ArrayBuffer[]>();
  #bytes = 0;

  take(size: number): ArrayBuffer {
    const buffer = this.#free.get(size)?.pop();
    if (!buffer) return new ArrayBuffer(size);
    this.#bytes -= size;
    return buffer;
  }

  give(buffer: ArrayBuffer): void {
    const size = buffer.byteLength;
    if (size === 0 || this.#bytes + size > POOL_BYTES) return;
    const list = this.#free.get(size);
    if (list) list.push(buffer); else this.#free.set(size, [buffer]);
    this.#bytes += size;
  }
}

class Connection {
  private pending = new Map<number, Pending>();
  private pool = new BufferPool();
  private nextId = 1;
  private dead: AttentionError | null = null;

  constructor(private worker: WorkerLike, private onProgress?: InitOptions['onProgress']) {
    worker.onMessage((m: Response) => {
      if (m.type === 'progress') { this.onProgress?.(m.stage, m.detail); return; }
      for (const b of m.spare) this.pool.give(b);
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.ref(false);
      if (m.type === 'result') p.resolve(m.value);
      else p.reject(deserializeError(m.error));
    });
    worker.onError(e => this.fail(new AttentionError('INTERNAL', `the worker stopped: ${e.message}`)));
  }

  request<T>(body: RequestBody, transfer: Transferable[] = []): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref(true);
      try {
        this.worker.post({ ...body, id }, transfer);
      } catch (e) {  // e.g. an argument that cannot be structured-cloned
        this.pending.delete(id);
        reject(new AttentionError('UNSUPPORTED', `cannot send this argument to the worker: ${(e as Error).message}`));
      }
    });
  }

  /** request() with a body built by `build(enc)`: the typed arrays `enc` (encode) copies are transferred. */
  send<T>(build: (enc: (x: unknown) => unknown) => RequestBody): Promise<T> {
    const transfer: Transferable[] = [];
    let body: RequestBody;
    try { body = build(x => encode(x, transfer, this.pool)); } catch (e) { return Promise.reject(e); }
    return this.request<T>(body, transfer);
  }

  #classes = new Map<string, { json: string; cls: RemoteClass }>();

  /** A result with every { $object } reference made a RemoteObject. */
  adopt(value: unknown): unknown {
    if (!isObjectRef(value)) return value;
    const ref = value as ObjectRef;
    const json = JSON.stringify(ref.info);
    let known = this.#classes.get(ref.info.name);
    if (!known || known.json !== json) {
      known = { json, cls: remoteClass(ref.info) };
      this.#classes.set(ref.info.name, known);
    }
    return new known.cls(this, ref);
  }

  fail(error: AttentionError): void {
    if (this.dead) return;
    this.dead = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  async terminate(): Promise<void> {
    this.fail(new AttentionError('DISPOSED', 'the worker runtime was terminated'));
    await this.worker.terminate();
  }
}

const MATRIX = Symbol('remote-matrix');
const TARGET = Symbol('remote-object');
const CALL = Symbol('remote-call');
const PROPERTY = Symbol('remote-property');

// Worker-side objects of handles garbage-collected without dispose(): freed by a late request.
const leaked = new FinalizationRegistry<{ conn: Connection; target: number }>(({ conn, target }) => {
  conn.request({ type: 'dispose', target }).catch(() => { /* worker gone */ });
});

class RemoteMatrix {
  [MATRIX]: number;
  #conn: Connection;
  #disposed = false;
  readonly rows: number;
  readonly cols: number;
  constructor(conn: Connection, r: MatrixResult) {
    this.#conn = conn; this[MATRIX] = r.target; this.rows = r.rows; this.cols = r.cols;
    leaked.register(this, { conn, target: r.target }, this);
  }
  get disposed(): boolean { return this.#disposed; }
  set(data: Float32Array): Promise<void> {
    if (this.#disposed) return Promise.reject(disposedError('Matrix'));
    return this.#conn.send(enc => ({ type: 'matrix-set', target: this[MATRIX], data: enc(data) }));
  }
  toFloat32Array(): Promise<Float32Array> {
    if (this.#disposed) return Promise.reject(disposedError('Matrix'));
    return this.#conn.request({ type: 'matrix-read', target: this[MATRIX] });
  }
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    leaked.unregister(this);
    await this.#conn.request({ type: 'dispose', target: this[MATRIX] });
  }
}

type TypedArrayClass = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;

/**
 * An argument as it is sent: a RemoteMatrix or a remote object becomes a reference the
 * worker resolves, and a typed array a copy of just its own bytes in a pooled buffer,
 * transferred (structured cloning would copy a view's whole buffer, twice: serialising
 * and deserialising); arrays and plain objects are encoded element by element.
 */
function encode(x: unknown, transfer: Transferable[], pool: BufferPool): unknown {
  if (x instanceof RemoteMatrix) {
    if (x.disposed) throw disposedError('Matrix');
    return { $matrix: x[MATRIX] };
  }
  if (x instanceof RemoteObject) return { $object: x[TARGET]() };
  if (ArrayBuffer.isView(x)) {
    if (x instanceof DataView) return x;
    const buffer = pool.take(x.byteLength);
    new Uint8Array(buffer).set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    transfer.push(buffer);
    return new (x.constructor as TypedArrayClass)(buffer, 0, (x as unknown as ArrayLike<unknown>).length);
  }
  const again = (v: unknown) => encode(v, transfer, pool);
  if (Array.isArray(x)) return x.some(v => v !== null && typeof v === 'object') ? x.map(again) : x;
  if (x && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) o[k] = again(v);
    return o;
  }
  return x;
}

/** The worker-side twin of an exported object: every method posts one 'call'; properties
 *  are the values the worker last sent (with the object, and after each mutating method). */
class RemoteObject {
  readonly name: string;
  #conn: Connection;
  #target: number;
  #disposed = false;
  #props: Record<string, unknown>;
  constructor(conn: Connection, ref: ObjectRef) {
    this.#conn = conn; this.#target = ref.$object; this.name = ref.info.name; this.#props = ref.props;
    leaked.register(this, { conn, target: ref.$object }, this);
  }
  get disposed(): boolean { return this.#disposed; }
  [TARGET] = (): number => {
    if (this.#disposed) throw disposedError(this.name);
    return this.#target;
  };

  async [CALL](method: string, args: unknown[]): Promise<unknown> {
    if (this.#disposed) throw disposedError(this.name);
    const r = await this.#conn.send<CallResult>(enc => ({ type: 'call', target: this.#target, method, args: enc(args) as unknown[] }));
    if (r.props) this.#props = r.props;
    return this.#conn.adopt(r.value);
  }

  [PROPERTY](name: string): unknown {
    if (this.#disposed) throw disposedError(this.name);
    return this.#props[name];
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    leaked.unregister(this);
    await this.#conn.request({ type: 'dispose', target: this.#target });
  }
}

type RemoteClass = new (conn: Connection, ref: ObjectRef) => RemoteObject;

/** A RemoteObject subclass per catalogue entry: its methods and property getters. */
function remoteClass(info: ClassInfo): RemoteClass {
  checkMembers(info);
  const cls = class extends RemoteObject {};
  Object.defineProperty(cls, 'name', { value: info.name });
  for (const call of info.signatures) {
    Object.defineProperty(cls.prototype, call.name, {
      value(this: RemoteObject, ...args: unknown[]) { return this[CALL](call.name, args); },
      writable: true, configurable: true,
    });
  }
  for (const p of info.properties) {
    Object.defineProperty(cls.prototype, p.name, { get(this: RemoteObject) { return this[PROPERTY](p.name); }, configurable: true });
  }
  return cls;
}

/** Start a worker, boot Pyodide inside it, and wrap it as an AsyncRuntime. */
export async function bootWorker(options: InitOptions): Promise<AsyncRuntime> {
  let worker: WorkerLike;
  try {
    worker = await startWorker();
  } catch (e) {
    throw new AttentionError('INIT_FAILED', `cannot start the worker: ${(e as Error).message}`);
  }
  const conn = new Connection(worker, options.onProgress);
  // A relative indexURL means "relative to the page", but the worker would resolve it
  // against its own script URL: make it absolute here.
  let indexURL = options.indexURL;
  if (indexURL && __TARGET__ === 'browser') indexURL = new URL(indexURL, globalThis.location?.href).href;
  let booted: BootResult;
  try {
    booted = await conn.request<BootResult>({ type: 'boot', ...(indexURL ? { indexURL } : {}) });
  } catch (e) {
    await conn.terminate().catch(() => {});
    const err = e as AttentionError;
    throw err.code === 'INIT_FAILED' ? err : new AttentionError('INIT_FAILED', err.message);
  }
  const namespaces: Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>> = {};
  for (const fn of booted.catalog.functions) {
    (namespaces[fn.namespace] ??= {})[fn.name] = (...args: unknown[]) => conn.send(enc =>
      ({ type: 'function', namespace: fn.namespace, name: fn.name, args: enc(args) as unknown[] }))
      .then(v => conn.adopt(v));
  }
  const rt = {
    mode: 'worker' as const,
    versions: Object.freeze({ ...booted.versions }),
    mechanisms: async () => (await conn.request<Catalog>({ type: 'catalog' })).mechanisms,
    catalog: () => conn.request<Catalog>({ type: 'catalog' }),
    create: async (name: string, opts?: unknown) =>
      conn.adopt(await conn.send<ObjectRef>(enc => ({ type: 'create', name, options: enc(opts) }))),
    matrix: async (data: unknown, rows?: number) => {
      return new RemoteMatrix(conn, await conn.send<MatrixResult>(enc =>
        ({ type: 'matrix', data: enc(data), ...(rows === undefined ? {} : { rows }) })));
    },
    ...namespaces,
    terminate: () => conn.terminate(),
  };
  Object.defineProperty(rt, INTERNALS, {
    value: {
      runPython: (code: string) => conn.request({ type: 'internal', what: 'runPython', code }),
      liveObjects: () => conn.request({ type: 'internal', what: 'liveObjects' }),
    },
  });
  return rt as unknown as AsyncRuntime;
}
