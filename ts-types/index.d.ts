/**
 * Public types of the npm package `ruvector-attention`.
 *
 * The package runs the Python package `ruvector_attention` (and its C SIMD
 * kernel compiled to WebAssembly) inside Pyodide, in Node.js and browsers.
 * Every class mirrors the Python class of the same name with camelCase
 * methods; Python keyword arguments become an options object. The runtime
 * builds them from the Python export manifest at run time; these declarations
 * are the contract, one file per family (tests/js/type_drift.test.mjs checks
 * each against the manifest).
 */
import type { Async, Catalog, Matrix, MechanismInfo, Rows, Versions, FlatRows, Mechanism } from './base.js';
import type { CoreMechanisms, MultiHeadAttention, MultiHeadAttentionOptions, ScaledDotProductAttention, ScaledDotProductAttentionOptions } from './core.js';
import type { SparseMechanisms } from './sparse.js';
import type { GraphHelpers, GraphMechanisms } from './graph.js';
import type { AsyncGeometry, GeometricMechanisms, Geometry } from './geometric.js';
import type { Datasets } from './datasets.js';

export * from './base.js';
export * from './core.js';
export * from './sparse.js';
export * from './graph.js';
export * from './geometric.js';
export * from './datasets.js';

/** Every mechanism by name: its options and its instance type (one line per family). */
export interface MechanismTypes extends CoreMechanisms, SparseMechanisms, GraphMechanisms, GeometricMechanisms {}
export type MechanismName = keyof MechanismTypes;
/** Stateful objects (optimizers, schedulers, quantized tensors, ...) by name, as MechanismTypes. */
export interface ObjectTypes {}
/** What {@link Runtime.create} constructs. */
export type ExportTypes = MechanismTypes & ObjectTypes;
export type ExportName = keyof ExportTypes;

// ---------------------------------------------------------------- runtimes

export type AsyncMechanism<Config = Record<string, unknown>> = Async<Mechanism<Config>>;
export type AsyncScaledDotProductAttention = Async<ScaledDotProductAttention>;
export type AsyncMultiHeadAttention = Async<MultiHeadAttention>;
export type AsyncMatrix = Async<Matrix>;

/** Boot stages reported through {@link InitOptions.onProgress}. */
export type BootStage = 'pyodide' | 'package' | 'verify' | 'ready';

export interface InitOptions {
  /** Run Pyodide in a Web Worker (browser) / worker_threads (Node). */
  worker?: boolean;
  /**
   * Where the Pyodide distribution (pyodide.mjs, pyodide.asm.wasm,
   * pyodide-lock.json, our wheel) is served from; must end with '/'.
   * Default: this package's `dist/pyodide/` (browser: `pyodide/` next to the
   * bundle that imports the package).
   */
  indexURL?: string;
  /** Called at each boot stage (e.g. for a status line). */
  onProgress?: (stage: BootStage, detail: string) => void;
}

/** Main-thread runtime: synchronous methods. */
export interface Runtime {
  readonly mode: 'main';
  readonly versions: Versions;
  /** Every mechanism of the Python package, with its config fields. */
  mechanisms(): MechanismInfo[];
  /** The whole export manifest: mechanisms, stateful objects, functions, kinds. */
  catalog(): Catalog;
  readonly ScaledDotProductAttention: new (options: ScaledDotProductAttentionOptions) => ScaledDotProductAttention;
  readonly MultiHeadAttention: new (options: MultiHeadAttentionOptions) => MultiHeadAttention;
  /** Construct a mechanism (or stateful object) of the catalogue by name (same API in both runtimes). */
  create<N extends ExportName>(name: N, options: ExportTypes[N]['options']): Promise<ExportTypes[N]['instance']>;
  /** Copy rows into a Python-owned buffer in the wasm heap (see {@link Matrix}). */
  matrix(data: Float32Array, rows: number): Matrix;
  matrix(rows: Rows): Matrix;
  readonly datasets: Datasets;
  /** Poincaré / κ-stereographic math. */
  readonly geometric: Geometry;
  /** CSR converters for graph metadata. */
  readonly graph: GraphHelpers;
}

/** Worker runtime: every method returns a Promise. */
export interface AsyncRuntime {
  readonly mode: 'worker';
  readonly versions: Versions;
  mechanisms(): Promise<MechanismInfo[]>;
  catalog(): Promise<Catalog>;
  create<N extends ExportName>(name: N, options: ExportTypes[N]['options']): Promise<Async<ExportTypes[N]['instance']>>;
  matrix(data: Float32Array, rows: number): Promise<AsyncMatrix>;
  matrix(rows: Rows): Promise<AsyncMatrix>;
  readonly datasets: Async<Datasets>;
  readonly geometric: AsyncGeometry;
  readonly graph: Async<GraphHelpers>;
  /** Stops the worker; later calls reject with AttentionError('DISPOSED'). A new init({worker:true}) boots again. */
  terminate(): Promise<void>;
}

/**
 * Boot Pyodide and load the package (once: concurrent calls share one boot;
 * after a failure the next call retries). Rejects with AttentionError('INIT_FAILED').
 */
export declare function init(options?: InitOptions & { worker?: false }): Promise<Runtime>;
export declare function init(options: InitOptions & { worker: true }): Promise<AsyncRuntime>;
export declare function init(options?: InitOptions): Promise<Runtime | AsyncRuntime>;

/** Helper: a {@link FlatRows} from a flat row-major array and its row count. */
export declare function flat(data: Float32Array, rows: number): FlatRows;

/** The npm package version. */
export declare const version: string;
