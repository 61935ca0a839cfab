// The JS half of the bridge to Python (py/ruvector_attention/_bridge_wire.py is the
// other half; read its docstring for the protocol). Inputs are copied with one
// TypedArray.set into Python-owned array.array buffers in the wasm heap, only
// small integers travel through `ctrl`, and outputs are copied out of `out`.
//
// Wasm memory growth detaches every TypedArray view on the heap, and Python
// replaces a buffer when it grows one (ctrl[GENERATION] changes), so views are
// re-acquired whenever either happened (checked before and after each call).
import { AttentionError } from './errors.ts';
import type { Arg } from './inputs.ts';
import type { ErrorCode } from '../../ts-types/index.d.ts';

// Mirrors the constants at the top of _bridge_wire.py.
const NARGS = 1, OUT_NDIM = 3, OUT_LEN = 4, OUT_SHAPE = 5, GENERATION = 8, OUT_ADDR = 9;
const SAME_ARGS = 10;
const ARG_BASE = 16, MAX_ARGS = 8;
const KIND = { float: 1, matrix: 2, int: 3, scalar: 4, bytes: 5 } as const;

// The few Pyodide shapes used here (kept minimal so the bundle does not depend on Pyodide's types).
export interface PyBuffer { data: ArrayBufferView; release(): void }
export interface PyProxy {
  (...args: unknown[]): any;
  get(key: unknown): any;
  getBuffer(type: string): PyBuffer;
  destroy(): void;
}
export interface PyodideLike {
  pyimport(name: string): PyProxy;
  /** Emscripten's module; LDSO lists the loaded shared libraries and their wasm exports. */
  _module?: { LDSO?: { loadedLibsByName?: Record<string, { exports?: Record<string, unknown> }> } };
  loadPackage(names: string | string[], options?: object): Promise<unknown>;
  loadedPackages: Record<string, string>;
  version: string;
  runPython(code: string): unknown;
}

export interface ArrayResult { data: Float32Array; shape: number[] }
export type KernelExport = (...args: (number | bigint)[]) => number;

export class Bridge {
  private readonly fn: Record<
    'invoke' | 'callFunction' | 'create' | 'dispose' | 'reserve' | 'buffers' | 'lastError' | 'matrix'
    | 'matrixData' | 'info' | 'revision' | 'liveObjects' | 'directPlan', PyProxy>;
  private readonly py: PyodideLike;
  private held: PyBuffer[] = [];
  // Views on the wasm heap (ArrayBufferLike: Pyodide may run on a SharedArrayBuffer).
  private ctrl: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private floats: Float32Array<ArrayBufferLike>[] = [];
  private ints: Int32Array<ArrayBufferLike>[] = [];
  private bytes: Uint8Array<ArrayBufferLike>[] = [];
  private out: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private generation = -1;
  /** Whether mechanisms may call kernel exports themselves (direct.ts); tests and the benchmark
   *  switch it off to compare with the path through Python. */
  direct = true;

  constructor(py: PyodideLike) {
    this.py = py;
    // Module attributes are read once; each call is then a plain PyProxy call.
    const mod: any = py.pyimport('ruvector_attention._bridge');
    this.fn = {
      invoke: mod.invoke, callFunction: mod.call_function, create: mod.create, dispose: mod.dispose, reserve: mod.reserve,
      buffers: mod.buffers, lastError: mod.last_error, matrix: mod.matrix, matrixData: mod.matrix_data,
      info: mod.info, revision: mod.revision, liveObjects: mod.live_objects,
      directPlan: mod.direct_plan,
    };
    // `mod` is kept alive: the function proxies above are borrowed from it.
    this.acquire();
  }

  /** (Re-)acquire typed views on every Python buffer. */
  private acquire(): void {
    for (const b of this.held) b.release();
    this.held = [];
    const bufs = this.fn.buffers();
    const take = <T extends ArrayBufferView>(obj: PyProxy, type: string): T => {
      const b = obj.getBuffer(type);
      this.held.push(b);
      obj.destroy();
      return b.data as T;
    };
    try {
      this.ctrl = take<Int32Array>(bufs.get('ctrl'), 'i32');
      const floats = bufs.get('float'), ints = bufs.get('int'), bytes = bufs.get('bytes');
      this.floats = []; this.ints = []; this.bytes = [];
      for (let i = 0; i < MAX_ARGS; i++) {
        this.floats.push(take<Float32Array>(floats.get(i), 'f32'));
        this.ints.push(take<Int32Array>(ints.get(i), 'i32'));
        this.bytes.push(take<Uint8Array>(bytes.get(i), 'u8'));
      }
      floats.destroy(); ints.destroy(); bytes.destroy();
      this.out = take<Float32Array>(bufs.get('out'), 'f32');
    } finally {
      bufs.destroy();
    }
    this.generation = this.ctrl[GENERATION]!;
  }

