// The visualizer's weights and config modules without a browser: the .safetensors
// reader against the library's own reader (ruvector_attention.io.load_file, run
// natively on the same bytes) for every dtype, its errors on malformed files, the
// config a saved file brings, and the relative scores of the export.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { DataError } from '../../web-demo/app/data/parse.js';
import { parseSafetensors } from '../../web-demo/app/data/safetensors.js';
import { optionsForFile } from '../../web-demo/app/trained.js';
import { relativeScores } from '../../web-demo/app/evaluate.js';

// Writes one file per dtype (odd sizes, values that round differently in each) and
// prints what the library's reader gives back.
const WRITER = `
import json, math, struct, sys
from ruvector_attention.io import load_file_with_metadata
folder = sys.argv[1]
values = [math.sin(i * 1.7) * 10 ** (i % 7 - 3) for i in range(15)] + [0.0, -0.0, 65504.0, 1e-7]
shape = [len(values)]
packs = {"F32": "f", "F64": "d", "F16": "e"}
out = {}
for dtype in ["F32", "F64", "F16", "BF16"]:
    if dtype == "BF16":
        data = b"".join(struct.pack("<H", struct.unpack("<I", struct.pack("<f", v))[0] >> 16) for v in values)
    else:
        data = struct.pack(f"<{len(values)}{packs[dtype]}", *values)
    header = json.dumps({"__metadata__": {"k": "v"}, "w": {"dtype": dtype, "shape": shape, "data_offsets": [0, len(data)]}}).encode()
    header += b" " * (-len(header) % 8)
    path = f"{folder}/{dtype}.safetensors"
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(header)) + header + data)
    tensors, meta = load_file_with_metadata(path)
    out[dtype] = {"path": path, "values": [float(x) for x in memoryview(tensors["w"]).tolist()], "meta": meta}
print(json.dumps(out))
`;

function nativeFiles() {
  const folder = mkdtempSync(path.join(tmpdir(), 'ruvector-st-'));
  const run = spawnSync(process.env.PYTHON ?? 'python3', ['-c', WRITER, folder], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`the native writer failed:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

test('every dtype reads as the library reads it (float32 values, metadata)', () => {
  for (const [dtype, ref] of Object.entries(nativeFiles())) {
    const parsed = parseSafetensors(readFileSync(ref.path), `${dtype}.safetensors`);
    assert.deepEqual(Array.from(parsed.tensors.w), ref.values, dtype);
    assert.deepEqual(parsed.shapes.w, [ref.values.length]);
    assert.deepEqual(parsed.metadata, ref.meta);
    assert.equal(parsed.mechanism, null);
    assert.equal(parsed.config, null);
  }
});

function file(header, body = new Uint8Array(0), size = null) {
  const raw = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + raw.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(size ?? raw.length), true);
  out.set(raw, 8);
  out.set(body, 8 + raw.length);
  return out;
}

test('malformed files: a DataError naming the file and the problem', () => {
  const f32 = new Uint8Array(new Float32Array([1, 2]).buffer);
  const cases = [
    [new Uint8Array(3), /x\.safetensors is not a valid safetensors file: shorter than its 8-byte header length/],
    [file('{}', f32, 1000), /header length 1000 exceeds the file/],
    [file('{"w": ', f32), /the header is not JSON/],
    [file('[1, 2]'), /the header is not a JSON object/],
    [file({ w: { dtype: 'I8', shape: [2], data_offsets: [0, 2] } }, f32), /tensor w has dtype I8; supported: F32, F64, F16, BF16/],
    [file({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32), /tensor w has offsets 0\.\.8 that do not fit its shape \[3\]/],
    [file({ w: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32), /offsets 4\.\.12/],
    [file({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, f32), /tensor w has shape \[-2\]/],
    [file({ __metadata__: {} }), /x\.safetensors holds no tensors/],
    [file({ __metadata__: { 'ruvector_attention.config': '{nope' }, w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32),
      /its metadata ruvector_attention\.config is not JSON/],
  ];
  for (const [bytes, pattern] of cases) {
    assert.throws(() => parseSafetensors(bytes, 'x.safetensors'), (err) => err instanceof DataError && pattern.test(err.message),
      String(pattern));
  }
});

const MHA = { name: 'MultiHeadAttention', fields: [{ name: 'dim', type: 'int' }, { name: 'numHeads', type: 'int' },
  { name: 'valueDim', type: 'int', nullable: true }, { name: 'bias', type: 'bool' }, { name: 'seed', type: 'int' }] };
const MIXED = { name: 'MixedCurvatureAttention', fields: [{ name: 'euclideanDim', type: 'int', default: 16 },
  { name: 'hyperbolicDim', type: 'int', default: 16 }, { name: 'curvature', type: 'float', default: -1 }] };
const saved = (mechanism, config) => ({ mechanism, config });

test('a saved config: adopted where it may differ, refused where it cannot', () => {
  const page = { dim: 32, numHeads: 4, valueDim: null, bias: true, seed: 0 };
  const got = optionsForFile(saved('MultiHeadAttention', { dim: 32, num_heads: 2, value_dim: null, bias: true, seed: 7 }),
    'w.safetensors', MHA, page, 32);
  assert.deepEqual(got.options, { ...page, numHeads: 2, seed: 7 });
  assert.deepEqual(got.adopted, [['numHeads', 2], ['seed', 7]]);
  assert.deepEqual(optionsForFile(saved(null, null), 'w', MHA, page, 32), { options: page, adopted: [] }, 'no metadata: the page\'s config');
  assert.throws(() => optionsForFile(saved('GraphRoPE', {}), 'w.safetensors', MHA, page, 32),
    /w\.safetensors holds GraphRoPE weights; the selected mechanism is MultiHeadAttention/);
  assert.throws(() => optionsForFile(saved('MultiHeadAttention', { dim: 64 }), 'w.safetensors', MHA, page, 32),
    (err) => err instanceof DataError && /weights for dim = 64; the data \(vectors of dim 32\) gives dim = 32/.test(err.message));
  assert.throws(() => optionsForFile(saved('MultiHeadAttention', { heads: 2 }), 'w.safetensors', MHA, page, 32),
    /its config has heads, which MultiHeadAttention does not take/);
  // MixedCurvature: the edited width comes from the file, the other must be the rest of the data's dim.
  const mixed = optionsForFile(saved('MixedCurvatureAttention', { euclidean_dim: 10, hyperbolic_dim: 22, curvature: -0.5 }),
    'm', MIXED, { euclideanDim: 16, hyperbolicDim: 16, curvature: -1 }, 32);
  assert.deepEqual(mixed.options, { euclideanDim: 10, hyperbolicDim: 22, curvature: -0.5 });
  assert.throws(() => optionsForFile(saved('MixedCurvatureAttention', { euclidean_dim: 10, hyperbolic_dim: 10 }),
    'm', MIXED, { euclideanDim: 16, hyperbolicDim: 16, curvature: -1 }, 32), /weights for hyperbolicDim = 10; .* gives hyperbolicDim = 22/);
});

test('relative scores: ln w - max ln w per head; a zero weight has none', () => {
  const w = [[0.5, 0.25, 0.25], [0, 1, 0]];
  const s = relativeScores(w);
  assert.deepEqual(s[1], [null, 0, null]);
  assert.equal(s[0][0], 0);
  assert.ok(Math.abs(s[0][1] - Math.log(0.5)) < 1e-15);
});
