// The Pyodide memory snapshot of the distribution (js/build/snapshot.mjs): the
// heap of an interpreter that has started and imported the stdlib modules our
// package uses. Restoring it replaces Python's own start-up; our kernel and
// package are loaded after it, as without one. Any problem (no file, other
// versions, a bad hash, a failed restore) means booting without it.
const JS_VERSION: string = __RUVECTOR_VERSION__;

export interface SnapshotMeta {
  file: string;
  /** Of the gzip file as shipped. */
  sha256: string;
  /** Of the heap, for a server that sends the file with Content-Encoding: gzip (the
   * browser then hands over the heap itself, so the file's own hash cannot be checked). */
  heapSha256: string;
  /** Heap bytes once decompressed. */
  bytes: number;
  pyodide: string;
  version: string;
}

/** Fetch (browser) or read (Node) a file of the distribution directory `dir`. */
async function readBytes(dir: string, name: string): Promise<Uint8Array> {
  if (__TARGET__ === 'node') {
    const { readFile } = await import('node:fs/promises');
    return new Uint8Array(await readFile(dir + name));
  }
  const response = await fetch(dir + name);
  if (!response.ok) throw new Error(`${dir}${name}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (__TARGET__ === 'node') {
    const { createHash } = await import('node:crypto');
    return createHash('sha256').update(bytes).digest('hex');
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
  return Array.from(digest, b => b.toString(16).padStart(2, '0')).join('');
}

async function gunzip(gz: Uint8Array): Promise<Uint8Array> {
  if (__TARGET__ === 'node') {
    const { gunzip: inflate } = await import('node:zlib');
    const { promisify } = await import('node:util');
    return new Uint8Array(await promisify(inflate)(gz));
  }
  const stream = new Blob([gz as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The heap bytes of `dir`'s snapshot, checked against this Pyodide's and this
 * package's versions and its recorded sha256; rejects with the reason it cannot
 * be used (the caller then boots without it).
 */
export async function readSnapshot(dir: string, pyodideVersion: string): Promise<Uint8Array> {
  let meta: SnapshotMeta;
  try {
    meta = JSON.parse(new TextDecoder().decode(await readBytes(dir, 'snapshot.json')));
  } catch (e) {
    throw new Error(`no snapshot.json in ${dir} (${(e as Error).message})`);
  }
  if (meta.pyodide !== pyodideVersion || meta.version !== JS_VERSION) {
    throw new Error(`the snapshot is for Pyodide ${meta.pyodide} / ruvector-attention ${meta.version}, ` +
      `this is Pyodide ${pyodideVersion} / ${JS_VERSION}`);
  }
  const got = await readBytes(dir, meta.file);
  // A gzip file is a fifth of the heap: the full length means the server sent it with
  // Content-Encoding: gzip and the browser already decompressed it.
  const decoded = got.length === meta.bytes;
  const [hash, want] = [await sha256Hex(got), decoded ? meta.heapSha256 : meta.sha256];
  if (hash !== want) throw new Error(`${meta.file} has sha256 ${hash}, snapshot.json says ${want}`);
  const heap = decoded ? got : await gunzip(got);
  if (heap.length !== meta.bytes) throw new Error(`${meta.file} holds ${heap.length} bytes, expected ${meta.bytes}`);
  return heap;
}
