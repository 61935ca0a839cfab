// Builds the distribution (called by `./build.sh dist` after the wasm kernel):
//
//   dist/pyodide/     Pyodide core files from the pinned `pyodide` npm package (a
//                     development dependency: the package ships them once, here,
//                     and loads them from here in Node and in browsers),
//                     our wheel (sources + their 3.14 bytecode, bytecode.mjs), a
//                     pyodide-lock.json that lists it, and a memory snapshot of the
//                     started interpreter (snapshot.mjs) with its snapshot.json
//   dist/*.js         browser bundle (ESM): ruvector-attention.js, compat.js, worker.js
//   dist/node/*.mjs   Node bundle (ESM): index.mjs, compat.mjs, worker.mjs
//   dist/*.d.ts       the public types, from ts-types/
//   build/npm/ruvector-attention/   what `npm pack` packs: package.json, the JS README,
//                     LICENSE and a copy of dist/
//
// Usage: node js/build/dist.mjs [--kernel build/wasm/libruvector_kernel.so]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { compileBytecode } from './bytecode.mjs';
import { makeSnapshot } from './snapshot.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(ROOT, 'dist');
const PYODIDE_OUT = join(DIST, 'pyodide');
const PYODIDE_NPM = join(ROOT, 'node_modules', 'pyodide');
const PACKAGE = 'ruvector-attention';
const PACKAGE_OUT = join(ROOT, 'build', 'npm', PACKAGE);
// What Pyodide needs at run time (pyodide.js is the classic-script loader, for pages without modules).
const PYODIDE_CORE = ['pyodide.mjs', 'pyodide.js', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip'];

const args = process.argv.slice(2);
const kernel = args.includes('--kernel') ? args[args.indexOf('--kernel') + 1]
  : join(ROOT, 'build', 'wasm', 'libruvector_kernel.so');
const python = process.env.PYTHON || 'python3';

function log(msg) { console.log(`   ${msg}`); }

function fail(msg) {
  console.error(`dist: ${msg}`);
  process.exit(1);
}

function versions() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const py = readFileSync(join(ROOT, 'py', 'ruvector_attention', '_version.py'), 'utf8')
    .match(/__version__\s*=\s*["']([^"']+)["']/)?.[1];
  if (pkg.version !== py) fail(`package.json version ${pkg.version} != _version.py ${py}`);
  const pyodide = JSON.parse(readFileSync(join(PYODIDE_NPM, 'package.json'), 'utf8')).version;
  if (pyodide !== pkg.devDependencies.pyodide) {
    fail(`node_modules/pyodide is ${pyodide}, package.json pins ${pkg.devDependencies.pyodide}: run npm install`);
  }
  return { version: pkg.version, pyodide };
}

