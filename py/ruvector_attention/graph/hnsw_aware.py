"""HNSW-aware attention: each key's HNSW layer (its height in the hierarchy, spec
FR-004.2) enters the scores as a learned per-layer, per-head bias plus a learned
layer embedding added to the key (as learned relative-position biases in T5,
https://arxiv.org/abs/1910.10683, and segment embeddings in BERT).

    score_hj = s · q_h · (k_jh + E[l_j]_h) + B[l_j, h],  s = 1/sqrt(D/H)
    out_h    = softmax_j(score_h) · V_h;   out = [out_1 ... out_H]

Heads split the feature axes evenly (no projections). The layer term is computed
once per (layer, head) per query, so the cost stays O(N D + L D).

Shapes: query (D,), keys (N, D), values (N, DV), hnsw_layers (N,) ints -> (DV,);
H heads, L = max_layers. Parameters: layer_embedding.weight (L, D) (torch
``nn.Embedding`` name), layer_bias (L, H).
"""

from __future__ import annotations

import dataclasses
import math
import random
from array import array
from typing import TYPE_CHECKING

from .. import _arrays, _kernel
from ..core.base import Attention, Complexity, Gradients, option, register, seed_option
from ..errors import DimensionMismatchError, InvalidConfigError, OutOfBoundsError, UnsupportedError
from ..exports import exported
from ..metadata import GraphMetadata
from ..numerics import MAX_HEADS
from ..validation import key_value_pair, raise_for_status
from ._common import csr, int64s, kept_rows, run_csr, scatter, take_rows

if TYPE_CHECKING:
    from typing import Any

    from .._typing import Array, ArrayLike, IndexLike, MaskLike

# Initial spread of both parameters: small, so an untrained layer encoding barely
# moves the scores (BERT's embedding init).
INIT_STD = 0.02


@dataclasses.dataclass(frozen=True)
class HNSWAwareConfig:
    dim: int = option(128, int, low=1, doc="width D of queries and keys")
    max_layers: int = option(16, int, low=1, doc="HNSW layers L; layers must be < L")
    num_heads: int = option(1, int, low=1, high=MAX_HEADS, doc="heads H; must divide dim")
    seed: int = seed_option("seed of the layer embedding / bias initialisation")

    def __post_init__(self):
        if isinstance(self.dim, int) and isinstance(self.num_heads, int) and self.num_heads > 0 \
                and self.dim % self.num_heads:
            raise InvalidConfigError(f"HNSWAwareConfig.num_heads = {self.num_heads} does not "
                                     f"divide dim = {self.dim}", field="num_heads")


