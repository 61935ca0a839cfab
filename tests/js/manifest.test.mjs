// The export manifest is all it takes: a mechanism and a stateful object defined in
// Python at run time (inside the runtime, through ruvector_attention.exports) are
// callable from JS by name — constructor options validated, methods, properties, typed
// results and typed errors — on the main thread and in the worker, with no change to
// the TypeScript runtime. docs/architecture.md ("Adding a mechanism") follows these steps.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertClose, expectAttentionError, expectRejection, lib } from './helpers.mjs';

const INTERNALS = Symbol.for('ruvector-attention.internals');

// Step 1 of "Adding a mechanism": the Python module (here run inside the runtime).
const PYTHON = `
import dataclasses
from array import array
from ruvector_attention import exports
from ruvector_attention.core.base import Attention, option
from ruvector_attention.errors import DimensionMismatchError, InvalidConfigError


@dataclasses.dataclass(frozen=True)
class GainMeanConfig:
    dim: int = option(4, int, low=1, doc="width of queries and keys")
    gain: float = option(1.0, float, low=0.0, low_open=True, doc="output scale")


@exports.register
class GainMeanAttention(Attention):
    """Uniform weights over the kept keys, times a gain: out = gain * mean_j v_j."""

    Config = GainMeanConfig

    def __init__(self, dim, *, gain=1.0):
        super().__init__(GainMeanConfig(dim=dim, gain=gain))

    def _kept(self, query, keys, mask):
        if len(query) != self._config.dim:
            raise DimensionMismatchError(f"query has {len(query)} values, expected dim = {self._config.dim}")
        n = len(keys)
        keep = [bool(b) for b in (mask.tolist() if mask is not None else [1] * n)]
        if len(keep) != n:
            raise DimensionMismatchError(f"mask has {len(keep)} entries for {n} keys")
        return keep

    @exports.exported(returns="vector")
    def attention_weights(self, query, keys, *, mask=None):
        keep = self._kept(query, keys, mask)
        live = sum(keep)
        return memoryview(array("f", [(1.0 / live if k else 0.0) for k in keep]))

    @exports.exported(returns="vector")
    def forward(self, query, keys, values, *, mask=None):
        w = self.attention_weights(query, keys, mask=mask).tolist()
        rows = values.tolist()
        g = self._config.gain
        return memoryview(array("f", [g * sum(w[j] * rows[j][c] for j in range(len(rows)))
                                      for c in range(len(rows[0]))]))

    @exports.exported(returns="matrix")
    def pairwise(self, keys):
        rows = keys.tolist()
        flat = array("f", [sum(a * b for a, b in zip(x, y)) for x in rows for y in rows])
        return memoryview(flat).cast("B").cast("f", (len(rows), len(rows)))

    @exports.exported(returns="number")
    @property
    def gain(self):
        return self._config.gain


@exports.stateful
class RunningMean:
    """Running mean of the vectors it was given."""

    @exports.exported(dim="int")
    def __init__(self, dim):
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise InvalidConfigError(f"RunningMean.dim must be an int >= 1, got {dim!r}", field="dim")
        self.dim, self._sum, self._count = dim, [0.0] * dim, 0

    @exports.exported(returns="vector", mutates=True, x="vector")
    def update(self, x):
        if len(x) != self.dim:
            raise DimensionMismatchError(f"x has {len(x)} values, expected {self.dim}")
        self._sum = [s + v for s, v in zip(self._sum, x.tolist())]
        self._count += 1
        return self.mean()

    @exports.exported(returns="vector")
    def mean(self):
        return memoryview(array("f", [s / max(self._count, 1) for s in self._sum]))

    @exports.exported(returns="number")
    @property
    def count(self):
        return self._count

    @exports.exported(returns="json")
    def summary(self):
        return {"count": self._count, "dim": self.dim}

    @exports.exported(returns="handle")
    def copy(self):
        twin = RunningMean(self.dim)
        twin._sum, twin._count = list(self._sum), self._count
        return twin

    @exports.exported(returns="vector", other="object")
    def difference(self, other):
        return memoryview(array("f", [a - b for a, b in zip(self.mean().tolist(), other.mean().tolist())]))
`;

const keys = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
const values = [[1, 2], [3, 4], [5, 7]];

