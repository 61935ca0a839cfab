// Builds dist/pyodide/snapshot.bin.gz: a Pyodide memory snapshot (the wasm heap
// after the interpreter started and imported the standard-library modules our
// package uses), so init() restores a heap instead of booting Python.
//
// What it cannot hold: our kernel. A side module's code lives in its own wasm
// instance and function-table slots, which a heap snapshot does not carry, and
// loadPackage leaves JS references that Pyodide refuses to snapshot ("Unexpected
// hiwire entry"). So boot.ts restores the snapshot, then loads our wheel and
// imports the package as before; only the interpreter and stdlib imports are saved.
//
// The module list is read from a normal boot that loaded and imported the package
// (never kept by hand). snapshot.json beside it records the Pyodide version, our
// version and the sha256 of the file and of the heap, which boot.ts checks before using it.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

export const SNAPSHOT_FILE = 'snapshot.bin.gz';
export const SNAPSHOT_META = 'snapshot.json';

/** Standard-library modules sys.modules holds once our package is loaded and imported. */
async function stdlibModules(loadPyodide, options, packageName) {
  const py = await loadPyodide(options);
  await py.loadPackage(packageName, { messageCallback: () => {} });
  return JSON.parse(py.runPython(`
import json, sys
import ruvector_attention  # noqa: F401
json.dumps(sorted(m for m in sys.modules
                  if m.split(".")[0] in sys.stdlib_module_names and not m.startswith("_pyodide")))
`));
}

/**
 * Write the snapshot and its metadata into `outDir` (dist/pyodide). `options` are
 * loadPyodide's (indexURL, lockFileContents, packageBaseUrl, packageCacheDir).
 */
export async function makeSnapshot({ pyodideDir, outDir, options, packageName, version, pyodideVersion }) {
  const { loadPyodide } = await import(pathToFileURL(join(pyodideDir, 'pyodide.mjs')).href);
  const quiet = { stdout: () => {}, stderr: () => {} };
  const modules = await stdlibModules(loadPyodide, { ...options, ...quiet }, packageName);
  const py = await loadPyodide({ ...options, ...quiet, _makeSnapshot: true });
  py.globals.set('modules', py.toPy(modules));
  py.runPython('import importlib\nfor m in modules: importlib.import_module(m)\ndel m, modules, importlib');
  const heap = py.makeMemorySnapshot();
  const gz = gzipSync(heap, { level: 6 });
  writeFileSync(join(outDir, SNAPSHOT_FILE), gz);
  const meta = {
    file: SNAPSHOT_FILE, sha256: createHash('sha256').update(gz).digest('hex'),
    heapSha256: createHash('sha256').update(heap).digest('hex'), bytes: heap.length, pyodide: pyodideVersion, version, modules: modules.length,
  };
  writeFileSync(join(outDir, SNAPSHOT_META), JSON.stringify(meta, null, 1) + '\n');
  return meta;
}
