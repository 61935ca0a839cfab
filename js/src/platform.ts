// Where Pyodide and our wheel come from, per platform. The Node branch is
// removed from the browser bundle at build time (__TARGET__ is a constant).
import { AttentionError } from './errors.ts';

export interface PyodideLocations {
  /** URL (browser) or directory path (Node) of pyodide.mjs + pyodide.asm.* + python_stdlib.zip. */
  indexURL: string;
  /** Module to import for loadPyodide. */
  loaderURL: string;
  /** Node: our lock file, read here (Pyodide would otherwise resolve it next to indexURL). */
  lockFileContents?: unknown;
  /** Where our wheel is (the lock's file_name is relative to it). */
  packageBaseUrl?: string;
  /** Node: a package found here is never downloaded. */
  packageCacheDir?: string;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : url + '/';
}

/**
 * Defaults: the `pyodide/` folder of this package's dist/ (next to the browser
 * bundle, one level up from the Node bundle), which holds the Pyodide core, our
 * lock and our wheel. An explicit indexURL serves all of them.
 */
export async function pyodideLocations(indexURL?: string): Promise<PyodideLocations> {
  if (__TARGET__ === 'node') {
    const { fileURLToPath, pathToFileURL } = await import('node:url');
    const { access, readFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const toDir = (u: string) => withSlash(u.startsWith('file:') ? fileURLToPath(u) : path.resolve(u));
    const dir = indexURL ? toDir(indexURL) : fileURLToPath(new URL(PYODIDE_DIR, import.meta.url));
    // Checked first: Pyodide in Node never settles its promise when pyodide.asm.wasm is missing.
    for (const f of DISTRIBUTION_FILES) {
      await access(dir + f).catch((e: Error) => { throw missingFile(dir + f, e.message, dir); });
    }
    let lock: { packages?: Record<string, { file_name: string; sha256: string }> };
    try {
      lock = JSON.parse(await readFile(dir + 'pyodide-lock.json', 'utf8'));
    } catch (e) {
      throw missingFile(dir + 'pyodide-lock.json', (e as Error).message, dir);
    }
    await checkWheel(dir, lock.packages?.[PACKAGE]);
    return {
      indexURL: dir, loaderURL: pathToFileURL(dir + 'pyodide.mjs').href,
      lockFileContents: lock, packageBaseUrl: dir, packageCacheDir: dir,
    };
  }
  const base = withSlash(indexURL ?? new URL(PYODIDE_DIR, import.meta.url).href);
  const absolute = new URL(base, globalThis.location?.href ?? import.meta.url).href;
  return { indexURL: absolute, loaderURL: absolute + 'pyodide.mjs' };
}

export const PACKAGE = 'ruvector-attention';

// Held in a constant, so that a bundler does not take the folder for an asset to
// resolve at build time (vite warns that ./pyodide/ does not exist).
const PYODIDE_DIR: string = __PYODIDE_DIR__;

/** Every file of dist/pyodide/ that a boot reads, the wheel aside (its name is in the lock). */
export const DISTRIBUTION_FILES = ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'];

/** INIT_FAILED naming the file that could not be read, why, and the option that fixes it. */
export function missingFile(file: string, why: string, indexURL: string): AttentionError {
  return new AttentionError('INIT_FAILED',
    `cannot load ${file} (${why}): init({ indexURL }) must point at a copy of the dist/pyodide/ folder ` +
    `of ${PACKAGE} (indexURL is ${indexURL})`);
}

/**
 * Node: our wheel must be in the package folder with the lock's sha256. Pyodide
 * would download a missing file from its CDN, and skips the hash check for
 * local files, so both are checked here first.
 */
async function checkWheel(dir: string, entry: { file_name: string; sha256: string } | undefined): Promise<void> {
  if (!entry) throw new AttentionError('INIT_FAILED', `${dir}pyodide-lock.json does not list ${PACKAGE}`);
  if (__TARGET__ === 'node') {  // a constant: the bundler drops this block from the browser build
    const { readFile } = await import('node:fs/promises');
    const { createHash } = await import('node:crypto');
    let bytes: Uint8Array;
    try {
      bytes = await readFile(dir + entry.file_name);
    } catch {
      throw missingFile(dir + entry.file_name, 'the wheel is missing', dir);
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== entry.sha256) {
      throw new AttentionError('INIT_FAILED',
        `the wheel ${entry.file_name} has sha256 ${sha}, but pyodide-lock.json says ${entry.sha256}`);
    }
  }
}

/** Start the worker script that sits next to this bundle. */
export async function startWorker(): Promise<WorkerLike> {
  if (__TARGET__ === 'node') {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(new URL(__WORKER_FILE__, import.meta.url));
    w.unref();  // an idle worker must not keep the process alive
    return {
      post: (m, t) => w.postMessage(m, t as any),
      onMessage: cb => { w.on('message', cb); },
      onError: cb => { w.on('error', cb); w.on('exit', code => cb(new Error(`worker exited with code ${code}`))); },
      ref: on => (on ? w.ref() : w.unref()),
      terminate: async () => { await w.terminate(); },
    };
  }
  // The worker is one self-contained file. Its URL is a literal apart from `new Worker`,
  // so bundlers copy it as an asset (vite renames it and rewrites this URL)
  // instead of bundling it again as a worker, which vite does in IIFE format by
  // default, where the worker's top-level await fails.
  const url = new URL(__WORKER_FILE__, import.meta.url);
  const w = new Worker(url, { type: 'module' });
  return {
    post: (m, t) => w.postMessage(m, t),
    onMessage: cb => { w.onmessage = e => cb(e.data); },
    // A script that fails to load gives an error event without a message.
    onError: cb => {
      w.onerror = e => cb(new Error(e.message ||
        `the worker script ${url.href} failed to load: serve ${PACKAGE}'s dist/worker.js there, next to the bundle that imports ${PACKAGE}`));
    },
    ref: () => {},
    terminate: async () => { w.terminate(); },
  };
}

/** The main-thread end of a worker, the same for Web Workers and worker_threads. */
export interface WorkerLike {
  post(message: unknown, transfer: Transferable[]): void;
  onMessage(cb: (message: any) => void): void;
  onError(cb: (error: Error) => void): void;
  /** Node: keep the process alive only while requests are pending. */
  ref(on: boolean): void;
  terminate(): Promise<void>;
}
