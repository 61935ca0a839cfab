// `npm pack` output installs into a fresh folder without the network and runs
// there: main thread, worker, compat, and its types resolve through `exports`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'ruvector-pack-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function npm(args, cwd) {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
}

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

const CHECK_TYPES = `
import { init, type Runtime } from 'ruvector-attention';
import { DotProductAttention } from 'ruvector-attention/compat';
export async function f(): Promise<Float32Array> {
  const rt: Runtime = await init();
  new DotProductAttention(4).compute([1], [[1]], [[1]]);
  return new rt.ScaledDotProductAttention({ dim: 4 }).forward([1, 0, 0, 0], [[1, 0, 0, 0]], [[1]]);
}
`;

test('npm pack → npm install --offline in a scratch folder → it runs and type-checks', { timeout: 240_000 }, () => {
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', tmp], ROOT))[0];
  const files = packed.files.map(f => f.path);
  for (const need of ['package.json', 'dist/node/index.mjs', 'dist/ruvector-attention.js', 'dist/index.d.ts',
    'dist/compat.d.ts', 'dist/pyodide/pyodide-lock.json', 'dist/pyodide/pyodide.asm.wasm', `dist/pyodide/${
      `ruvector_attention-${packed.version}-py3-none-pyemscripten_2026_0_wasm32.whl`}`]) {
    assert.ok(files.includes(need), `${need} is not in the package`);
  }
  assert.ok(!files.some(f => f.startsWith('js/') || f.startsWith('py/') || f.startsWith('tests/')), 'sources leaked into the package');

  const app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  npm(['install', '--offline', '--ignore-scripts', join(tmp, packed.filename)], app);

  writeFileSync(join(app, 'check.mjs'), CHECK_SCRIPT);
  const result = JSON.parse(execFileSync(process.execPath, ['check.mjs'], { cwd: app, encoding: 'utf8' }).trim().split('\n').pop());
  assert.equal(result.version, packed.version);
  assert.equal(result.versions.python, packed.version);
  assert.equal(result.code, 'EMPTY_INPUT');
  assert.equal(result.out.length, 2);
  assert.deepEqual(result.compatOut, result.out);
  assert.deepEqual(result.workerOut, result.out);

  writeFileSync(join(app, 'check.ts'), CHECK_TYPES);
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict',
    '--module', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'),
    'check.ts'], { cwd: app, encoding: 'utf8' });
});