/** The same checks against either runtime (`sync` false: every call is awaited). */
function suite(name, boot) {
  describe(name, () => {
    let rt;
    before(async () => {
      rt = await boot();
      await rt[INTERNALS].runPython(PYTHON);
    });

    test('the catalogue lists the new mechanism and object with their declarations', async () => {
      const cat = await rt.catalog();
      const mech = cat.mechanisms.find(m => m.name === 'GainMeanAttention');
      assert.ok(mech, 'GainMeanAttention is not in the catalogue');
      assert.deepEqual(mech.fields.map(f => [f.name, f.type, f.required]), [['dim', 'int', true], ['gain', 'float', false]]);
      for (const m of ['forward', 'attentionWeights', 'pairwise', 'config', 'stateDict']) assert.ok(mech.methods.includes(m), m);
      assert.deepEqual(mech.properties.map(p => p.name).sort(), ['gain', 'training']);
      const obj = cat.objects.find(o => o.name === 'RunningMean');
      assert.deepEqual(obj.methods, ['update', 'mean', 'summary', 'copy', 'difference']);
      assert.equal(obj.signatures.find(s => s.name === 'update').mutates, true);
      assert.ok((await rt.mechanisms()).some(m => m.name === 'GainMeanAttention'));
    });

    test('constructor options are validated (unknown names suggest the camelCase option)', async () => {
      const m = await rt.create('GainMeanAttention', { dim: 3, gain: 2 });
      assert.deepEqual(await m.config(), { dim: 3, gain: 2 });
      assert.equal(m.gain, 2);
      await expectRejection(rt.create('GainMeanAttention', { dim: 3, gian: 2 }), 'INVALID_CONFIG', ["'gian'", "did you mean 'gain'"]);
      await expectRejection(rt.create('GainMeanAttention', { gain: 2 }), 'INVALID_CONFIG', ['dim']);
      await expectRejection(rt.create('GainMeanAttention', { dim: 0 }), 'INVALID_CONFIG', ['dim']);
      await expectRejection(rt.create('GainMeanAttention', { dim: 3, gain: 'x' }), 'INVALID_CONFIG', ['gain']);
      await expectRejection(rt.create('GainMeanAtention', { dim: 3 }), 'UNSUPPORTED', ["did you mean 'GainMeanAttention'"]);
      await m.dispose();
    });

    test('methods: typed results (vector, matrix), masks, typed errors', async () => {
      const m = await rt.create('GainMeanAttention', { dim: 3, gain: 2 });
      const out = await m.forward([1, 0, 0], keys, values);
      assert.ok(out instanceof Float32Array);
      assertClose(out, [2 * 3, 2 * 13 / 3], 1e-6, 'forward');
      assertClose(await m.forward([1, 0, 0], keys, values, { mask: [true, false, true] }), [2 * 3, 2 * 4.5], 1e-6, 'masked');
      assertClose(await m.attentionWeights([1, 0, 0], keys, { mask: Uint8Array.from([0, 1, 1]) }), [0, 0.5, 0.5], 1e-7, 'weights');
      // the same call shape again with other values: Python reuses its views of the slots, never the old values
      assertClose(await m.attentionWeights([1, 0, 0], keys, { mask: Uint8Array.from([1, 1, 0]) }), [0.5, 0.5, 0], 1e-7, 'weights again');
      const pw = await m.pairwise(keys);
      assert.deepEqual([pw.rows, pw.cols, Array.from(pw.data)], [3, 3, [1, 0, 0, 0, 1, 0, 0, 0, 1]]);
      await expectRejection(Promise.resolve().then(() => m.forward([1, 0], keys, values)), 'DIMENSION_MISMATCH', ['query', 'dim = 3']);
      await expectRejection(Promise.resolve().then(() => m.forward([1, 0, 0], keys, values, { mask: [1, 0] })), 'DIMENSION_MISMATCH', ['mask']);
      await expectRejection(Promise.resolve().then(() => m.forward([1, 0, 0], keys, values, { maks: [1, 0, 1] })), 'INVALID_CONFIG', ["did you mean 'mask'"]);
      await expectRejection(Promise.resolve().then(() => m.forward('abc', keys, values)), 'UNSUPPORTED', ['query']);
      await m.dispose();
      await expectRejection(Promise.resolve().then(() => m.forward([1, 0, 0], keys, values)), 'DISPOSED');
    });

    test('a stateful object: mutating methods refresh properties, JSON and handle results, objects as arguments', async () => {
      await expectRejection(rt.create('RunningMean', {}), 'INVALID_CONFIG', ['dim']);
      await expectRejection(rt.create('RunningMean', { dim: -1 }), 'INVALID_CONFIG', ['dim']);
      const a = await rt.create('RunningMean', { dim: 2 });
      assert.equal(a.count, 0);
      assertClose(await a.update(new Float32Array([2, 4])), [2, 4], 0, 'first mean');
      assertClose(await a.update([4, 8]), [3, 6], 0, 'second mean');
      assert.equal(a.count, 2);
      assert.deepEqual(await a.summary(), { count: 2, dim: 2 });
      const b = await a.copy();
      assert.equal(b.name, 'RunningMean');
      assert.equal(b.count, 2);
      await b.update([0, 0]);
      assert.deepEqual([a.count, b.count], [2, 3]);
      assertClose(await a.difference(b), [1, 2], 1e-6, 'a - b');
      await expectRejection(Promise.resolve().then(() => a.update([1, 2, 3])), 'DIMENSION_MISMATCH', ['x has 3 values']);
      await expectRejection(Promise.resolve().then(() => a.difference({})), 'UNSUPPORTED', ['other']);
      await b.dispose();
      await expectRejection(Promise.resolve().then(() => a.difference(b)), 'DISPOSED');
      await a.dispose();
    });
  });
}

suite('main thread', () => lib.init());
suite('worker', () => lib.init({ worker: true }));

after(async () => {
  const wrt = await lib.init({ worker: true });
  await wrt.terminate();
});

test('a method Python does not export is not there', async () => {
  const rt = await lib.init();
  const m = new rt.ScaledDotProductAttention({ dim: 4 });
  assert.equal(m.save, undefined);
  assert.equal(m.parameterNames, undefined);
  expectAttentionError(() => new rt.ScaledDotProductAttention({ dim: 4, numHeds: 2 }), 'INVALID_CONFIG', ["'numHeds'"]);
  expectAttentionError(() => new rt.MultiHeadAttention({ dim: 8, numHeds: 2 }), 'INVALID_CONFIG', ["did you mean 'numHeads'"]);
  m.dispose();
});
