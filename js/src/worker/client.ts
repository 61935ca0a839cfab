// The main-thread side of worker mode: an AsyncRuntime whose objects are
// thin handles; every method posts one Request and awaits its Response.
import { AttentionError, deserializeError, disposedError } from '../errors.ts';
import { startWorker, type WorkerLike } from '../platform.ts';
import { GEOMETRY_METHODS, GRAPH_FUNCTIONS, type BootResult, type CreateResult, type MatrixResult, type Request, type Response } from './protocol.ts';
import type { AsyncRuntime, InitOptions, MechanismInfo } from '../../../ts-types/index.d.ts';

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
  #call(method: string, args: unknown[]): Promise<any> {
    if (this.#disposed) return Promise.reject(disposedError('Matrix'));
    return this.#conn.send(enc => ({ type: 'call', target: this[MATRIX], method, args: enc(args) as unknown[] }));
  }
  set(data: Float32Array): Promise<void> { return this.#call('set', [data]); }
  toFloat32Array(): Promise<Float32Array> { return this.#call('toFloat32Array', []); }
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    leaked.unregister(this);
    await this.#conn.request({ type: 'dispose', target: this[MATRIX] });
  }
}

type TypedArrayClass = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;

/**
 * An argument as it is sent: a RemoteMatrix becomes a reference the worker resolves, and a
 * typed array a copy of just its own bytes in a pooled buffer, transferred (structured
 * cloning would copy a view's whole buffer, twice: serialising and deserialising); arrays
 * and plain objects are encoded element by element.
 */
function encode(x: unknown, transfer: Transferable[], pool: BufferPool): unknown {
  if (x instanceof RemoteMatrix) {
    if (x.disposed) throw disposedError('Matrix');
    return { $matrix: x[MATRIX] };
  }
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

class RemoteMechanism {
  readonly name: string;
  #conn: Connection;
  #target: number;
  #disposed = false;
  #training = false;
  constructor(conn: Connection, r: CreateResult) {
    this.#conn = conn; this.#target = r.target; this.name = r.name;
    leaked.register(this, { conn, target: r.target }, this);
  }
  get disposed(): boolean { return this.#disposed; }
  get training(): boolean { return this.#training; }

  protected call(method: string, args: unknown[]): Promise<any> {
    if (this.#disposed) return Promise.reject(disposedError(this.name));
    return this.#conn.send(enc => ({ type: 'call', target: this.#target, method, args: enc(args) as unknown[] }));
  }

  forward(...a: unknown[]) { return this.call('forward', a); }
  attentionWeights(...a: unknown[]) { return this.call('attentionWeights', a); }
  forwardBatch(...a: unknown[]) { return this.call('forwardBatch', a); }
  forwardGraph(...a: unknown[]) { return this.call('forwardGraph', a); }
  backward(...a: unknown[]) { return this.call('backward', a); }
  config() { return this.call('config', []); }
  stateDict() { return this.call('stateDict', []); }
  loadStateDict(state: unknown) { return this.call('loadStateDict', [state]); }
  headAttentionWeights(...a: unknown[]) { return this.call('headAttentionWeights', a); }
  headOutput(...a: unknown[]) { return this.call('headOutput', a); }
  forwardWithMetadata(...a: unknown[]) { return this.call('forwardWithMetadata', a); }  // issue 7
  applyRotation(...a: unknown[]) { return this.call('applyRotation', a); }
  forwardCross(...a: unknown[]) { return this.call('forwardCross', a); }
  attentionMask(...a: unknown[]) { return this.call('attentionMask', a); }  // issue 6
  redrawFeatures() { return this.call('redrawFeatures', []); }
  setKeys(...a: unknown[]) { return this.call('setKeys', a); }
  forwardPrepared(...a: unknown[]) { return this.call('forwardPrepared', a); }
  forwardWithEdges(...a: unknown[]) { return this.call('forwardWithEdges', a); }  // issue 5
  poincareDistance(...a: unknown[]) { return this.call('poincareDistance', a); }
  mobiusAdd(...a: unknown[]) { return this.call('mobiusAdd', a); }
  expMap(...a: unknown[]) { return this.call('expMap', a); }
  logMap(...a: unknown[]) { return this.call('logMap', a); }
  projectToBall(...a: unknown[]) { return this.call('projectToBall', a); }
  spaceScores(...a: unknown[]) { return this.call('spaceScores', a); }
  /** issue 5: read a property (MECHANISM_PROPERTIES) of the worker-side object. */
  protected get(property: string): Promise<any> {
    if (this.#disposed) return Promise.reject(disposedError(this.name));
    return this.#conn.request({ type: 'get', target: this.#target, property });
  }
  async train(mode = true) { await this.call('train', [mode]); this.#training = mode; }
  async eval() { await this.train(false); }
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    leaked.unregister(this);
    await this.#conn.request({ type: 'dispose', target: this.#target });
  }
}

/**
 * issue 5: hyperbolic / manifold / mixed-curvature handles. `curvature` is synchronous as on
 * the main thread: the worker sends it with the object, and again after loadStateDict (the
 * only call that changes a learned curvature).
 */
class RemoteCurvedMechanism extends RemoteMechanism {
  #curvature: number;
  constructor(conn: Connection, r: CreateResult & { curvature: number }) {
    super(conn, r);
    this.#curvature = r.curvature;
  }
  get curvature(): number {
    if (this.disposed) throw disposedError(this.name);
    return this.#curvature;
  }
  override async loadStateDict(state: unknown) {
    await super.loadStateDict(state);
    this.#curvature = await this.get('curvature');
  }
}

function remoteMechanism(conn: Connection, r: CreateResult): RemoteMechanism {
  return r.curvature === undefined ? new RemoteMechanism(conn, r) : new RemoteCurvedMechanism(conn, r as CreateResult & { curvature: number });
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
  const rt = {
    mode: 'worker' as const,
    versions: Object.freeze({ ...booted.versions }),
    mechanisms: () => conn.request<MechanismInfo[]>({ type: 'mechanisms' }),
    create: async (name: string, opts?: unknown) =>
      remoteMechanism(conn, await conn.request<CreateResult>({ type: 'create', name, options: opts })),
    matrix: async (data: unknown, rows?: number) => {
      return new RemoteMatrix(conn, await conn.send<MatrixResult>(enc =>
        ({ type: 'matrix', data: enc(data), ...(rows === undefined ? {} : { rows }) })));
    },
    datasets: {
      hnswGraph: (...args: unknown[]) => conn.send(enc => ({ type: 'datasets', method: 'hnswGraph', args: enc(args) as unknown[] })),
      knnGraph: (...args: unknown[]) => conn.send(enc => ({ type: 'datasets', method: 'knnGraph', args: enc(args) as unknown[] })),
    },
    geometric: Object.fromEntries([...GEOMETRY_METHODS].map(method =>  // issue 5
      [method, (...args: unknown[]) => conn.send(enc => ({ type: 'geometric', method, args: enc(args) as unknown[] }))])),
    graph: Object.fromEntries([...GRAPH_FUNCTIONS].map(method =>  // issue 7
      [method, (...args: unknown[]) => conn.send(enc => ({ type: 'graph', method, args: enc(args) as unknown[] }))])),
    terminate: () => conn.terminate(),
  };
  return rt as unknown as AsyncRuntime;
}
