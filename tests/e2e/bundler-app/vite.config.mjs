// The vite recipe (docs/shipping.md): vite copies the worker script by itself; this
// plugin copies the package's Pyodide folder into the build as pyodide/, which the
// app passes to init({ indexURL: './pyodide/' }).
import { cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const pyodide = join(dirname(createRequire(import.meta.url).resolve('ruvector-attention/package.json')), 'dist', 'pyodide');

export default {
  plugins: [{
    name: 'ruvector-attention-pyodide',
    apply: 'build',
    writeBundle(output) { cpSync(pyodide, join(output.dir, 'pyodide'), { recursive: true }); },
  }],
};