@register
class HNSWAwareAttention(Attention):
    """Attention that knows each key's HNSW layer: a learned score bias per (layer,
    head) and a learned layer embedding added to the keys.

    Args:
        dim: width D of queries and keys.
        max_layers: number of HNSW layers L (default 16); a layer >= L is an
            OutOfBoundsError.
        num_heads: H in 1..16 dividing ``dim`` and the value width (default 1).
        seed: seed of the initialisation, both parameters ~ N(0, 0.02²) (default 0).

    Shapes: query (D,), keys (N, D), values (N, DV), metadata.hnsw_layers (N,) -> (DV,).
    ``forward`` without metadata puts every key on layer 0.

    Example:
        >>> import ruvector_attention as ra
        >>> attn = ra.HNSWAwareAttention(4, max_layers=3)
        >>> meta = ra.GraphMetadata(hnsw_layers=[0, 2])
        >>> w = attn.attention_weights([1, 0, 0, 0], [[1, 0, 0, 0], [1, 0, 0, 0]], metadata=meta)
        >>> round(sum(w.tolist()), 6)
        1.0
    """

    Config = HNSWAwareConfig
    complexity = Complexity.LINEAR  # one query: O(N D + L D)

    def __init__(self, dim: int, max_layers: int = 16, *, num_heads: int = 1, seed: int = 0) -> None:
        super().__init__(HNSWAwareConfig(dim, max_layers, num_heads, seed))
        self._reserve_parameters(max_layers * (dim + num_heads))
        rng = random.Random(seed)
        L, H = self._config.max_layers, self._config.num_heads
        self._add_param("layer_embedding.weight", (L, dim),
                        [rng.gauss(0.0, INIT_STD) for _ in range(L * dim)])
        self._add_param("layer_bias", (L, H), [rng.gauss(0.0, INIT_STD) for _ in range(L * H)])
        self._scale = 1.0 / math.sqrt(dim // H)

    @property
    def num_heads(self) -> int:
        return self._config.num_heads

    def _layers(self, layers, n):
        """Validated layer ids -> (owner, address) of an int64 buffer."""
        L = self._config.max_layers
        if layers is None:
            return int64s([0] * n)
        if _arrays.np is not None and not isinstance(layers, (list, tuple)):
            return _layers_numpy(layers, n, L)
        if isinstance(layers, memoryview) and layers.ndim == 1 and layers.format in "bBhHiIlLqQ":
            return _layers_int_view(layers, n, L)
        checked = GraphMetadata(hnsw_layers=layers).validate(n).hnsw_layers
        for i, layer in enumerate(checked):
            if layer >= L:
                raise OutOfBoundsError(f"metadata.hnsw_layers[{i}] = {layer} is >= max_layers = "
                                       f"{L}", index=layer, length=L)
        return int64s(checked)

    def _heads_and_layers(self, dv, metadata, n):
        """Check the value width splits into heads; the n layers as a kernel buffer."""
        h = self._config.num_heads
        if dv % h:
            raise DimensionMismatchError(f"values have {dv} features, not divisible by "
                                         f"num_heads = {h}", expected=h, actual=dv)
        if metadata is None:
            return self._layers(None, n)
        metadata = GraphMetadata.coerce(metadata)
        # the fields this mechanism does not read are still checked: wrong ones are a bug
        dataclasses.replace(metadata, hnsw_layers=None).validate(n)
        return self._layers(metadata.hnsw_layers, n)

    def _inputs(self, query, keys, values, metadata, mask):
        d = self._config.dim
        q = _arrays.vector(query, "query", d)
        K, V = key_value_pair(keys, values, d)
        n, dv = V.shape
        lbuf, lptr = self._heads_and_layers(dv, metadata, n)
        rows = kept_rows(mask, n)
        if rows is not None:
            K, V = take_rows(K, rows), take_rows(V, rows)
            lbuf, lptr = int64s([int(lbuf[r]) for r in rows])
        return q, K, V, n, rows, (lbuf, lptr)

    def _run(self, query, keys, values, metadata, mask, what):
        d, h, L = self._config.dim, self._config.num_heads, self._config.max_layers
        q, K, V, n, rows, (_lbuf, lptr) = self._inputs(query, keys, values, metadata, mask)
        m, dv = K.shape[0], V.shape[1]
        numpy = q.numpy or K.numpy or V.numpy
        out, optr = _arrays.output((dv,), numpy)
        scratch, sptr = _arrays.output((L * h + max(h * m, 1),), False)  # layer terms, weights
        rc = _kernel.K.hnsw_attend(q.ptr, K.ptr, V.ptr, lptr, None, None, 1, 0, m, d, dv, h,
                                   self._ptr("layer_embedding.weight"), self._ptr("layer_bias"),
                                   L, self._scale, 0, 1, sptr, optr)
        raise_for_status(rc, (q, K, V), f"HNSWAwareAttention.{what}")
        return out, scratch, rows, n, m, numpy  # the weights (H, m) follow the L*H layer terms

    @exported(returns="vector")
    def forward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, *, mask: MaskLike | None = None) -> Array:
        """Output (DV,) with every key on HNSW layer 0."""
        out = self._run(query, keys, values, None, mask, "forward")[0]
        return _arrays.result(out, (len(out),))

    @exported(returns="vector")
    def forward_with_metadata(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike,
                              metadata: Any, *, mask: MaskLike | None = None) -> Array:
        """Output (DV,) using ``metadata.hnsw_layers`` (N,); missing -> InvalidConfigError."""
        if metadata is None or GraphMetadata.coerce(metadata).hnsw_layers is None:
            raise InvalidConfigError("HNSWAwareAttention requires metadata.hnsw_layers",
                                     field="hnsw_layers")
        out = self._run(query, keys, values, metadata, mask, "forward_with_metadata")[0]
        return _arrays.result(out, (len(out),))

    @exported(returns="matrix")
    def head_attention_weights(self, query: ArrayLike, keys: ArrayLike, *,
                               mask: MaskLike | None = None, metadata: Any = None) -> Array:
        """Softmax weights of every head, (H, N); masked keys get 0."""
        K = _arrays.matrix(keys, "keys", cols=self._config.dim)
        values = K.owner if K.shape[1] % self.num_heads == 0 else [[0.0] * self.num_heads] * K.shape[0]
        _, scratch, rows, n, m, numpy = self._run(query, K.owner, values, metadata, mask,
                                                  "head_attention_weights")
        h = self._config.num_heads
        w0 = self._config.max_layers * h
        kept = rows if rows is not None else list(range(n))
        out, _ = _arrays.output((h, n), numpy)
        flat = out.reshape(-1) if numpy else out
        for t in range(h):
            for i, r in enumerate(kept):
                flat[t * n + r] = scratch[w0 + t * m + i]
        return _arrays.result(out, (h, n))

    @exported(returns="vector")
    def attention_weights(self, query: ArrayLike, keys: ArrayLike, *, mask: MaskLike | None = None,
                          metadata: Any = None) -> Array:
        """Mean of the heads' weights, (N,)."""
        hw = _arrays.f32(self.head_attention_weights(query, keys, mask=mask, metadata=metadata),
                         "weights")
        h, n = hw.shape
        flat = _arrays.as_floats(hw)
        mean = [sum(flat[t * n + j] for t in range(h)) / h for j in range(n)]
        return scatter(mean, list(range(n)), n, hw.numpy)

    @exported(returns="gradients")
    def backward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, grad_output: ArrayLike,
                 *, mask: MaskLike | None = None, metadata: Any = None) -> Gradients:
        """Gradients of <output, grad_output> w.r.t. query (D,), keys (N, D), values
        (N, DV) and ``params`` layer_embedding.weight (L, D), layer_bias (L, H)."""
        d, h, L = self._config.dim, self._config.num_heads, self._config.max_layers
        q, K, V, n, rows, (_lbuf, lptr) = self._inputs(query, keys, values, metadata, mask)
        m, dv = K.shape[0], V.shape[1]
        g = _arrays.vector(grad_output, "grad_output", dv)
        _arrays.check_finite(_kernel.K, (q, K, V, g))  # a NaN would spread into every gradient
        numpy = q.numpy or K.numpy or V.numpy or g.numpy
        gq, gqp = _arrays.output((d,), numpy)
        gk, gkp = _arrays.output((max(m, 1), d), False)
        gv, gvp = _arrays.output((max(m, 1), dv), False)
        ge, gep = _arrays.output((L, d), numpy)
        gb, gbp = _arrays.output((L, h), numpy)
        _scratch, sptr = _arrays.output((L * h + max(h * m, 1),), False)
        _work, workp = _arrays.output((dv,), False)
        rc = _kernel.K.hnsw_backward(q.ptr, K.ptr, V.ptr, lptr, m, d, dv, h,
                                     self._ptr("layer_embedding.weight"), self._ptr("layer_bias"),
                                     L, self._scale, g.ptr, gqp, gkp, gvp, gep, gbp, sptr, workp)
        raise_for_status(rc, (q, K, V, g), "HNSWAwareAttention.backward")
        kept = rows if rows is not None else list(range(n))
        return Gradients(_arrays.result(gq, (d,)), _expand(gk, kept, n, d, numpy),
                         _expand(gv, kept, n, dv, numpy),
                         {"layer_embedding.weight": _arrays.result(ge, (L, d)),
                          "layer_bias": _arrays.result(gb, (L, h))})

    @exported(returns="matrix")
    def forward_graph(self, features: ArrayLike, indptr: IndexLike, indices: IndexLike, *,
                      values: ArrayLike | None = None, edge_features: ArrayLike | None = None,
                      metadata: Any = None) -> Array:
        """Every node attends to its CSR neighbours; ``metadata.hnsw_layers`` gives each
        node's layer (N,) (default 0). Row i equals ``forward_with_metadata`` of node i
        over its neighbours and their layers; an isolated node gives a zero row."""
        self._no_edge_features(edge_features)
        d, h, L = self._config.dim, self._config.num_heads, self._config.max_layers
        X, V, ip, ix, largest = csr(features, indptr, indices, values, d)
        num_nodes, dv = V.shape
        _lbuf, lptr = self._heads_and_layers(dv, metadata, num_nodes)
        out, optr = _arrays.output((num_nodes, dv), X.numpy or V.numpy)

        def call(begin, end, sptr):
            return _kernel.K.hnsw_attend(X.ptr, X.ptr, V.ptr, lptr, ip.ptr, ix.ptr, num_nodes,
                                         ix.shape[0], num_nodes, d, dv, h,
                                         self._ptr("layer_embedding.weight"),
                                         self._ptr("layer_bias"), L, self._scale, begin, end,
                                         sptr, optr)

        run_csr(X, V, ip, ix, h * largest + L * h, call, "HNSWAwareAttention.forward_graph")
        return _arrays.result(out, (num_nodes, dv))


