"""Scaled dot-product attention (Vaswani et al. 2017, https://arxiv.org/abs/1706.03762).

    weights = softmax(q · K^T · s / T),  s = scale or 1/sqrt(D),  T = temperature
    output  = weights · V

Shapes: q (D,), K (N, D), V (N, DV) -> output (DV,); N keys, D key width,
DV value width, B queries. One fused kernel pass (online softmax): no N-sized
temporary unless the weights themselves are asked for.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

from .. import _arrays, _kernel
from .._parallel import run_rows
from ..exports import exported
from ..numerics import DROPOUT_SEED_SHIFT
from ..numerics import FLOAT32_BYTES as F32
from ..validation import (
    SHAPES_KEPT,
    batch_inputs,
    graph_inputs,
    known_query_inputs,
    mask_row,
    query_inputs,
    raise_for_graph_status,
    raise_for_status,
    softmax_weights,
)
from .base import (
    Attention,
    Complexity,
    Gradients,
    direct_plan,
    option,
    register,
    scale_option,
    seed_option,
    temperature_option,
)

if TYPE_CHECKING:
    from .._typing import Array, ArrayLike, IndexLike, MaskLike
_NO_DROPOUT = _kernel.bound_args("attend", 8, 0.0, 0)  # (p, seed) outside training


@dataclasses.dataclass(frozen=True)
class ScaledDotProductConfig:
    dim: int = option(128, int, low=1, doc="key / query width D")
    temperature: float = temperature_option()
    scale: float = scale_option()
    dropout: float = option(0.0, float, low=0.0, high=1.0, high_open=True,
                            doc="dropout on the weights, training mode only")
    seed: int = seed_option("seed of the dropout draws")



@register
class ScaledDotProductAttention(Attention):
    """Scaled dot-product attention over a set of keys.

    Args:
        dim: key / query width D.
        temperature: T > 0; weights = softmax(q·k·s / T) (default 1.0).
        scale: s > 0; default 1/sqrt(dim) (as torch ``scaled_dot_product_attention``).
        dropout: probability in [0, 1) of dropping a weight, in training mode only,
            seeded by ``seed`` and a per-call counter (default 0.0).
        seed: seed of the dropout draws (default 0).

    Shapes: query (D,), keys (N, D), values (N, DV) -> (DV,).

    Example:
        >>> import ruvector_attention as ra
        >>> attn = ra.ScaledDotProductAttention(4)
        >>> out = attn.forward([1, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]], [[1, 2], [3, 4]])
        >>> [round(x, 4) for x in out.tolist()]
        [1.7551, 2.7551]
    """

    Config = ScaledDotProductConfig
    complexity = Complexity.LINEAR  # one query: O(N D)

    def __init__(self, dim: int, *, temperature: float = 1.0, scale: float | None = None,
                 dropout: float = 0.0, seed: int = 0) -> None:
        super().__init__(ScaledDotProductConfig(dim, temperature, scale, dropout, seed))
        c = self._config
        self._scale = (c.scale if c.scale is not None else 1.0 / math.sqrt(c.dim)) / c.temperature
        self._calls = 0
        self._last_drop_seed = 0
        self._sizes = {}  # (n, dv) -> attend's size and scale arguments, see _bind_sizes

    def _bind_sizes(self, n, dv):
        """attend's (n, d, dv, scale) converted once for ctypes, kept per shape."""
        if len(self._sizes) >= SHAPES_KEPT:
            self._sizes.clear()
        sizes = self._sizes[(n, dv)] = _kernel.bound_args("attend", 4, n, self._config.dim, dv,
                                                          self._scale)
        return sizes

    # -- dropout --------------------------------------------------------------------
    def _dropout(self):
        """(p, kernel seed) for the next forward call; p = 0 outside training."""
        if not (self.training and self._config.dropout > 0):
            return 0.0, 0
        self._calls += 1
        seed = ((self._config.seed << DROPOUT_SEED_SHIFT) + self._calls) & (2**64 - 1)
        self._last_drop_seed = seed
        return self._config.dropout, seed

    # -- single query -----------------------------------------------------------------
    def _inputs(self, query, keys, values, mask):
        """(q, K, V, m, bias): ``query_inputs`` without the mask, then the mask by dtype
        (boolean / 0-1 bytes, or a float bias added to the scores)."""
        q, K, V, _ = query_inputs(query, keys, values, None, self._config.dim)
        m, bias = _arrays.mask_and_bias(mask, K.shape[0]) if mask is not None else (None, None)
        return q, K, V, m, bias

    @exported(returns="vector")
    def forward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, *, mask: MaskLike | None = None) -> Array:
        """Attention output for one query. ``mask`` (N,) as torch SDPA's ``attn_mask``:
        boolean / 0-1 keeps the True keys, float is added to the scores (0 keeps, -inf
        removes). A fully masked query gives zeros."""
        d = self._config.dim
        known = known_query_inputs(query, keys, values, mask, d)
        if known is not None:  # plain float32 arrays of shapes validated before, no mask
            qp, kp, vp, n, dv = known
            out, optr = _arrays.output((dv,), True)
            cn, cd, cdv, cscale = self._sizes.get((n, dv)) or self._bind_sizes(n, dv)
            p, seed = self._dropout() if self.training else _NO_DROPOUT
            rc = _kernel.K.attend(qp, kp, vp, None, cn, cd, cdv, cscale, p, seed, optr, None)
        else:
            q, K, V, m, bias = self._inputs(query, keys, values, mask)
            n, dv = V.shape
            out, optr = _arrays.output((dv,), q.numpy or K.numpy or V.numpy)
            p, seed = self._dropout() if self.training else (0.0, 0)
            rc = _kernel.K.attend_bias(q.ptr, K.ptr, V.ptr, m.ptr if m else None,
                                       bias.ptr if bias else None, n, d, dv, self._scale, p, seed,
                                       optr, None)
        if rc:  # the validated tensors name the offending input
            raise_for_status(rc, self._inputs(query, keys, values, mask)[:3],
                             "ScaledDotProductAttention.forward")
        return _arrays.result(out, (dv,))

    def _direct_plan(self):
        """How js/src/direct.ts may run ``forward`` by calling the kernel itself, or None
        while a call needs Python (dropout in training mode)."""
        if self.training and self._config.dropout > 0:
            return None
        d = self._config.dim
        return direct_plan(d, None, None, "attend", ["query", "keys", "values", "mask", "n", d,
                                                     "dv", self._scale, 0.0, 0, "out", None])

    @exported(returns="vector")
    def attention_weights(self, query: ArrayLike, keys: ArrayLike, *, mask: MaskLike | None = None) -> Array:
        """Softmax weights (N,) before dropout (``mask`` as ``forward``); masked keys get 0."""
        return softmax_weights(query, keys, mask, self._config.dim, self._scale,
                               "ScaledDotProductAttention.attention_weights", additive=True)

    # -- many queries -----------------------------------------------------------------
    @exported(returns="matrix", keys="sets", values="sets")
    def forward_batch(self, queries: ArrayLike, keys: ArrayLike, values: ArrayLike, *,
                      mask: MaskLike | None = None) -> Array:
        """Queries (B, D) over shared keys (N, D) / values (N, DV), or each query over
        its own set: keys (B, N, D), values (B, N, DV). mask: (N,) or (B, N), as
        ``forward``'s. -> (B, DV)."""
        d = self._config.dim
        Q, K, V, m, own, bias = batch_inputs(queries, keys, values, mask, d, bias=True)
        b, n, dv = Q.shape[0], K.shape[-2], V.shape[-1]
        out, optr = _arrays.output((b, dv), Q.numpy or K.numpy or V.numpy)
        if self.training and self._config.dropout > 0:
            for i in range(b):
                o = self.forward(_arrays.row(Q, i), _arrays.slab(K, i) if own else K.owner,
                                 _arrays.slab(V, i) if own else V.owner,
                                 mask=None if m is None else mask_row(m, bias, i, n, own))
                _kernel.copy_bytes(optr + i * dv * F32, _arrays.f32(o, "row").ptr, dv * F32)
            return _arrays.result(out, (b, dv))

        def call(begin, end):
            qp, op = Q.ptr + begin * d * F32, optr + begin * dv * F32
            if bias is not None:  # an additive mask: one query at a time
                for i in range(begin, end):
                    row = i * n if own else 0
                    rc = _kernel.K.attend_bias(
                        Q.ptr + i * d * F32, K.ptr + (row * d * F32 if own else 0),
                        V.ptr + (row * dv * F32 if own else 0), m.ptr + row, bias.ptr + row * F32,
                        n, d, dv, self._scale, 0.0, 0, optr + i * dv * F32, None)
                    if rc:
                        return rc
                return 0
            if own:
                return _kernel.K.attend_batch(
                    qp, K.ptr + begin * n * d * F32, V.ptr + begin * n * dv * F32,
                    (m.ptr + begin * n) if m else None, end - begin, n, d, dv, self._scale, op)
            return _kernel.K.attend_multi(qp, end - begin, K.ptr, V.ptr, m.ptr if m else None, n,
                                          d, dv, self._scale, op, None)

        raise_for_status(run_rows(b, call), (Q, K, V), "ScaledDotProductAttention.forward_batch")
        return _arrays.result(out, (b, dv))

    @exported(returns="matrix")
    def forward_graph(self, features: ArrayLike, indptr: IndexLike, indices: IndexLike, *,
                      values: ArrayLike | None = None, edge_features: ArrayLike | None = None) -> Array:
        """Every node attends to its CSR neighbours in one kernel call:
        out[i] = forward(X[i], X[nbrs(i)], V[nbrs(i)]), nbrs(i) = indices[indptr[i]:indptr[i+1]].
        Shapes: features (N, D), values (N, DV) (default: features) -> (N, DV);
        an isolated node gives a zero row."""
        self._no_edge_features(edge_features)
        X, V, ip, ix = graph_inputs(features, indptr, indices, values, self._config.dim)
        num_nodes, dv = V.shape
        out, optr = _arrays.output((num_nodes, dv), X.numpy or V.numpy)

        def call(begin, end):
            return _kernel.K.attend_csr(X.ptr, X.ptr, V.ptr, ip.ptr, ix.ptr, num_nodes,
                                        ix.shape[0], num_nodes, self._config.dim, dv,
                                        self._scale, begin, end, optr, None)

        raise_for_graph_status(run_rows(num_nodes, call), X, V, ip, ix,
                               "ScaledDotProductAttention.forward_graph")
        return _arrays.result(out, (num_nodes, dv))

    # -- gradients --------------------------------------------------------------------
    @exported(returns="gradients")
    def backward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, grad_output: ArrayLike,
                 *, mask: MaskLike | None = None) -> Gradients:
        """Gradients of <output, grad_output> w.r.t. query (D,), keys (N, D), values
        (N, DV). In training mode with dropout it differentiates the most recent
        ``forward`` (same dropout draw). No parameters: ``params`` is empty."""
        q, K, V, m, bias = self._inputs(query, keys, values, mask)
        n, dv = V.shape
        g = _arrays.vector(grad_output, "grad_output", dv)
        numpy = q.numpy or K.numpy or V.numpy or g.numpy
        gq, gqp = _arrays.output((self._config.dim,), numpy)
        gk, gkp = _arrays.output((n, self._config.dim), numpy)
        gv, gvp = _arrays.output((n, dv), numpy)
        _, work = _arrays.output((dv,), False)
        p = self._config.dropout if self.training else 0.0
        rc = _kernel.K.attend_backward_bias(q.ptr, K.ptr, V.ptr, m.ptr if m else None,
                                            bias.ptr if bias else None, n, self._config.dim, dv,
                                            self._scale, p, self._last_drop_seed if p else 0,
                                            g.ptr, gqp, gkp, gvp, work)
        raise_for_status(rc, (q, K, V, g), "ScaledDotProductAttention.backward")
        return Gradients(_arrays.result(gq, (self._config.dim,)),
                         _arrays.result(gk, (n, self._config.dim)), _arrays.result(gv, (n, dv)),
                         {})
