"""Structural attention: per-node structural features (degree, PageRank, clustering
coefficient, ... — spec FR-004.4) enter the scores through a learned projection
added to the keys (as Graphormer's centrality encoding,
https://arxiv.org/abs/2106.05234, with a linear map instead of an embedding table):

    k'_j    = k_j + W f_j,                    W: (D, S)
    score_j = s · q · k'_j = s (q · k_j + (W^T q) · f_j),   s = 1/sqrt(D)
    output  = softmax(score) · V

W^T q is formed once per query, so the cost is O(N (D + S) + D S).

Shapes: query (D,), keys (N, D), values (N, DV), structural_features (N, S) -> (DV,).
Parameter: struct_proj.weight (D, S) (torch ``nn.Linear(S, D, bias=False)``).
"""

from __future__ import annotations

import dataclasses
import math
import random
from typing import TYPE_CHECKING

from .. import _arrays, _kernel
from ..core.base import Attention, Complexity, Gradients, option, register, seed_option
from ..csr import structural_features
from ..errors import DimensionMismatchError, InvalidConfigError
from ..exports import exported
from ..metadata import GraphMetadata
from ..validation import key_value_pair, raise_for_status
from ._common import csr, kept_rows, run_csr, scatter, take_rows

if TYPE_CHECKING:
    from typing import Any

    from .._typing import Array, ArrayLike, IndexLike, MaskLike


@dataclasses.dataclass(frozen=True)
class StructuralConfig:
    dim: int = option(128, int, low=1, doc="width D of queries and keys")
    structural_dim: int = option(3, int, low=1, doc="structural features S per node")
    seed: int = seed_option("seed of the projection initialisation")


