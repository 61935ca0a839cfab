#!/usr/bin/env node
// A small static server for the visualizer, on 127.0.0.1 only.
//
//   /          → web-demo/      (the page, its modules and styles)
//   /dist/...  → dist/          (the JS bundle and dist/pyodide, built by ./build.sh dist)
//
// Usage: node web-demo/serve.mjs [--port N]   (or RUVECTOR_DEMO_PORT=N; default 8765).
// If the port is taken it tries the next ones, then lets the OS pick.
// Tests import startServer() and pass port 0.

import { createServer } from 'node:http';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const DEFAULT_PORT = 8765;
const PORT_TRIES = 10;

// wasm must be application/wasm or browsers refuse streaming compilation.
const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.zip': 'application/zip',
  '.whl': 'application/zip',
  '.tar': 'application/x-tar',
};

/** Map a URL path to a file under one of the two roots, or null if outside them. */
export function resolveRequest(urlPath, roots = { web: path.join(ROOT, 'web-demo'), dist: path.join(ROOT, 'dist') }) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return null;
  }
  const [base, rel] = decoded === '/dist' || decoded.startsWith('/dist/')
    ? [roots.dist, decoded.slice('/dist'.length)]
    : [roots.web, decoded];
  const file = path.resolve(base, '.' + path.posix.normalize('/' + rel));
  // Refuse anything that escapes its root (../, encoded or not).
  return file === base || file.startsWith(base + path.sep) ? file : null;
}

function mimeOf(file) {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

async function handle(req, res, roots) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  let file = resolveRequest(req.url ?? '/', roots);
  if (!file) {
    res.writeHead(403).end('forbidden');
    return;
  }
  let stat = await fs.stat(file).catch(() => null);
  if (stat?.isDirectory()) {
    file = path.join(file, 'index.html');
    stat = await fs.stat(file).catch(() => null);
  }
  if (!stat?.isFile()) {
    const hint = file.startsWith(roots.dist) ? ' (run ./build.sh dist first)' : '';
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${req.url}${hint}`);
    return;
  }
  // no-cache + ETag: a rebuilt dist/ is picked up on reload, an unchanged file costs a 304.
  const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  const common = { ETag: etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, common).end();
    return;
  }
  res.writeHead(200, { ...common, 'Content-Type': mimeOf(file), 'Content-Length': stat.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    const onError = (err) => { server.off('listening', onListening); reject(err); };
    const onListening = () => { server.off('error', onError); resolve(server.address().port); };
    server.once('error', onError).once('listening', onListening).listen(port, host);
  });
}

/**
 * Start the server. Resolves to { server, port, url, close() }.
 * port 0 = any free port; a taken port falls back to the next PORT_TRIES ports, then to 0.
 */
export async function startServer({ port = DEFAULT_PORT, host = '127.0.0.1', roots } = {}) {
  roots ??= { web: path.join(ROOT, 'web-demo'), dist: path.join(ROOT, 'dist') };
  const server = createServer((req, res) => {
    handle(req, res, roots).catch((err) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  });
  const candidates = port === 0 ? [0] : [...Array.from({ length: PORT_TRIES }, (_, i) => port + i), 0];
  for (const candidate of candidates) {
    try {
      const bound = await listen(server, candidate, host);
      return {
        server,
        port: bound,
        url: `http://${host}:${bound}/`,
        close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
      };
    } catch (err) {
      if (err.code !== 'EADDRINUSE') throw err;
    }
  }
  throw new Error(`no free port near ${port}`);
}

function parsePort(argv, env) {
  const i = argv.indexOf('--port');
  const flag = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--port='))?.slice(7);
  const raw = flag ?? env.RUVECTOR_DEMO_PORT ?? env.PORT;
  if (raw === undefined) return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer in 0..65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let port;
  try {
    port = parsePort(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(err.message);
    process.exit(2);
  }
  const distReady = await fs.stat(path.join(ROOT, 'dist', 'pyodide')).then(() => true, () => false);
  if (!distReady) console.warn('warning: dist/pyodide is missing — run ./build.sh dist (./build.sh demo does it).');
  const { url, port: bound } = await startServer({ port });
  if (bound !== port && port !== 0) console.log(`port ${port} is taken; using ${bound}`);
  console.log(`ruvector-attention visualizer: ${url}   (Ctrl+C to stop)`);
  const stop = () => process.exit(0);
  process.on('SIGINT', stop).on('SIGTERM', stop);
}
