// The page's one door to the library: boots the TypeScript API (in a Web Worker
// by default, on the main thread with ?worker=0), creates mechanisms, computes
// weights and generates the synthetic graph. Every call is awaited, so the same
// code drives both runtimes (main-thread methods are synchronous; await is a no-op).

import { DemoGraph } from './data/graph.js';
import { median } from './stats.js';

/** Where ./build.sh dist puts the browser bundle and the Pyodide distribution (served under /dist/). */
const BUNDLE_PATH = 'dist/ruvector-attention.js';
const PYODIDE_PATH = 'dist/pyodide/';
const TIMING_RUNS = 5;

export const BOOT_STAGES = ['pyodide', 'package', 'verify', 'ready'];

export async function bootRuntime({ worker, onProgress }) {
  const base = document.baseURI;
  let lib;
  try {
    lib = await import(new URL(BUNDLE_PATH, base).href);
  } catch (err) {
    throw new Error(`the library bundle ${BUNDLE_PATH} could not be loaded (${err.message}); run ./build.sh dist`);
  }
  const rt = await lib.init({ worker, indexURL: new URL(PYODIDE_PATH, base).href, onProgress });
  return new DemoRuntime(rt);
}

export class DemoRuntime {
  constructor(rt) {
    this.rt = rt;
    this.mode = rt.mode;
    this.versions = rt.versions;
    this.instances = new Map();  // key (name + options) -> mechanism
    this.trained = new Map();    // key (name + options) -> { file, tensors }: loaded into every instance made
  }

  async mechanisms() {
    return this.rt.mechanisms();
  }

  /** ruvector_attention.datasets.hnsw_graph, run by Python in the runtime (the same code as natively). */
  async syntheticGraph({ numNodes, dim, m, seed }) {
    const d = await this.rt.datasets.hnswGraph({ numNodes, dim, m, seed });
    return DemoGraph.fromDataset(d, { kind: 'synthetic', generator: 'ruvector_attention.datasets.hnsw_graph', numNodes, dim, m, seed });
  }

  /** A mechanism for these options, created once and reused (cache keyed by name + options). */
  keyOf(name, options) {
    return `${name} ${JSON.stringify(options)}`;
  }

  async mechanism(name, options) {
    const key = this.keyOf(name, options);
    if (!this.instances.has(key)) {
      // Store the promise: concurrent refreshes share one construction.
      const trained = this.trained.get(key);
      const made = Promise.resolve(this.rt.create(name, options)).then(async (mech) => {
        if (!trained) return mech;
        try {
          await mech.loadStateDict(copyTensors(trained.tensors));
        } catch (err) {
          await mech.dispose();
          throw err;
        }
        return mech;
      });
      this.instances.set(key, made);
      made.catch(() => this.instances.delete(key));
    }
    return this.instances.get(key);
  }

  /**
   * From now on, the mechanism of (name, options) carries these weights ({name:
   * Float32Array}, checked by the library's loadStateDict); resolves to that
   * mechanism, or rejects (and forgets them) if they do not fit.
   */
  async loadWeights(name, options, tensors, file) {
    const key = this.keyOf(name, options);
    this.forget(key);
    this.trained.set(key, { file, tensors });
    try {
      return await this.mechanism(name, options);
    } catch (err) {
      this.trained.delete(key);
      throw err;
    }
  }

  /** Back to the seeded initialisation for (name, options). */
  resetWeights(name, options) {
    const key = this.keyOf(name, options);
    this.trained.delete(key);
    this.forget(key);
  }

  /** The file the weights of (name, options) come from, or null (seeded). */
  weightsOf(name, options) {
    const t = this.trained.get(this.keyOf(name, options));
    return t ? { file: t.file, tensors: Object.keys(t.tensors) } : null;
  }

  forget(key) {
    const made = this.instances.get(key);
    if (!made) return;
    this.instances.delete(key);
    made.then((m) => m.dispose(), () => {});
  }

  /** Drop every cached mechanism except the keys in `keep` (e.g. after the data's dim changed). */
  async prune(keep = new Set()) {
    for (const key of [...this.instances.keys()]) if (!keep.has(key)) this.forget(key);
  }

  /**
   * Attention weights (H, n) of `info`'s mechanism for one query over n keys,
   * timed over a few calls. Multi-head mechanisms give one row per head.
   * Inputs are fresh copies: the worker may take ownership of what it is sent.
   * `metadata` (GraphMetadata) goes to the graph-aware mechanisms.
   */
  async weights(mech, info, query, keys, n, metadata = undefined) {
    const perHead = info.methods.includes('headAttentionWeights');
    const extra = metadata ? [{ metadata }] : [];
    const call = () => (perHead
      ? mech.headAttentionWeights(query.slice(), { data: keys.slice(), rows: n }, ...extra)
      : mech.attentionWeights(query.slice(), { data: keys.slice(), rows: n }, ...extra));
    const times = [];
    let result;
    for (let i = 0; i < TIMING_RUNS; i++) {
      const t0 = performance.now();
      result = await call();
      times.push(performance.now() - t0);
    }
    const rows = perHead ? splitRows(result) : [Array.from(result)];
    return { weights: rows, timeMs: median(times) };
  }

  /**
   * The attention output (dv) for the same inputs, the keys doubling as the values
   * (as forwardGraph does by default). Graph-aware mechanisms get their metadata.
   */
  async output(mech, info, query, keys, n, metadata = undefined) {
    const flat = () => ({ data: keys.slice(), rows: n });
    if (metadata && info.methods.includes('forwardWithMetadata')) {
      return Array.from(await mech.forwardWithMetadata(query.slice(), flat(), flat(), metadata));
    }
    return Array.from(await mech.forward(query.slice(), flat(), flat(), ...(metadata ? [{ metadata }] : [])));
  }
}

/** Fresh copies (the worker may take ownership of what it is sent). */
function copyTensors(tensors) {
  return Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, v.slice()]));
}

function splitRows({ data, rows, cols }) {
  return Array.from({ length: rows }, (_, h) => Array.from(data.subarray(h * cols, (h + 1) * cols)));
}