def _layers_numpy(layers, n, num_layers):
    """Vectorised check of array-like layer ids (the per-key Python loop costs ~100 us
    at n = 1000) -> (int64 array, address); the same errors as GraphMetadata.validate."""
    np = _arrays.np
    a = np.asarray(layers)
    if a.shape != (n,):
        raise DimensionMismatchError(f"metadata.hnsw_layers has shape {a.shape}, expected ({n},): "
                                     "one per key", expected=n, actual=a.shape)
    if a.dtype.kind not in "iuf" or (a.dtype.kind == "f" and not np.all(np.isfinite(a) & (a == np.round(a)))):
        bad = 0 if a.dtype.kind not in "iuf" else int(np.flatnonzero(~(np.isfinite(a) & (a == np.round(a))))[0])
        raise UnsupportedError(f"metadata.hnsw_layers[{bad}] = {a[bad]!r} is not an integer")
    low, high = np.flatnonzero(a < 0), np.flatnonzero(a >= num_layers)
    if low.size:
        raise DimensionMismatchError(f"metadata.hnsw_layers[{low[0]}] = {int(a[low[0]])} is negative")
    if high.size:
        i = int(high[0])
        raise OutOfBoundsError(f"metadata.hnsw_layers[{i}] = {int(a[i])} is >= max_layers = "
                               f"{num_layers}", index=int(a[i]), length=num_layers)
    buf = np.ascontiguousarray(a, dtype=np.int64)
    return buf, buf.__array_interface__["data"][0]


