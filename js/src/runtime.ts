// The main-thread (synchronous) runtime: every exported class and function of the
// catalogue (handle.ts builds them at run time), resident matrices, and the catalogue.
import { AttentionError, disposedError } from './errors.ts';
import type { Bridge } from './bridge.ts';
import type { Booted } from './boot.ts';
import { Exports, leaked } from './handle.ts';
import { MATRIX_HANDLE, MATRIX_VIEW, rowsArg, type ResidentMatrix } from './inputs.ts';
import type { Catalog, Matrix, MechanismInfo, Runtime, Versions } from '../../ts-types/index.d.ts';

type Resident = ReturnType<Bridge['matrix']>;

/** A float32 matrix owned by Python in the wasm heap (see ts-types Matrix). */
export class MatrixImpl implements Matrix, ResidentMatrix {
  readonly rows: number;
  readonly cols: number;
  #bridge: Bridge;
  #m: Resident | null;
  #unregister: object = {};

  constructor(bridge: Bridge, rows: number, cols: number) {
    this.#bridge = bridge;
    this.rows = rows;
    this.cols = cols;
    const m = bridge.matrix(rows, cols);
    this.#m = m;
    leaked.register(this, () => { m.release(); bridge.dispose(m.handle); }, this.#unregister);
  }

  [MATRIX_HANDLE] = (): number => this.#live().handle;
  [MATRIX_VIEW] = (): Float32Array<ArrayBufferLike> => this.#live().view();

  #live(): Resident {
    if (!this.#m) throw disposedError('Matrix');
    return this.#m;
  }

  get disposed(): boolean { return this.#m === null; }

  set(data: Float32Array): void {
    if (!(data instanceof Float32Array)) throw new AttentionError('UNSUPPORTED', 'Matrix.set expects a Float32Array');
    if (data.length !== this.rows * this.cols) {
      throw new AttentionError('DIMENSION_MISMATCH',
        `Matrix.set got ${data.length} values, expected ${this.rows} x ${this.cols} = ${this.rows * this.cols}`);
    }
    this.#live().view().set(data);
  }

  toFloat32Array(): Float32Array {
    return this.#live().view().slice(0, this.rows * this.cols);
  }

  dispose(): void {
    const m = this.#m;
    if (!m) return;
    this.#m = null;
    leaked.unregister(this.#unregister);
    m.release();
    this.#bridge.dispose(m.handle);
  }
}

/** Copy rows into a new resident matrix. */
export function makeMatrix(bridge: Bridge, data: unknown, rows?: number): MatrixImpl {
  const arg = rowsArg(rows === undefined ? data : { data, rows }, 'matrix');
  if (arg.kind === 'matrix') throw new AttentionError('UNSUPPORTED', 'matrix() got a Matrix already');
  const [r, c] = arg.shape as [number, number];
  const m = new MatrixImpl(bridge, r, c);
  if (arg.length) {
    const tmp = new Float32Array(arg.length);
    arg.write(tmp);
    m.set(tmp);
  }
  return m;
}

/** Not public API: synchronous construction on the main-thread runtime (used by compat). */
export const CONSTRUCT = Symbol.for('ruvector-attention.construct');
/** Not public API: what the tests and the benchmark see inside. */
export const INTERNALS = Symbol.for('ruvector-attention.internals');
/** Not public API: the worker's access to the registry of exported classes. */
export const EXPORTS = Symbol.for('ruvector-attention.exports');

/** The synchronous runtime over one booted Pyodide. */
export function makeRuntime(booted: Booted): Runtime {
  const { bridge, versions } = booted;
  const exports = new Exports(bridge, booted.catalog, booted.revision);
  const rt: Record<string, unknown> = {
    mode: 'main' as const,
    versions: Object.freeze({ ...versions }) as Versions,
    mechanisms: (): MechanismInfo[] => structuredClone(exports.catalog().mechanisms) as MechanismInfo[],
    catalog: (): Catalog => structuredClone(exports.catalog()),
    create: async (name: string, options?: unknown) => exports.create(name, options),
    matrix: (data: unknown, rows?: number) => makeMatrix(bridge, data, rows),
    ...exports.namespaces(),
  };
  // Every class of the catalogue also by name: new rt.ScaledDotProductAttention({ dim })
  for (const info of [...booted.catalog.mechanisms, ...booted.catalog.objects]) {
    Object.defineProperty(rt, info.name, { get: () => exports.classOf(info.name), enumerable: true });
  }
  Object.defineProperty(rt, CONSTRUCT, { value: (name: string, options: unknown) => exports.create(name, options) });
  Object.defineProperty(rt, EXPORTS, { value: exports });
  Object.defineProperty(rt, INTERNALS, {
    value: {
      liveObjects: () => bridge.liveObjects(), heapBytes: () => bridge.heapBytes(),
      // direct.ts: off sends every call through Python (tests compare the two paths)
      useDirect: (on: boolean) => { bridge.direct = on; },
      // the Node benchmark reads Python's tracemalloc through this (peak extra memory)
      pyimport: (name: string) => booted.py.pyimport(name),
      // tests define Python classes at run time with this
      runPython: (code: string) => { bridge.runPython(code); },
    },
  });
  return rt as unknown as Runtime;
}
