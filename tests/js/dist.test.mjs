// The built distribution: the Pyodide wheel, the lock file, the Pyodide core
// copy, the bundles and the package.json exports that point at them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DIST, ROOT, lib } from './helpers.mjs';

const PYODIDE = join(DIST, 'pyodide');
const lock = JSON.parse(readFileSync(join(PYODIDE, 'pyodide-lock.json'), 'utf8'));
const entry = lock.packages['ruvector-attention'];
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** Open the wheel with Python's zipfile and check RECORD; returns names, WHEEL, METADATA, kernel magic. */
function inspectWheel(path) {
  const script = `
import base64, hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
record = next(n for n in names if n.endswith('.dist-info/RECORD'))
bad = []
listed = set()
for line in z.read(record).decode().splitlines():
    name, digest, size = line.rsplit(',', 2)
    listed.add(name)
    if name == record:
        continue
    data = z.read(name)
    want = 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
    if digest != want or int(size) != len(data):
        bad.append(name)
so = [n for n in names if n.endswith('.so')]
print(json.dumps({
  'names': names, 'bad_record': bad, 'unlisted': sorted(set(names) - listed),
  'wheel': z.read(next(n for n in names if n.endswith('.dist-info/WHEEL'))).decode(),
  'metadata': z.read(next(n for n in names if n.endswith('.dist-info/METADATA'))).decode(),
  'so_magic': {n: z.read(n)[:4].hex() for n in so},
}))`;
  return JSON.parse(execFileSync(process.env.PYTHON || 'python3', ['-c', script, path], { encoding: 'utf8' }));
}

test('the lock lists our wheel with its real sha256, and no package we do not ship', () => {
  assert.deepEqual(Object.keys(lock.packages), ['ruvector-attention']);
  assert.equal(lock.info.abi_version, '2026_0');
  assert.equal(entry.file_name, `ruvector_attention-${pkg.version}-py3-none-pyemscripten_2026_0_wasm32.whl`);
  assert.equal(entry.version, pkg.version);
  assert.deepEqual([entry.install_dir, entry.package_type, entry.shared_library], ['site', 'package', true]);
  assert.deepEqual(entry.imports, ['ruvector_attention']);
  assert.deepEqual(entry.depends, []);
  const sha = createHash('sha256').update(readFileSync(join(PYODIDE, entry.file_name))).digest('hex');
  assert.equal(entry.sha256, sha);
});

test('the wheel: tag, metadata, a correct RECORD, the wasm kernel and never a native one', () => {
  const w = inspectWheel(join(PYODIDE, entry.file_name));
  assert.match(w.wheel, /^Tag: py3-none-pyemscripten_2026_0_wasm32$/m);
  assert.match(w.wheel, /^Root-Is-Purelib: false$/m);
  assert.match(w.metadata, /^Name: ruvector-attention$/m);
  assert.match(w.metadata, new RegExp(`^Version: ${pkg.version.replace(/\./g, '\\.')}$`, 'm'));
  assert.deepEqual(w.bad_record, []);
  assert.deepEqual(w.unlisted, []);
  assert.deepEqual(Object.keys(w.so_magic), ['ruvector_attention/libruvector_kernel.so']);
  assert.equal(w.so_magic['ruvector_attention/libruvector_kernel.so'], '0061736d', 'kernel is not WebAssembly');
  for (const f of ['__init__.py', '_kernel.py', '_bridge.py', '_bridge_wire.py', '_version.py']) {
    assert.ok(w.names.includes(`ruvector_attention/${f}`), f);
  }
  // bytecode: exactly one Python 3.14 .pyc per module (never the build machine's own)
  const sources = w.names.filter(n => n.endsWith('.py'));
  const expected = sources.map(n => n.replace(/([^/]+)\.py$/, '__pycache__/$1.cpython-314.pyc')).sort();
  assert.deepEqual(w.names.filter(n => n.includes('__pycache__') || n.endsWith('.pyc')).sort(), expected);
});

test('Pyodide imports the package from its bytecode: each .pyc is checked-hash and matches its source', async () => {
  const rt = await lib.init();
  const builtins = rt[Symbol.for('ruvector-attention.internals')].pyimport('builtins');
  const scope = builtins.dict();
  builtins.exec(`
import importlib.util, sys
mods = [m for name, m in sorted(sys.modules.items()) if name.startswith("ruvector_attention")]
stale = []
for m in mods:
    with open(m.__spec__.origin, "rb") as f:
        source_hash = importlib.util.source_hash(f.read())
    with open(m.__spec__.cached, "rb") as f:
        header = f.read(16)
    # flags 3 = hash-based, checked against the source (PEP 552)
    if header[:4] != importlib.util.MAGIC_NUMBER or int.from_bytes(header[4:8], "little") != 3 \
            or header[8:16] != source_hash:
        stale.append(m.__name__)
result = [len(mods), stale]
`, scope);
  const [count, stale] = scope.get('result').toJs();
  assert.ok(count >= 30, `only ${count} modules imported`);
  assert.deepEqual(stale, []);
});

test('Pyodide core files are the pinned npm package, byte for byte', () => {
  const pinned = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'pyodide', 'package.json'), 'utf8')).version;
  assert.equal(pinned, pkg.devDependencies.pyodide);
  for (const f of ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip']) {
    const a = readFileSync(join(PYODIDE, f)), b = readFileSync(join(ROOT, 'node_modules', 'pyodide', f));
    assert.ok(a.equals(b), f);
  }
});

test('package.json exports resolve to built files (node, browser, types, compat)', () => {
  const targets = [];
  for (const [key, value] of Object.entries(pkg.exports)) {
    if (typeof value === 'string') { if (!value.includes('*')) targets.push(value); continue; }
    assert.ok(Object.keys(value)[0] === 'types', `${key}: types must come first`);
    for (const cond of ['types', 'browser', 'node', 'default']) {
      assert.ok(value[cond], `${key} lacks the ${cond} condition`);
      targets.push(value[cond]);
    }
  }
  targets.push(pkg.main, pkg.types, pkg.browser);
  for (const t of targets) assert.ok(existsSync(join(ROOT, t)), `${t} is missing`);
});

test('our bundles load nothing from the network (no http URLs inside)', () => {
  const files = [
    ...readdirSync(DIST).filter(f => f.endsWith('.js')).map(f => join(DIST, f)),
    ...readdirSync(join(DIST, 'node')).filter(f => f.endsWith('.mjs')).map(f => join(DIST, 'node', f)),
  ];
  assert.ok(files.length >= 6);
  for (const f of files) assert.doesNotMatch(readFileSync(f, 'utf8'), /https?:\/\//, f);
  // the browser bundle is free of Node built-ins (removed at build time)
  for (const f of readdirSync(DIST).filter(n => n.endsWith('.js'))) {
    assert.doesNotMatch(readFileSync(join(DIST, f), 'utf8'), /["']node:/, f);
  }
});
