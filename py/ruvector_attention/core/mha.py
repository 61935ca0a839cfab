"""Multi-head attention (Vaswani et al. 2017, https://arxiv.org/abs/1706.03762), with
``torch.nn.MultiheadAttention`` semantics and parameter names.

    q' = Wq q + bq;  a_h = softmax((Wk K^T + bk)_h^T q'_h / sqrt(D/H))
    o_h = Wv_h (a_h V) + bv_h;  out = Wo [o_1 ... o_H] + bo

Single query without projecting the keys (DESIGN §8): score_h(j) = k_j · u_h with
u_h = Wk_h^T q'_h (bk adds the same constant to every score of a head, so it
cancels in the softmax), and a_h V is summed before Wv — O(H N D + D^2), not O(N D^2).

Shapes: query (D,), keys (N, D), values (N, DV) -> (D,); H heads, head width D/H.
Parameters (torch names): in_proj_weight (3D, D) when DV == D, else q_proj_weight
(D, D), k_proj_weight (D, D), v_proj_weight (D, DV); in_proj_bias (3D,);
out_proj.weight (D, D); out_proj.bias (D,).
"""

from __future__ import annotations

import dataclasses
import math
import random
from typing import TYPE_CHECKING

from .. import _arrays, _kernel
from .._masks import combine
from .._parallel import run_rows
from ..errors import DimensionMismatchError, InvalidConfigError, OutOfBoundsError
from ..exports import exported
from ..numerics import FLOAT32_BYTES as F32
from ..numerics import MAX_HEADS
from ..validation import batch_inputs, graph_inputs, key_value_pair, raise_for_graph_status, raise_for_status
from .base import Attention, Complexity, direct_plan, option, register, seed_option
from .mha_backward import mha_backward

if TYPE_CHECKING:
    from .._typing import Array, ArrayLike, IndexLike, MaskLike
    from .base import Gradients


@dataclasses.dataclass(frozen=True)
class MultiHeadConfig:
    dim: int = option(128, int, low=1, doc="embedding width D (query, key and output)")
    num_heads: int = option(4, int, low=1, high=MAX_HEADS, doc="heads H; must divide dim")
    value_dim: int = option(None, int, low=1, optional=True, doc="value width DV; default dim")
    bias: bool = option(True, bool, doc="learn in_proj_bias and out_proj.bias")
    seed: int = seed_option("seed of the weight initialisation")

    def __post_init__(self):
        if isinstance(self.dim, int) and isinstance(self.num_heads, int) and self.num_heads > 0 \
                and self.dim % self.num_heads:
            raise InvalidConfigError(f"MultiHeadConfig.num_heads = {self.num_heads} does not "
                                     f"divide dim = {self.dim}", field="num_heads")


