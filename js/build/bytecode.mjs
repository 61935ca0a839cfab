// Python 3.14 bytecode of the package for the wheel, compiled by Pyodide itself
// (the build machine's Python is another version). Pyodide never writes .pyc
// (sys.dont_write_bytecode), so without these every boot compiles each module from
// source: ~70 ms of the package import in Chromium. The .pyc are checked-hash:
// Python uses one only while its source is byte-for-byte the one it was made from.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

function pythonSources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    if (e.isDirectory()) return e.name === '__pycache__' ? [] : pythonSources(join(dir, e.name));
    return e.name.endsWith('.py') ? [join(dir, e.name)] : [];
  });
}

const COMPILE = `
import importlib.util, pathlib, py_compile, site
root = pathlib.Path(site.getsitepackages()[0]) / PACKAGE
made = []
for source in sorted(root.rglob("*.py")):
    cached = importlib.util.cache_from_source(str(source))
    py_compile.compile(str(source), cfile=cached, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    made.append(str(pathlib.Path(cached).relative_to(root)))
[str(root), made]
`;

/**
 * Compile every .py under packageDir (the import package `name`) with the Pyodide in
 * pyodideDir, at the path it is installed to, and write the .pyc files to outDir
 * (relative paths as in the package: sub/__pycache__/mod.cpython-314.pyc). Returns them.
 */
export async function compileBytecode(packageDir, name, pyodideDir, outDir) {
  const { loadPyodide } = await import(pathToFileURL(join(pyodideDir, 'pyodide.mjs')).href);
  const py = await loadPyodide({ indexURL: pyodideDir + '/', stdout: () => {}, stderr: () => {} });
  const site = py.runPython('import site; site.getsitepackages()[0]');
  for (const file of pythonSources(packageDir)) {
    const target = join(site, name, relative(packageDir, file));
    py.FS.mkdirTree(dirname(target));
    py.FS.writeFile(target, readFileSync(file));
  }
  py.globals.set('PACKAGE', name);
  const result = py.runPython(COMPILE);
  const [root, made] = result.toJs();
  result.destroy();
  for (const rel of made) {
    mkdirSync(dirname(join(outDir, rel)), { recursive: true });
    writeFileSync(join(outDir, rel), py.FS.readFile(`${root}/${rel}`));
  }
  return made;
}
