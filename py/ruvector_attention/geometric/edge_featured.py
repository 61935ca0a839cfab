"""Edge-featured graph attention: GAT with edge attributes (Veličković et al. 2018,
https://arxiv.org/abs/1710.10903; edge features as PyG ``GATConv(edge_dim=...)``).

    x'_j = W v_j,   e_ij = LeakyReLU(a_srcᵀ W h_j + a_dstᵀ W h_i + a_edgeᵀ W_e f_ij)   (per head)
    α_ij = softmax_j(e_ij),   out_i = ‖_h Σ_j α_ij^h x'_j^h  (concat)  or  mean_h (…)  + bias

i.e. score(i, j) = LeakyReLU(aᵀ[W h_i ‖ W h_j ‖ W_e f_ij]) with a = [a_dst ‖ a_src ‖ a_edge].
Parameters carry PyG's names (``lin.weight``, ``att_src``, ``att_dst``,
``lin_edge.weight``, ``att_edge``, ``bias``), so with the defaults a
``GATConv(node_dim, node_dim // H, heads=H, edge_dim=edge_dim, add_self_loops=False)``
state_dict loads directly and gives the same outputs (an isolated node gives
``bias``, as in PyG); with ``add_self_loops=True`` ``forward_graph`` adds the loops
as GATConv does by default (self_loops.py), so a default ``GATConv`` matches too.
The attention logits are x·(Wᵀa) — the keys are never projected for scoring. One
neighbourhood reassociates the messages as multi-head attention does:
out_h = W_h (Σ_j α_hj v_j), O(H·N·Din + H·C·Din) instead of projecting every value
(O(N·Din·H·C)); a whole graph projects each node's value once.

Shapes: query h_i (Din,), keys h_j (N, Din), values v_j (N, Din), edge_features
f_ij (N, Fe) -> (H·C,) with concat, (C,) without; C = out_dim // H (concat) or out_dim.
"""

from __future__ import annotations

import dataclasses
import math
import random
from array import array
from typing import TYPE_CHECKING

from .. import _arrays, _kernel
from .._parallel import run_rows
from ..core.base import Attention, Complexity, Gradients, option, register, seed_option
from ..errors import DimensionMismatchError, InvalidConfigError
from ..exports import exported
from ..numerics import FLOAT32_BYTES as F32
from ..numerics import MAX_HEADS
from ..validation import graph_inputs, key_value_pair, raise_for_graph_status, raise_for_status
from .curved import _filled
from .edge_backward import gat_backward
from .self_loops import csr_status, with_self_loops

if TYPE_CHECKING:
    from .._typing import Array, ArrayLike, IndexLike, MaskLike


@dataclasses.dataclass(frozen=True)
class EdgeFeaturedConfig:
    node_dim: int = option(128, int, low=1, doc="node feature width Din")
    edge_dim: int = option(0, int, low=0, doc="edge feature width Fe (0: no edge features)")
    out_dim: int = option(None, int, low=1, optional=True, doc="output width; default node_dim")
    num_heads: int = option(1, int, low=1, high=MAX_HEADS, doc="heads H")
    concat: bool = option(True, bool, doc="concatenate heads (else average them)")
    negative_slope: float = option(0.2, float, low=0.0, doc="LeakyReLU slope")
    bias: bool = option(True, bool, doc="learn an output bias")
    seed: int = seed_option("seed of the glorot initialisation")
    add_self_loops: bool = option(False, bool, doc="forward_graph gives every node a loop "
                                  "(edge features: the mean of its incoming ones), as PyG")

    def __post_init__(self):
        out = self.out_dim if self.out_dim is not None else self.node_dim
        if self.concat and isinstance(out, int) and isinstance(self.num_heads, int) and \
                self.num_heads > 0 and out % self.num_heads:
            raise InvalidConfigError(f"EdgeFeaturedConfig.num_heads = {self.num_heads} does not "
                                     f"divide out_dim = {out} (heads are concatenated)",
                                     field="num_heads")


