"""Graph RoPE: rotary position embeddings driven by graph distance (Su et al. 2021,
RoFormer, https://arxiv.org/abs/2104.09864, with the position replaced by a hop /
shortest-path / latent distance as in spec FR-004.1).

    R(t) x: pairs (x_2i, x_2i+1) rotated by θ_i = t / base^(2i/D),  i < D/2
    score_j = <R(t_q) q, R(t_j) k_j> · s = <q, R(t_j - t_q) k_j> · s,  s = 1/sqrt(D)
    output  = softmax(score) · V

The query sits at distance t_q = 0 and each key at its graph distance, so scores
depend only on the relative distance. Scores are computed from that identity in
one pass over the keys (no rotated copy of K): <q, R(t) k> = <R(-t) q, k>, so the
kernel rotates the query once per distinct key distance (hop distances: a handful of
rotations, then an ordinary SIMD dot per key) and evaluates sin / cos in vector form
(angle reduced in double, float polynomial: ~1e-7 absolute).

Shapes: query (D,), keys (N, D), values (N, DV), distances (N,) -> (DV,); E edges.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from array import array
from typing import TYPE_CHECKING

from .. import _arrays, _kernel
from ..core.base import Attention, Complexity, Gradients, option, register
from ..errors import DimensionMismatchError, InvalidConfigError, OutOfBoundsError
from ..exports import exported
from ..metadata import GraphMetadata
from ..numerics import E_ARG, ROPE_MAX_DISTANCE, ROPE_SLOTS
from ..validation import key_value_pair, raise_for_status
from ._common import csr, kept_rows, per_item, run_csr, scatter, take_rows

if TYPE_CHECKING:
    from typing import Any

    from .._typing import Array, ArrayLike, IndexLike, MaskLike


@dataclasses.dataclass(frozen=True)
class GraphRoPEConfig:
    dim: int = option(128, int, low=2, doc="width D of queries and keys; must be even")
    base: float = option(10000.0, float, low=0.0, low_open=True,
                         doc="frequency base: θ_i = distance / base^(2i/D)")

    def __post_init__(self):
        if isinstance(self.dim, int) and not isinstance(self.dim, bool) and self.dim % 2:
            raise InvalidConfigError(f"GraphRoPEConfig.dim = {self.dim} must be even: RoPE "
                                     "rotates pairs of features", field="dim")

@register
class GraphRoPE(Attention):
    """Rotary position encoding of graph distance in scaled dot-product attention.

    Args:
        dim: even width D of queries and keys.
        base: frequency base (default 10000.0); θ_i = distance / base^(2i/D).

    Shapes: query (D,), keys (N, D), values (N, DV), metadata.distances (N,) -> (DV,).
    ``forward`` without metadata puts key j at distance j (sequence RoPE).

    Example:
        >>> import ruvector_attention as ra
        >>> rope = ra.GraphRoPE(4, base=100.0)
        >>> [round(x, 4) for x in rope.apply_rotation([1, 0, 1, 0], 1.0).tolist()]
        [0.5403, 0.8415, 0.995, 0.0998]
        >>> meta = ra.GraphMetadata(distances=[1.0, 2.0])
        >>> out = rope.forward_with_metadata([1, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]],
        ...                                  [[1, 2], [3, 4]], meta)
        >>> [round(x, 4) for x in out.tolist()]
        [1.6527, 2.6527]
    """

    Config = GraphRoPEConfig
    complexity = Complexity.LINEAR  # one query: O(N D)

    def __init__(self, dim: int, base: ArrayLike = 10000.0) -> None:
        super().__init__(GraphRoPEConfig(dim, base))
        d = self._config.dim
        self._inv_freq = array("d", [1.0 / self._config.base ** (2 * i / d) for i in range(d // 2)])
        self._scale = 1.0 / math.sqrt(d)

    def _freq(self):
        return self._inv_freq.buffer_info()[0]

    @exported(returns="vector")
    def apply_rotation(self, embedding: Any, distance: Any) -> Array:
        """Rotate ``embedding`` (D,) by ``distance`` (a number, fractional allowed), or
        rows (N, D) by distances (N,)."""
        d = self._config.dim
        x = _arrays.f32(embedding, "embedding")
        if len(x.shape) == 1:
            x = _arrays.vector(embedding, "embedding", d)
            pos = per_item([distance] if not hasattr(distance, "__len__") else distance, 1,
                           "distance")
            n, shape = 1, (d,)
        else:
            x = _arrays.matrix(embedding, "embedding", cols=d)
            n, shape = x.shape[0], (x.shape[0], d)
            pos = per_item(distance, n, "distance")
        out, optr = _arrays.output(shape, x.numpy)
        rc = _kernel.K.rope_rotate(x.ptr, pos.ptr, n, d, self._freq(), optr)
        _raise_for_distance(rc, pos, 0.0, "distance")
        raise_for_status(rc, (x, pos), "GraphRoPE.apply_rotation")
        return _arrays.result(out, shape)

    # -- single query -----------------------------------------------------------------
    def _run(self, query, keys, values, distances, mask, query_distance, want):
        d = self._config.dim
        q = _arrays.vector(query, "query", d)
        K, V = key_value_pair(keys, values, d)
        n, dv = V.shape
        if distances is None:
            pos = _arrays.f32(array("f", range(n)), "distances")
        else:
            pos = per_item(distances, n, "metadata.distances")
        rows = kept_rows(mask, n)
        if rows is not None:
            K, V, pos = take_rows(K, rows), take_rows(V, rows), take_rows(pos, rows)
        numpy = q.numpy or K.numpy or V.numpy
        out, optr = _arrays.output((dv,), numpy)
        if isinstance(query_distance, bool) or not isinstance(query_distance, numbers.Real):
            raise InvalidConfigError(f"query_distance must be a number, got {query_distance!r}",
                                     field="query_distance")
        qpos = float(query_distance)
        if not math.isfinite(qpos):
            raise InvalidConfigError(f"query_distance must be finite, got {query_distance!r}",
                                     field="query_distance")
        cache = ROPE_SLOTS * (d + 1)  # the kernel's rotated-query cache, then the weights
        scratch, sptr = _arrays.output((cache + max(K.shape[0], 1),), False)
        rc = _kernel.K.rope_attend(q.ptr, K.ptr, V.ptr, None, None, pos.ptr, 1, 0, K.shape[0], d,
                                   dv, self._freq(), qpos, self._scale, 0, 1, sptr, optr)
        _raise_for_distance(rc, pos, qpos, "metadata.distances")
        raise_for_status(rc, (q, K, V, pos), f"GraphRoPE.{want}")
        if want == "attention_weights":
            kept = rows if rows is not None else range(n)
            return scatter(scratch[cache:], list(kept), n, numpy)
        return _arrays.result(out, (dv,))

    @exported(returns="vector")
    def forward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, *, mask: MaskLike | None = None) -> Array:
        """Output (DV,) with key j at distance j (sequence RoPE); use
        ``forward_with_metadata`` for graph distances. A fully masked query gives zeros."""
        return self._run(query, keys, values, None, mask, 0.0, "forward")

    @exported(returns="vector")
    def forward_with_metadata(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike,
                              metadata: Any, *, mask: MaskLike | None = None,
                              query_distance: float = 0.0) -> Array:
        """Output (DV,) with key j at ``metadata.distances[j]`` and the query at
        ``query_distance`` (default 0). Missing distances -> InvalidConfigError."""
        return self._run(query, keys, values, _distances(metadata), mask, query_distance,
                         "forward_with_metadata")

    @exported(returns="vector")
    def attention_weights(self, query: ArrayLike, keys: ArrayLike, *, mask: MaskLike | None = None,
                          metadata: Any = None, query_distance: float = 0.0) -> Array:
        """Softmax weights (N,); distances from ``metadata`` (default: key j at j)."""
        K = _arrays.matrix(keys, "keys", cols=self._config.dim)
        dist = None if metadata is None else _distances(metadata)
        return self._run(query, K.owner, K.owner, dist, mask, query_distance, "attention_weights")

    # -- gradients --------------------------------------------------------------------
    @exported(returns="gradients")
    def backward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, grad_output: ArrayLike,
                 *, mask: MaskLike | None = None, metadata: Any = None, query_distance: float = 0.0) -> Gradients:
        """Gradients of <output, grad_output> w.r.t. query (D,), keys (N, D), values
        (N, DV); distances from ``metadata`` (default: key j at j). No parameters.

        score_j = s <q', k'_j> with q' = R(t_q) q, k'_j = R(t_j) k_j, so this is the
        scaled dot-product backward on the rotated inputs, rotated back by R(-t)
        (R is orthogonal: R(t)^T = R(-t)); masked keys get zero gradients."""
        d = self._config.dim
        q = _arrays.vector(query, "query", d)
        K, V = key_value_pair(keys, values, d)
        n, dv = V.shape
        g = _arrays.vector(grad_output, "grad_output", dv)
        if metadata is None:
            pos = _arrays.f32(array("f", range(n)), "distances")
        else:
            pos = per_item(_distances(metadata), n, "metadata.distances")
        if isinstance(query_distance, bool) or not isinstance(query_distance, numbers.Real):
            raise InvalidConfigError(f"query_distance must be a number, got {query_distance!r}",
                                     field="query_distance")
        qpos = float(query_distance)
        if not math.isfinite(qpos):
            raise InvalidConfigError(f"query_distance must be finite, got {query_distance!r}",
                                     field="query_distance")
        m = _arrays.mask_array(mask, n) if mask is not None else None
        numpy = q.numpy or K.numpy or V.numpy or g.numpy
        k = _kernel.K
        qp_buf, qp_ptr = _arrays.output((1,), False)
        qp_buf[0] = qpos
        _qr, qr = _arrays.output((d,), False)  # R(t_q) q
        _kr, kr = _arrays.output((n, d), False)  # R(t_j) k_j
        rc = k.rope_rotate(q.ptr, qp_ptr, 1, d, self._freq(), qr)
        _raise_for_distance(rc, _arrays.f32(qp_buf, "query_distance"), 0.0, "query_distance")
        if not rc:
            rc = k.rope_rotate(K.ptr, pos.ptr, n, d, self._freq(), kr)
            _raise_for_distance(rc, pos, 0.0, "metadata.distances")
        raise_for_status(rc, (q, K, pos), "GraphRoPE.backward")
        _gqr, gqr = _arrays.output((d,), False)
        _gkr, gkr = _arrays.output((n, d), False)
        gv, gvp = _arrays.output((n, dv), numpy)
        _work, work = _arrays.output((dv,), False)
        rc = k.attend_backward(qr, kr, V.ptr, m.ptr if m else None, n, d, dv, self._scale, 0.0,
                               0, g.ptr, gqr, gkr, gvp, work)
        raise_for_status(rc, (q, K, V, g), "GraphRoPE.backward")
        qp_buf[0] = -qpos
        back = array("f", [-p for p in _arrays.as_floats(pos)])
        gq, gqp = _arrays.output((d,), numpy)
        gk, gkp = _arrays.output((n, d), numpy)
        rc = k.rope_rotate(gqr, qp_ptr, 1, d, self._freq(), gqp) or \
            k.rope_rotate(gkr, back.buffer_info()[0] if n else 0, n, d, self._freq(), gkp)
        raise_for_status(rc, (g,), "GraphRoPE.backward")
        return Gradients(_arrays.result(gq, (d,)), _arrays.result(gk, (n, d)),
                         _arrays.result(gv, (n, dv)), {})

    # -- whole graph ------------------------------------------------------------------
    @exported(returns="matrix")
    def forward_graph(self, features: ArrayLike, indptr: IndexLike, indices: IndexLike, *,
                      values: ArrayLike | None = None, edge_features: ArrayLike | None = None,
                      metadata: Any = None) -> Array:
        """Every node attends to its CSR neighbours with per-edge distances
        ``metadata.distances`` (E,) (default: 1 for every edge, i.e. one hop).
        Row i equals ``forward_with_metadata(X[i], X[nbrs(i)], V[nbrs(i)], distances of
        row i's edges)``; an isolated node gives a zero row. -> (N, DV)."""
        self._no_edge_features(edge_features)
        d = self._config.dim
        X, V, ip, ix, largest = csr(features, indptr, indices, values, d)
        e = ix.shape[0]
        pos = per_item(_distances(metadata) if metadata is not None else [1.0] * e, e,
                       "metadata.distances")
        num_nodes, dv = V.shape
        out, optr = _arrays.output((num_nodes, dv), X.numpy or V.numpy)

        def call(begin, end, sptr):
            return _kernel.K.rope_attend(X.ptr, X.ptr, V.ptr, ip.ptr, ix.ptr, pos.ptr, num_nodes, e,
                                         num_nodes, d, dv, self._freq(), 0.0, self._scale, begin,
                                         end, sptr, optr)

        try:
            run_csr(X, V, ip, ix, largest + ROPE_SLOTS * (d + 1), call, "GraphRoPE.forward_graph")
        except DimensionMismatchError:  # E_ARG: the CSR offsets, or a distance out of range
            _raise_for_distance(E_ARG, pos, 0.0, "metadata.distances")
            raise
        return _arrays.result(out, (num_nodes, dv))

def _raise_for_distance(rc, pos, qpos, name):
    """A kernel E_ARG caused by a distance beyond ROPE_MAX_DISTANCE -> OutOfBoundsError
    naming the argument (checked only on failure: the fast path scans nothing)."""
    if rc != E_ARG:
        return
    for j, p in enumerate(_arrays.as_floats(pos)):
        if abs(p - qpos) > ROPE_MAX_DISTANCE:
            raise OutOfBoundsError(f"GraphRoPE: {name}[{j}] = {p!r} is {p - qpos!r} from the "
                                   f"query, beyond +-{ROPE_MAX_DISTANCE:g} (the rotation angle "
                                   "would lose all accuracy)", index=j)


def _distances(metadata):
    metadata = GraphMetadata.coerce(metadata)
    if metadata.distances is None:
        raise InvalidConfigError("GraphRoPE requires distance metadata (metadata.distances)",
                                 field="distances")
    return metadata.distances