  /** Views are stale after wasm memory growth (detached: length 0) or a Python-side reallocation. */
  private refresh(): void {
    if (this.ctrl.length === 0 || this.ctrl[GENERATION] !== this.generation) this.acquire();
  }

  private reserve(kind: 'f' | 'i' | 'B', index: number, n: number): void {
    const have = (kind === 'f' ? this.floats : kind === 'i' ? this.ints : this.bytes)[index]!.length;
    if (have >= n) return;
    const arr = this.fn.reserve(kind, index, n);
    arr?.destroy?.();
    this.acquire();
  }

  private raise(): never {
    const [code, pyType, message] = JSON.parse(this.fn.lastError()) as [ErrorCode, string, string];
    throw new AttentionError(code, message, pyType);
  }

  private check(status: unknown): unknown {
    this.refresh();
    if (status === -1) this.raise();
    return status;
  }

  /** Write args into the Python buffers and describe them in ctrl. */
  private stage(args: readonly Arg[]): void {
    if (args.length > MAX_ARGS) throw new AttentionError('INTERNAL', `too many array arguments (${args.length})`);
    this.refresh();
    args.forEach((a, i) => {
      if (a.kind === 'float') this.reserve('f', i, a.length);
      else if (a.kind === 'int') this.reserve('i', i, a.length);
      else if (a.kind === 'bytes') this.reserve('B', i, a.length);
    });
    this.refresh();
    const ctrl = this.ctrl;
    // Descriptors left in ctrl by the previous call are compared while writing: when
    // nothing changed Python reuses its shaped views (SAME_ARGS), saving ~2 us a call.
    let same = ctrl[NARGS] === args.length;
    const put = (at: number, v: number) => { if (ctrl[at] !== v) { ctrl[at] = v; same = false; } };
    args.forEach((a, i) => {
      const base = ARG_BASE + 5 * i;
      put(base, KIND[a.kind]);
      put(base + 1, a.shape.length);
      if (a.kind === 'matrix') put(base + 2, a.handle);
      else if (a.kind === 'scalar') put(base + 2, a.value);
      else {
        for (let k = 0; k < a.shape.length; k++) put(base + 2 + k, a.shape[k]!);
        if (a.kind === 'float') a.write(this.floats[i]!);
        else if (a.kind === 'int') a.write(this.ints[i]!);
        else a.write(this.bytes[i]!);
      }
    });
    ctrl[NARGS] = args.length;
    ctrl[SAME_ARGS] = same ? 1 : 0;
  }

  /** Call exported `method` (Python name) of object `handle`, or read an exported property;
   *  kwargs (Python names, { $arg: i } for args[i]) travel as JSON. Returns an array, a JSON
   *  value, or undefined. */
  invoke(handle: number, method: string, args: readonly Arg[], kwargs?: Record<string, unknown>): unknown {
    this.stage(args);
    const status = kwargs ? this.fn.invoke(handle, method, JSON.stringify(kwargs)) : this.fn.invoke(handle, method);
    this.check(status);
    return this.result(status);
  }

  /** The result of a successful call: JSON (hydrated), an array left in ctrl[OUT_*], or undefined. */
  private result(status: unknown): unknown {
    if (typeof status === 'string') return this.hydrate(JSON.parse(status));
    const ndim = this.ctrl[OUT_NDIM]!;
    if (ndim < 0) return undefined;
    const shape = Array.from(this.ctrl.subarray(OUT_SHAPE, OUT_SHAPE + ndim));
    // ctrl is a view on the whole wasm heap, so the result is read where Python left it.
    const len = this.ctrl[OUT_LEN]!;
    const data = len ? new Float32Array(this.ctrl.buffer, this.ctrl[OUT_ADDR]! >>> 0, len).slice() : new Float32Array(0);
    return { data, shape } satisfies ArrayResult;
  }

