// Parsing the user's own files: vectors (JSON or CSV) and an optional edge list.
// Every problem becomes a DataError whose message names the file, the line or
// the JSON path, and what was expected — the page shows it as is.
//
// Vectors, JSON:  [[0.1, 0.2, ...], ...]
//                 {"vectors": [[...], ...], "labels"?: ["a", ...], "layers"?: [0, 2, ...],
//                  "edges"?: [[0, 1], ...] or [{"source": 0, "target": 1}, ...]}
// Vectors, CSV:   one vector per line; separators , ; tab or spaces; an optional
//                 header line; an optional first column of labels (non-numeric).
// Edge list:      one "source,target" pair per line (row numbers from 0, or labels);
//                 node `source` attends to `target`. Optional header line.

export const LIMITS = Object.freeze({
  maxFileBytes: 64 * 1024 * 1024,
  maxVectors: 200_000,
  maxDim: 4096,
  minVectors: 2,
});

export class DataError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DataError';
  }
}

/** 'json' | 'csv' from the file name, else from the first character. */
export function detectFormat(fileName, text) {
  const ext = (fileName.match(/\.([a-z0-9]+)$/i)?.[1] ?? '').toLowerCase();
  if (ext === 'json') return 'json';
  if (['csv', 'tsv', 'txt', 'tab'].includes(ext)) return 'csv';
  return /^\s*[[{]/.test(text) ? 'json' : 'csv';
}

/**
 * Parse a vectors file. Returns
 * { vectors: Float32Array (count*dim, row-major), count, dim, labels: string[]|null,
 *   layers: Int32Array|null, edges: {sources, targets}|null }.
 */
export function parseVectorsFile(text, fileName = 'vectors') {
  checkSize(text, fileName);
  return detectFormat(fileName, text) === 'json' ? parseVectorsJson(text, fileName) : parseVectorsCsv(text, fileName);
}

export function parseVectorsJson(text, fileName = 'vectors.json') {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new DataError(`${fileName}: not valid JSON (${err.message}).`);
  }
  const root = Array.isArray(doc) ? { vectors: doc } : doc;
  if (root === null || typeof root !== 'object' || !('vectors' in root)) {
    throw new DataError(`${fileName}: expected an array of vectors or an object with a "vectors" array.`);
  }
  const rows = root.vectors;
  if (!Array.isArray(rows)) throw new DataError(`${fileName}: "vectors" must be an array of arrays of numbers.`);
  checkCount(rows.length, fileName);
  const dim = Array.isArray(rows[0]) ? rows[0].length : 0;
  if (dim < 1) throw new DataError(`${fileName}: vectors[0] must be a non-empty array of numbers.`);
  checkDim(dim, fileName);
  const vectors = new Float32Array(rows.length * dim);
  rows.forEach((row, i) => {
    if (!Array.isArray(row)) throw new DataError(`${fileName}: vectors[${i}] is not an array.`);
    if (row.length !== dim) {
      throw new DataError(`${fileName}: vectors[${i}] has ${row.length} numbers; expected ${dim} (the length of vectors[0]).`);
    }
    row.forEach((x, k) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new DataError(`${fileName}: vectors[${i}][${k}] is ${JSON.stringify(x)}, not a finite number.`);
      }
      vectors[i * dim + k] = x;
    });
  });
  const count = rows.length;
  const labels = root.labels === undefined ? null : parseLabels(root.labels, count, fileName);
  const layers = root.layers === undefined ? null : parseLayers(root.layers, count, fileName);
  const edges = root.edges === undefined ? null : parseJsonEdges(root.edges, count, labels, fileName);
  return { vectors, count, dim, labels, layers, edges };
}

export function parseVectorsCsv(text, fileName = 'vectors.csv') {
  const lines = dataLines(text);
  if (lines.length === 0) throw new DataError(`${fileName}: the file has no data lines.`);
  const split = splitterFor(lines[0].text);
  let first = 0;
  let cells = split(lines[0].text);
  // A header is a first line whose cells (after an optional label column) are not all numbers.
  if (cells.slice(1).some((c) => !isNumber(c)) || (cells.length === 1 && !isNumber(cells[0]))) first = 1;
  if (first >= lines.length) throw new DataError(`${fileName}: only a header line, no vectors.`);
  cells = split(lines[first].text);
  const hasLabels = !isNumber(cells[0]);
  const dim = cells.length - (hasLabels ? 1 : 0);
  if (dim < 1) throw new DataError(`${fileName} line ${lines[first].number}: no numbers after the label.`);
  checkDim(dim, fileName);
  const count = lines.length - first;
  checkCount(count, fileName);
  const vectors = new Float32Array(count * dim);
  const labels = hasLabels ? [] : null;
  for (let i = 0; i < count; i++) {
    const { text: lineText, number } = lines[first + i];
    const row = split(lineText);
    const offset = hasLabels ? 1 : 0;
    if (row.length - offset !== dim) {
      throw new DataError(`${fileName} line ${number}: ${row.length - offset} numbers; expected ${dim} like line ${lines[first].number}.`);
    }
    if (hasLabels) labels.push(row[0]);
    for (let k = 0; k < dim; k++) {
      const cell = row[k + offset];
      if (!isNumber(cell)) {
        throw new DataError(`${fileName} line ${number}, column ${k + offset + 1}: ${JSON.stringify(cell)} is not a finite number.`);
      }
      vectors[i * dim + k] = Number(cell);
    }
  }
  if (labels) checkUniqueLabels(labels, fileName);
  return { vectors, count, dim, labels, layers: null, edges: null };
}

