// Boots Pyodide, loads our wheel by name through the lock file (loadPackage
// compiles the kernel side module asynchronously, which browsers require on
// the main thread), and checks that JS, Python and kernel versions agree.
import { Bridge, type PyodideLike } from './bridge.ts';
import { AttentionError } from './errors.ts';
import { PACKAGE, pyodideLocations } from './platform.ts';
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

export async function boot(indexURL: string | undefined, progress: Progress = () => {}): Promise<Booted> {
  const where = await pyodideLocations(indexURL);
  progress('pyodide', `loading Pyodide from ${where.indexURL}`);
  let py: PyodideLike;
  try {
    const { loadPyodide } = await import(/* webpackIgnore: true */ /* @vite-ignore */ where.loaderURL);
    py = await loadPyodide({
      indexURL: where.indexURL,
      ...(where.lockFileContents ? { lockFileContents: where.lockFileContents } : {}),
      ...(where.packageBaseUrl ? { packageBaseUrl: where.packageBaseUrl } : {}),
      ...(where.packageCacheDir ? { packageCacheDir: where.packageCacheDir } : {}),
      stdout: () => {},   // Python prints nothing on purpose; keep the host console clean
    });
  } catch (e) {
    throw new AttentionError('INIT_FAILED', `Pyodide failed to load from ${where.indexURL}: ${(e as Error).message ?? e}`);
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
    throw new AttentionError('INIT_FAILED',
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
