"""The shared machinery of curved-space attention: one fused kernel pass
(``rv_geo_attend``) over a product space E^de × M_k^dh — scores
``we <q_e, k_e> - wh d_k(q_h, k_h)``, an online softmax, values aggregated per
component (weighted sum / weighted gyromidpoint). ``HyperbolicAttention``,
``ManifoldAttention`` (de = 0) and ``MixedCurvatureAttention`` are thin subclasses.

Shapes: query (D,), keys (N, D), values (N, DV) -> (DV,); D = de + dh, and DV
splits the same way (dve Euclidean value columns first, the rest curved).
"""

from __future__ import annotations

import math
from array import array
from typing import TYPE_CHECKING

from .. import _arrays, _kernel
from .._parallel import run_rows
from ..core.base import Attention, Complexity, Gradients, direct_plan
from ..exports import exported
from ..numerics import FLOAT32_BYTES as F32
from ..numerics import FLOAT64_BYTES as F64
from ..numerics import GEO_BALL_EPS, GEO_PULL, GEO_PULL_OR_REFUSE
from ..validation import batch_inputs, graph_inputs, key_value_pair, raise_for_graph_status, raise_for_status
from . import poincare
from .inputs import InputMode, check_in_ball, exp0_backward, to_manifold

if TYPE_CHECKING:
    from typing import Any

    from .._typing import Array, ArrayLike, IndexLike, MaskLike