/** Parse an edge list; ids are row numbers (from 0) or, when the vectors have labels, labels. */
export function parseEdgeList(text, fileName, { count, labels = null }) {
  checkSize(text, fileName);
  const lines = dataLines(text);
  if (lines.length === 0) throw new DataError(`${fileName}: the edge list has no lines.`);
  const split = splitterFor(lines[0].text);
  const resolve = idResolver(count, labels, fileName);
  const header = split(lines[0].text).every((c) => !isNumber(c)) && !(labels && split(lines[0].text).every((c) => labels.includes(c)));
  const sources = [];
  const targets = [];
  for (const { text: lineText, number } of lines.slice(header ? 1 : 0)) {
    const cells = split(lineText);
    if (cells.length !== 2) {
      throw new DataError(`${fileName} line ${number}: ${cells.length} columns; expected 2 (source, target).`);
    }
    sources.push(resolve(cells[0], `line ${number}`));
    targets.push(resolve(cells[1], `line ${number}`));
  }
  if (sources.length === 0) throw new DataError(`${fileName}: only a header line, no edges.`);
  return { sources: Int32Array.from(sources), targets: Int32Array.from(targets) };
}

function parseJsonEdges(edges, count, labels, fileName) {
  if (!Array.isArray(edges)) throw new DataError(`${fileName}: "edges" must be an array of [source, target] pairs.`);
  const resolve = idResolver(count, labels, fileName);
  const sources = new Int32Array(edges.length);
  const targets = new Int32Array(edges.length);
  edges.forEach((e, i) => {
    const pair = Array.isArray(e) ? e : e && typeof e === 'object' ? [e.source, e.target] : null;
    if (!pair || pair.length !== 2) {
      throw new DataError(`${fileName}: edges[${i}] must be [source, target] or {"source": …, "target": …}.`);
    }
    sources[i] = resolve(pair[0], `edges[${i}]`);
    targets[i] = resolve(pair[1], `edges[${i}]`);
  });
  return { sources, targets };
}

function idResolver(count, labels, fileName) {
  const byLabel = labels ? new Map(labels.map((l, i) => [String(l), i])) : null;
  return (raw, where) => {
    const key = String(raw).trim();
    if (byLabel?.has(key)) return byLabel.get(key);
    const n = Number(key);
    if (key !== '' && Number.isInteger(n)) {
      if (n < 0 || n >= count) {
        throw new DataError(`${fileName} ${where}: node ${n} does not exist (the vectors have ${count} rows, numbered 0..${count - 1}).`);
      }
      return n;
    }
    throw new DataError(`${fileName} ${where}: ${JSON.stringify(raw)} is neither a row number nor a label of the vectors.`);
  };
}

function parseLabels(labels, count, fileName) {
  if (!Array.isArray(labels) || labels.length !== count) {
    throw new DataError(`${fileName}: "labels" must be an array of ${count} strings (one per vector).`);
  }
  const out = labels.map(String);
  checkUniqueLabels(out, fileName);
  return out;
}

function parseLayers(layers, count, fileName) {
  if (!Array.isArray(layers) || layers.length !== count) {
    throw new DataError(`${fileName}: "layers" must be an array of ${count} integers (one per vector).`);
  }
  return Int32Array.from(layers, (x, i) => {
    if (!Number.isInteger(x) || x < 0 || x > 16) {
      throw new DataError(`${fileName}: layers[${i}] is ${JSON.stringify(x)}; expected an integer in 0..16.`);
    }
    return x;
  });
}

function checkUniqueLabels(labels, fileName) {
  const seen = new Set();
  for (const l of labels) {
    if (seen.has(l)) throw new DataError(`${fileName}: the label ${JSON.stringify(l)} appears twice; labels must be unique.`);
    seen.add(l);
  }
}

function checkSize(text, fileName) {
  if (typeof text !== 'string' || text.trim() === '') throw new DataError(`${fileName}: the file is empty.`);
  if (text.length > LIMITS.maxFileBytes) {
    throw new DataError(`${fileName}: larger than ${LIMITS.maxFileBytes / 1024 / 1024} MB; use a sample of your data.`);
  }
}

function checkCount(count, fileName) {
  if (count < LIMITS.minVectors) throw new DataError(`${fileName}: ${count} vector(s); at least ${LIMITS.minVectors} are needed.`);
  if (count > LIMITS.maxVectors) throw new DataError(`${fileName}: ${count} vectors; at most ${LIMITS.maxVectors} are supported.`);
}

function checkDim(dim, fileName) {
  if (dim > LIMITS.maxDim) throw new DataError(`${fileName}: vectors of ${dim} numbers; at most ${LIMITS.maxDim} are supported.`);
}

/** Non-blank lines that are not # comments, with their 1-based line numbers. */
function dataLines(text) {
  const out = [];
  text.split(/\r\n|\n|\r/).forEach((line, i) => {
    const t = line.trim();
    if (t !== '' && !t.startsWith('#')) out.push({ text: t, number: i + 1 });
  });
  return out;
}

function splitterFor(sample) {
  const sep = sample.includes('\t') ? '\t' : sample.includes(',') ? ',' : sample.includes(';') ? ';' : null;
  const unquote = (c) => c.trim().replace(/^"(.*)"$/, '$1');
  return sep ? (line) => line.split(sep).map(unquote) : (line) => line.trim().split(/\s+/).map(unquote);
}

function isNumber(cell) {
  return cell !== undefined && cell.trim() !== '' && Number.isFinite(Number(cell));
}
