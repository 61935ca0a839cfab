// A distribution folder with one file missing: init() fails with INIT_FAILED naming
// that file, the indexURL it looked in, and the init option that fixes it.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DIST, expectRejection, lib } from './helpers.mjs';

const PYODIDE = join(DIST, 'pyodide');
const tmp = mkdtempSync(join(tmpdir(), 'ruvector-missing-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** dist/pyodide linked file by file into a new folder, without `missing`; returns its indexURL. */
function without(missing) {
  const dir = join(tmp, `no-${missing}`);
  mkdirSync(dir);
  for (const f of readdirSync(PYODIDE)) if (f !== missing) symlinkSync(join(PYODIDE, f), join(dir, f));
  return dir + '/';
}

const wheel = readdirSync(PYODIDE).find(f => f.endsWith('.whl'));
for (const missing of ['pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide.mjs', 'pyodide-lock.json', wheel]) {
  test(`without ${missing}, init() names ${missing} and init({ indexURL })`, async () => {
    const indexURL = without(missing);
    await expectRejection(lib.init({ indexURL }), 'INIT_FAILED', [indexURL + missing, 'init({ indexURL })', 'dist/pyodide/']);
  });
}

test('the same folder complete boots (the cases above fail for the missing file alone)', async () => {
  const dir = join(tmp, 'complete');
  cpSync(PYODIDE, dir, { recursive: true });
  const rt = await lib.init({ indexURL: dir + '/' });
  new rt.ScaledDotProductAttention({ dim: 2 }).forward([1, 0], [[1, 0]], [[3, 4]]);
});
