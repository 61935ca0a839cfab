// init() failures are clear INIT_FAILED errors, and a failed boot can be retried.
// Broken distributions are made in a temporary indexURL folder: the Pyodide
// core linked from dist/pyodide, plus a wheel and lock made for the case.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DIST, ROOT, expectRejection, lib } from './helpers.mjs';

const CORE = ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip'];
const lock = JSON.parse(readFileSync(join(DIST, 'pyodide', 'pyodide-lock.json'), 'utf8'));
const entry = lock.packages['ruvector-attention'];
const tmp = mkdtempSync(join(tmpdir(), 'ruvector-init-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A distribution folder whose wheel is built from `pyDir` with `kernel`; returns its indexURL. */
function distribution(name, { pyDir, kernel, corruptHash = false }) {
  const dir = join(tmp, name);
  execFileSync('mkdir', ['-p', dir]);
  for (const f of CORE) symlinkSync(join(DIST, 'pyodide', f), join(dir, f));
  const wheel = execFileSync(process.env.PYTHON || 'python3',
    [join(ROOT, 'js', 'build', 'make_wheel.py'), pyDir, kernel, dir], { encoding: 'utf8' }).trim();
  const sha = createHash('sha256').update(readFileSync(wheel)).digest('hex');
  const file_name = wheel.split('/').pop();
  const pkg = { ...entry, file_name, sha256: corruptHash ? '0'.repeat(64) : sha };
  writeFileSync(join(dir, 'pyodide-lock.json'), JSON.stringify({ ...lock, packages: { 'ruvector-attention': pkg } }));
  return dir + '/';
}

/** A copy of the Python package with another __version__. */
function packageWithVersion(version) {
  const dir = join(tmp, `py-${version}`, 'ruvector_attention');
  cpSync(join(ROOT, 'py', 'ruvector_attention'), dir, { recursive: true, filter: s => !s.includes('__pycache__') && !s.endsWith('.so') });
  writeFileSync(join(dir, '_version.py'), `__version__ = "${version}"\n`);
  return dir;
}

/** The wasm kernel with its version string replaced by one of the same length. */
function kernelWithVersion(version) {
  const bytes = readFileSync(join(DIST, '..', 'build', 'wasm', 'libruvector_kernel.so'));
  const from = Buffer.from(`${lib.version}\0`), to = Buffer.from(`${version}\0`);
  assert.equal(from.length, to.length);
  const at = bytes.indexOf(from);
  assert.ok(at > 0 && bytes.indexOf(from, at + 1) < 0, 'the version string occurs once in the kernel');
  to.copy(bytes, at);
  const file = join(tmp, `kernel-${version}.so`);
  writeFileSync(file, bytes);
  return file;
}

const realKernel = join(DIST, '..', 'build', 'wasm', 'libruvector_kernel.so');
const odd = lib.version.replace(/\d/g, '9');

test('a missing Pyodide distribution rejects with INIT_FAILED, naming where it looked', async () => {
  await expectRejection(lib.init({ indexURL: join(tmp, 'nowhere') + '/' }), 'INIT_FAILED', ['nowhere']);
});

test('a wheel whose sha256 differs from the lock is refused before Pyodide sees it', async () => {
  const url = distribution('bad-hash', { pyDir: join(ROOT, 'py', 'ruvector_attention'), kernel: realKernel, corruptHash: true });
  await expectRejection(lib.init({ indexURL: url }), 'INIT_FAILED', ['sha256']);
});

test('Python package and kernel versions that disagree fail with a clear error', async () => {
  const url = distribution('py-vs-kernel', { pyDir: packageWithVersion(odd), kernel: realKernel });
  await expectRejection(lib.init({ indexURL: url }), 'INIT_FAILED', ['version']);
});

test('a distribution of another version than the JS bundle fails with a clear error', async () => {
  const url = distribution('js-vs-python', { pyDir: packageWithVersion(odd), kernel: kernelWithVersion(odd) });
  await expectRejection(lib.init({ indexURL: url }), 'INIT_FAILED', ['version mismatch', lib.version, odd]);
});

test('after failures, init() retries and boots; concurrent calls share that boot', async () => {
  const stages = [];
  const [a, b] = await Promise.all([lib.init({ onProgress: s => stages.push(s) }), lib.init()]);
  assert.equal(a, b);
  assert.deepEqual(stages, ['pyodide', 'package', 'verify', 'ready']);
  const sdpa = new a.ScaledDotProductAttention({ dim: 2 });
  assert.deepEqual(Array.from(sdpa.forward([1, 0], [[1, 0]], [[3, 4]])), [3, 4]);
});
