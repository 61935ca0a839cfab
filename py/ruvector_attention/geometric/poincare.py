"""Poincaré-ball / κ-stereographic math with a signed curvature ``k`` (geoopt's
``manifolds.stereographic.math`` convention): k < 0 is the Poincaré ball of radius
1/sqrt(-k) (k = -1: the unit ball), k = 0 Euclidean space (with the conformal
factor 2, as geoopt), k > 0 the stereographic projection of a sphere. Every
function is continuous at k = 0 (Taylor series in k below ``GEO_SERIES_LIMIT``).

    x ⊕_k y   = ((1 - 2k<x,y> - k|y|²) x + (1 + k|x|²) y) / (1 - 2k<x,y> + k²|x|²|y|²)
    d_k(x, y) = 2 artan_k(|(-x) ⊕_k y|) = 2 arsin_k(|x - y| / sqrt((1 + k|x|²)(1 + k|y|²)))
    exp_x(v)  = x ⊕_k tan_k(λ_x |v| / 2) v/|v|,   λ_x = 2 / (1 + k|x|²)
    log_x(y)  = 2/λ_x artan_k(|(-x) ⊕_k y|) · ((-x) ⊕_k y)/|(-x) ⊕_k y|
    r ⊗_k x   = tan_k(r artan_k(|x|)) x/|x|
    gyromidpoint(x_i; w_i) = 1/2 ⊗_k (Σ w_i λ_i x_i / Σ w_i (λ_i - 1))

(Ungar 2008; Bachmann, Bécigneul & Ganea 2020, https://arxiv.org/abs/1911.05076.)
With k = -1 the distance is the spec's arccosh(1 + 2|x-y|² / ((1-|x|²)(1-|y|²))).

Shapes: points are vectors (D,) or rows (N, D); two row arguments broadcast
(one of them may be a single vector). Point-valued results are pulled inside
the ball (k < 0) with the float32 margin ``GEO_BALL_EPS`` (as geoopt's manifold
methods do), so they are always inside. Inputs are not projected: pass them
through ``project_to_ball`` first if they may lie outside.

Example:
    >>> from ruvector_attention.geometric import poincare_distance, exp_map0, log_map0
    >>> round(float(poincare_distance([0.0, 0.0], [0.5, 0.0], k=-1.0)), 5)
    1.09861
    >>> [round(v, 5) for v in log_map0(exp_map0([0.3, -0.2], k=-1.0), k=-1.0).tolist()]
    [0.3, -0.2]
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .. import _arrays, _kernel
from ..errors import DimensionMismatchError, EmptyInputError, InvalidConfigError
from ..exports import exported
from ..numerics import (
    GEO_BALL_EPS,
    GEO_OP_DIST,
    GEO_OP_EXP,
    GEO_OP_EXP0,
    GEO_OP_LOG,
    GEO_OP_LOG0,
    GEO_OP_MOBIUS_ADD,
    GEO_OP_NORM,
    GEO_OP_PROJECT,
    GEO_OP_SCALAR_MUL,
)
from ..validation import raise_for_status

if TYPE_CHECKING:
    from typing import Any

    from .._typing import Array, ArrayLike

_SCALAR_OUT = (GEO_OP_DIST, GEO_OP_NORM)


def check_curvature(k: float, name: Any = "k") -> Any:
    """A finite float curvature, else InvalidConfigError naming ``name``."""
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not math.isfinite(k):
        raise InvalidConfigError(f"{name} must be a finite number, got {k!r}", field=name)
    return float(k)


def _points(x, name):
    t = _arrays.f32(x, name)
    if len(t.shape) not in (1, 2):
        raise DimensionMismatchError(f"{name} must be a point (D,) or rows (N, D), got shape "
                                     f"{tuple(t.shape)}")
    if t.shape[-1] == 0:
        raise EmptyInputError(f"{name} has no coordinates")
    return t


def _rows(op, fn, x, y, k, r=0.0, xname="x", yname="y"):
    """Run one rv_geo_rows op over broadcast rows; returns the user-facing result."""
    k = check_curvature(k)
    Y = _points(y, yname)
    X = _points(x, xname) if x is not None else None
    d = Y.shape[-1]
    if X is not None and X.shape[-1] != d:
        raise DimensionMismatchError(f"{fn}: {xname} has {X.shape[-1]} coordinates but {yname} "
                                     f"has {d}", expected=d, actual=X.shape[-1])
    rows = [t.shape[0] for t in (X, Y) if t is not None and len(t.shape) == 2]
    if len(set(rows)) > 1:
        raise DimensionMismatchError(f"{fn}: {xname} has {rows[0]} rows but {yname} has "
                                     f"{rows[1]}", expected=rows[0], actual=rows[1])
    n = rows[0] if rows else 1
    batched = bool(rows)
    shape = ((n,) if batched else ()) if op in _SCALAR_OUT else ((n, d) if batched else (d,))
    numpy = Y.numpy or bool(X is not None and X.numpy)
    out, optr = _arrays.output(shape or (1,), numpy)
    stride = lambda t: d if t is not None and len(t.shape) == 2 else 0  # noqa: E731
    rc = _kernel.K.geo_rows(op, X.ptr if X is not None else None, stride(X), Y.ptr, stride(Y),
                            n, d, k, r, optr)
    if rc:
        raise_for_status(rc, [t for t in (X, Y) if t is not None], fn)
    if not shape:  # one distance / norm: a Python float
        return float(out[0])
    return _arrays.result(out, shape)


@exported(returns="scalars")
def poincare_distance(x: ArrayLike, y: ArrayLike, *, k: float = -1.0) -> float | Array:
    """Geodesic distance d_k(x, y) (a float for two points, (N,) for rows)."""
    return _rows(GEO_OP_DIST, "poincare_distance", x, y, k)


@exported(returns="points")
def mobius_add(x: ArrayLike, y: ArrayLike, *, k: float = -1.0) -> Array:
    """Möbius (gyrovector) addition x ⊕_k y."""
    return _rows(GEO_OP_MOBIUS_ADD, "mobius_add", x, y, k)


@exported(returns="points", r="float")
def mobius_scalar_mul(r: float, x: ArrayLike, *, k: float = -1.0) -> Array:
    """Möbius scalar multiplication r ⊗_k x = tan_k(r artan_k(|x|)) x/|x|."""
    if isinstance(r, bool) or not isinstance(r, (int, float)) or not math.isfinite(r):
        raise InvalidConfigError(f"mobius_scalar_mul: r must be a finite number, got {r!r}",
                                 field="r")
    return _rows(GEO_OP_SCALAR_MUL, "mobius_scalar_mul", None, x, k, float(r), yname="x")


@exported(returns="points")
def exp_map(x: ArrayLike, v: ArrayLike, *, k: float = -1.0) -> Array:
    """Exponential map at base point x of the tangent vector v."""
    return _rows(GEO_OP_EXP, "exp_map", x, v, k, yname="v")


@exported(returns="points")
def log_map(x: ArrayLike, y: ArrayLike, *, k: float = -1.0) -> Array:
    """Logarithmic map at base point x of the point y (inverse of ``exp_map``)."""
    return _rows(GEO_OP_LOG, "log_map", x, y, k)


@exported(returns="points")
def exp_map0(v: ArrayLike, *, k: float = -1.0) -> Array:
    """Exponential map at the origin: tan_k(|v|) v/|v|."""
    return _rows(GEO_OP_EXP0, "exp_map0", None, v, k, yname="v")


@exported(returns="points")
def log_map0(y: ArrayLike, *, k: float = -1.0) -> Array:
    """Logarithmic map at the origin: artan_k(|y|) y/|y|."""
    return _rows(GEO_OP_LOG0, "log_map0", None, y, k)


@exported(returns="points", as_options=("eps",))
def project_to_ball(x: ArrayLike, eps: float = GEO_BALL_EPS, *, k: float = -1.0) -> Array:
    """Pull points with |x| > (1 - eps)/sqrt(-k) onto that radius (k < 0); identity for k >= 0."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0.0 <= eps < 1.0:
        raise InvalidConfigError(f"project_to_ball: eps must be in [0, 1), got {eps!r}",
                                 field="eps")
    return _rows(GEO_OP_PROJECT, "project_to_ball", None, x, k, float(eps))


def row_norms(x: ArrayLike) -> Array:
    """Euclidean norms of points (a float for one point, (N,) for rows)."""
    return _rows(GEO_OP_NORM, "row_norms", None, x, 0.0)


@exported(returns="vector")
def gyromidpoint(points: ArrayLike, weights: ArrayLike | None = None, *, k: float = -1.0) -> Array:
    """Weighted gyromidpoint of points (N, D) (closed form, one pass): (D,).
    ``weights`` (N,) default to 1; the result is a convex-like mean in the manifold
    (the Euclidean weighted mean at k = 0)."""
    k = check_curvature(k)
    X = _arrays.matrix(points, "points")
    n, d = X.shape
    if weights is None:
        weights = [1.0] * n
    W = _arrays.vector(weights, "weights", n)
    out, optr = _arrays.output((d,), X.numpy or W.numpy)
    rc = _kernel.K.geo_midpoint(X.ptr, W.ptr, n, d, k, optr)
    if rc:
        raise_for_status(rc, (X, W), "gyromidpoint")
    return _arrays.result(out, (d,))
