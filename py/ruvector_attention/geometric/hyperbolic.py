"""Hyperbolic (Poincaré-ball) attention and κ-stereographic manifold attention.

HyperbolicAttention (Chami et al. 2019, https://arxiv.org/abs/1910.12933; Gulcehre
et al. 2019, https://arxiv.org/abs/1805.09786):

    s_j = -d_k(q, k_j) / T,   a = softmax(s)
    out = gyromidpoint_k(v_j; a) = 1/2 ⊗_k (Σ a_j λ_j v_j / Σ a_j (λ_j - 1)),  λ_j = 2/(1 + k|v_j|²)

with d_k the Poincaré distance of curvature k < 0 (k = -1: the unit ball,
d = arccosh(1 + 2|x-y|² / ((1-|x|²)(1-|y|²)))). The aggregation is the closed-form
weighted gyromidpoint (one pass, no iterative Fréchet mean), so the output is a
point of the ball. Inputs are never clipped silently (inputs.py):
``input_mode="ball"`` (default) refuses a point with |x| >= 1/sqrt(-k) and accepts
the others (those within the float32 margin ``GEO_BALL_EPS`` of the boundary are
pulled in); ``input_mode="euclidean"`` maps Euclidean features into the ball with
the exponential map at the origin first (HGCN).

ManifoldAttention: the same on the κ-stereographic model for any sign of k
(sphere k > 0, Euclidean k = 0 where d = 2|x - y| and the midpoint is the weighted
mean, hyperbolic k < 0), continuous as k -> 0 (Bachmann et al. 2020,
https://arxiv.org/abs/1911.05076).

Shapes: query (D,), keys (N, D), values (N, DV) -> (DV,).
"""

from __future__ import annotations

import dataclasses

from .. import _arrays
from ..core.base import choice, option, register, temperature_option
from ..errors import InvalidConfigError
from ..exports import exported
from .curved import CurvedAttention, inverse_softplus, softplus
from .inputs import InputMode


@dataclasses.dataclass(frozen=True)
class HyperbolicConfig:
    dim: int = option(128, int, low=1, doc="point width D")
    curvature: float = option(-1.0, float, high=0.0, high_open=True,
                              doc="curvature k < 0 (ball radius 1/sqrt(-k))")
    temperature: float = temperature_option()
    learn_curvature: bool = option(False, bool, doc="learn k = -softplus(raw_curvature)")
    input_mode: str = option("ball", InputMode, doc="'ball': inputs are ball points "
                             "(outside: OutOfBoundsError); 'euclidean': exp_0 first")


@register
class HyperbolicAttention(CurvedAttention):
    """Attention in the Poincaré ball: scores -d_k(q, k_j)/T, gyromidpoint aggregation.

    Args:
        dim: point width D.
        curvature: k < 0 (default -1.0, the unit ball); k >= 0 is an InvalidConfigError.
        temperature: T > 0 (default 1.0).
        learn_curvature: learn k through ``raw_curvature`` with k = -softplus(raw), so it
            stays negative (default False; ``backward`` then gives its gradient).
        input_mode: ``"ball"`` (default): inputs are points of the ball, and one outside it
            is an OutOfBoundsError; ``"euclidean"``: inputs are Euclidean features, mapped
            into the ball by exp_0 (HGCN), gradients chained through it.

    Shapes: query (D,), keys (N, D), values (N, DV) -> (DV,), inside the ball.

    Example:
        >>> import ruvector_attention as ra
        >>> attn = ra.HyperbolicAttention(2, curvature=-1.0)
        >>> out = attn.forward([0.1, 0.2], [[0.1, 0.2], [-0.5, 0.1]], [[0.3, 0.0], [0.0, 0.3]])
        >>> [round(x, 4) for x in out.tolist()]
        [0.2309, 0.06]
    """

    Config = HyperbolicConfig

    def __init__(self, dim: int, curvature: float = -1.0, *, temperature: float = 1.0,
                 learn_curvature: bool = False, input_mode: str = "ball") -> None:
        super().__init__(HyperbolicConfig(dim, curvature, temperature, learn_curvature,
                                          choice(input_mode)))
        if learn_curvature:
            self._add_param("raw_curvature", (1,), [inverse_softplus(-curvature)])

    @exported(returns="number")
    @property
    def curvature(self) -> float:
        """The live curvature k (< 0)."""
        if self._config.learn_curvature:
            return -softplus(float(self._params["raw_curvature"][0][0]))
        return float(self._config.curvature)

    def _key_split(self):
        return 0, self._config.dim

    def _score_weights(self):
        return 0.0, 1.0 / self._config.temperature

    def _learns_curvature(self):
        return self._config.learn_curvature

    def _param_grads(self, g_we, g_wh, g_k):
        if not self._config.learn_curvature:
            return {}
        raw = float(self._params["raw_curvature"][0][0])
        sigmoid = 1.0 / (1.0 + pow(2.718281828459045, -raw))
        return {"raw_curvature": _param_value(-g_k * sigmoid)}


@dataclasses.dataclass(frozen=True)
class ManifoldConfig:
    dim: int = option(128, int, low=1, doc="point width D")
    curvature: float = option(-1.0, float,
                              doc="signed curvature k: < 0 ball, 0 Euclidean, > 0 sphere")
    temperature: float = temperature_option()
    input_mode: str = option("ball", InputMode, doc="'ball': inputs are points "
                             "(k < 0, outside: OutOfBoundsError); 'euclidean': exp_0 first")


@register
class ManifoldAttention(CurvedAttention):
    """κ-stereographic attention for any curvature sign, continuous at k = 0.

    Args:
        dim: point width D.
        curvature: signed curvature k (required): k < 0 Poincaré ball, k = 0 Euclidean
            (scores -2|q - k_j|/T, weighted-mean aggregation), k > 0 sphere.
        temperature: T > 0 (default 1.0).
        input_mode: ``"ball"`` (default): inputs are points of the manifold (for k < 0 one
            outside the ball is an OutOfBoundsError); ``"euclidean"``: Euclidean features
            mapped onto it by exp_0 (HGCN).

    Shapes: query (D,), keys (N, D), values (N, DV) -> (DV,).

    Example:
        >>> import ruvector_attention as ra
        >>> sphere = ra.ManifoldAttention(2, curvature=1.0)
        >>> [round(w, 4) for w in sphere.attention_weights([0.1, 0.0], [[0.1, 0.0], [0.9, 0.0]]).tolist()]
        [0.7801, 0.2199]
    """

    Config = ManifoldConfig

    def __init__(self, dim: int, *, curvature: float, temperature: float = 1.0,
                 input_mode: str = "ball") -> None:
        if isinstance(curvature, bool) or not isinstance(curvature, (int, float)):
            raise InvalidConfigError(f"ManifoldConfig.curvature must be a number, got "
                                     f"{curvature!r}", field="curvature")
        super().__init__(ManifoldConfig(dim, float(curvature), temperature, choice(input_mode)))

    @exported(returns="number")
    @property
    def curvature(self) -> float:
        return float(self._config.curvature)

    def _key_split(self):
        return 0, self._config.dim

    def _score_weights(self):
        return 0.0, 1.0 / self._config.temperature


def _param_value(x):
    owner, _ = _arrays.output((1,), _arrays.np is not None)
    owner[0] = x
    return _arrays.result(owner, (1,))
