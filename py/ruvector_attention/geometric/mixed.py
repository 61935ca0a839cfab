"""Mixed-curvature attention on the product space E^a × H^b (Gu et al. 2019,
https://openreview.net/forum?id=HJxeWnCcF7; Skopek et al. 2020,
https://arxiv.org/abs/1911.08411).

Each vector splits into a Euclidean part (first a entries) and a hyperbolic part
(last b entries, a point of the Poincaré ball of curvature k < 0):

    s_j = (w_E <q_E, k_jE> / sqrt(a) - w_H d_k(q_H, k_jH)) / T,   α = softmax(s)
    out = [Σ_j α_j v_jE ,  gyromidpoint_k(v_jH; α)]

w_E, w_H are learned scalars (``euclidean_weight``, ``hyperbolic_weight``, both 1.0 at
start). Values split the same way (a + b columns).

Shapes: query (a+b,), keys (N, a+b), values (N, a+b) -> (a+b,).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

from .. import _arrays
from ..core.base import choice, option, register, temperature_option
from ..errors import DimensionMismatchError
from ..exports import exported
from .curved import CurvedAttention
from .hyperbolic import _param_value
from .inputs import InputMode
from .poincare import poincare_distance, project_to_ball

if TYPE_CHECKING:
    from .._typing import Array, ArrayLike


@dataclasses.dataclass(frozen=True)
class MixedCurvatureConfig:
    euclidean_dim: int = option(16, int, low=1, doc="Euclidean width a")
    hyperbolic_dim: int = option(16, int, low=1, doc="hyperbolic width b")
    curvature: float = option(-1.0, float, high=0.0, high_open=True,
                              doc="curvature k < 0 of the hyperbolic factor")
    temperature: float = temperature_option()
    input_mode: str = option("ball", InputMode, doc="'ball': hyperbolic parts are "
                             "ball points (outside: OutOfBoundsError); 'euclidean': exp_0")


@register
class MixedCurvatureAttention(CurvedAttention):
    """Product-space attention E^a × H^b with learned fusion of the two scores.

    Args:
        euclidean_dim: a, the Euclidean width.
        hyperbolic_dim: b, the hyperbolic width.
        curvature: k < 0 of the hyperbolic factor (default -1.0).
        temperature: T > 0 (default 1.0).
        input_mode: ``"ball"`` (default): the hyperbolic b columns are points of the ball
            (one outside it is an OutOfBoundsError); ``"euclidean"``: they are Euclidean
            features, mapped into the ball by exp_0 (HGCN). The Euclidean a columns are
            taken as they are.

    Shapes: query (a+b,), keys (N, a+b), values (N, a+b) -> (a+b,).

    Example:
        >>> import ruvector_attention as ra
        >>> attn = ra.MixedCurvatureAttention(2, 2)
        >>> out = attn.forward([1, 0, 0.1, 0], [[1, 0, 0.1, 0], [0, 1, -0.5, 0]],
        ...                    [[1, 2, 0.2, 0], [3, 4, 0, 0.2]])
        >>> [round(x, 3) for x in out.tolist()]
        [1.237, 2.237, 0.175, 0.024]
    """

    Config = MixedCurvatureConfig

    def __init__(self, euclidean_dim: int, hyperbolic_dim: int, *, curvature: float = -1.0,
                 temperature: float = 1.0, input_mode: str = "ball") -> None:
        super().__init__(MixedCurvatureConfig(euclidean_dim, hyperbolic_dim, curvature,
                                              temperature, choice(input_mode)))
        self._add_param("euclidean_weight", (1,), [1.0])
        self._add_param("hyperbolic_weight", (1,), [1.0])

    @property
    def hidden_dim(self) -> int:
        return self._config.euclidean_dim + self._config.hyperbolic_dim

    @exported(returns="number")
    @property
    def curvature(self) -> float:
        return float(self._config.curvature)

    def _key_split(self):
        return self._config.euclidean_dim, self._config.hyperbolic_dim

    def _value_split(self, dv):
        if dv != self.hidden_dim:
            raise DimensionMismatchError(
                f"MixedCurvatureAttention: values rows have {dv} features, expected "
                f"{self.hidden_dim} (euclidean_dim + hyperbolic_dim)", expected=self.hidden_dim,
                actual=dv)
        return self._config.euclidean_dim, self._config.hyperbolic_dim

    def _plan_values(self):
        return self.hidden_dim, *self._value_split(self.hidden_dim)

    def _fusion(self):
        return (float(self._params["euclidean_weight"][0][0]),
                float(self._params["hyperbolic_weight"][0][0]))

    def _score_weights(self):
        w_e, w_h = self._fusion()
        t = self._config.temperature
        return w_e / (math.sqrt(self._config.euclidean_dim) * t), w_h / t

    def _param_grads(self, g_we, g_wh, g_k):
        t = self._config.temperature
        return {"euclidean_weight": _param_value(g_we / (math.sqrt(self._config.euclidean_dim) * t)),
                "hyperbolic_weight": _param_value(g_wh / t)}

    @exported(returns="matrix")
    def space_scores(self, query: ArrayLike, keys: ArrayLike) -> Array:
        """The two unweighted score components per key, (2, N): row 0 the scaled
        dot-products <q_E, k_E>/sqrt(a), row 1 the negated distances -d_k(q_H, k_H)."""
        a = self._config.euclidean_dim
        q = _arrays.vector(query, "query", self.hidden_dim)
        K = _arrays.matrix(keys, "keys", cols=self.hidden_dim)
        numpy = q.numpy or K.numpy
        q, K, _ = self._points((q, K, K), self._geo(self.hidden_dim),
                               "MixedCurvatureAttention.space_scores")
        qf, Kf = list(_arrays.as_floats(q)), list(_arrays.as_floats(K))
        n, d = K.shape
        rows = [Kf[i * d:(i + 1) * d] for i in range(n)]
        euclid = [sum(x * y for x, y in zip(qf[:a], r[:a])) / math.sqrt(a) for r in rows]
        k = self.curvature
        qh = project_to_ball(qf[a:], k=k)  # the kernel's margin pull (points are inside)
        kh = project_to_ball([r[a:] for r in rows], k=k)
        dist = poincare_distance(qh, kh, k=k)
        out, _ = _arrays.output((2, n), numpy)
        flat = euclid + [-float(x) for x in dist.tolist()]
        if numpy:
            out.reshape(-1)[:] = flat
        else:
            out[:] = type(out)("f", flat)
        return _arrays.result(out, (2, n))