def softplus(x: ArrayLike) -> Any:
    """log(1 + e^x) without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def inverse_softplus(y: ArrayLike) -> Any:
    """x with softplus(x) = y > 0."""
    return y + math.log(-math.expm1(-y))


class CurvedAttention(Attention):
    """Base of the curved-space mechanisms (not registered itself). Subclasses give
    ``_key_split()`` -> (de, dh), ``_value_split(dv)`` -> (dve, dvh),
    ``_score_weights()`` -> (we, wh) and the property ``curvature``."""

    complexity = Complexity.LINEAR  # one query: O(N D)

    @property
    def _mode(self):
        return InputMode(self._config.input_mode)

    # -- geometry -------------------------------------------------------------------
    def _geo(self, dv):
        de, dh = self._key_split()
        dve, dvh = self._value_split(dv)
        we, wh = self._score_weights()
        return de, dh, dve, dvh, we, wh

    def _value_split(self, dv):
        return 0, dv  # values are points of the curved space

    def _plan_values(self):
        """(value width or None for any, dve, dvh) for the direct plan: any width, all curved."""
        return None, 0, "dv"

    def _direct_plan(self):
        """How js/src/direct.ts may run ``forward`` by calling ``rv_geo_attend`` itself (the
        curvature and score weights are parameters: JS asks again after load_state_dict);
        the kernel refuses a point outside the ball, and Python then names it; None in
        the Euclidean input mode, whose exponential map runs here)."""
        if self._mode is InputMode.EUCLIDEAN:
            return None
        de, dh = self._key_split()
        we, wh = self._score_weights()
        value_dim, dve, dvh = self._plan_values()
        return direct_plan(self.hidden_dim, value_dim, None, "geo_attend",
                           ["query", "keys", "values", None, None, "mask", 1, 0, "n", de, dh, dve,
                            dvh, self.curvature, we, wh, GEO_PULL_OR_REFUSE, 0, 1,
                            {"scratch": max(dh, 1)}, "out", None])

    def _points(self, tensors, geo, what):
        """The kernel's points for (query, keys, values): checked against the ball (BALL
        mode) or mapped onto the manifold by exp_0 (EUCLIDEAN mode), see inputs.py."""
        k, de, dh, dve, dvh = self.curvature, *geo[:4]
        _arrays.check_finite(_kernel.K, tensors)  # a NaN is named as such, not as outside
        out, done = [], {}
        for t, start, width in zip(tensors, (de, de, dve), (dh, dh, dvh)):
            key = (id(t), start, width)
            if key not in done:
                if self._mode is InputMode.EUCLIDEAN:
                    done[key] = to_manifold(t, start, width, k, what)
                else:
                    check_in_ball(t.name, t, start, width, k, type(self).__name__)
                    done[key] = t
            out.append(done[key])
        return out

    # -- the manifold's math at the live curvature (spec §4.5 methods) -----------------
    def current_curvature(self) -> Any:
        """The curvature k in use (the learned value when curvature is learned)."""
        return self.curvature

    @exported(returns="scalars")
    def poincare_distance(self, x: ArrayLike, y: ArrayLike) -> float | Array:
        """d_k(x, y) at this mechanism's curvature (see ``geometric.poincare_distance``)."""
        return poincare.poincare_distance(x, y, k=self.curvature)

    @exported(returns="points")
    def mobius_add(self, x: ArrayLike, y: ArrayLike) -> Array:
        return poincare.mobius_add(x, y, k=self.curvature)

    @exported(returns="points")
    def exp_map(self, x: ArrayLike, v: ArrayLike) -> Array:
        return poincare.exp_map(x, v, k=self.curvature)

    @exported(returns="points")
    def log_map(self, x: ArrayLike, y: ArrayLike) -> Array:
        return poincare.log_map(x, y, k=self.curvature)

    @exported(returns="points")
    def project_to_ball(self, x: ArrayLike, eps: float = GEO_BALL_EPS) -> Array:
        return poincare.project_to_ball(x, eps, k=self.curvature)

    # -- single query -----------------------------------------------------------------
    def _inputs(self, query, keys, values, mask):
        d = self.hidden_dim
        q = _arrays.vector(query, "query", d)
        K, V = key_value_pair(keys, values, d)
        m = _arrays.mask_array(mask, K.shape[0]) if mask is not None else None
        return q, K, V, m

    def _attend(self, q, K, V, m, weights_ptr, geo, optr, what):
        n = K.shape[0]
        de, dh, dve, dvh, we, wh = geo
        _, scratch = _arrays.output((max(dh, 1),), False)
        rc = _kernel.K.geo_attend(q.ptr, K.ptr, V.ptr, None, None, m.ptr if m else None, 1, 0, n,
                                  de, dh, dve, dvh, self.curvature, we, wh, GEO_PULL, 0, 1, scratch,
                                  optr, weights_ptr)
        if rc:
            raise_for_status(rc, (q, K, V), what)

    @exported(returns="vector")
    def forward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, *, mask: MaskLike | None = None) -> Array:
        """Attention output for one query (DV,). A fully masked query gives zeros."""
        q, K, V, m = self._inputs(query, keys, values, mask)
        dv = V.shape[1]
        geo = self._geo(dv)
        numpy = q.numpy or K.numpy or V.numpy
        q, K, V = self._points((q, K, V), geo, f"{type(self).__name__}.forward")
        out, optr = _arrays.output((dv,), numpy)
        self._attend(q, K, V, m, None, geo, optr, f"{type(self).__name__}.forward")
        return _arrays.result(out, (dv,))

    @exported(returns="vector")
    def attention_weights(self, query: ArrayLike, keys: ArrayLike, *, mask: MaskLike | None = None) -> Array:
        """Softmax weights (N,); masked keys get 0."""
        d = self.hidden_dim
        q = _arrays.vector(query, "query", d)
        K = _arrays.matrix(keys, "keys", cols=d)
        n = K.shape[0]
        m = _arrays.mask_array(mask, n) if mask is not None else None
        geo = self._geo(d)
        w, wptr = _arrays.output((n,), q.numpy or K.numpy)
        q, K, _ = self._points((q, K, K), geo, f"{type(self).__name__}.attention_weights")
        _, optr = _arrays.output((d,), False)
        self._attend(q, K, K, m, wptr, geo, optr, f"{type(self).__name__}.attention_weights")
        return _arrays.result(w, (n,))

    # -- many queries -----------------------------------------------------------------
    @exported(returns="matrix", keys="sets", values="sets")
    def forward_batch(self, queries: ArrayLike, keys: ArrayLike, values: ArrayLike, *,
                      mask: MaskLike | None = None) -> Array:
        """Queries (B, D) over shared keys (N, D) / values (N, DV), or per-query sets
        (B, N, D) / (B, N, DV). -> (B, DV)."""
        Q, K, V, m, own = batch_inputs(queries, keys, values, mask, self.hidden_dim)
        b, dv = Q.shape[0], V.shape[-1]
        out, optr = _arrays.output((b, dv), Q.numpy or K.numpy or V.numpy)
        for i in range(b):
            mi = None if m is None else [bool(v) for v in
                                         (list(m.owner)[i * K.shape[-2]:(i + 1) * K.shape[-2]]
                                          if own else m.owner)]
            o = self.forward(_arrays.row(Q, i), _arrays.slab(K, i) if own else K.owner,
                             _arrays.slab(V, i) if own else V.owner, mask=mi)
            _kernel.copy_bytes(optr + i * dv * F32, _arrays.f32(o, "row").ptr, dv * F32)
        return _arrays.result(out, (b, dv))

    @exported(returns="matrix")
    def forward_graph(self, features: ArrayLike, indptr: IndexLike, indices: IndexLike, *,
                      values: ArrayLike | None = None, edge_features: ArrayLike | None = None) -> Array:
        """Every node attends to its CSR neighbours: out[i] = forward(X[i], X[nbrs(i)],
        V[nbrs(i)]). features (N, D), values (N, DV) (default: features) -> (N, DV);
        an isolated node gives a zero row."""
        self._no_edge_features(edge_features)
        X, V, ip, ix = graph_inputs(features, indptr, indices, values, self.hidden_dim)
        num_nodes, dv = V.shape
        geo = self._geo(dv)
        de, dh, dve, dvh, we, wh = geo
        out, optr = _arrays.output((num_nodes, dv), X.numpy or V.numpy)
        X, _, V = self._points((X, X, V), geo, f"{type(self).__name__}.forward_graph")
        k = self.curvature

        def call(begin, end):
            _, scratch = _arrays.output((max(dh, 1),), False)
            return _kernel.K.geo_attend(X.ptr, X.ptr, V.ptr, ip.ptr, ix.ptr, None, num_nodes,
                                        ix.shape[0], num_nodes, de, dh, dve, dvh, k, we, wh,
                                        GEO_PULL, begin, end, scratch, optr, None)
        raise_for_graph_status(run_rows(num_nodes, call), X, V, ip, ix,
                               f"{type(self).__name__}.forward_graph")
        return _arrays.result(out, (num_nodes, dv))

    # -- gradients --------------------------------------------------------------------
    @exported(returns="gradients")
    def backward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, grad_output: ArrayLike,
                 *, mask: MaskLike | None = None) -> Gradients:
        """Gradients of <forward(...), grad_output> w.r.t. query (D,), keys (N, D),
        values (N, DV) and the learned parameters, in float64 in the kernel
        (``rv_geo_backward``: reverse mode; a learned curvature's by forward mode)."""
        q, K, V, m = self._inputs(query, keys, values, mask)
        n, d = K.shape
        dv = V.shape[1]
        g = _arrays.vector(grad_output, "grad_output", dv)
        tensors = (q, K, V, g)
        _arrays.check_finite(_kernel.K, tensors)
        geo = self._geo(dv)
        inputs = (q, K, V)
        q, K, V = self._points(inputs, geo, f"{type(self).__name__}.backward")
        de, dh, dve, dvh, we, wh = geo
        numpy = any(t.numpy for t in tensors)
        gq, gqp = _arrays.output((d,), numpy)
        gK, gKp = _arrays.output((n, d), numpy)
        gV, gVp = _arrays.output((n, dv), numpy)
        params = array("d", bytes(3 * F64))
        work = array("d", bytes((10 * n + de + 4 * dh + 5 * dvh) * F64))
        rc = _kernel.K.geo_backward(q.ptr, K.ptr, V.ptr, m.ptr if m else None, n, de, dh, dve,
                                    dvh, self.curvature, we, wh, GEO_PULL, g.ptr, gqp,
                                    gKp, gVp, int(self._learns_curvature()),
                                    params.buffer_info()[0], work.buffer_info()[0])
        raise_for_status(rc, tensors, f"{type(self).__name__}.backward")
        grads = [_arrays.result(gq, (d,)), _arrays.result(gK, (n, d)), _arrays.result(gV, (n, dv))]
        if self._mode is InputMode.EUCLIDEAN:  # chain through exp_0 (inputs.py)
            for i, (t, start, width) in enumerate(zip(inputs, (de, de, dve), (dh, dh, dvh))):
                if width:
                    chained, dk = exp0_backward(t, grads[i], start, width, self.curvature)
                    grads[i] = _filled(t.shape, chained, numpy)
                    params[2] += dk
        return Gradients(*grads, self._param_grads(*params))

    def _learns_curvature(self):
        return False

    def _param_grads(self, g_we, g_wh, g_k):
        return {}


def _filled(shape, values, numpy):
    """An output of ``shape`` holding ``values`` (a flat or nested list of floats)."""
    flat = [float(x) for row in values for x in row] if values and isinstance(values[0], list) \
        else [float(x) for x in values]
    owner, _ = _arrays.output(shape, numpy)
    if numpy:
        owner.reshape(-1)[:] = flat
    else:
        owner[:] = type(owner)("f", flat)
    return _arrays.result(owner, shape)
