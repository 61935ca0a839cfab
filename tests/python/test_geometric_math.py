"""Poincaré / κ-stereographic math vs geoopt (float64, matching k) and its identities."""

import math

import numpy as np
import pytest
import ruvector_attention as ra
import torch
from geoopt.manifolds.stereographic import math as gm
from reference_geometric import BALL_EPS_F32, project, t64
from ruvector_attention import geometric as g
from tolerances import assert_close

KS = [-1.0, -0.3, -2.5, -1e-6, 0.0, 1e-6, 0.7]
KEY = ("geometric", "math")


def points(rng, n, d, scale=0.2, k=-1.0):
    """n points with norms uniform in (0, 4 scale) of the ball radius (at most 0.9 of it)."""
    x = rng.normal(size=(n, d))
    radius = 1 / math.sqrt(abs(k)) if abs(k) > 1e-3 else 1.0
    norms = rng.uniform(0.05, min(4 * scale, 0.9), size=(n, 1)) * radius
    return (x / np.linalg.norm(x, axis=1, keepdims=True) * norms).astype(np.float32)


def kt(k):
    return torch.tensor(float(k), dtype=torch.float64)


@pytest.mark.parametrize("k", KS)
@pytest.mark.parametrize("d", [1, 7, 8, 33])  # edges of the vector widths (scalar tails)
def test_every_function_matches_geoopt(k, d):
    rng = np.random.default_rng(d)
    x, y, v = points(rng, 6, d, k=k), points(rng, 6, d, k=k), points(rng, 6, d, 0.5, k=k)
    X, Y, V = t64(x), t64(y), t64(v)
    clip = lambda a: project(a, k)  # noqa: E731  point results are pulled inside the ball
    assert_close(g.poincare_distance(x, y, k=k), gm.dist(X, Y, k=kt(k)), KEY, what="dist")
    assert_close(g.mobius_add(x, y, k=k), clip(gm.mobius_add(X, Y, k=kt(k))), KEY, what="add")
    assert_close(g.exp_map(x, v, k=k), clip(gm.expmap(X, V, k=kt(k))), KEY, what="exp")
    assert_close(g.log_map(x, y, k=k), gm.logmap(X, Y, k=kt(k)), KEY, what="log")
    assert_close(g.exp_map0(v, k=k), clip(gm.expmap0(V, k=kt(k))), KEY, what="exp0")
    assert_close(g.log_map0(y, k=k), gm.logmap0(Y, k=kt(k)), KEY, what="log0")
    assert_close(g.mobius_scalar_mul(0.7, y, k=k),
                 clip(gm.mobius_scalar_mul(kt(0.7), Y, k=kt(k))), KEY, what="scalar mul")
    w = rng.uniform(0.1, 2.0, size=6)
    assert_close(g.gyromidpoint(x, w, k=k),
                 clip(gm.weighted_midpoint(X, k=kt(k), weights=t64(w), reducedim=[0])), KEY,
                 what="midpoint")


def test_spec_distance_formula_at_k_minus_one():
    x, y = np.array([0.3, -0.1, 0.2]), np.array([-0.4, 0.25, 0.0])
    expected = math.acosh(1 + 2 * np.sum((x - y) ** 2) / ((1 - x @ x) * (1 - y @ y)))
    assert g.poincare_distance(x, y, k=-1.0) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("k", [-1.0, -0.5, 0.6])
def test_identities(k):
    rng = np.random.default_rng(7)
    x, y, v = points(rng, 8, 5, 0.2, k), points(rng, 8, 5, 0.2, k), points(rng, 8, 5, 0.2, k)
    # log_x(exp_x(v)) = v off the origin, and exp_x(log_x(y)) = y
    assert_close(g.log_map(x, g.exp_map(x, v, k=k), k=k), v, ("hyperbolic", "backward"))
    assert_close(g.exp_map(x, g.log_map(x, y, k=k), k=k), y, ("hyperbolic", "backward"))
    assert_close(g.log_map0(g.exp_map0(v, k=k), k=k), v, KEY)
    # dist(x, x) = 0, symmetry, left cancellation (-x) ⊕ (x ⊕ y) = y
    assert np.all(np.abs(g.poincare_distance(x, x, k=k)) < 1e-6)
    assert_close(g.poincare_distance(x, y, k=k), g.poincare_distance(y, x, k=k), KEY)
    assert_close(g.mobius_add(-x, g.mobius_add(x, y, k=k), k=k), y, ("hyperbolic", "backward"))
    # d(x, y) = |log_x(y)|_x = λ_x |log_x(y)|
    lam = 2 / (1 + k * np.sum(x.astype(np.float64) ** 2, 1))
    assert_close(g.poincare_distance(x, y, k=k),
                 lam * np.linalg.norm(g.log_map(x, y, k=k), axis=1), ("hyperbolic", "backward"))