def _layers_int_view(layers, n, num_layers):
    """Integer layer ids in a memoryview (the JS bridge's int32 slot) without numpy:
    min / max / array() run in C (a Python loop costs ~150 us at n = 1000 in Pyodide);
    the same errors as GraphMetadata.validate."""
    if len(layers) != n:
        raise DimensionMismatchError(f"metadata.hnsw_layers has {len(layers)} entries, expected {n}: "
                                     "one per key", expected=n, actual=len(layers))
    if n and min(layers) < 0:
        i = next(j for j, x in enumerate(layers) if x < 0)
        raise DimensionMismatchError(f"metadata.hnsw_layers[{i}] = {layers[i]} is negative")
    if n and max(layers) >= num_layers:
        i = next(j for j, x in enumerate(layers) if x >= num_layers)
        raise OutOfBoundsError(f"metadata.hnsw_layers[{i}] = {layers[i]} is >= max_layers = "
                               f"{num_layers}", index=layers[i], length=num_layers)
    buf = array("q", layers)
    return buf, (buf.buffer_info()[0] if n else 0)


def _expand(buf, kept, n, width, numpy):
    """Rows of ``buf`` (kept keys) placed at their positions among n keys (others 0)."""
    out, optr = _arrays.output((n, width), numpy)
    src = buf.buffer_info()[0]
    for i, r in enumerate(kept):
        _kernel.copy_bytes(optr + r * width * 4, src + i * width * 4, width * 4)
    return _arrays.result(out, (n, width))
