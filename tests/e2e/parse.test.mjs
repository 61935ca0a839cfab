// The visualizer's data modules without a browser: file parsing (every
// malformed case gives a DataError that locates the problem), the CSR graph
// built from user data, and the summary statistics.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { DataError, parseVectorsFile, parseEdgeList, detectFormat } from '../../web-demo/app/data/parse.js';
import { DemoGraph } from '../../web-demo/app/data/graph.js';
import { entropy, normalizedEntropy, topKMass, meanRows, median } from '../../web-demo/app/stats.js';
import { viridis, makeScale } from '../../web-demo/app/colors.js';

test('JSON array of vectors', () => {
  const d = parseVectorsFile('[[1, 2, 3], [4, 5, 6.5]]', 'v.json');
  assert.equal(d.count, 2);
  assert.equal(d.dim, 3);
  assert.deepEqual(Array.from(d.vectors), [1, 2, 3, 4, 5, 6.5]);
  assert.equal(d.labels, null);
  assert.equal(d.edges, null);
});

test('JSON object with labels, layers and edges by label or index', () => {
  const d = parseVectorsFile(JSON.stringify({
    vectors: [[0, 0], [1, 0], [0, 1]], labels: ['a', 'b', 'c'], layers: [0, 1, 0],
    edges: [['a', 'b'], { source: 2, target: 'a' }],
  }), 'g.json');
  assert.deepEqual(d.labels, ['a', 'b', 'c']);
  assert.deepEqual(Array.from(d.layers), [0, 1, 0]);
  assert.deepEqual(Array.from(d.edges.sources), [0, 2]);
  assert.deepEqual(Array.from(d.edges.targets), [1, 0]);
});

test('CSV with header, label column, semicolons and comments', () => {
  const text = '# exported\nid;x;y\nalpha;1;2\n\nbeta;3;4e-1\n';
  const d = parseVectorsFile(text, 'v.csv');
  assert.deepEqual(d.labels, ['alpha', 'beta']);
  assert.equal(d.dim, 2);
  assert.deepEqual(Array.from(d.vectors), [1, 2, 3, Math.fround(0.4)]);
});

test('CSV separated by spaces or tabs, no header', () => {
  assert.deepEqual(Array.from(parseVectorsFile('1 2\n3 4\n', 'v.txt').vectors), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(parseVectorsFile('1\t2\n3\t4\n', 'v.tsv').vectors), [1, 2, 3, 4]);
});

test('format detection falls back to the first character', () => {
  assert.equal(detectFormat('data', ' [[1]]'), 'json');
  assert.equal(detectFormat('data', '1,2'), 'csv');
  assert.equal(detectFormat('x.json', '1,2'), 'json');
});

const MALFORMED = [
  ['empty file', '', 'v.csv', /empty/],
  ['broken JSON', '[[1, 2], [3,', 'v.json', /not valid JSON/],
  ['JSON not vectors', '{"rows": []}', 'v.json', /"vectors"/],
  ['ragged JSON', '[[1, 2], [3]]', 'v.json', /vectors\[1\] has 1 numbers; expected 2/],
  ['string in JSON', '[[1, 2], [3, "x"]]', 'v.json', /vectors\[1\]\[1\] is "x"/],
  ['null in JSON', '[[1, null], [3, 4]]', 'v.json', /vectors\[0\]\[1\] is null/],
  ['one vector', '[[1, 2]]', 'v.json', /at least 2/],
  ['ragged CSV', '1,2,3\n4,5\n', 'v.csv', /line 2: 2 numbers; expected 3/],
  ['word in CSV', '1,2\n3,abc\n', 'v.csv', /line 2, column 2: "abc"/],
  ['NaN in CSV', '1,2\n3,NaN\n', 'v.csv', /line 2, column 2: "NaN" is not a finite number/],
  ['header only', 'x,y\n', 'v.csv', /only a header/],
  ['duplicate labels', 'a,1\na,2\n', 'v.csv', /label "a" appears twice/],
  ['bad layers', '{"vectors": [[1], [2]], "layers": [0, 99]}', 'v.json', /layers\[1\] is 99/],
  ['edge to a missing node', '{"vectors": [[1], [2]], "edges": [[0, 5]]}', 'v.json', /node 5 does not exist/],
];

for (const [what, text, name, pattern] of MALFORMED) {
  test(`malformed vectors: ${what}`, () => {
    assert.throws(() => parseVectorsFile(text, name), (err) => err instanceof DataError && pattern.test(err.message)
      && err.message.startsWith(name));
  });
}

