// The Pyodide memory snapshot of the distribution (js/build/snapshot.mjs): the
// heap of an interpreter that has started and imported the stdlib modules our
// package uses. Restoring it replaces Python's own start-up; our kernel and
// package are loaded after it, as without one. Any problem (no file, other
// versions, a bad hash, a failed restore) means booting without it.
const JS_VERSION: string = __RUVECTOR_VERSION__;

export interface SnapshotMeta {
  file: string;
  sha256: string;
  /** Heap bytes once decompressed. */
  bytes: number;
  pyodide: string;
  version: string;
}

/** Fetch (browser) or read (Node) a file of the distribution directory `dir`. */
async function readBytes(dir: string, name: string, sha256?: string): Promise<Uint8Array> {
  if (__TARGET__ === 'node') {
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(dir + name);
    if (sha256) {
      const { createHash } = await import('node:crypto');
      const got = createHash('sha256').update(bytes).digest('hex');
      if (got !== sha256) throw new Error(`${name} has sha256 ${got}, snapshot.json says ${sha256}`);
    }
    return bytes;
  }
  const integrity = sha256 ? `sha256-${btoa(String.fromCharCode(...hexBytes(sha256)))}` : undefined;
  const response = await fetch(dir + name, integrity ? { integrity } : {});
  if (!response.ok) throw new Error(`${dir}${name}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function hexBytes(hex: string): number[] {
  return Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
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
  const heap = await gunzip(await readBytes(dir, meta.file, meta.sha256));
  if (heap.length !== meta.bytes) throw new Error(`${meta.file} holds ${heap.length} bytes, expected ${meta.bytes}`);
  return heap;
}