async function buildWheel() {
  if (!existsSync(kernel)) {
    log('wasm kernel missing: building it');
    execFileSync('bash', [join(ROOT, 'wasm', 'build-wasm.sh'), dirname(kernel)], { stdio: 'inherit' });
  }
  const source = join(ROOT, 'py', 'ruvector_attention');
  const bytecode = join(ROOT, 'build', 'pyodide-bytecode');
  rmSync(bytecode, { recursive: true, force: true });
  const compiled = await compileBytecode(source, 'ruvector_attention', PYODIDE_NPM, bytecode);
  log(`${compiled.length} modules compiled to Python 3.14 bytecode by Pyodide`);
  const out = execFileSync(python, [join(ROOT, 'js', 'build', 'make_wheel.py'),
    source, kernel, PYODIDE_OUT, bytecode], { encoding: 'utf8' });
  return out.trim().split('\n').pop();
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * The lock of the pyodide npm package, with our package added and every other
 * package removed: we ship no other wheel, so an entry for one would send
 * loadPackage to a CDN (Node downloads what is missing from packageCacheDir).
 */
function writeLock(wheelPath, version) {
  const base = JSON.parse(readFileSync(join(PYODIDE_NPM, 'pyodide-lock.json'), 'utf8'));
  const entry = {
    name: PACKAGE,
    version,
    file_name: relative(PYODIDE_OUT, wheelPath),
    install_dir: 'site',
    sha256: sha256(wheelPath),
    package_type: 'package',
    imports: ['ruvector_attention'],
    depends: [],
    unvendored_tests: false,
    shared_library: true,   // the wheel carries a wasm side module; loadPackage compiles it asynchronously
  };
  const lock = { ...base, packages: { [PACKAGE]: entry } };
  writeFileSync(join(PYODIDE_OUT, 'pyodide-lock.json'), JSON.stringify(lock, null, 1) + '\n');
  return entry;
}

function copyPyodide(pyodideVersion) {
  for (const f of PYODIDE_CORE) copyFileSync(join(PYODIDE_NPM, f), join(PYODIDE_OUT, f));
  writeFileSync(join(PYODIDE_OUT, 'NOTICE.txt'),
    `Pyodide ${pyodideVersion} (MPL-2.0), copied unchanged from the npm package "pyodide".\n` +
    `pyodide-lock.json is regenerated by ruvector-attention's js/build/dist.mjs.\n`);
}

async function bundle(version) {
  const common = {
    bundle: true, format: 'esm', target: 'es2022', sourcemap: false,  // readable output, no maps to ship
    logLevel: 'warning', legalComments: 'none',
    define: { __RUVECTOR_VERSION__: JSON.stringify(version) },
  };
  const src = name => join(ROOT, 'js', 'src', name);
  const targets = [
    { platform: 'browser', outdir: DIST, ext: '.js', main: PACKAGE, pyodideDir: './pyodide/' },
    { platform: 'node', outdir: join(DIST, 'node'), ext: '.mjs', main: 'index', pyodideDir: '../pyodide/' },
  ];
  for (const t of targets) {
    const define = {
      ...common.define, __TARGET__: JSON.stringify(t.platform), __PYODIDE_DIR__: JSON.stringify(t.pyodideDir),
      __WORKER_FILE__: JSON.stringify(`./worker${t.ext}`),
    };
    const shared = { ...common, platform: t.platform, outdir: t.outdir, outExtension: { '.js': t.ext }, define };
    // The entry points share one runtime module (chunks are imported statically, so
    // a bundler follows them whatever their names).
    await esbuild.build({
      ...shared, splitting: true, chunkNames: 'chunk-[hash]',
      entryPoints: { [t.main]: src('index.ts'), compat: src('compat.ts') },
    });
    // The worker is loaded by URL, so it is one self-contained file with a fixed name.
    await esbuild.build({ ...shared, entryPoints: { worker: src('worker/entry.ts') } });
  }
  // index.d.ts merges one declaration file per family: ship them all
  for (const f of readdirSync(join(ROOT, 'ts-types')).filter(f => f.endsWith('.d.ts'))) copyFileSync(join(ROOT, 'ts-types', f), join(DIST, f));
}

/**
 * The folder `npm pack` packs: the manifest (package.json without its development
 * fields), the JS README, the LICENSE and dist/. The repository root cannot be
 * packed itself, because npm always ships the root README (the project's, whose
 * links lead into the repository); it is marked private so that it is never published.
 */
function stagePackage() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const { devDependencies, scripts, private: _, ...manifest } = pkg;
  rmSync(PACKAGE_OUT, { recursive: true, force: true });
  mkdirSync(PACKAGE_OUT, { recursive: true });
  writeFileSync(join(PACKAGE_OUT, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  copyFileSync(join(ROOT, 'js', 'README.md'), join(PACKAGE_OUT, 'README.md'));
  copyFileSync(join(ROOT, 'LICENSE'), join(PACKAGE_OUT, 'LICENSE'));
  cpSync(DIST, join(PACKAGE_OUT, 'dist'), { recursive: true });
}

const { version, pyodide } = versions();
rmSync(DIST, { recursive: true, force: true });
mkdirSync(PYODIDE_OUT, { recursive: true });
const wheel = await buildWheel();
log(`wheel ${relative(ROOT, wheel)}`);
copyPyodide(pyodide);
const entry = writeLock(wheel, version);
log(`dist/pyodide (Pyodide ${pyodide}) + pyodide-lock.json (${entry.file_name}, sha256 ${entry.sha256.slice(0, 12)}…)`);
const snap = await makeSnapshot({
  pyodideDir: PYODIDE_OUT, outDir: PYODIDE_OUT, packageName: PACKAGE, version, pyodideVersion: pyodide,
  options: { indexURL: PYODIDE_OUT + '/', lockFileContents: JSON.parse(readFileSync(join(PYODIDE_OUT, 'pyodide-lock.json'), 'utf8')),
    packageBaseUrl: PYODIDE_OUT + '/', packageCacheDir: PYODIDE_OUT + '/' },
});
log(`dist/pyodide/${snap.file}: heap of ${(snap.bytes / 2 ** 20).toFixed(0)} MiB after ${snap.modules} stdlib imports`);
await bundle(version);
log('bundles dist/ruvector-attention.js (browser), dist/node/index.mjs (Node), types dist/index.d.ts');
stagePackage();
log(`npm package folder ${relative(ROOT, PACKAGE_OUT)} (npm pack ${relative(ROOT, PACKAGE_OUT)})`);