@register
class StructuralAttention(Attention):
    """Scaled dot-product attention whose keys carry a learned projection of their
    nodes' structural features.

    Args:
        dim: width D of queries and keys.
        structural_dim: number S of structural features per node (3 for the
            [degree, PageRank, clustering] of ``structural_features``).
        seed: seed of the initialisation, uniform ±1/sqrt(S) as torch ``nn.Linear``.

    Shapes: query (D,), keys (N, D), values (N, DV), metadata.structural_features
    (N, S) -> (DV,). ``forward`` without metadata uses zero features (plain SDPA).

    Example:
        >>> import ruvector_attention as ra
        >>> attn = ra.StructuralAttention(2, 1)
        >>> attn.load_state_dict({"struct_proj.weight": [[2.0], [0.0]]})
        >>> meta = ra.GraphMetadata(structural_features=[[0.0], [1.0]])
        >>> w = attn.attention_weights([1, 0], [[1, 0], [1, 0]], metadata=meta)
        >>> [round(x, 4) for x in w.tolist()]
        [0.1956, 0.8044]
    """

    Config = StructuralConfig
    complexity = Complexity.LINEAR  # one query: O(N (D + S) + D S)

    def __init__(self, dim: int, structural_dim: int = 3, *, seed: int = 0) -> None:
        super().__init__(StructuralConfig(dim, structural_dim, seed))
        self._reserve_parameters(dim * structural_dim)
        rng = random.Random(seed)
        bound = 1.0 / math.sqrt(structural_dim)
        self._add_param("struct_proj.weight", (dim, structural_dim),
                        [rng.uniform(-bound, bound) for _ in range(dim * structural_dim)])
        self._scale = 1.0 / math.sqrt(dim)

    def _features(self, metadata, n):
        s = self._config.structural_dim
        if metadata is None:
            return _arrays.f32([0.0] * (n * s), "structural_features")
        metadata = GraphMetadata.coerce(metadata)
        if metadata.structural_features is None:
            raise InvalidConfigError("StructuralAttention requires metadata.structural_features",
                                     field="structural_features")
        F = _arrays.matrix(metadata.structural_features, "metadata.structural_features",
                           rows=n, allow_empty=True)
        if F.shape[1] != s:
            raise DimensionMismatchError(f"metadata.structural_features has {F.shape[1]} "
                                         f"columns, expected structural_dim = {s}",
                                         expected=s, actual=F.shape[1])
        return F

    def _run(self, query, keys, values, metadata, mask, what):
        d, s = self._config.dim, self._config.structural_dim
        q = _arrays.vector(query, "query", d)
        K, V = key_value_pair(keys, values, d)
        n, dv = V.shape
        F = self._features(metadata, n)
        rows = kept_rows(mask, n)
        if rows is not None:
            K, V, F = take_rows(K, rows), take_rows(V, rows), take_rows(_arrays.reshape(F, (n, s)), rows)
        m = K.shape[0]
        numpy = q.numpy or K.numpy or V.numpy
        _u, uptr = _arrays.output((s,), False)
        _kernel.K.matmul(q.ptr, self._ptr("struct_proj.weight"), uptr, 1, d, s, 0)
        out, optr = _arrays.output((dv,), numpy)
        w, wptr = _arrays.output((max(m, 1),), False)
        rc = _kernel.K.struct_attend(q.ptr, uptr, K.ptr, F.ptr, V.ptr, None, None, 1, 0, m, d, s,
                                     dv, self._scale, 0, 1, wptr, optr)
        raise_for_status(rc, (q, K, V, F), f"StructuralAttention.{what}")
        if what == "attention_weights":
            return scatter(w, rows if rows is not None else list(range(n)), n, numpy)
        return _arrays.result(out, (dv,))

    @exported(returns="vector")
    def forward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, *, mask: MaskLike | None = None) -> Array:
        """Output (DV,) with zero structural features (plain scaled dot-product)."""
        return self._run(query, keys, values, None, mask, "forward")

    @exported(returns="vector")
    def forward_with_metadata(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike,
                              metadata: Any, *, mask: MaskLike | None = None) -> Array:
        """Output (DV,) using ``metadata.structural_features`` (N, S)."""
        if metadata is None:
            raise InvalidConfigError("StructuralAttention requires metadata.structural_features",
                                     field="structural_features")
        return self._run(query, keys, values, metadata, mask, "forward_with_metadata")

    @exported(returns="vector")
    def attention_weights(self, query: ArrayLike, keys: ArrayLike, *, mask: MaskLike | None = None,
                          metadata: Any = None) -> Array:
        """Softmax weights (N,); masked keys get 0."""
        K = _arrays.matrix(keys, "keys", cols=self._config.dim)
        return self._run(query, K.owner, K.owner, metadata, mask, "attention_weights")

    @exported(returns="gradients")
    def backward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, grad_output: ArrayLike,
                 *, mask: MaskLike | None = None, metadata: Any = None) -> Gradients:
        """Gradients of <output, grad_output> w.r.t. query (D,), keys (N, D), values
        (N, DV) and ``params`` struct_proj.weight (D, S); features from ``metadata``
        (default zeros). Masked keys get zero gradients.

        With u = W^T q the logits are z_j = q . k_j + u . f_j and the scores s z_j, so
        the scaled dot-product backward of a width-1 problem (query 1, key j = z_j)
        gives e_j = s ds_j; then dk_j = e_j q, du = sum_j e_j f_j, dq = sum_j e_j k_j
        + W du and dW = q du^T, each one kernel call (no (N, D + S) concatenation)."""
        d, s = self._config.dim, self._config.structural_dim
        q = _arrays.vector(query, "query", d)
        K, V = key_value_pair(keys, values, d)
        n, dv = V.shape
        g = _arrays.vector(grad_output, "grad_output", dv)
        F = self._features(metadata, n)
        m = _arrays.mask_array(mask, n) if mask is not None else None
        # checked here, whatever the mask keeps: a NaN would spread into every gradient
        _arrays.check_finite(_kernel.K, (q, K, V, g, F))
        numpy = q.numpy or K.numpy or V.numpy or g.numpy
        k, wptr = _kernel.K, self._ptr("struct_proj.weight")
        _u, u = _arrays.output((s,), False)
        k.matmul(q.ptr, wptr, u, 1, d, s, 0)  # u = W^T q
        _z, z = _arrays.output((n,), False)
        k.linear(K.ptr, q.ptr, None, z, n, d, 1, 0)  # z_j = q . k_j
        k.linear(F.ptr, u, None, z, n, s, 1, 1)  # z_j += u . f_j
        one_buf, one = _arrays.output((1,), False)  # the width-1 query
        one_buf[0] = 1.0
        _gz, gz = _arrays.output((1,), False)
        _e, e = _arrays.output((n,), False)
        gv, gvp = _arrays.output((n, dv), numpy)
        _work, work = _arrays.output((dv,), False)
        rc = k.attend_backward(one, z, V.ptr, m.ptr if m else None, n, 1, dv, self._scale, 0.0,
                               0, g.ptr, gz, e, gvp, work)
        raise_for_status(rc, (q, K, V, F, g), "StructuralAttention.backward")
        gk, gkp = _arrays.output((n, d), numpy)
        k.matmul_tn(e, q.ptr, gkp, 1, n, d, 0)  # dk_j = e_j q
        _du, du = _arrays.output((s,), False)
        k.matmul(e, F.ptr, du, 1, n, s, 0)  # du = F^T e
        gq, gqp = _arrays.output((d,), numpy)
        k.matmul(e, K.ptr, gqp, 1, n, d, 0)  # K^T e
        k.linear(wptr, du, None, gqp, d, s, 1, 1)  # + W du
        gw, gwp = _arrays.output((d, s), numpy)
        k.matmul_tn(q.ptr, du, gwp, 1, d, s, 0)  # q du^T
        return Gradients(_arrays.result(gq, (d,)), _arrays.result(gk, (n, d)),
                         _arrays.result(gv, (n, dv)),
                         {"struct_proj.weight": _arrays.result(gw, (d, s))})

    @exported(returns="matrix")
    def forward_graph(self, features: ArrayLike, indptr: IndexLike, indices: IndexLike, *,
                      values: ArrayLike | None = None, edge_features: ArrayLike | None = None,
                      metadata: Any = None) -> Array:
        """Every node attends to its CSR neighbours using per-node structural features
        ``metadata.structural_features`` (N, S); by default [degree, PageRank,
        clustering] computed from this graph (needs structural_dim == 3). -> (N, DV)."""
        self._no_edge_features(edge_features)
        d, s = self._config.dim, self._config.structural_dim
        X, V, ip, ix, largest = csr(features, indptr, indices, values, d)
        num_nodes, dv = V.shape
        if metadata is None:
            if s != 3:
                raise InvalidConfigError(f"forward_graph computes 3 structural features, but "
                                         f"structural_dim = {s}: pass metadata",
                                         field="structural_features")
            metadata = GraphMetadata(structural_features=structural_features(ip.owner, ix.owner))
        F = self._features(metadata, num_nodes)
        _U, uptr = _arrays.output((num_nodes, s), False)
        _kernel.K.matmul(X.ptr, self._ptr("struct_proj.weight"), uptr, num_nodes, d, s, 0)
        out, optr = _arrays.output((num_nodes, dv), X.numpy or V.numpy)

        def call(begin, end, sptr):
            return _kernel.K.struct_attend(X.ptr, uptr, X.ptr, F.ptr, V.ptr, ip.ptr, ix.ptr,
                                           num_nodes, ix.shape[0], num_nodes, d, s, dv,
                                           self._scale, begin, end, sptr, optr)

        run_csr(X, V, ip, ix, largest, call, "StructuralAttention.forward_graph")
        return _arrays.result(out, (num_nodes, dv))
