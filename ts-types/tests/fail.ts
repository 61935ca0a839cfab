// Must NOT type-check. Every line marked `// ERROR` has to produce a compile
// error and no other line may (tests/js/types.test.mjs checks both), so the
// file fails for the reasons below and not by accident.
import { init, type Runtime, type AsyncRuntime } from '../index.js';
import * as compat from '../compat.js';

export async function misuse(rt: Runtime, art: AsyncRuntime): Promise<void> {
  new rt.ScaledDotProductAttention({});                          // ERROR dim is required
  new rt.ScaledDotProductAttention({ dim: '128' });              // ERROR dim is a number
  new rt.MultiHeadAttention({ dim: 128 });                       // ERROR numHeads is required
  new rt.MultiHeadAttention({ dim: 128, numHeads: 4, heads: 4 }); // ERROR unknown option
  const sdpa = new rt.ScaledDotProductAttention({ dim: 4 });
  sdpa.forward('query', [[1]], [[1]]);                           // ERROR query must be numeric
  sdpa.forward([1], new Float32Array(4), [[1]]);                 // ERROR a flat array needs a row count
  sdpa.forward([1], [[1]]);                                      // ERROR values are required
  const out: string = sdpa.forward([1], [[1]], [[1]]);           // ERROR returns Float32Array
  sdpa.headAttentionWeights([1], [[1]]);                         // ERROR only multi-head has heads
  const dim: string = sdpa.config().dim;                         // ERROR config().dim is a number
  const sync: Float32Array = await art.create('ScaledDotProductAttention', { dim: 4 }).then(m => m.forward([1], [[1]], [[1]]));
  const notAwaited: Float32Array = (await art.create('ScaledDotProductAttention', { dim: 4 })).forward([1], [[1]], [[1]]); // ERROR worker methods return Promises
  const mode: 'worker' = rt.mode;                                // ERROR the main runtime's mode is 'main'
  const r: Runtime = await init({ worker: true });               // ERROR worker: true gives an AsyncRuntime
  new compat.DotProductAttention();                              // ERROR dim is required
  new compat.MultiHeadAttention(8);                              // ERROR numHeads is required
  new compat.GraphRoPeAttention({ dim: 4 });                     // ERROR maxPosition is required
  const rope = await rt.create('GraphRoPE', { dim: 4 });
  rope.applyRotation([1, 0, 0, 0]);                              // ERROR distance is required
  rope.forwardWithMetadata([1, 0, 0, 0], [[1, 0, 0, 0]], [[1]], { distance: [1] }); // ERROR unknown metadata field
  await rt.create('MultiHeadAtention', { dim: 8, numHeads: 2 });      // ERROR no such mechanism (a typo)
  await rt.create('MultiHeadAttention', { dim: 8, numHeds: 4 });      // ERROR unknown option (a typo)
  await art.create('FlashAtention', { dim: 8 });                       // ERROR no such mechanism in the worker either
  const flash = await rt.create('FlashAttention', { dim: 8 });
  flash.forwardGraph([[1]], [0, 1], [0]);                              // ERROR flash attention has no forward_graph
  void [out, dim, sync, notAwaited, mode, r];
}
