"""FlashAttention: exact softmax attention computed in key blocks (Dao et al. 2022,
https://arxiv.org/abs/2205.14135).

    for each key block B_t (``block_size`` keys):
        s = q . K_t^T * scale,  m' = max(m, max s)
        l = l * exp(m - m') + sum exp(s - m'),  acc = acc * exp(m - m') + exp(s - m') V_t
    output = acc / l          (= softmax(q K^T * scale) V exactly, up to f32 rounding)

Shapes: q (D,), K (N, D), V (N, DV) -> (DV,); Q (B, D) -> (B, DV); B queries,
N keys, D key width, DV value width, T = block_size. Extra memory: T floats of
scores (plus the output), independent of N; no N-sized weight vector is ever
formed (``attention_weights`` forms one because it returns it). ``forward_batch``
tiles queries x keys: ``FLASH_TILE_Q`` queries share each key block while it is in
cache, and a causal tile skips every block past its last query.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

from .. import _arrays, _kernel
from .._parallel import run_rows
from ..core.base import (
    Attention,
    Complexity,
    Gradients,
    direct_plan,
    option,
    register,
    scale_option,
    temperature_option,
)
from ..exports import exported
from ..numerics import FLOAT32_BYTES as F32
from ..validation import batch_inputs, key_value_pair, mask_size, raise_for_status, softmax_weights

if TYPE_CHECKING:
    from typing import Any

    from .._typing import Array, ArrayLike, MaskLike


@dataclasses.dataclass(frozen=True)
class FlashConfig:
    dim: int = option(128, int, low=1, doc="key / query width D")
    block_size: int = option(64, int, low=1, doc="keys per block T (extra memory O(T))")
    causal: bool = option(False, bool, doc="forward_batch: query i sees keys j <= i")
    temperature: float = temperature_option()
    scale: float = scale_option()


@register
class FlashAttention(Attention):
    """Exact attention by tiled online softmax (memory O(block_size), not O(N)).

    Args:
        dim: key / query width D.
        block_size: keys per block T >= 1 (default 64); any N works, divisible or not.
        causal: in ``forward_batch`` / ``backward_batch`` query i (its row) sees keys
            j <= i, as torch ``scaled_dot_product_attention(is_causal=True)`` (default
            False). A single ``forward`` query is the last position: it sees every key.
        temperature: T > 0; weights = softmax(q·k·s / T) (default 1.0).
        scale: s > 0; default 1/sqrt(dim).

    Shapes: query (D,), keys (N, D), values (N, DV) -> (DV,).

    Example:
        >>> import ruvector_attention as ra
        >>> attn = ra.FlashAttention(4, block_size=1)
        >>> out = attn.forward([1, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]], [[1, 2], [3, 4]])
        >>> [round(x, 4) for x in out.tolist()]
        [1.7551, 2.7551]
    """

    Config = FlashConfig
    complexity = Complexity.LINEAR  # one query: O(N D) time, O(T) extra memory

    def __init__(self, dim: int, block_size: int = 64, *, causal: bool = False,
                 temperature: float = 1.0, scale: float | None = None) -> None:
        super().__init__(FlashConfig(dim, block_size, causal, temperature, scale))
        c = self._config
        self._scale = (c.scale if c.scale is not None else 1.0 / math.sqrt(c.dim)) / c.temperature

    @exported(returns="number")
    @property
    def block_size(self) -> Any:
        return self._config.block_size

    def _run(self, Q, b, K, V, m, stride, out_ptr, causal, qpos0=0, lse_ptr=None):
        """One flash kernel call over rows [0, b) of Q; the scratch is one key block."""
        c = self._config
        block = max(1, min(c.block_size, K.shape[0]))  # one block holds every key: same result
        _scratch, sptr = _arrays.output((block,), False)
        return _kernel.K.flash_forward(Q, b, K.ptr, V.ptr, m.ptr if m else None, stride,
                                       K.shape[0], c.dim, V.shape[1], self._scale, block,
                                       int(causal), qpos0, sptr, out_ptr, lse_ptr)

    @exported(returns="vector")
    def forward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, *, mask: MaskLike | None = None) -> Array:
        """Attention output for one query (DV,); a fully masked query gives zeros."""
        q = _arrays.vector(query, "query", self._config.dim)
        K, V = key_value_pair(keys, values, self._config.dim)
        m = _arrays.mask_array(mask, K.shape[0]) if mask is not None else None
        out, optr = _arrays.output((V.shape[1],), q.numpy or K.numpy or V.numpy)
        rc = self._run(q.ptr, 1, K, V, m, 0, optr, False)
        raise_for_status(rc, (q, K, V), "FlashAttention.forward")
        return _arrays.result(out, (V.shape[1],))

    def _direct_plan(self):
        """How js/src/direct.ts may run ``forward`` by calling ``rv_flash_forward`` itself."""
        c = self._config
        return direct_plan(c.dim, None, None, "flash_forward",
                           ["query", 1, "keys", "values", "mask", 0, "n", c.dim, "dv", self._scale,
                            c.block_size, 0, 0, {"scratch": c.block_size}, "out", None])

    @exported(returns="vector")
    def attention_weights(self, query: ArrayLike, keys: ArrayLike, *, mask: MaskLike | None = None) -> Array:
        """Softmax weights (N,) (formed only because they are returned); masked keys get 0."""
        return softmax_weights(query, keys, mask, self._config.dim, self._scale,
                               "FlashAttention.attention_weights")

    def _batch_inputs(self, queries, keys, values, mask, grad_output=None):
        d = self._config.dim
        Q = _arrays.matrix(queries, "queries", cols=d)
        K, V = key_value_pair(keys, values, d)
        b, n = Q.shape[0], K.shape[0]
        m, stride = None, 0
        if mask is not None:  # (N,) shared, or (B, N): one row per query
            stride = n if mask_size(mask) == b * n and b != 1 else 0
            m = _arrays.mask_array(mask, b * n if stride else n)
        g = None
        if grad_output is not None:
            g = _arrays.matrix(grad_output, "grad_output", cols=V.shape[1], rows=b)
        return Q, K, V, m, stride, g

    @exported(returns="matrix", keys="sets", values="sets")
    def forward_batch(self, queries: ArrayLike, keys: ArrayLike, values: ArrayLike, *,
                      mask: MaskLike | None = None) -> Array:
        """Queries (B, D) over shared keys (N, D) / values (N, DV) -> (B, DV).
        mask: (N,) for every query or (B, N) per query (dense or ``SparseMask``);
        ``causal`` adds j <= i. Keys (B, N, D) / values (B, N, DV): each query over
        its own set (mask (B, N)), one flash pass per query."""
        if len(_arrays.f32(keys, "keys").shape) == 3:
            return self._per_query_sets(queries, keys, values, mask)
        Q, K, V, m, stride, _ = self._batch_inputs(queries, keys, values, mask)
        b, dv = Q.shape[0], V.shape[1]
        out, optr = _arrays.output((b, dv), Q.numpy or K.numpy or V.numpy)
        d, causal = self._config.dim, self._config.causal

        def call(begin, end):
            mp = None if m is None else _arrays.Tensor(m.ptr + begin * stride, None, m.owner,
                                                       False, "mask")
            return self._run(Q.ptr + begin * d * F32, end - begin, K, V, mp, stride,
                             optr + begin * dv * F32, causal, begin)

        raise_for_status(run_rows(b, call), (Q, K, V), "FlashAttention.forward_batch")
        return _arrays.result(out, (b, dv))

    def _per_query_sets(self, queries, keys, values, mask):
        Q, K, V, m, _ = batch_inputs(queries, keys, values, mask, self._config.dim)
        b, n, d, dv = Q.shape[0], K.shape[1], self._config.dim, V.shape[2]
        out, optr = _arrays.output((b, dv), Q.numpy or K.numpy or V.numpy)
        for i in range(b):
            Ki = _arrays.Tensor(K.ptr + i * n * d * F32, (n, d), K.owner, False, "keys")
            Vi = _arrays.Tensor(V.ptr + i * n * dv * F32, (n, dv), V.owner, False, "values")
            mi = None if m is None else _arrays.Tensor(m.ptr + i * n, (n,), m.owner, False, "mask")
            rc = self._run(Q.ptr + i * d * F32, 1, Ki, Vi, mi, 0, optr + i * dv * F32,
                           self._config.causal, i)
            raise_for_status(rc, (Q, K, V), "FlashAttention.forward_batch")
        return _arrays.result(out, (b, dv))

    def _backward(self, Q, K, V, m, stride, g, causal, what, qshape):
        c = self._config
        b, n, dv = Q.shape[0], K.shape[0], V.shape[1]
        numpy = Q.numpy or K.numpy or V.numpy or g.numpy
        gq, gqp = _arrays.output(qshape, numpy)
        gk, gkp = _arrays.output((n, c.dim), numpy)
        gv, gvp = _arrays.output((n, dv), numpy)
        block = max(1, min(c.block_size, n))
        _scratch, sptr = _arrays.output((block + dv,), False)
        rc = _kernel.K.flash_backward(Q.ptr, b, K.ptr, V.ptr, m.ptr if m else None, stride, n,
                                      c.dim, dv, self._scale, block, int(causal), 0,
                                      g.ptr, gqp, gkp, gvp, sptr)
        raise_for_status(rc, (Q, K, V, g), what)
        return gq, gk, gv

    @exported(returns="gradients")
    def backward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, grad_output: ArrayLike,
                 *, mask: MaskLike | None = None) -> Gradients:
        """Gradients of <output, grad_output> w.r.t. query (D,), keys (N, D), values
        (N, DV), recomputing each block's weights from the log-sum-exp (none stored).
        No parameters: ``params`` is empty."""
        q = _arrays.vector(query, "query", self._config.dim)
        K, V = key_value_pair(keys, values, self._config.dim)
        m = _arrays.mask_array(mask, K.shape[0]) if mask is not None else None
        g = _arrays.vector(grad_output, "grad_output", V.shape[1])
        Q = _arrays.reshape(q, (1, self._config.dim))
        G = _arrays.reshape(g, (1, V.shape[1]))
        gq, gk, gv = self._backward(Q, K, V, m, 0, G, False, "FlashAttention.backward",
                                    (self._config.dim,))
        n, d = K.shape[0], self._config.dim
        return Gradients(_arrays.result(gq, (d,)), _arrays.result(gk, (n, d)),
                         _arrays.result(gv, (n, V.shape[1])), {})

    def backward_batch(self, queries: ArrayLike, keys: ArrayLike, values: ArrayLike,
                       grad_output: ArrayLike, *, mask: MaskLike | None = None) -> Gradients:
        """Backward of ``forward_batch`` (causal when configured): gradients w.r.t.
        queries (B, D), keys (N, D), values (N, DV); ``grad_output`` (B, DV)."""
        Q, K, V, m, stride, g = self._batch_inputs(queries, keys, values, mask, grad_output)
        gq, gk, gv = self._backward(Q, K, V, m, stride, g, self._config.causal,
                                    "FlashAttention.backward_batch", Q.shape)
        b, n, d = Q.shape[0], K.shape[0], self._config.dim
        return Gradients(_arrays.result(gq, (b, d)), _arrays.result(gk, (n, d)),
                         _arrays.result(gv, (n, V.shape[1])), {})
