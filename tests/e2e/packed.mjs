// The npm package as a user gets it: `npm pack` of the folder ./build.sh dist stages
// (build/npm/ruvector-attention), installed into a scratch app from the tarball alone.
// The install runs --offline with an empty npm cache of its own, so it proves that
// the tarball needs nothing else (it has no dependencies) whatever the cache holds.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const PACKAGE_DIR = join(ROOT, 'build', 'npm', 'ruvector-attention');

function npm(args, cwd, env = {}) {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false', ...env } });
}

/** Pack into `dir`, install into `dir`/app; returns { packed (npm pack --json), app }. */
export function packAndInstall(dir) {
  if (!existsSync(join(PACKAGE_DIR, 'package.json'))) {
    throw new Error(`${PACKAGE_DIR} is missing: run ./build.sh dist first`);
  }
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', dir, PACKAGE_DIR], ROOT))[0];
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  npm(['install', '--offline', join(dir, packed.filename)], app,
    { npm_config_cache: mkdtempSync(join(dir, 'npm-cache-')) });
  return { packed, app };
}