@pytest.mark.parametrize("k", [-1.0, -4.0])
def test_results_stay_inside_the_ball(k):
    rng = np.random.default_rng(1)
    radius = 1 / math.sqrt(-k)
    big = (rng.normal(size=(10, 6)) * 50).astype(np.float32)
    for out in (g.exp_map0(big, k=k), g.exp_map(points(rng, 10, 6, 0.1), big, k=k),
                g.project_to_ball(big, k=k),
                g.mobius_add(g.project_to_ball(big, k=k), g.project_to_ball(big, k=k), k=k),
                g.mobius_scalar_mul(40.0, g.project_to_ball(big, k=k), k=k)):
        norms = np.linalg.norm(out, axis=-1)
        assert np.all(norms < radius) and np.all(np.isfinite(out))
        assert np.all(norms <= (1 - BALL_EPS_F32) * radius * (1 + 1e-6))


def test_near_boundary_huge_and_tiny_norms_stay_finite():
    d = 16
    u = np.ones(d) / math.sqrt(d)
    near = (u * (1 - 1e-7)).astype(np.float32)
    other = (-u * (1 - 1e-7)).astype(np.float32)
    dist = g.poincare_distance(near, other)
    assert math.isfinite(dist) and dist > 20  # far apart, finite
    assert g.poincare_distance(near, near) == 0.0
    for out in (g.log_map0(near), g.log_map(near, other), g.mobius_add(near, other),
                g.exp_map(near, other), g.exp_map0(np.full(d, 1e30, np.float32)),
                g.exp_map0(np.full(d, 1e-30, np.float32)), g.log_map0(np.zeros(d, np.float32))):
        assert np.all(np.isfinite(out))
    assert np.linalg.norm(g.exp_map0(np.full(d, 1e30, np.float32))) < 1
    assert np.all(g.log_map0(np.zeros(d, np.float32)) == 0)


def test_continuity_at_k_zero():
    rng = np.random.default_rng(4)
    x, y = points(rng, 5, 6, 0.4), points(rng, 5, 6, 0.4)
    euclid = 2 * np.linalg.norm(x.astype(np.float64) - y, axis=1)
    for k in (-1e-6, 0.0, 1e-6):
        assert_close(g.poincare_distance(x, y, k=k), euclid, KEY)
        assert_close(g.mobius_add(x, y, k=k), x.astype(np.float64) + y, KEY)


def test_outputs_follow_the_input_kind_without_numpy_types():
    out = g.mobius_add([0.1, 0.2], [0.3, -0.1], k=-1.0)
    assert isinstance(out, ra.FloatArray) and out.shape == (2,)
    assert isinstance(g.poincare_distance([0.1, 0.2], [0.3, -0.1]), float)
    rows = g.poincare_distance([[0.1, 0.2]] * 3, [0.3, -0.1])  # broadcast one point
    assert rows.shape == (3,)


def test_bad_inputs_raise_typed_errors():
    with pytest.raises(ra.NumericalInstabilityError, match=r"y\[1\] is nan"):
        g.poincare_distance([0.1, 0.2], [0.1, float("nan")])
    with pytest.raises(ra.NumericalInstabilityError, match="x"):
        g.mobius_add([float("inf"), 0.0], [0.1, 0.1])
    with pytest.raises(ra.DimensionMismatchError, match="3 coordinates"):
        g.mobius_add([0.1, 0.2, 0.3], [0.1, 0.2])
    with pytest.raises(ra.DimensionMismatchError, match="rows"):
        g.log_map([[0.1, 0.2]] * 3, [[0.1, 0.2]] * 2)
    with pytest.raises(ra.InvalidConfigError) as e:
        g.exp_map0([0.1], k=float("nan"))
    assert e.value.field == "k"
    with pytest.raises(ra.InvalidConfigError, match="eps"):
        g.project_to_ball([0.1], eps=1.5)
    with pytest.raises(ra.InvalidConfigError, match="r must"):
        g.mobius_scalar_mul("2", [0.1])
    with pytest.raises(ra.EmptyInputError):
        g.gyromidpoint([], k=-1.0)
    with pytest.raises(ra.DimensionMismatchError, match="weights"):
        g.gyromidpoint([[0.1, 0.2]] * 3, [1.0, 2.0])
