// The packed tarball installs into a fresh folder from itself alone (no network, an
// empty npm cache) and runs there: main thread, worker, compat, from ESM and from
// CommonJS; its types resolve through `exports`; it holds Pyodide once, the JS
// README and the LICENSE, and no sources.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { packAndInstall } from '../e2e/packed.mjs';
import { ROOT } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'ruvector-pack-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const CHECK_SCRIPT = `
import { init, AttentionError, version } from 'ruvector-attention';
import * as compat from 'ruvector-attention/compat';
const rt = await init();
const sdpa = new rt.ScaledDotProductAttention({ dim: 2 });
const out = Array.from(sdpa.forward([1, 0], [[1, 0], [0, 1]], [[1, 2], [3, 4]]));
let code = null;
try { sdpa.forward([1, 0], [], []); } catch (e) { code = e instanceof AttentionError ? e.code : 'wrong class'; }
await compat.init();
const dp = new compat.DotProductAttention(2);
const compatOut = Array.from(dp.compute([1, 0], [[1, 0], [0, 1]], [[1, 2], [3, 4]]));
const wrt = await init({ worker: true });
const w = await wrt.create('ScaledDotProductAttention', { dim: 2 });
const workerOut = Array.from(await w.forward([1, 0], [[1, 0], [0, 1]], [[1, 2], [3, 4]]));
await wrt.terminate();
console.log(JSON.stringify({ version, versions: rt.versions, out, code, compatOut, workerOut }));
`;

// CommonJS: import() on every Node 20; require() where Node has require(esm) (20.19+, 22.12+).
const CHECK_CJS = `
const [major, minor] = process.versions.node.split('.').map(Number);
const requireEsm = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
import('ruvector-attention').then(async (m) => {
  const rt = await m.init();
  const viaRequire = requireEsm ? typeof require('ruvector-attention').init : 'function';
  console.log(JSON.stringify({ mode: rt.mode, viaRequire }));
});
`;

const CHECK_TYPES = `
import { init, type Runtime } from 'ruvector-attention';
import { DotProductAttention } from 'ruvector-attention/compat';
export async function f(): Promise<Float32Array> {
  const rt: Runtime = await init();
  new DotProductAttention(4).compute([1], [[1]], [[1]]);
  return new rt.ScaledDotProductAttention({ dim: 4 }).forward([1, 0, 0, 0], [[1, 0, 0, 0]], [[1]]);
}
`;

test('npm pack → npm install of the tarball alone → it runs from ESM and CommonJS and type-checks', { timeout: 240_000 }, () => {
  const { packed, app } = packAndInstall(tmp);
  const files = packed.files.map(f => f.path);
  for (const need of ['package.json', 'README.md', 'LICENSE', 'dist/node/index.mjs', 'dist/ruvector-attention.js',
    'dist/worker.js', 'dist/node/worker.mjs', 'dist/index.d.ts', 'dist/compat.d.ts', 'dist/pyodide/pyodide-lock.json',
    'dist/pyodide/pyodide.asm.wasm', `dist/pyodide/ruvector_attention-${packed.version}-py3-none-pyemscripten_2026_0_wasm32.whl`]) {
    assert.ok(files.includes(need), `${need} is not in the package`);
  }
  assert.ok(!files.some(f => f.startsWith('js/') || f.startsWith('py/') || f.startsWith('tests/')), 'sources leaked into the package');
  const installed = join(app, 'node_modules', 'ruvector-attention');
  assert.equal(readFileSync(join(installed, 'README.md'), 'utf8'), readFileSync(join(ROOT, 'js', 'README.md'), 'utf8'),
    'the package README is the JS one');
  const readme = readFileSync(join(installed, 'README.md'), 'utf8');
  assert.deepEqual(readme.match(/\]\((?![a-z]+:|#)[^)]*\)/g) ?? [], [], 'npm shows the README: links into the repository are dead there');
  assert.match(readFileSync(join(installed, 'LICENSE'), 'utf8'), /^MIT License/);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  assert.equal(manifest.license, 'MIT');
  assert.equal(manifest.private, undefined, 'the packed manifest is publishable');
  assert.equal(manifest.devDependencies, undefined);
  assert.deepEqual(Object.keys(manifest.dependencies ?? {}), [], 'the package needs no other package at run time');
  // Pyodide once: nothing but this package was installed, and it holds one pyodide.asm.wasm.
  assert.deepEqual(readdirSync(join(app, 'node_modules')).filter(n => !n.startsWith('.')), ['ruvector-attention']);
  assert.deepEqual(files.filter(f => f.endsWith('pyodide.asm.wasm')), ['dist/pyodide/pyodide.asm.wasm']);
  // The worker is loaded by URL: one file with a fixed name that imports nothing relative.
  for (const w of ['dist/worker.js', 'dist/node/worker.mjs']) {
    assert.doesNotMatch(readFileSync(join(installed, w), 'utf8'), /from\s*["']\.\.?\//, `${w} imports a chunk`);
  }

  writeFileSync(join(app, 'check.mjs'), CHECK_SCRIPT);
  const result = JSON.parse(execFileSync(process.execPath, ['check.mjs'], { cwd: app, encoding: 'utf8' }).trim().split('\n').pop());
  assert.equal(result.version, packed.version);
  assert.equal(result.versions.python, packed.version);
  assert.equal(result.code, 'EMPTY_INPUT');
  assert.equal(result.out.length, 2);
  assert.deepEqual(result.compatOut, result.out);
  assert.deepEqual(result.workerOut, result.out);

  writeFileSync(join(app, 'check.cjs'), CHECK_CJS);
  const cjs = JSON.parse(execFileSync(process.execPath, ['check.cjs'], { cwd: app, encoding: 'utf8' }).trim().split('\n').pop());
  assert.deepEqual(cjs, { mode: 'main', viaRequire: 'function' });

  writeFileSync(join(app, 'check.ts'), CHECK_TYPES);
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict',
    '--module', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'),
    'check.ts'], { cwd: app, encoding: 'utf8' });
});
