"""Cross-space attention: a node attends over its graph neighbours and its latent
(HNSW / k-NN) neighbours, and the graph view queries the latent space (spec
FR-004.3, dual topology + latent space):

    x_g = Att(h, N_graph, N_graph);   x_l = Att(h, N_latent, N_latent)
    x_c = Att(x_g, N_latent, N_latent)
    out = Fusion(x_g, x_l, x_c)

Att is scaled dot-product attention (keys = values = the neighbour vectors,
s = 1/sqrt(D)). Fusion:
    'gate':   a = W_gate [x_g; x_l; x_c] + b_gate (3,);  out = sum_k sigmoid(a_k) x_k
    'mean':   out = mean of the present branches
    'linear': out = W_fuse [x_g; x_l; x_c] + b_fuse
An empty neighbour set removes its branches (x_g and x_c for the graph, x_l and
x_c for the latent set): they count as zero vectors and take no gate or share.

Shapes: h (D,), graph_neighbors (Ng, D), latent_neighbors (Nl, D) -> (D,).
Parameters: gate.weight (3, 3D), gate.bias (3,) | fuse.weight (D, 3D), fuse.bias (D,).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import random
from typing import TYPE_CHECKING

from .. import _arrays, _kernel
from .._parallel import run_rows
from ..core.base import Attention, Complexity, choice, option, register, seed_option
from ..errors import DimensionMismatchError, EmptyInputError, UnsupportedError
from ..exports import exported
from ..numerics import FLOAT32_BYTES as F32
from ..validation import graph_inputs, raise_for_graph_status, raise_for_status, softmax_weights
from .cross_backward import cross_backward

if TYPE_CHECKING:
    from typing import Any

    from .._typing import Array, ArrayLike, IndexLike, MaskLike
    from ..core.base import Gradients


class Fusion(enum.Enum):
    GATE = "gate"
    MEAN = "mean"
    LINEAR = "linear"


@dataclasses.dataclass(frozen=True)
class CrossSpaceConfig:
    dim: int = option(128, int, low=1, doc="width D of the node and its neighbours")
    fusion: str = option(Fusion.GATE.value, Fusion, doc="how the three views combine")
    seed: int = seed_option("seed of the fusion parameters")


@register
class CrossSpaceAttention(Attention):
    """Dual-space attention over graph neighbours and latent neighbours, fused.

    Args:
        dim: width D of the node and its neighbours.
        fusion: 'gate' (learned sigmoid gates, default), 'mean', or 'linear'
            (learned projection of the concatenated views).
        seed: seed of the initialisation (uniform ±1/sqrt(3D), torch ``nn.Linear``).

    Shapes: h (D,), graph_neighbors (Ng, D), latent_neighbors (Nl, D) -> (D,).
    ``forward(query, keys, values)`` is ``forward_cross(query, keys, values)``.

    Example:
        >>> import ruvector_attention as ra
        >>> attn = ra.CrossSpaceAttention(2, fusion="mean")
        >>> [round(x, 4) for x in attn.forward_cross([1, 0], [[1, 0]], [[0, 1]]).tolist()]
        [0.3333, 0.6667]
    """

    Config = CrossSpaceConfig
    complexity = Complexity.LINEAR  # one node: O((Ng + Nl) D + D^2)

    def __init__(self, dim: int, *, fusion: str = "gate", seed: int = 0) -> None:
        super().__init__(CrossSpaceConfig(dim, choice(fusion), seed))
        fusion = self.fusion
        self._reserve_parameters(3 * dim * dim + dim if fusion is Fusion.LINEAR else 9 * dim + 3)
        rng = random.Random(seed)
        bound = 1.0 / math.sqrt(3 * dim)

        def uniform(count):  # a generator: no Python list of count floats
            return (rng.uniform(-bound, bound) for _ in range(count))

        if fusion is Fusion.GATE:
            self._add_param("gate.weight", (3, 3 * dim), uniform(9 * dim))
            self._add_param("gate.bias", (3,), uniform(3))
        elif fusion is Fusion.LINEAR:
            self._add_param("fuse.weight", (dim, 3 * dim), uniform(3 * dim * dim))
            self._add_param("fuse.bias", (dim,), uniform(dim))
        self._scale = 1.0 / math.sqrt(dim)

    @property
    def fusion(self) -> Fusion:
        """The ``Fusion`` in use (the config stores its string value)."""
        return Fusion(self._config.fusion)

    def weight_blocks(self, name: Any, rows: int) -> Any:
        """The three (rows, D) column blocks of a (rows, 3D) weight, as contiguous buffers."""
        d = self._config.dim
        blocks = []
        for k in range(3):
            buf, ptr = _arrays.output((rows * d,), False)
            for r in range(rows):
                _kernel.copy_bytes(ptr + r * d * F32, self._ptr(name, r * 3 * d + k * d), d * F32)
            blocks.append((buf, ptr))
        return blocks

    # -- the three views, N rows at once ------------------------------------------------
    def _views(self, n, graph_call, latent_call, cross_call):
        d = self._config.dim
        views = [_arrays.output((n, d), False) for _ in range(3)]
        for call, (_, ptr) in zip((graph_call, latent_call), views):
            rc = call(ptr)
            if rc:
                return rc, views
        return cross_call(views[0][1], views[2][1]), views

    def _fuse(self, views, present, n, numpy):
        """Fusion of the (n, D) views; present: n rows of three 0/1 flags."""
        d, k = self._config.dim, _kernel.K
        out, optr = _arrays.output((n, d), numpy)
        # an absent view must be a zero row (graph rows of isolated nodes already are;
        # the cross view of a node without graph neighbours is not): zero it
        sel, sptr = _arrays.output((n * 3,), False)
        for i, p in enumerate(present):
            sel[3 * i] = p[2]
        k.fuse_rows(views[2][1], views[2][1], views[2][1], sptr, n, d, views[2][1])
        coef, cptr = _arrays.output((n * 3,), False)
        if self.fusion is Fusion.MEAN:
            for i, p in enumerate(present):
                count = sum(p)
                for b in range(3):
                    coef[3 * i + b] = p[b] / count if count else 0.0
        else:
            for i, p in enumerate(present):
                for b in range(3):
                    coef[3 * i + b] = p[b]
            if self.fusion is Fusion.LINEAR:
                for b, (_, wptr) in enumerate(self.weight_blocks("fuse.weight", d)):
                    k.linear(views[b][1], wptr, self._ptr("fuse.bias") if b == 0 else None, optr,
                             n, d, d, 1 if b else 0)
                for i, p in enumerate(present):  # a node with neither set: a zero row
                    sel[3 * i] = 1.0 if p[0] or p[1] else 0.0
                k.fuse_rows(optr, optr, optr, sptr, n, d, optr)
                return out
            logits, lptr = _arrays.output((n * 3,), False)
            for b, (_, wptr) in enumerate(self.weight_blocks("gate.weight", 3)):
                k.linear(views[b][1], wptr, self._ptr("gate.bias") if b == 0 else None, lptr,
                         n, d, 3, 1 if b else 0)
            for j in range(3 * n):
                coef[j] *= _sigmoid(logits[j])
        k.fuse_rows(views[0][1], views[1][1], views[2][1], cptr, n, d, optr)
        return out

    # -- single node --------------------------------------------------------------------
    def _inputs(self, h, graph_neighbors, latent_neighbors):
        d = self._config.dim
        q = _arrays.vector(h, "h", d)
        G = _arrays.matrix(graph_neighbors, "graph_neighbors", cols=d, allow_empty=True)
        L = _arrays.matrix(latent_neighbors, "latent_neighbors", cols=d, allow_empty=True)
        if G.shape[0] == 0 and L.shape[0] == 0:
            raise EmptyInputError("graph_neighbors and latent_neighbors are both empty")
        return q, G, L

    def _single_views(self, q, G, L):
        d, k, s = self._config.dim, _kernel.K, self._scale
        ng, nl = G.shape[0], L.shape[0]

        def att(qp, K, out):
            return k.attend(qp, K.ptr, K.ptr, None, K.shape[0], d, d, s, 0.0, 0, out, None) \
                if K.shape[0] else 0

        rc, views = self._views(1, lambda o: att(q.ptr, G, o), lambda o: att(q.ptr, L, o),
                                lambda xg, o: att(xg, L, o) if ng else 0)
        raise_for_status(rc, (q, G, L), "CrossSpaceAttention.forward_cross")
        return views, [(int(ng > 0), int(nl > 0), int(ng > 0 and nl > 0))]

    @exported(returns="vector")
    def forward_cross(self, h: ArrayLike, graph_neighbors: ArrayLike, latent_neighbors: ArrayLike) -> Array:
        """Fused output (D,) for node ``h``; either neighbour set may be empty (not both)."""
        q, G, L = self._inputs(h, graph_neighbors, latent_neighbors)
        views, present = self._single_views(q, G, L)
        out = self._fuse(views, present, 1, q.numpy or G.numpy or L.numpy)
        d = self._config.dim
        return out.reshape(d) if hasattr(out, "reshape") else _arrays.result(out, (d,))

    @exported(returns="vector")
    def forward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, *, mask: MaskLike | None = None) -> Array:
        """``forward_cross(query, keys, values)``: keys are the graph neighbours, values
        the latent neighbours (both (N, D)). A ``mask`` is refused (UnsupportedError):
        the two neighbour sets already say which vectors take part."""
        if mask is not None:
            raise UnsupportedError("CrossSpaceAttention takes no mask: pass the neighbour sets")
        return self.forward_cross(query, keys, values)

    @exported(returns="vector")
    def attention_weights(self, query: ArrayLike, keys: ArrayLike, *, mask: MaskLike | None = None) -> Array:
        """Weights (N,) of the graph view x_g = Att(h, keys, keys): softmax(K h / sqrt(D));
        masked keys get 0 (what the visualizer draws on the neighbour edges)."""
        return softmax_weights(query, keys, mask, self._config.dim, self._scale,
                               "CrossSpaceAttention.attention_weights")

    def backward_cross(self, h: ArrayLike, graph_neighbors: ArrayLike, latent_neighbors: ArrayLike,
                       grad_output: ArrayLike) -> Gradients:
        """Gradients of <output, grad_output>: ``query`` (D,) for h, ``keys`` (Ng, D) for
        the graph neighbours, ``values`` (Nl, D) for the latent neighbours, and
        ``params`` for the fusion parameters."""
        q, G, L = self._inputs(h, graph_neighbors, latent_neighbors)
        g = _arrays.vector(grad_output, "grad_output", self._config.dim)
        views, present = self._single_views(q, G, L)
        return cross_backward(self, q, G, L, g, views, present[0])

    @exported(returns="gradients")
    def backward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, grad_output: ArrayLike,
                 *, mask: MaskLike | None = None) -> Gradients:
        """``backward_cross(query, keys, values, grad_output)``."""
        if mask is not None:
            raise UnsupportedError("CrossSpaceAttention takes no mask: pass the neighbour sets")
        return self.backward_cross(query, keys, values, grad_output)

    # -- whole graph --------------------------------------------------------------------
    @exported(returns="matrix")
    def forward_graph(self, features: ArrayLike, indptr: IndexLike, indices: IndexLike, *,
                      values: ArrayLike | None = None, edge_features: ArrayLike | None = None,
                      latent_indptr: IndexLike | None = None,
                      latent_indices: IndexLike | None = None) -> Array:
        """Every node i: ``forward_cross(X[i], X[graph nbrs(i)], X[latent nbrs(i)])``
        with graph CSR (indptr, indices) and latent CSR (latent_indptr,
        latent_indices); a node with neither gives a zero row. -> (N, D)."""
        self._no_edge_features(edge_features)
        if values is not None:
            raise UnsupportedError("CrossSpaceAttention.forward_graph uses the features as values")
        if latent_indptr is None or latent_indices is None:
            raise EmptyInputError("CrossSpaceAttention.forward_graph needs latent_indptr and "
                                  "latent_indices (the latent-space neighbour CSR)")
        d, k, s = self._config.dim, _kernel.K, self._scale
        X, _, ip, ix = graph_inputs(features, indptr, indices, None, d)
        _, _, lp, lx = graph_inputs(X.owner, latent_indptr, latent_indices, None, d)
        n = X.shape[0]
        if lp.shape[0] != ip.shape[0]:
            raise DimensionMismatchError("latent_indptr and indptr describe different node counts")

        def rows(indptr_t, indices_t, what):
            """Row i: query queries[i] over X[nbrs(i)] of the CSR (indptr_t, indices_t)."""
            def run(optr, queries=X.ptr):
                rc = run_rows(n, lambda b, e: k.attend_csr(
                    queries, X.ptr, X.ptr, indptr_t.ptr, indices_t.ptr, n, indices_t.shape[0], n,
                    d, d, s, b, e, optr, None))
                raise_for_graph_status(rc, X, X, indptr_t, indices_t,
                                       f"CrossSpaceAttention.forward_graph ({what})")
                return 0
            return run

        cross = rows(lp, lx, "cross")
        _, views = self._views(n, rows(ip, ix, "graph"), rows(lp, lx, "latent"),
                               lambda xg, o: cross(o, xg))
        present = []
        for i in range(n):
            pg = int(ip.owner[i + 1] > ip.owner[i])
            pl = int(lp.owner[i + 1] > lp.owner[i])
            present.append((pg, pl, pg & pl))
        return _arrays.result(self._fuse(views, present, n, X.numpy), (n, d))


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
