"""Local + global attention over a graph neighbourhood (Longformer, Beltagy et al. 2020,
https://arxiv.org/abs/2004.05150, mapped onto HNSW neighbour lists).

    selected = local ∪ global
    local  = the ``local_window`` nearest keys: the first ones (HNSW returns keys
             nearest first) or, given ``GraphMetadata.distances``, the smallest distances
    global = the ``global_nodes`` keys on the highest HNSW layers
             (``GraphMetadata.hnsw_layers``); without layers, none
    output = softmax(q · K_sel^T * s) V_sel        (ties broken by key order)

Shapes: q (D,), K (N, D), V (N, DV) -> (DV,); B queries, N keys, L = local_window,
G = global_nodes. The kernel gathers only the selected rows: O((L + G) D) per query,
not a masked pass over N (picking by distance / layer reads the N metadata once).
For sequences, ``forward_batch`` is Longformer's band + global pattern.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from typing import TYPE_CHECKING

from .. import _arrays, _kernel
from ..core.base import Attention, Complexity, option, register, scale_option, temperature_option
from ..errors import DimensionMismatchError
from ..exports import exported
from ..metadata import GraphMetadata
from ..numerics import E_ARG, E_INDEX
from ..numerics import FLOAT32_BYTES as F32
from ..validation import graph_inputs, key_value_pair, mask_size, raise_for_graph_status, raise_for_status
from .patterns import SparseMask, band, global_tokens

if TYPE_CHECKING:
    from typing import Any

    from .._typing import Array, ArrayLike, IndexLike, MaskLike


@dataclasses.dataclass(frozen=True)
class LocalGlobalConfig:
    dim: int = option(128, int, low=1, doc="key / query width D")
    local_window: int = option(16, int, low=0, doc="nearest keys attended (L)")
    global_nodes: int = option(4, int, low=0, doc="highest-HNSW-layer keys attended (G)")
    temperature: float = temperature_option()
    scale: float = scale_option()


@register
class LocalGlobalAttention(Attention):
    """Attention over the local window plus a few global (hub) keys: O(L + G) per query.

    Args:
        dim: key / query width D.
        local_window: L >= 0 nearest keys (default 16).
        global_nodes: G >= 0 keys on the highest HNSW layers (default 4).
        temperature: T > 0 (default 1.0).
        scale: s > 0; default 1/sqrt(dim).

    Shapes: query (D,), keys (N, D) nearest first, values (N, DV) -> (DV,).

    Example:
        >>> import ruvector_attention as ra
        >>> attn = ra.LocalGlobalAttention(4, local_window=10, global_nodes=5)
        >>> layers = [0] * 1000
        >>> for j in (500, 600, 700, 800, 900, 950):
        ...     layers[j] = 2
        >>> mask = attn.attention_mask(1000, ra.GraphMetadata(hnsw_layers=layers))
        >>> mask.count_nonzero(), mask.row(0)[-5:]
        (15, [500, 600, 700, 800, 900])
    """

    Config = LocalGlobalConfig
    complexity = Complexity.LINEAR  # O(L + G) per query

    def __init__(self, dim: int, local_window: int = 16, global_nodes: int = 4, *,
                 temperature: float = 1.0, scale: float | None = None) -> None:
        super().__init__(LocalGlobalConfig(dim, local_window, global_nodes, temperature, scale))
        c = self._config
        self._scale = (c.scale if c.scale is not None else 1.0 / math.sqrt(c.dim)) / c.temperature

    @exported(returns="number")
    @property
    def local_window(self) -> Any:
        return self._config.local_window

    @exported(returns="number")
    @property
    def global_nodes(self) -> Any:
        return self._config.global_nodes

    # -- selection -------------------------------------------------------------------
    def selected_keys(self, n: int, metadata: Any = None) -> Any:
        """Sorted positions of the keys one query attends to among ``n``. ``metadata``: a
        ``GraphMetadata`` or a dict with ``distances`` / ``hnsw_layers`` (as JavaScript sends)."""
        meta = GraphMetadata.coerce(metadata).validate(n) if metadata is not None else GraphMetadata()
        dist = None
        if meta.distances is not None:
            dist = _arrays.as_floats(_arrays.f32(meta.distances, "metadata.distances"))
        return self._select(n, dist, meta.hnsw_layers)

    def _select(self, n, dist=None, layers=None):
        """``selected_keys`` on checked metadata: distances and layers as lists or None."""
        c = self._config
        if dist is not None:
            local = heapq.nsmallest(c.local_window, range(n), key=lambda j: (dist[j], j))
        else:
            local = range(min(c.local_window, n))
        chosen = set(local)
        if layers is not None and c.global_nodes:
            ranked = heapq.nsmallest(c.global_nodes + len(chosen), range(n),
                                     key=lambda j: (-layers[j], j))
            chosen.update([j for j in ranked if j not in chosen][:c.global_nodes])
        return sorted(chosen)

    @exported(returns="mask", n="int")
    def attention_mask(self, n: int, metadata: Any = None) -> Any:
        """The (1, n) ``SparseMask`` of one query: at most L + G live keys."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise DimensionMismatchError(f"n must be an int >= 0, got {n!r}")
        return SparseMask.from_rows([self.selected_keys(n, metadata)], n)

    def sequence_mask(self, num_queries: int, n: int, metadata: Any = None) -> Any:
        """(B, N) Longformer pattern for sequences: query i sees keys |i - j| <= L // 2,
        the global keys (first G positions, or the highest HNSW layers) see and are seen
        by every position."""
        c = self._config
        meta = GraphMetadata.coerce(metadata).validate(n) if metadata is not None else GraphMetadata()
        if meta.hnsw_layers is not None and c.global_nodes:
            layers = meta.hnsw_layers
            toks = heapq.nsmallest(c.global_nodes, range(n), key=lambda j: (-layers[j], j))
        else:
            toks = range(min(c.global_nodes, n))
        return band(n, c.local_window // 2, rows=num_queries) | global_tokens(
            n, list(toks), rows=num_queries)

    # -- attention -------------------------------------------------------------------
    def _gather(self, Q, b, K, V, rows, what, weights=False, shape=None):
        """Kernel call: query i over K[rows[i]] -> (out owner of ``shape`` (default
        (B, DV)), weights owner or None)."""
        indptr, indices = _arrays.array("q", [0]), _arrays.array("q")
        for r in rows:
            indices.extend(r)
            indptr.append(len(indices))
        dv = V.shape[1]
        out, optr = _arrays.output(shape or (b, dv), Q.numpy or K.numpy or V.numpy)
        w, wptr = _arrays.output((len(indices),), False) if weights else (None, None)
        rc = _kernel.K.attend_csr(Q.ptr, K.ptr, V.ptr, indptr.buffer_info()[0],
                                  indices.buffer_info()[0] if len(indices) else None, b,
                                  len(indices), K.shape[0], self._config.dim, dv, self._scale, 0,
                                  b, optr, wptr)
        raise_for_status(rc, (Q, K, V), what)
        return out, w

    def _rows_for_query(self, n, mask, metadata):
        sel = self.selected_keys(n, metadata)
        if mask is not None:
            m = _arrays.mask_array(mask, n).owner
            sel = [j for j in sel if m[j]]
        return sel

    @exported(returns="vector")
    def forward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, *,
                mask: MaskLike | None = None, metadata: Any = None) -> Array:
        """Output (DV,) from the selected keys only; all selected keys masked -> zeros."""
        q = _arrays.vector(query, "query", self._config.dim)
        K, V = key_value_pair(keys, values, self._config.dim)
        sel = self._rows_for_query(K.shape[0], mask, metadata)
        out, _ = self._gather(q, 1, K, V, [sel], "LocalGlobalAttention.forward",
                              shape=(V.shape[1],))
        return _arrays.result(out, (V.shape[1],))

    @exported(returns="vector")
    def attention_weights(self, query: ArrayLike, keys: ArrayLike, *, mask: MaskLike | None = None,
                          metadata: Any = None) -> Array:
        """Weights (N,): softmax over the selected keys, 0 elsewhere."""
        q = _arrays.vector(query, "query", self._config.dim)
        K = _arrays.matrix(keys, "keys", cols=self._config.dim)
        n = K.shape[0]
        sel = self._rows_for_query(n, mask, metadata)
        zeros, _ = _arrays.output((n, 1), False)
        V = _arrays.matrix(_arrays.result(zeros, (n, 1)), "values", rows=n)
        _, w = self._gather(q, 1, K, V, [sel], "LocalGlobalAttention.attention_weights", True)
        full, fptr = _arrays.output((n,), q.numpy or K.numpy)
        for i, j in enumerate(sel):
            _kernel.copy_bytes(fptr + j * F32, w.buffer_info()[0] + i * F32, F32)
        return _arrays.result(full, (n,))

    @exported(returns="matrix", keys="sets", values="sets")
    def forward_batch(self, queries: ArrayLike, keys: ArrayLike, values: ArrayLike, *,
                      mask: MaskLike | None = None, metadata: Any = None) -> Array:
        """Sequences: queries (B, D) at positions 0..B-1 over keys (N, D) with the
        Longformer band + global pattern (``sequence_mask``), intersected with ``mask``
        ((N,) or (B, N), dense or ``SparseMask``) -> (B, DV)."""
        Q = _arrays.matrix(queries, "queries", cols=self._config.dim)
        K, V = key_value_pair(keys, values, self._config.dim)
        b, n = Q.shape[0], K.shape[0]
        rows = self.sequence_mask(b, n, metadata).rows()
        if mask is not None:
            per_row = mask_size(mask) == b * n and b != 1
            m = _arrays.mask_array(mask, b * n if per_row else n).owner
            rows = [[j for j in r if m[(i * n if per_row else 0) + j]] for i, r in enumerate(rows)]
        out, _ = self._gather(Q, b, K, V, rows, "LocalGlobalAttention.forward_batch")
        return _arrays.result(out, (b, V.shape[1]))

    @exported(returns="matrix")
    def forward_graph(self, features: ArrayLike, indptr: IndexLike, indices: IndexLike, *,
                      values: ArrayLike | None = None, edge_features: ArrayLike | None = None,
                      hnsw_layers: IndexLike | None = None) -> Array:
        """Every node attends to the first ``local_window`` of its CSR neighbours (listed
        nearest first) and, given ``hnsw_layers`` (N,) (each node's highest HNSW layer),
        to the ``global_nodes`` other neighbours on the highest layers, ties by order:
        row i equals ``forward(x_i, X[nb], V[nb], metadata=GraphMetadata(hnsw_layers=
        layers[nb]))`` over its neighbours nb. An isolated node gives a zero row.
        Features (N, D) -> (N, DV)."""
        self._no_edge_features(edge_features)
        X, V, ip, ix = graph_inputs(features, indptr, indices, values, self._config.dim)
        n = X.shape[0]
        layers = GraphMetadata(hnsw_layers=hnsw_layers).validate(n).hnsw_layers \
            if hnsw_layers is not None else None
        rows = []
        for i in range(n):
            lo, hi = _arrays.index_at(ip, i), _arrays.index_at(ip, i + 1)
            if hi < lo:
                raise_for_graph_status(E_ARG, X, V, ip, ix, "LocalGlobalAttention.forward_graph")
            # without layers only the window is read; with them every neighbour is ranked
            end = hi if layers is not None else min(hi, lo + self.local_window)
            nb = [_arrays.index_at(ix, e) for e in range(lo, end)]
            if not all(0 <= j < n for j in nb):
                raise_for_graph_status(E_INDEX, X, V, ip, ix, "LocalGlobalAttention.forward_graph")
            if layers is not None:
                nb = [nb[p] for p in self._select(len(nb), None, [layers[j] for j in nb])]
            rows.append(nb)
        out, _ = self._gather(X, n, X, V, rows, "LocalGlobalAttention.forward_graph")
        return _arrays.result(out, (n, V.shape[1]))
