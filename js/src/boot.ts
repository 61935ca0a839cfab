// Boots Pyodide, loads our wheel by name through the lock file (loadPackage
// compiles the kernel side module asynchronously, which browsers require on
// the main thread), and checks that JS, Python and kernel versions agree.
import { Bridge, type PyodideLike, type PyProxy } from './bridge.ts';
import { AttentionError } from './errors.ts';
import { DISTRIBUTION_FILES, PACKAGE, missingFile, pyodideLocations, type PyodideLocations } from './platform.ts';
import { readSnapshot } from './snapshot.ts';
import type { BootStage, Catalog, Versions } from '../../ts-types/index.d.ts';

export const JS_VERSION: string = __RUVECTOR_VERSION__;

export interface Booted {
  py: PyodideLike;
  bridge: Bridge;
  versions: Versions;
  /** The export manifest (py/ruvector_attention/catalog.py) and its revision. */
  catalog: Catalog;
  revision: number;
}

export type Progress = (stage: BootStage, detail: string) => void;

/** Pyodide restored from the distribution's memory snapshot, or null (said in a second
 * 'pyodide' progress message) when the snapshot cannot be used; the caller then boots
 * Pyodide itself. */
async function restoreSnapshot(loadPyodide: (o: object) => Promise<PyodideLike>, options: object, dir: string,
  pyodideVersion: string, progress: Progress): Promise<PyodideLike | null> {
  try {
    const heap = readSnapshot(dir, pyodideVersion);
    heap.catch(() => {});  // loadPyodide awaits it later; a rejection meanwhile is not unhandled
    const py = await loadPyodide({ ...options, _loadSnapshot: heap });
    const random = py.pyimport('random') as PyProxy & { seed(): void };
    random.seed();  // the snapshot froze the state random was seeded with
    random.destroy();
    return py;
  } catch (e) {
    progress('pyodide', `memory snapshot not used (${(e as Error).message ?? e}): starting Pyodide`);
    return null;
  }
}

export async function boot(indexURL: string | undefined, progress: Progress = () => {}): Promise<Booted> {
  const where = await pyodideLocations(indexURL);
  progress('pyodide', `restoring Pyodide from its memory snapshot (${where.indexURL})`);
  let py: PyodideLike;
  // Checked while Pyodide loads, not before it: a missing pyodide.asm.wasm leaves
  // loadPyodide pending forever, so the check's error wins the race.
  const missing = diagnose(where.indexURL, DISTRIBUTION_FILES);
  try {
    const { loadPyodide, version } = await import(/* webpackIgnore: true */ /* @vite-ignore */ where.loaderURL);
    const options = {
      indexURL: where.indexURL,
      ...(where.lockFileContents ? { lockFileContents: where.lockFileContents } : {}),
      ...(where.packageBaseUrl ? { packageBaseUrl: where.packageBaseUrl } : {}),
      ...(where.packageCacheDir ? { packageCacheDir: where.packageCacheDir } : {}),
      stdout: () => {},   // Python prints nothing on purpose; keep the host console clean
    };
    const started = restoreSnapshot(loadPyodide, options, where.packageBaseUrl ?? where.indexURL, version, progress)
      .then(restored => restored ?? loadPyodide(options));
    py = await Promise.race([
      started,
      missing.then(err => (err ? Promise.reject(err) : new Promise<never>(() => {}))),
    ]);
  } catch (e) {
    if (e instanceof AttentionError) throw e;
    throw await missing
      ?? new AttentionError('INIT_FAILED', `Pyodide failed to load from ${where.indexURL}: ${(e as Error).message ?? e}`);
  }

  progress('package', `loading ${PACKAGE}`);
  const problems: string[] = [];
  try {
    await py.loadPackage(PACKAGE, { messageCallback: () => {}, errorCallback: (m: string) => problems.push(m) });
  } catch (e) {
    problems.push((e as Error).message ?? String(e));
  }
  // A bad sha256 or a missing file is only logged by loadPackage: check it really loaded.
  if (!(PACKAGE in py.loadedPackages)) {
    const wheel = await wheelName(where);
    throw (wheel && await diagnose(where.packageBaseUrl ?? where.indexURL, [wheel]))
      ?? new AttentionError('INIT_FAILED',
        `${PACKAGE} was not loaded into Pyodide${problems.length ? ': ' + problems.join('; ') : ''}`);
  }

  progress('verify', 'checking versions');
  let bridge: Bridge;
  let info: ReturnType<Bridge['info']>;
  try {
    bridge = new Bridge(py);
    info = bridge.info();
  } catch (e) {
    throw new AttentionError('INIT_FAILED', `the Python package failed to start: ${(e as Error).message ?? e}`);
  }
  const versions: Versions = {
    js: JS_VERSION, python: info.python, kernel: info.kernel, isa: info.isa, pyodide: py.version,
  };
  if (versions.python !== versions.js || versions.kernel !== versions.js) {
    throw new AttentionError('INIT_FAILED',
      `version mismatch: JS ${versions.js}, Python ${versions.python}, kernel ${versions.kernel} (rebuild the distribution)`);
  }
  progress('ready', `ruvector-attention ${versions.js} (${versions.isa})`);
  return { py, bridge, versions, catalog: info.catalog as Catalog, revision: info.revision };
}

/** The wheel's file name in the lock Pyodide was given (null if that cannot be read). */
async function wheelName(where: PyodideLocations): Promise<string | null> {
  type Lock = { packages?: Record<string, { file_name?: string }> };
  try {
    const lock = (where.lockFileContents as Lock | undefined)
      ?? await (await fetch(where.indexURL + 'pyodide-lock.json', { cache: 'no-store' })).json() as Lock;
    return lock.packages?.[PACKAGE]?.file_name ?? null;
  } catch {
    return null;
  }
}

/**
 * In a browser: the first of `files` under `base` that cannot be fetched, as an
 * INIT_FAILED naming it (null when all are there, so a load error stands as it is).
 * A server's fallback page for a missing file counts as missing. Node checks every
 * file before loading (platform.ts), so it has nothing to find.
 */
async function diagnose(base: string, files: string[]): Promise<AttentionError | null> {
  if (__TARGET__ === 'node') return null;
  for (const f of files) {
    const file = base + f;
    try {
      const r = await fetch(file, { method: 'HEAD', cache: 'no-store' });
      if (r.status === 405 || r.status === 501) return null;  // a server without HEAD: nothing to tell
      if (!r.ok) return missingFile(file, `HTTP ${r.status}`, base);
      if (!f.endsWith('.html') && r.headers.get('content-type')?.startsWith('text/html')) {
        return missingFile(file, 'the server answered with an HTML page', base);
      }
    } catch (e) {
      return missingFile(file, (e as Error).message ?? String(e), base);
    }
  }
  return null;
}
