// The config defaults the page creates mechanisms with (controls.js), which
// make_fixture.py mirrors natively: dim from the data, catalogue defaults,
// heads that divide dim, MixedCurvatureAttention's two widths summing to dim.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { dataDimOverrides, defaultOptions, isDataDimField } from '../../web-demo/app/controls.js';

const MHA = {
  name: 'MultiHeadAttention',
  fields: [
    { name: 'dim', type: 'int', required: true, nullable: false, min: 1 },
    { name: 'numHeads', type: 'int', required: false, nullable: false, default: 4, min: 1, max: 16 },
    { name: 'valueDim', type: 'int', required: false, nullable: true, default: null },
    { name: 'bias', type: 'bool', required: false, nullable: false, default: true },
  ],
};

test('dim comes from the data, other fields from the catalogue', () => {
  assert.deepEqual(defaultOptions(MHA, 32), { dim: 32, numHeads: 4, valueDim: null, bias: true });
  assert.ok(isDataDimField(MHA.fields[0]));
  assert.ok(!isDataDimField(MHA.fields[1]));
});

test('heads that do not divide dim fall to the largest divisor below', () => {
  assert.equal(defaultOptions(MHA, 6).numHeads, 3);
  assert.equal(defaultOptions(MHA, 7).numHeads, 1);
  assert.equal(defaultOptions(MHA, 128).numHeads, 4);
});

test('required fields without a default take their lower bound; overrides win', () => {
  const info = { name: 'X', fields: [{ name: 'curvature', type: 'float', required: true, nullable: false, min: 0.5 },
    { name: 'mode', type: 'enum', required: true, nullable: false, choices: ['a', 'b'] }] };
  assert.deepEqual(defaultOptions(info, 8), { curvature: 0.5, mode: 'a' });
  assert.deepEqual(defaultOptions(info, 8, { mode: 'b' }), { curvature: 0.5, mode: 'b' });
});

const MIXED = { name: 'MixedCurvatureAttention', fields: [{ name: 'euclideanDim', type: 'int', default: 16, min: 1 },
  { name: 'hyperbolicDim', type: 'int', default: 16, min: 1 }, { name: 'curvature', type: 'float', default: -1 }] };

test('MixedCurvatureAttention takes its widths from the data, on any dim', () => {
  for (const [dim, a, b] of [[2, 1, 1], [7, 3, 4], [16, 8, 8], [32, 16, 16], [129, 64, 65]]) {
    const o = defaultOptions(MIXED, dim);
    assert.deepEqual([o.euclideanDim, o.hyperbolicDim], [a, b], `dim ${dim}`);
  }
  assert.deepEqual(dataDimOverrides(MIXED, { euclideanDim: 5 }, 16), { hyperbolicDim: 11 });
  assert.throws(() => dataDimOverrides(MIXED, { euclideanDim: 16 }, 16), /euclideanDim must be a whole number in 1\.\.15/);
  assert.throws(() => dataDimOverrides(MIXED, { euclideanDim: 0 }, 16), /in 1\.\.15/);
  assert.throws(() => dataDimOverrides(MIXED, { euclideanDim: 1 }, 1), /the data's dim 1 is too small/);
  assert.deepEqual(dataDimOverrides(MHA, { numHeads: 4 }, 24), { dim: 24 }, 'no split: the dim fields only');
});