@register
class MultiHeadAttention(Attention):
    """Multi-head attention for one query over N keys (torch ``nn.MultiheadAttention``).

    Args:
        dim: embedding width D.
        num_heads: H in 1..16, dividing ``dim``.
        value_dim: width DV of the values (torch ``vdim``); default ``dim``.
        bias: learn the input and output biases (default True).
        seed: seed of the initialisation (xavier-uniform in-projection, uniform
            out-projection as torch ``nn.Linear``, zero biases — torch's scheme).

    Shapes: query (D,), keys (N, D), values (N, DV) -> (D,).
    ``attention_weights`` is the mean over heads (torch's default);
    ``head_attention_weights`` is (H, N).

    Example:
        >>> import ruvector_attention as ra
        >>> mha = ra.MultiHeadAttention(8, 2, seed=1)
        >>> len(mha.forward([0.1] * 8, [[0.2] * 8, [0.3] * 8], [[1.0] * 8, [2.0] * 8]))
        8
    """

    Config = MultiHeadConfig
    complexity = Complexity.LINEAR  # one query: O(H N D + D^2)

    def __init__(self, dim: int, num_heads: int, *, value_dim: int | None = None, bias: bool = True,
                 seed: int = 0) -> None:
        super().__init__(MultiHeadConfig(dim, num_heads, value_dim, bias, seed))
        d, dv = dim, self.value_dim
        self._reserve_parameters((3 * d * d if dv == d else 2 * d * d + d * dv) + d * d + 4 * d)
        rng = random.Random(seed)

        def uniform(bound, count):  # a generator: no Python list of count floats
            return (rng.uniform(-bound, bound) for _ in range(count))

        if dv == d:
            self._add_param("in_proj_weight", (3 * d, d), uniform(math.sqrt(6 / (4 * d)), 3 * d * d))
        else:  # torch keeps separate projections when kdim / vdim differ
            self._add_param("q_proj_weight", (d, d), uniform(math.sqrt(6 / (2 * d)), d * d))
            self._add_param("k_proj_weight", (d, d), uniform(math.sqrt(6 / (2 * d)), d * d))
            self._add_param("v_proj_weight", (d, dv), uniform(math.sqrt(6 / (d + dv)), d * dv))
        if bias:
            self._add_param("in_proj_bias", (3 * d,), [0.0] * (3 * d))
        self._add_param("out_proj.weight", (d, d), uniform(1 / math.sqrt(d), d * d))
        if bias:
            self._add_param("out_proj.bias", (d,), [0.0] * d)

    @property
    def num_heads(self) -> int:
        return self._config.num_heads

    @property
    def head_dim(self) -> int:
        return self._config.dim // self._config.num_heads

    @property
    def value_dim(self) -> int:
        return self._config.value_dim or self._config.dim

    # -- parameter addresses ----------------------------------------------------------
    def _weights(self):
        """(Wq, bq, Wk, Wv, bv, Wo, bo) addresses for the kernel; 0 = absent bias."""
        d = self._config.dim
        if "in_proj_weight" in self._params:
            wq, wk, wv = (self._ptr("in_proj_weight", i * d * d) for i in range(3))
        else:
            wq, wk, wv = (self._ptr(n) for n in ("q_proj_weight", "k_proj_weight", "v_proj_weight"))
        bq, bv = self._ptr("in_proj_bias"), self._ptr("in_proj_bias", 2 * d)
        return wq, bq or None, wk, wv, bv or None, self._ptr("out_proj.weight"), \
            self._ptr("out_proj.bias") or None

    def _scratch_size(self):
        d, h = self._config.dim, self._config.num_heads
        return 2 * d + h * d + h * self.value_dim  # q', U (H,D), S (H,DV), head outputs

    # -- forward ----------------------------------------------------------------------
    def _run(self, query, keys, values, mask, want_weights, key_padding_mask=None):
        d, h = self._config.dim, self._config.num_heads
        q = _arrays.vector(query, "query", d)
        K, V = key_value_pair(keys, values, d)
        self._check_value_width(V)
        n = K.shape[0]
        m, bias = _masks(mask, key_padding_mask, n)
        numpy = q.numpy or K.numpy or V.numpy
        out, optr = _arrays.output((d,), numpy)
        scratch, sptr = _arrays.output((self._scratch_size(),), False)
        weights, wptr = _arrays.output((h, n), numpy) if want_weights else (None, None)
        rc = _kernel.K.mha_forward(q.ptr, K.ptr, V.ptr, None, None, m.ptr if m else None,
                                   bias.ptr if bias else None, 1, 0, n, d, self.value_dim, h,
                                   *self._weights(), 0, 1, sptr, optr, wptr)
        raise_for_status(rc, (q, K, V), "MultiHeadAttention.forward")
        return (q, K, V, m, bias, numpy), (out, scratch, weights)

    def _direct_plan(self):
        """How js/src/direct.ts may run ``forward`` by calling the kernel itself (the
        parameter addresses change with load_state_dict, which JS knows to ask again after)."""
        d, h = self._config.dim, self._config.num_heads
        return direct_plan(d, self.value_dim, d, "mha_forward",
                           ["query", "keys", "values", None, None, "mask", None, 1, 0, "n", d,
                            self.value_dim, h, *self._weights(), 0, 1,
                            {"scratch": self._scratch_size()}, "out", None])

    @exported(returns="vector")
    def forward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, *,
                mask: MaskLike | None = None, key_padding_mask: MaskLike | None = None) -> Array:
        """Output (D,) for one query. ``mask`` (N,) is torch's ``attn_mask``: boolean /
        0-1 keeps the True keys, float is added to every head's scores (0 keeps, -inf
        removes); ``key_padding_mask`` (N,) is ``nn.MultiheadAttention``'s: True (or 1)
        ignores the key, float is added. A fully masked query gives zeros."""
        _, (out, _, _) = self._run(query, keys, values, mask, False, key_padding_mask)
        return _arrays.result(out, (self._config.dim,))

    @exported(returns="matrix")
    def head_attention_weights(self, query: ArrayLike, keys: ArrayLike, *,
                               mask: MaskLike | None = None,
                               key_padding_mask: MaskLike | None = None) -> Array:
        """Softmax weights of every head, (H, N) (masks as ``forward``)."""
        n = _arrays.matrix(keys, "keys", cols=self._config.dim).shape[0]
        # values only feed the output, which is discarded: reuse the keys when widths agree
        values = keys if self.value_dim == self._config.dim else _zeros(n, self.value_dim)
        _, (_, _, w) = self._run(query, keys, values, mask, True, key_padding_mask)
        return _arrays.result(w, (self._config.num_heads, n))

    @exported(returns="vector")
    def attention_weights(self, query: ArrayLike, keys: ArrayLike, *, mask: MaskLike | None = None,
                          key_padding_mask: MaskLike | None = None) -> Array:
        """Mean of the heads' weights, (N,) (torch's ``average_attn_weights=True``)."""
        w = _arrays.f32(self.head_attention_weights(query, keys, mask=mask,
                                                    key_padding_mask=key_padding_mask),
                        "weights")
        h, n = w.shape
        ones, onesp = _arrays.output((1, h), False)
        for i in range(h):
            ones[i] = 1.0 / h
        out, optr = _arrays.output((n,), w.numpy)
        _kernel.K.matmul(onesp, w.ptr, optr, 1, h, n, 0)
        return _arrays.result(out, (n,))

    @exported(returns="vector", head_idx="int")
    def head_output(self, head_idx: int, query: ArrayLike, keys: ArrayLike, values: ArrayLike, *,
                    mask: MaskLike | None = None, key_padding_mask: MaskLike | None = None) -> Array:
        """Output of head ``head_idx`` before the output projection, (D/H,)."""
        h, hd = self._config.num_heads, self.head_dim
        if isinstance(head_idx, bool) or not isinstance(head_idx, int) or not 0 <= head_idx < h:
            raise OutOfBoundsError(f"head_idx {head_idx!r} is out of range for {h} heads",
                                   index=head_idx, length=h)
        (*_, numpy), (_, scratch, _) = self._run(query, keys, values, mask, False,
                                                 key_padding_mask)
        start = self._scratch_size() - self._config.dim + head_idx * hd
        out, optr = _arrays.output((hd,), numpy)
        _kernel.copy_bytes(optr, scratch.buffer_info()[0] + start * F32, hd * F32)
        return _arrays.result(out, (hd,))

    @exported(returns="matrix", keys="sets", values="sets")
    def forward_batch(self, queries: ArrayLike, keys: ArrayLike, values: ArrayLike, *,
                      mask: MaskLike | None = None, key_padding_mask: MaskLike | None = None) -> Array:
        """Queries (B, D) over shared keys (N, D) / values (N, DV), or over their own
        sets (B, N, D) / (B, N, DV); mask and key_padding_mask (N,) or (B, N), as
        ``forward``'s. -> (B, D)."""
        d, h, dv = self._config.dim, self._config.num_heads, self.value_dim
        Q, K, V, m, own, bias = batch_inputs(queries, keys, values, mask, d, bias=True)
        self._check_value_width(V)
        b, n = Q.shape[0], K.shape[-2]
        if key_padding_mask is not None:
            size = b * n if own else n
            m, bias = combine((m, bias), _arrays.mask_and_bias(
                key_padding_mask, size, "key_padding_mask", true_ignores=True), size)
        kstep, vstep, mstep = (n * d, n * dv, n) if own else (0, 0, 0)
        out, optr = _arrays.output((b, d), Q.numpy or K.numpy or V.numpy)
        weights = self._weights()

        def call(begin, end):
            _scratch, sptr = _arrays.output((self._scratch_size(),), False)
            for i in range(begin, end):
                rc = _kernel.K.mha_forward(
                    Q.ptr + i * d * F32, K.ptr + i * kstep * F32, V.ptr + i * vstep * F32, None,
                    None, (m.ptr + i * mstep) if m else None,
                    (bias.ptr + i * mstep * F32) if bias else None, 1, 0, n, d, dv, h, *weights,
                    0, 1,
                    sptr, optr + i * d * F32, None)
                if rc:
                    return rc
            return 0

        raise_for_status(run_rows(b, call), (Q, K, V), "MultiHeadAttention.forward_batch")
        return _arrays.result(out, (b, d))

    def _check_value_width(self, V):
        if V.shape[-1] != self.value_dim:
            raise DimensionMismatchError(
                f"values rows have {V.shape[-1]} features, expected value_dim = {self.value_dim}",
                expected=self.value_dim, actual=V.shape[-1])

    @exported(returns="gradients")
    def backward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, grad_output: ArrayLike,
                 *, mask: MaskLike | None = None, key_padding_mask: MaskLike | None = None) -> Gradients:
        """Gradients of <output, grad_output> w.r.t. query (D,), keys (N, D), values
        (N, DV) and every parameter (``params``, keyed by the state_dict names)."""
        return mha_backward(self, query, keys, values, grad_output, mask, key_padding_mask)

    @exported(returns="matrix")
    def forward_graph(self, features: ArrayLike, indptr: IndexLike, indices: IndexLike, *,
                      values: ArrayLike | None = None, edge_features: ArrayLike | None = None) -> Array:
        """Every node attends to its CSR neighbours (one kernel call per thread);
        features (N, D), values (N, DV) (default features) -> (N, D)."""
        self._no_edge_features(edge_features)
        d, h, dv = self._config.dim, self._config.num_heads, self.value_dim
        X, V, ip, ix = graph_inputs(features, indptr, indices, values, d)
        self._check_value_width(V)
        num_nodes = X.shape[0]
        out, optr = _arrays.output((num_nodes, d), X.numpy or V.numpy)
        weights = self._weights()

        def call(begin, end):
            _scratch, sptr = _arrays.output((self._scratch_size(),), False)
            return _kernel.K.mha_forward(X.ptr, X.ptr, V.ptr, ip.ptr, ix.ptr, None, None, num_nodes,
                                         ix.shape[0], num_nodes, d, dv, h, *weights, begin, end,
                                         sptr, optr, None)

        raise_for_graph_status(run_rows(num_nodes, call), X, V, ip, ix,
                               "MultiHeadAttention.forward_graph")
        return _arrays.result(out, (num_nodes, d))


def _masks(mask, key_padding_mask, n):
    """(keep, bias) of an attn_mask and a key_padding_mask together (either may be None)."""
    a = _arrays.mask_and_bias(mask, n) if mask is not None else (None, None)
    if key_padding_mask is None:
        return a
    pad = _arrays.mask_and_bias(key_padding_mask, n, "key_padding_mask", true_ignores=True)
    return combine(a, pad, n)


def _zeros(n, width):
    out, _ = _arrays.output((n, width), False)
    return _arrays.result(out, (n, width))

