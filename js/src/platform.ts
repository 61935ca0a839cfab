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
 * Defaults: browser → ./pyodide/ next to this bundle (the dist/ layout);
 * Node → Pyodide core from the `pyodide` dependency, our lock + wheel from
 * dist/pyodide/ of this package. An explicit indexURL serves everything.
 */
export async function pyodideLocations(indexURL?: string): Promise<PyodideLocations> {
  if (__TARGET__ === 'node') {
    const { fileURLToPath, pathToFileURL } = await import('node:url');
    const { createRequire } = await import('node:module');
    const { readFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const toDir = (u: string) => withSlash(u.startsWith('file:') ? fileURLToPath(u) : path.resolve(u));
    const ours = indexURL ? toDir(indexURL) : fileURLToPath(new URL(__PYODIDE_DIR__, import.meta.url));
    let core = ours;
    if (!indexURL) {
      const require = createRequire(import.meta.url);
      core = withSlash(path.dirname(require.resolve('pyodide/package.json')));
    }
    let lock: { packages?: Record<string, { file_name: string; sha256: string }> };
    try {
      lock = JSON.parse(await readFile(ours + 'pyodide-lock.json', 'utf8'));
    } catch (e) {
      throw new AttentionError('INIT_FAILED', `cannot read ${ours}pyodide-lock.json: ${(e as Error).message}`);
    }
    await checkWheel(ours, lock.packages?.[PACKAGE]);
    return {
      indexURL: core, loaderURL: pathToFileURL(core + 'pyodide.mjs').href,
      lockFileContents: lock, packageBaseUrl: ours, packageCacheDir: ours,
    };
  }
  const base = withSlash(indexURL ?? new URL(__PYODIDE_DIR__, import.meta.url).href);
  const absolute = new URL(base, globalThis.location?.href ?? import.meta.url).href;
  return { indexURL: absolute, loaderURL: absolute + 'pyodide.mjs' };
}

export const PACKAGE = 'ruvector-attention';

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
      throw new AttentionError('INIT_FAILED', `the wheel ${dir}${entry.file_name} is missing (rebuild with ./build.sh dist)`);
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
  const w = new Worker(new URL(__WORKER_FILE__, import.meta.url), { type: 'module' });
  return {
    post: (m, t) => w.postMessage(m, t),
    onMessage: cb => { w.onmessage = e => cb(e.data); },
    onError: cb => { w.onerror = e => cb(new Error(e.message || 'worker failed to start')); },
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