@register
class EdgeFeaturedAttention(Attention):
    """GAT-style attention with edge attributes (PyG ``GATConv`` semantics and names).

    Args:
        node_dim: node feature width Din.
        edge_dim: edge feature width Fe; 0 = plain GAT (default 0). With Fe > 0 every
            call needs ``edge_features`` (N, Fe) — a missing one is an error, never zeros.
        out_dim: output width (default node_dim); each head has out_dim // H channels
            when heads are concatenated, out_dim when averaged.
        num_heads: H in 1..16 (default 1).
        concat: concatenate the heads (default True) or average them.
        negative_slope: LeakyReLU slope (default 0.2).
        bias: learn ``bias`` (default True, initialised to zero as PyG).
        seed: seed of the glorot initialisation (default 0).
        add_self_loops: ``forward_graph`` first removes every loop (i, i), then gives
            each node one, whose edge features are the mean of the node's incoming
            edges' (zeros without any) — PyG ``GATConv``'s default (default False:
            the graph is taken as given).

    Shapes: query (Din,), keys (N, Din), values (N, Din), edge_features (N, Fe) -> (out,).

    Example:
        >>> import ruvector_attention as ra
        >>> gat = ra.EdgeFeaturedAttention(4, 2, num_heads=2, seed=1)
        >>> out = gat.forward_with_edges([1, 0, 0, 1], [[1, 0, 0, 0], [0, 1, 1, 0]],
        ...                              [[1, 0, 0, 0], [0, 1, 1, 0]], [[1, 0], [0, 1]])
        >>> len(out), round(sum(gat.attention_weights([1, 0, 0, 1], [[1, 0, 0, 0], [0, 1, 1, 0]],
        ...                     edge_features=[[1, 0], [0, 1]]).tolist()), 5)
        (4, 1.0)
    """

    Config = EdgeFeaturedConfig
    complexity = Complexity.LINEAR  # one query: O(N Din H C)

    def __init__(self, node_dim: int, edge_dim: int = 0, *, out_dim: int | None = None,
                 num_heads: int = 1, concat: bool = True, negative_slope: float = 0.2,
                 bias: bool = True, seed: int = 0, add_self_loops: bool = False) -> None:
        super().__init__(EdgeFeaturedConfig(node_dim, edge_dim, out_dim, num_heads, concat,
                                            negative_slope, bias, seed, add_self_loops))
        h, c, hc = num_heads, self.head_channels, num_heads * self.head_channels
        self._reserve_parameters(hc * (node_dim + edge_dim + 3) + self.out_width)
        rng = random.Random(seed)

        def glorot(fan_a, fan_b, count):
            bound = math.sqrt(6.0 / (fan_a + fan_b))
            return (rng.uniform(-bound, bound) for _ in range(count))  # no list of floats

        self._add_param("lin.weight", (hc, node_dim), glorot(node_dim, hc, hc * node_dim))
        self._add_param("att_src", (1, h, c), glorot(h, c, hc))
        self._add_param("att_dst", (1, h, c), glorot(h, c, hc))
        if edge_dim:
            self._add_param("lin_edge.weight", (hc, edge_dim), glorot(edge_dim, hc, hc * edge_dim))
            self._add_param("att_edge", (1, h, c), glorot(h, c, hc))
        if bias:
            self._add_param("bias", (self.out_width,), [0.0] * self.out_width)

    @property
    def hidden_dim(self) -> int:
        return self._config.node_dim

    @property
    def num_heads(self) -> int:
        return self._config.num_heads

    @property
    def head_channels(self) -> int:
        c = self._config
        out = c.out_dim if c.out_dim is not None else c.node_dim
        return out // c.num_heads if c.concat else out

    @property
    def out_width(self) -> int:
        return self.head_channels * (self._config.num_heads if self._config.concat else 1)

    def _disagreeing_option(self, name, shape):
        """The GATConv option a state dict's ``name`` (missing / unexpected, or of ``shape``)
        disagrees with: edge_dim, bias, node_dim, num_heads, concat or out_dim."""
        c, h, ch = self._config, self._config.num_heads, self.head_channels
        option = None
        if name in ("lin_edge.weight", "att_edge"):
            option = "edge_dim" if shape is None or (name == "lin_edge.weight" and
                                                     shape[1:] != (c.edge_dim,)) else None
        elif name == "bias" and shape is None:
            option = "bias"
        elif name == "bias":
            flip = ch * h if not c.concat else ch // h
            option = "concat" if shape == (flip,) else "out_dim"
        elif name == "lin.weight" and shape is not None:
            option = "node_dim" if shape[1:] != (c.node_dim,) else "out_dim"
        if name.startswith("att_") and shape is not None:
            option = "num_heads" if len(shape) != 3 or shape[1] != h else "out_dim"
        if option:
            self._option_error(name, shape, option)

    # -- kernel helpers -----------------------------------------------------------------
    def _score_matrix(self, att, weight, width):
        """(H, width) = blockdiag(att) @ weight: the logit of head h is x . row h."""
        h, c = self._config.num_heads, self.head_channels
        buf, _ = self._params[att]
        bd = array("f", bytes(4 * h * h * c))
        for hh in range(h):
            bd[hh * h * c + hh * c: hh * h * c + (hh + 1) * c] = buf[hh * c:(hh + 1) * c]
        out, optr = _arrays.output((h, width), False)
        rc = _kernel.K.matmul(bd.buffer_info()[0], self._ptr(weight), optr, h, h * c, width, 0)
        raise_for_status(rc, (), "EdgeFeaturedAttention")
        return out

    def _linear(self, X, rows, weight_ptr, width, cols):
        out, optr = _arrays.output((rows, width), False)
        if rows:
            rc = _kernel.K.linear(X.ptr, weight_ptr, None, optr, rows, cols, width, 0)
            raise_for_status(rc, (X,), "EdgeFeaturedAttention")
        return out, optr

    def _edges(self, edge_features, count, what):
        fe = self._config.edge_dim
        if not fe:
            if edge_features is not None:
                raise DimensionMismatchError(f"{what}: edge_features given but this "
                                             "EdgeFeaturedAttention has edge_dim = 0")
            return None
        if edge_features is None:
            raise DimensionMismatchError(
                f"{what}: edge_features is required (one row of {fe} features per edge): this "
                f"EdgeFeaturedAttention has edge_dim = {fe}", expected=(count, fe), actual=None)
        return _arrays.matrix(edge_features, "edge_features", cols=fe, rows=count,
                              allow_empty=count == 0)

    def _aggregate(self, Xdst, Xsrc, Vsrc, E, indptr_ptr, indices_ptr, num_dst, num_src, nnz,
                   out_ptr):
        """Logits from the folded score matrices, then rv_gat_aggregate over the num_dst
        CSR rows (nnz edges), split across threads."""
        c, d, h = self._config, self._config.node_dim, self._config.num_heads
        hc = h * self.head_channels
        ms = self._score_matrix("att_src", "lin.weight", d)  # kept alive across the calls
        md = self._score_matrix("att_dst", "lin.weight", d)
        _asrc, asp = self._linear(Xsrc, num_src, ms.buffer_info()[0], h, d)
        _adst, adp = self._linear(Xdst, num_dst, md.buffer_info()[0], h, d)
        aep = None
        if E is not None:
            me = self._score_matrix("att_edge", "lin_edge.weight", c.edge_dim)
            _aedge, aep = self._linear(E, E.shape[0], me.buffer_info()[0], h, c.edge_dim)
        _y, yp = self._linear(Vsrc, num_src, self._ptr("lin.weight"), hc, d)
        bias = self._ptr("bias") or None
        _w, wptr = _arrays.output((nnz * h,), False)  # (E,H): the kernel's logits, then weights

        def call(begin, end):
            return _kernel.K.gat_aggregate(asp, adp, aep, yp, indptr_ptr, indices_ptr, num_dst, nnz,
                                           num_src, h, self.head_channels, c.negative_slope,
                                           int(c.concat), bias, begin, end, out_ptr, wptr)

        return run_rows(num_dst, call)

    def _neighbourhood(self, q, K, V, E, indptr_ptr, indices_ptr, edges, out_ptr, weights_ptr):
        """One target over its CSR row of ``edges`` keys: per head, logits x·(Wᵀa)_h, the
        kernel's softmax-weighted sum of the raw values z_h = Σ_j α_hj v_j (D,), then W_h z_h;
        weights (H, edges) when ``weights_ptr`` is given."""
        c, d, h, ch = self._config, self._config.node_dim, self._config.num_heads, self.head_channels
        n = K.shape[0]
        scores = [self._score_matrix("att_src", "lin.weight", d),  # (H, D) each
                  self._score_matrix("att_dst", "lin.weight", d)]
        if E is not None:
            scores.append(self._score_matrix("att_edge", "lin_edge.weight", c.edge_dim))
        z, zp = _arrays.output((h, d), False)  # (H,D)
        if not weights_ptr:  # the kernel's per-head logits and weights: (H, edges)
            _w, weights_ptr = _arrays.output((h * max(edges, 1),), False)
        for hh in range(h):
            _as, asp = self._linear(K, n, scores[0].buffer_info()[0] + hh * d * F32, 1, d)
            _ad, adp = self._linear(q, 1, scores[1].buffer_info()[0] + hh * d * F32, 1, d)
            aep = None
            if E is not None:
                _ae, aep = self._linear(E, E.shape[0], scores[2].buffer_info()[0] + hh * c.edge_dim * F32,
                                        1, c.edge_dim)
            rc = _kernel.K.gat_aggregate(asp, adp, aep, V.ptr, indptr_ptr, indices_ptr, 1, edges, n,
                                         1, d, c.negative_slope, 1, None, 0, 1, zp + hh * d * F32,
                                         weights_ptr + hh * edges * F32)
            if rc:
                return rc
        w, bias = self._ptr("lin.weight"), self._ptr("bias") or None
        if c.concat:  # out_h = W_h z_h + bias_h
            for hh in range(h):
                rc = _kernel.K.linear(zp + hh * d * F32, w + hh * ch * d * F32,
                                      bias + hh * ch * F32 if bias else None,
                                      out_ptr + hh * ch * F32, 1, d, ch, 0)
                if rc:
                    return rc
            return 0
        per_head, pp = _arrays.output((h, ch), False)  # (H,C): W_h z_h, then their mean
        for hh in range(h):
            rc = _kernel.K.linear(zp + hh * d * F32, w + hh * ch * d * F32, None, pp + hh * ch * F32,
                                  1, d, ch, 0)
            if rc:
                return rc
        if bias:
            _kernel.copy_bytes(out_ptr, bias, ch * F32)
        mean = array("f", [1.0 / h]) * h
        return _kernel.K.matmul(mean.buffer_info()[0], pp, out_ptr, 1, h, ch, 1)

    # -- one node's neighbourhood ---------------------------------------------------------
    def _single(self, query, keys, values, mask, edge_features, weights, what):
        d = self._config.node_dim
        q = _arrays.vector(query, "query", d)
        K = _arrays.matrix(keys, "keys", cols=d)
        V = K if values is None else key_value_pair(K.owner, values, d)[1]
        if V.shape[1] != d:
            raise DimensionMismatchError(f"values rows have {V.shape[1]} features, expected {d} "
                                         "(messages are W v_j)", expected=d, actual=V.shape[1])
        n = K.shape[0]
        E = self._edges(edge_features, n, what)
        live = range(n)
        if mask is not None:
            m = _arrays.mask_array(mask, n)
            live = [j for j in range(n) if m.owner[j]]
        if E is not None and len(live) < n:  # edge rows follow the kept keys (CSR order)
            E = _gather_rows(E, live)
        # indices never empty: an all-masked row is the CSR row [0, 0) over a real buffer
        indptr, indices = array("q", [0, len(live)]), array("q", live or [0])
        numpy = q.numpy or K.numpy or V.numpy
        out, optr = _arrays.output((self.out_width,), numpy)
        h = self._config.num_heads
        # weights head-major (H, len(live)): row hh of the kernel's per-head calls
        w, wptr = _arrays.output((h * max(len(live), 1),), False) if weights else (None, None)
        rc = self._neighbourhood(q, K, V, E, indptr.buffer_info()[0],
                                 indices.buffer_info()[0], len(live), optr, wptr)
        if rc:
            raise_for_status(rc, tuple(t for t in (q, K, V, E) if t is not None), what)
        return out, w, live, numpy

    @exported(returns="vector")
    def forward_with_edges(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike,
                           edge_features: ArrayLike) -> Array:
        """Output (out,) of node i (query) over its neighbours j (keys, values) with the
        edge features (N, Fe) of the edges j -> i."""
        out, _, _, _ = self._single(query, keys, values, None, edge_features, False,
                                    "EdgeFeaturedAttention.forward_with_edges")
        return _arrays.result(out, (self.out_width,))

    @exported(returns="vector")
    def forward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, *,
                mask: MaskLike | None = None, edge_features: ArrayLike | None = None) -> Array:
        """As ``forward_with_edges``; masked keys take no part (all masked: bias only)."""
        out, _, _, _ = self._single(query, keys, values, mask, edge_features, False,
                                    "EdgeFeaturedAttention.forward")
        return _arrays.result(out, (self.out_width,))

    def _head_weights(self, query, keys, mask, edge_features, what):
        """Per-head weights as a flat list (H*N, head-major), N, numpy."""
        n = _arrays.matrix(keys, "keys", cols=self._config.node_dim).shape[0]
        _, w, live, numpy = self._single(query, keys, None, mask, edge_features, True, what)
        h = self._config.num_heads
        if len(live) == n:  # no mask: the kernel's (H, N) rows are the answer
            return list(w[:h * n]), n, numpy
        flat, k = [0.0] * (h * n), len(live)
        for hh in range(h):
            for e, j in enumerate(live):
                flat[hh * n + j] = w[hh * k + e]
        return flat, n, numpy

    @exported(returns="matrix")
    def head_attention_weights(self, query: ArrayLike, keys: ArrayLike, *,
                               mask: MaskLike | None = None, edge_features: ArrayLike | None = None) -> Array:
        """Per-head softmax weights (H, N); masked keys get 0."""
        flat, n, numpy = self._head_weights(query, keys, mask, edge_features,
                                            "EdgeFeaturedAttention.head_attention_weights")
        return _filled((self._config.num_heads, n), flat, numpy)

    @exported(returns="vector")
    def attention_weights(self, query: ArrayLike, keys: ArrayLike, *, mask: MaskLike | None = None,
                          edge_features: ArrayLike | None = None) -> Array:
        """Softmax weights (N,), the mean over heads."""
        flat, n, numpy = self._head_weights(query, keys, mask, edge_features,
                                            "EdgeFeaturedAttention.attention_weights")
        h = self._config.num_heads
        return _filled((n,), [sum(flat[hh * n + j] for hh in range(h)) / h for j in range(n)],
                       numpy)

    @exported(returns="matrix", keys="sets", values="sets")
    def forward_batch(self, queries: ArrayLike, keys: ArrayLike, values: ArrayLike, *,
                      mask: MaskLike | None = None, edge_features: ArrayLike | None = None) -> Array:
        """Queries (B, Din) over the same keys / values / edge features -> (B, out)."""
        Q = _arrays.matrix(queries, "queries", cols=self._config.node_dim)
        b, w = Q.shape[0], self.out_width
        out, optr = _arrays.output((b, w), Q.numpy)
        for i in range(b):
            o = self.forward(_arrays.row(Q, i), keys, values, mask=mask, edge_features=edge_features)
            _kernel.copy_bytes(optr + i * w * F32, _arrays.f32(o, "row").ptr, w * F32)
        return _arrays.result(out, (b, w))

    # -- the whole graph ------------------------------------------------------------------
    @exported(returns="matrix")
    def forward_graph(self, features: ArrayLike, indptr: IndexLike, indices: IndexLike, *,
                      values: ArrayLike | None = None, edge_features: ArrayLike | None = None) -> Array:
        """PyG GATConv over a CSR graph: row i lists the sources j of the edges j -> i,
        ``edge_features`` (E, Fe) in the same order as ``indices``
        (``graph.csr_from_edge_index`` builds both from PyG's ``edge_index``). -> (N, out);
        an isolated node gives ``bias`` (with ``add_self_loops``: its own message)."""
        X, V, ip, ix = graph_inputs(features, indptr, indices, values, self._config.node_dim)
        if V.shape[1] != self._config.node_dim:
            raise DimensionMismatchError(f"values rows have {V.shape[1]} features, expected "
                                         f"{self._config.node_dim}")
        num_nodes = X.shape[0]
        E = self._edges(edge_features, ix.shape[0], "EdgeFeaturedAttention.forward_graph")
        out, optr = _arrays.output((num_nodes, self.out_width), X.numpy or V.numpy)
        what = "EdgeFeaturedAttention.forward_graph"
        if self._config.add_self_loops:
            raise_for_graph_status(csr_status(ip, ix, num_nodes), X, V, ip, ix, what)
            ip, ix, E = with_self_loops(ip, ix, E, num_nodes)
        rc = self._aggregate(X, X, V, E, ip.ptr, ix.ptr or None, num_nodes, num_nodes,
                             ix.shape[0], optr)
        raise_for_graph_status(rc, X, V, ip, ix, what)
        return _arrays.result(out, (num_nodes, self.out_width))

    # -- gradients ------------------------------------------------------------------------
    @exported(returns="gradients")
    def backward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, grad_output: ArrayLike,
                 *, mask: MaskLike | None = None, edge_features: ArrayLike | None = None) -> Gradients:
        """Gradients of <forward(...), grad_output> w.r.t. query, keys, values and every
        parameter (``params`` keyed by the PyG names); float64 reverse mode in Python,
        O(N (Din + Fe) + C Din) per head (edge_backward.py)."""
        d = self._config.node_dim
        q = _arrays.vector(query, "query", d)
        K, V = key_value_pair(keys, values, d)
        n = K.shape[0]
        E = self._edges(edge_features, n, "EdgeFeaturedAttention.backward")
        g = _arrays.vector(grad_output, "grad_output", self.out_width)
        tensors = [t for t in (q, K, V, g, E) if t is not None]
        _arrays.check_finite(_kernel.K, tensors)
        live = list(range(n))
        if mask is not None:
            m = _arrays.mask_array(mask, n)
            live = [j for j in range(n) if m.owner[j]]
        def host(t, w):  # rows of float lists (the whole tensor is converted once)
            if t is None:
                return None
            flat = list(_arrays.as_floats(t))
            return [flat[i * w:(i + 1) * w] for i in range(t.size // w)]
        params = {name: list(buf) for name, (buf, _) in self._params.items()}
        gq, gK, gV, gp = gat_backward(self, list(_arrays.as_floats(q)), host(K, d), host(V, d),
                                      host(E, self._config.edge_dim or 1), live,
                                      list(_arrays.as_floats(g)), params)
        numpy = any(t.numpy for t in tensors)
        grads = {name: _filled(self._params[name][1], gp[name], numpy) for name in gp}
        return Gradients(_filled((d,), gq, numpy), _filled((n, d), gK, numpy),
                         _filled((n, d), gV, numpy), grads)


def _gather_rows(t, rows):
    """Rows ``rows`` of a 2-D float32 Tensor as a new Tensor (a copy)."""
    width = t.shape[1]
    owner, ptr = _arrays.output((max(len(rows), 1) * width,), False)
    for i, r in enumerate(rows):
        _kernel.copy_bytes(ptr + i * width * F32, t.ptr + r * width * F32, width * F32)
    return _arrays.Tensor(ptr, (len(rows), width), owner, False, t.name)
