// The esbuild recipe (docs/shipping.md): bundle the app as ESM, then put the package's
// worker script and Pyodide folder next to the bundle, where it looks for them.
import { cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';

const dist = join(dirname(createRequire(import.meta.url).resolve('ruvector-attention/package.json')), 'dist');
await esbuild.build({ entryPoints: ['main.js'], bundle: true, format: 'esm', outdir: 'out' });
cpSync(join(dist, 'worker.js'), 'out/worker.js');
cpSync(join(dist, 'pyodide'), 'out/pyodide', { recursive: true });
cpSync('index.html', 'out/index.html');
