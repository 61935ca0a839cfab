// Compile-only type tests: the public declarations type-check together with
// ts-types/tests/ok.ts, ts-types/tests/fail.ts fails on exactly its `// ERROR`
// lines, and the implementation in js/src conforms to the declarations.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers.mjs';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function tsc(args) {
  try {
    execFileSync(process.execPath, [TSC, ...args], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    return { ok: true, output: '' };
  } catch (e) {
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

test('ts-types/index.d.ts, compat.d.ts and tests/ok.ts type-check (strict)', () => {
  const r = tsc(['-p', 'ts-types/tsconfig.json']);
  assert.ok(r.ok, r.output);
});

test('ts-types/tests/fail.ts fails to type-check, on exactly the lines marked ERROR', () => {
  const file = 'ts-types/tests/fail.ts';
  const r = tsc(['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', file]);
  assert.equal(r.ok, false, 'fail.ts compiled without errors');
  const errorLines = new Set([...r.output.matchAll(/fail\.ts\((\d+),\d+\): error/g)].map(m => Number(m[1])));
  const expected = new Set(readFileSync(join(ROOT, file), 'utf8').split('\n')
    .map((line, i) => (!line.trim().startsWith('//') && /\/\/ ERROR\b/.test(line) ? i + 1 : 0)).filter(Boolean));
  assert.ok(expected.size >= 10, 'fail.ts should hold at least 10 cases');
  assert.deepEqual([...errorLines].sort((a, b) => a - b), [...expected].sort((a, b) => a - b), r.output);
});

test('the implementation (js/src) conforms to the public declarations', () => {
  const r = tsc(['-p', 'js/tsconfig.json']);
  assert.ok(r.ok, r.output);
});