  /** Call an exported module function (e.g. 'datasets.hnsw_graph'), arguments as for invoke. */
  callFunction(name: string, args: readonly Arg[], kwargs?: Record<string, unknown>): unknown {
    this.stage(args);
    const status = this.fn.callFunction(name, JSON.stringify(kwargs ?? {}));
    this.check(status);
    return this.result(status);  // arrays too (e.g. the geometric functions)
  }

  /** Replace {"$a" | "$i": [offset, shape]} references by copies of the output buffer. */
  private hydrate(x: unknown): unknown {
    if (Array.isArray(x)) return x.map(v => this.hydrate(v));
    if (x && typeof x === 'object') {
      const ref = (x as { $a?: [number, number[]] }).$a;
      if (ref) {
        const [offset, shape] = ref;
        const n = shape.reduce((a, b) => a * b, 1);
        return { data: this.out.slice(offset, offset + n), shape } satisfies ArrayResult;
      }
      const iref = (x as { $i?: [number, number[]] }).$i;
      if (iref) {  // int32 bit patterns stored in the float32 output buffer
        const [offset, shape] = iref;
        const n = shape.reduce((a, b) => a * b, 1);
        const ints = new Int32Array(this.out.buffer, this.out.byteOffset + 4 * offset, n).slice();
        return { data: ints, shape };
      }
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x)) o[k] = this.hydrate(v);
      return o;
    }
    return x;
  }

  /** Construct exported class `name`; arguments as for invoke (all by keyword). Returns the handle. */
  create(name: string, args: readonly Arg[], kwargs: Record<string, unknown>): number {
    this.stage(args);
    return this.check(this.fn.create(name, JSON.stringify(kwargs))) as number;
  }

  dispose(handle: number): void {
    this.check(this.fn.dispose(handle));
  }

  info(): { python: string; kernel: string; isa: string; revision: number; catalog: unknown } {
    return JSON.parse(this.check(this.fn.info()) as string);
  }

  /** The catalogue's version in Python (it changes when a class or function is registered). */
  revision(): number {
    return this.fn.revision() as number;
  }

  /** Run Python source in this runtime (tests define classes at run time with it). */
  runPython(code: string): unknown {
    return this.py.runPython(code);
  }

  liveObjects(): number {
    return this.fn.liveObjects() as number;
  }

  /** Python's plan for calling the kernel from JS for this object's forward (null: always via Python). */
  directPlan(handle: number): unknown {
    return JSON.parse(this.check(this.fn.directPlan(handle)) as string);
  }

  /** A wasm export of a shared library Pyodide loaded (undefined if this Pyodide does not expose it). */
  kernelExport(library: string, symbol: string): KernelExport | undefined {
    const fn = this.py._module?.LDSO?.loadedLibsByName?.[library]?.exports?.[symbol];
    return typeof fn === 'function' ? fn as KernelExport : undefined;
  }

  // Python-owned slots for callers that write them without invoke (direct.ts). Reserving can
  // grow the wasm memory, which detaches views: reserve everything first, then take the views.

  /** Make float slot `index` hold at least n values. */
  reserveFloats(index: number, n: number): void {
    this.refresh();
    this.reserve('f', index, n);
  }

  /** Make byte slot `index` hold at least n bytes. */
  reserveBytes(index: number, n: number): void {
    this.refresh();
    this.reserve('B', index, n);
  }

  /** A current view on float slot `index` (its byteOffset is its heap address). */
  floatSlot(index: number): Float32Array<ArrayBufferLike> {
    this.refresh();
    return this.floats[index]!;
  }

  /** A current view on byte slot `index`. */
  byteSlot(index: number): Uint8Array<ArrayBufferLike> {
    this.refresh();
    return this.bytes[index]!;
  }

  /** Current size of the wasm linear memory (tests check that calls do not grow it). */
  heapBytes(): number {
    this.refresh();
    return this.ctrl.buffer.byteLength;
  }

  /** A resident (rows, cols) matrix; returns its handle and a view getter that survives memory growth. */
  matrix(rows: number, cols: number): { handle: number; view: () => Float32Array; release: () => void } {
    const handle = this.check(this.fn.matrix(rows, cols)) as number;
    const proxy: PyProxy = this.fn.matrixData(handle);
    let buf = proxy.getBuffer('f32');
    return {
      handle,
      view: () => {
        if (buf.data.byteLength === 0 && rows * cols > 0) { buf.release(); buf = proxy.getBuffer('f32'); }
        return buf.data as Float32Array;
      },
      release: () => { buf.release(); proxy.destroy(); },
    };
  }
}
