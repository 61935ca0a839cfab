// One mechanism on one query: the inputs it gets, its weights, scores and output.
//
// Inputs: the query node's vector and its neighbours' vectors as keys (and values);
// the curved mechanisms get them mapped into the Poincaré ball (data/ball.js); the
// graph-aware ones their GraphMetadata (data/metadata.js). Scores: softmax cannot tell
// scores s from s + c, so what the weights determine — and what is exported — is
// s_j − max_j s_j = ln w_j − max_j ln w_j per head (−∞, written null, for a weight of 0).

import { curvedSpace, toBall } from './data/ball.js';
import { metadataFor } from './data/metadata.js';

/** s_j − max s per row, from the weights (null where a weight is 0). */
export function relativeScores(weights) {
  return weights.map((row) => {
    const top = Math.log(Math.max(...row));
    return row.map((w) => (w > 0 ? Math.log(w) - top : null));
  });
}

/**
 * `rt` is the page's DemoRuntime, `info` the catalogue entry of `name`. Returns
 * { weights (H,n), timeMs, scores (H,n), output (dv) or outputError, metadata,
 *   inputs: { query, keys } as the mechanism got them, ball: { k (the curvature in use), from, scale } | null }.
 */
export async function evaluate(rt, { name, info, options, graph, node }) {
  const n = graph.neighbours(node).length;
  const mech = await rt.mechanism(name, options);
  const metadata = await metadataFor(rt, name, graph, node);
  let query = Float32Array.from(graph.vector(node));
  let keys = graph.keysOf(node);
  let space = curvedSpace(name, options, graph.dim);
  let ball = null;
  if (space) {
    // The curvature in use: the mechanism's own (a learned one, e.g. from loaded weights), not the option.
    if (typeof mech.curvature === 'number') space = { ...space, k: mech.curvature };
    const mapped = await toBall(rt.rt.geometric, space, graph, query, keys, n);
    ({ query, keys } = mapped);
    ball = { k: space.k, from: space.from, scale: mapped.scale };
  }
  const { weights, timeMs } = await rt.weights(mech, info, query, keys, n, metadata);
  let output = null, outputError;
  try {
    output = await rt.output(mech, info, query, keys, n, metadata);
  } catch (err) {
    outputError = `${err.code ?? 'ERROR'}: ${err.message}`;
  }
  return {
    weights, timeMs, scores: relativeScores(weights), output, ...(outputError ? { outputError } : {}),
    metadata: metadata ?? null, inputs: { query, keys }, ball, weightsFrom: rt.weightsOf(name, options),
  };
}
