// Trained weights from a .safetensors file (https://github.com/huggingface/safetensors):
// u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
// optional "__metadata__" (str -> str), then the raw little-endian data. The reader
// of py/ruvector_attention/io.py, for the page: F32 / F64 / F16 / BF16, all returned
// as Float32Array; a file saved by the library names its mechanism and config in the
// metadata. Every problem is a DataError naming the file and what is wrong.

import { DataError } from './parse.js';

const MAX_HEADER_BYTES = 100 * 1024 * 1024;  // the safetensors limit
const DTYPE_BYTES = { F32: 4, F64: 8, F16: 2, BF16: 2 };
export const META_CLASS = 'ruvector_attention.mechanism';
export const META_CONFIG = 'ruvector_attention.config';

/** One IEEE half (bits) as a number. */
function half(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decode(dtype, view, count) {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    if (dtype === 'F32') out[i] = view.getFloat32(4 * i, true);
    else if (dtype === 'F64') out[i] = view.getFloat64(8 * i, true);
    else if (dtype === 'F16') out[i] = half(view.getUint16(2 * i, true));
    else out[i] = new Float32Array(new Uint32Array([view.getUint16(2 * i, true) << 16]).buffer)[0];  // BF16: top half of an F32
  }
  return out;
}

/**
 * bytes (ArrayBuffer or Uint8Array) → { tensors: {name: Float32Array}, shapes: {name: number[]},
 * metadata: {str: str}, mechanism: string | null, config: object | null (snake_case, as saved) }.
 */
export function parseSafetensors(bytes, fileName) {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const bad = `${fileName} is not a valid safetensors file`;
  if (buf.length < 8) throw new DataError(`${bad}: shorter than its 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const size = Number(view.getBigUint64(0, true));
  if (size > Math.min(MAX_HEADER_BYTES, buf.length - 8)) throw new DataError(`${bad}: header length ${size} exceeds the file`);
  let header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + size)));
  } catch {
    throw new DataError(`${bad}: the header is not JSON`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new DataError(`${bad}: the header is not a JSON object`);
  const { __metadata__: metadata = {}, ...specs } = header;
  const body = buf.subarray(8 + size);
  const tensors = {}, shapes = {};
  for (const [name, spec] of Object.entries(specs)) {
    const { dtype, shape, data_offsets: offsets } = spec ?? {};
    if (!(dtype in DTYPE_BYTES)) {
      throw new DataError(`${fileName}: tensor ${name} has dtype ${dtype}; supported: ${Object.keys(DTYPE_BYTES).join(', ')}`);
    }
    if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new DataError(`${bad}: tensor ${name} has shape ${JSON.stringify(shape)}`);
    }
    const count = shape.reduce((a, s) => a * s, 1);
    const [begin, end] = Array.isArray(offsets) ? offsets : [0, -1];
    if (!(Number.isInteger(begin) && Number.isInteger(end) && begin >= 0 && begin <= end && end <= body.length)
        || end - begin !== count * DTYPE_BYTES[dtype]) {
      throw new DataError(`${bad}: tensor ${name} has offsets ${begin}..${end} that do not fit its shape [${shape}] or the file`);
    }
    tensors[name] = decode(dtype, new DataView(body.buffer, body.byteOffset + begin, end - begin), count);
    shapes[name] = shape;
  }
  if (Object.keys(tensors).length === 0) throw new DataError(`${fileName} holds no tensors`);
  let config = null;
  if (metadata[META_CONFIG] !== undefined) {
    try {
      config = JSON.parse(metadata[META_CONFIG]);
    } catch {
      throw new DataError(`${fileName}: its metadata ${META_CONFIG} is not JSON`);
    }
  }
  return { tensors, shapes, metadata, mechanism: metadata[META_CLASS] ?? null, config };
}