test('edge list: header, ids, labels and located errors', () => {
  const e = parseEdgeList('source,target\n0,1\n1,2\n', 'e.csv', { count: 3 });
  assert.deepEqual(Array.from(e.sources), [0, 1]);
  assert.deepEqual(Array.from(e.targets), [1, 2]);
  const byLabel = parseEdgeList('a b\nb c\n', 'e.txt', { count: 3, labels: ['a', 'b', 'c'] });
  assert.deepEqual(Array.from(byLabel.sources), [0, 1]);
  assert.throws(() => parseEdgeList('0,1\n0,7\n', 'e.csv', { count: 3 }), /e.csv line 2: node 7 does not exist/);
  assert.throws(() => parseEdgeList('0,1,2\n', 'e.csv', { count: 3 }), /line 1: 3 columns; expected 2/);
  assert.throws(() => parseEdgeList('0,1\n0,zz\n', 'e.csv', { count: 3 }), /line 2: "zz" is neither/);
  assert.throws(() => parseEdgeList('0,1.5\n', 'e.csv', { count: 3 }), /"1.5" is neither/);
});

test('graph from edges: lists deduplicated and nearest first', () => {
  const vectors = Float32Array.from([0, 0, 5, 0, 1, 0, 2, 0]);
  const g = DemoGraph.fromEdges({ vectors, count: 4, dim: 2, labels: null, layers: null },
    { sources: Int32Array.from([0, 0, 0, 0]), targets: Int32Array.from([1, 2, 3, 2]) }, { kind: 'test' });
  assert.deepEqual(g.neighbours(0), [2, 3, 1]);
  assert.deepEqual(g.neighbours(1), []);
  assert.deepEqual(Array.from(g.keysOf(0)), [1, 0, 2, 0, 5, 0]);
});

test('graph from k nearest neighbours equals brute force (ties by index)', async () => {
  const count = 60;
  const dim = 3;
  const vectors = Float32Array.from({ length: count * dim }, (_, i) => Math.sin(i * 12.9898) * 4);
  const g = await DemoGraph.fromKnn({ vectors, count, dim, labels: null, layers: null }, 5, { kind: 'test' });
  const dist = (i, j) => Math.hypot(...[0, 1, 2].map((k) => vectors[i * dim + k] - vectors[j * dim + k]));
  for (let i = 0; i < count; i++) {
    const expected = [...Array(count).keys()].filter((j) => j !== i)
      .sort((a, b) => dist(i, a) - dist(i, b) || a - b).slice(0, 5);
    assert.deepEqual(g.neighbours(i), expected);
  }
  const dup = await DemoGraph.fromKnn({ vectors: Float32Array.from([1, 1, 1, 0]), count: 4, dim: 1 }, 3, {});
  assert.deepEqual(dup.neighbours(0), [1, 2, 3], 'equal distances keep index order');
});

test('hub is a node of the top layer with the most links', () => {
  const g = new DemoGraph({
    vectors: new Float32Array(3), dim: 1, indptr: Int32Array.from([0, 2, 3, 4]), indices: Int32Array.from([1, 2, 0, 0]),
    layers: Int32Array.from([0, 1, 1]), edgeLayers: new Int32Array(4), source: {},
  });
  assert.equal(g.hub(), 1);
});

test('statistics: entropy, top-k mass, means, median', () => {
  assert.ok(Math.abs(entropy([0.25, 0.25, 0.25, 0.25]) - Math.log(4)) < 1e-12);
  assert.equal(entropy([1, 0, 0]), 0);
  assert.ok(Math.abs(normalizedEntropy([0.5, 0.5]) - 1) < 1e-12);
  assert.ok(Math.abs(topKMass([0.1, 0.6, 0.3], 2) - 0.9) < 1e-12);
  assert.deepEqual(meanRows([[1, 0], [0, 1]]), [0.5, 0.5]);
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('colour scale: endpoints, clamping and a flat range', () => {
  assert.deepEqual(viridis(0), [68, 1, 84]);
  assert.deepEqual(viridis(1), [253, 231, 37]);
  assert.deepEqual(viridis(7), viridis(1));
  assert.deepEqual(viridis(Number.NaN), viridis(0));
  const s = makeScale(0, 0.5);
  assert.equal(s.t(0.25), 0.5);
  assert.equal(makeScale(1, 1).t(1), 0);
});
