"""HyperbolicAttention, ManifoldAttention, MixedCurvatureAttention: kernel vs the
float64 twin (geoopt dist / weighted_midpoint), backward vs torch autograd through
geoopt, the spec's boundary tests, k -> 0 continuity and bad input."""

import math

import numpy as np
import pytest
import ruvector_attention as ra
import torch
from reference_geometric import curved_attention, curved_attention_torch
from ruvector_attention import _kernel
from tolerances import assert_close

H_FWD, H_W = ("hyperbolic", "forward"), ("hyperbolic", "weights")


def ball(rng, shape, k=-1.0, top=0.9):
    x = rng.normal(size=shape)
    norms = rng.uniform(0.05, top, size=shape[:-1] + (1,)) / math.sqrt(abs(k))
    return (x / np.linalg.norm(x, axis=-1, keepdims=True) * norms).astype(np.float32)


@pytest.mark.parametrize("k", [-1.0, -0.25, -3.0])
@pytest.mark.parametrize("d,n", [(1, 3), (8, 33), (13, 70)])
def test_hyperbolic_matches_twin(k, d, n):
    rng = np.random.default_rng(d * n)
    q, K, V = ball(rng, (d,), k), ball(rng, (n, d), k), ball(rng, (n, 5), k)
    mask = rng.uniform(size=n) > 0.3
    mask[0] = True
    attn = ra.HyperbolicAttention(d, curvature=k, temperature=0.7)
    out, w = curved_attention(q, K, V, k=k, wh=1 / 0.7, mask=mask)
    assert_close(attn.forward(q, K, V, mask=mask), out, H_FWD)
    assert_close(attn.attention_weights(q, K, mask=mask), w, H_W)


@pytest.mark.parametrize("k", [-1.0, 0.0, 1e-6, -1e-6, 0.8, 2.0])
def test_manifold_matches_twin_for_every_sign(k):
    rng = np.random.default_rng(5)
    q, K, V = ball(rng, (9,), k or 1.0), ball(rng, (20, 9), k or 1.0), ball(rng, (20, 4), k or 1.0)
    attn = ra.ManifoldAttention(9, k=k, temperature=1.3)
    out, w = curved_attention(q, K, V, k=k, wh=1 / 1.3)
    assert_close(attn.forward(q, K, V), out, H_FWD)
    assert_close(attn.attention_weights(q, K), w, H_W)


def test_manifold_is_continuous_at_k_zero():
    rng = np.random.default_rng(6)
    q, K, V = ball(rng, (16,)), ball(rng, (40, 16)), ball(rng, (40, 16))
    q64, K64, V64 = (a.astype(np.float64) for a in (q, K, V))
    s = -2 * np.linalg.norm(K64 - q64, axis=1)  # Euclidean: d = 2|x - y|, weighted mean
    a = np.exp(s - s.max())
    a /= a.sum()
    for k in (-1e-6, 0.0, 1e-6):
        assert_close(ra.ManifoldAttention(16, k=k).forward(q, K, V), a @ V64, H_FWD)


def test_spec_boundary_cases():
    rng = np.random.default_rng(0)
    keys, values = rng.normal(size=(10, 128)), rng.normal(size=(10, 128))
    attn = ra.HyperbolicAttention(128, -1.0)
    assert np.linalg.norm(attn.forward(np.full(128, 0.5), keys, values)) < 0.99
    assert np.linalg.norm(attn.forward([0.99] * 128, keys, values)) < 1.0
    u = np.ones(128) / math.sqrt(128) * (1 - 1e-7)  # norm 1 - 1e-7
    out = attn.forward(u, np.stack([u, -u, 0.5 * u]), np.stack([u, -u, 0.5 * u]))
    assert np.all(np.isfinite(out)) and np.linalg.norm(out) < 1.0


def test_inputs_outside_the_ball_can_raise_instead():
    attn = ra.HyperbolicAttention(2, project_inputs=False)
    with pytest.raises(ra.OutOfBoundsError, match=r"keys\[1\] has norm"):
        attn.forward([0.1, 0.1], [[0.1, 0.0], [1.0, 0.5]], [[0.1, 0.0], [0.1, 0.0]])
    with pytest.raises(ra.OutOfBoundsError, match="query"):
        attn.attention_weights([2.0, 0.0], [[0.1, 0.0]])
    half = ra.HyperbolicAttention(2, curvature=-4.0, project_inputs=False)  # radius 0.5
    with pytest.raises(ra.OutOfBoundsError, match=r"values\[0\]"):
        half.forward([0.1, 0.1], [[0.1, 0.0]], [[0.6, 0.0]])


@pytest.mark.parametrize("bad", [0.0, 0.5, float("nan"), "x"])
def test_curvature_must_be_negative(bad):
    with pytest.raises(ra.InvalidConfigError) as e:
        ra.HyperbolicAttention(4, curvature=bad)
    assert e.value.field == "curvature"
    with pytest.raises(ra.InvalidConfigError) as e:
        ra.MixedCurvatureAttention(2, 2, curvature=bad)
    assert e.value.field == "curvature"


@pytest.mark.parametrize("k,learn", [(-1.0, False), (-0.6, True), (-2.0, True)])
def test_hyperbolic_backward_matches_torch(k, learn):
    rng = np.random.default_rng(11)
    q, K, V, g = ball(rng, (6,), k), ball(rng, (7, 6), k), ball(rng, (7, 4), k), rng.normal(size=4)
    K[2] *= 3.0  # outside the ball: the projection is differentiated too
    mask = [True, True, True, False, True, True, True]
    attn = ra.HyperbolicAttention(6, curvature=k, temperature=0.8, learn_curvature=learn)
    got = attn.backward(q, K, V, g, mask=mask)
    tq, tK, tV = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (q, K, V))
    kt = torch.tensor(k, dtype=torch.float64, requires_grad=True)
    out = curved_attention_torch(tq, tK, tV, k=kt, wh=1 / 0.8, mask=mask)
    (out @ torch.tensor(g)).backward()
    key = ("hyperbolic", "backward")
    assert_close(got.query, tq.grad, key, what="query")
    assert_close(got.keys, tK.grad, key, what="keys")
    assert_close(got.values, tV.grad, key, what="values")
    if learn:
        raw = float(attn.state_dict()["raw_curvature"][0])
        assert attn.curvature == pytest.approx(k, rel=1e-6)
        assert_close(got.params["raw_curvature"], [-kt.grad.item() / (1 + math.exp(-raw))], key)
    else:
        assert got.params == {}


def test_mixed_backward_at_size_with_projection_and_mask_matches_torch():
    """The kernel's reverse mode (rv_geo_backward) at n = 301, odd widths, some keys and
    values outside the ball, a mask; every gradient against torch autograd."""
    rng = np.random.default_rng(14)
    a, b, n, k, T = 5, 11, 301, -1.3, 0.7
    q = np.concatenate([rng.normal(size=a), ball(rng, (b,), k)]).astype(np.float32)
    K = np.concatenate([rng.normal(size=(n, a)), ball(rng, (n, b), k)], 1).astype(np.float32)
    V = np.concatenate([rng.normal(size=(n, a)), ball(rng, (n, b), k)], 1).astype(np.float32)
    K[::17, a:] *= 4.0
    V[::13, a:] *= 4.0
    g = rng.normal(size=a + b)
    mask = rng.random(n) > 0.1
    attn = ra.MixedCurvatureAttention(a, b, curvature=k, temperature=T)
    got = attn.backward(q, K, V, g, mask=mask)
    tq, tK, tV = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (q, K, V))
    we, wh = (torch.tensor(1.0, dtype=torch.float64, requires_grad=True) for _ in range(2))
    o = curved_attention_torch(tq, tK, tV, k=k, de=a, dve=a, we=we / math.sqrt(a) / T, wh=wh / T,
                               mask=mask)
    (o @ torch.tensor(g)).backward()
    key = ("hyperbolic", "backward")
    for x, y, what in ((got.query, tq.grad, "query"), (got.keys, tK.grad, "keys"),
                       (got.values, tV.grad, "values"),
                       (got.params["euclidean_weight"], [we.grad.item()], "we"),
                       (got.params["hyperbolic_weight"], [wh.grad.item()], "wh")):
        assert_close(x, y, key, what=what)
    assert not np.any(got.keys[~mask]) and not np.any(got.values[~mask])


def test_learned_curvature_gradient_near_the_origin_matches_torch():
    """Points with |k| |x|^2 < 1e-3: the Taylor-series branches of arsin_k / artan_k / tan_k
    and their k-derivatives (the kernel's forward mode), against torch autograd."""
    rng = np.random.default_rng(15)
    k = -0.8
    q, K, V = (ball(rng, shape, k) * 0.03 for shape in ((6,), (9, 6), (9, 4)))
    g = rng.normal(size=4)
    attn = ra.HyperbolicAttention(6, curvature=k, learn_curvature=True)
    got = attn.backward(q, K, V, g)
    tq, tK, tV = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (q, K, V))
    kt = torch.tensor(attn.curvature, dtype=torch.float64, requires_grad=True)
    (curved_attention_torch(tq, tK, tV, k=kt) @ torch.tensor(g)).backward()
    raw = float(attn.state_dict()["raw_curvature"][0])
    # the gradient is ~5e-7 here: relative tolerance only (float32 result of a float64 sum)
    np.testing.assert_allclose(got.params["raw_curvature"], [-kt.grad.item() / (1 + math.exp(-raw))],
                               rtol=2e-6, atol=0)
    assert_close(got.keys, tK.grad, ("hyperbolic", "backward"), what="keys")


def test_learned_curvature_stays_negative():
    attn = ra.HyperbolicAttention(2, curvature=-1.0, learn_curvature=True)
    for raw in (-50.0, 0.0, 30.0):
        attn.load_state_dict({"raw_curvature": np.array([raw], np.float32)})
        assert attn.curvature < 0
        assert np.all(np.isfinite(attn.forward([0.1, 0.2], [[0.3, 0.1]], [[0.2, 0.2]])))


@pytest.mark.parametrize("k", [0.7, -1e-6])
def test_manifold_backward_matches_torch(k):
    rng = np.random.default_rng(12)
    q, K, V, g = ball(rng, (5,)), ball(rng, (6, 5)), ball(rng, (6, 3)), rng.normal(size=3)
    got = ra.ManifoldAttention(5, k=k).backward(q, K, V, g)
    tq, tK, tV = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (q, K, V))
    (curved_attention_torch(tq, tK, tV, k=k) @ torch.tensor(g)).backward()
    for a, b in ((got.query, tq.grad), (got.keys, tK.grad), (got.values, tV.grad)):
        assert_close(a, b, ("hyperbolic", "backward"))


def test_mixed_curvature_forward_backward_and_params():
    rng = np.random.default_rng(13)
    a, b, T = 3, 4, 0.9
    q = np.concatenate([rng.normal(size=a), ball(rng, (b,))]).astype(np.float32)
    K = np.concatenate([rng.normal(size=(8, a)), ball(rng, (8, b))], 1).astype(np.float32)
    V = np.concatenate([rng.normal(size=(8, a)), ball(rng, (8, b))], 1).astype(np.float32)
    g = rng.normal(size=a + b)
    attn = ra.MixedCurvatureAttention(a, b, curvature=-0.7, temperature=T)
    attn.load_state_dict({"euclidean_weight": np.array([0.6], np.float32),
                          "hyperbolic_weight": np.array([1.7], np.float32)})
    out, _ = curved_attention(q, K, V, k=-0.7, de=a, dve=a, we=0.6 / math.sqrt(a) / T, wh=1.7 / T)
    assert_close(attn.forward(q, K, V), out, H_FWD)
    got = attn.backward(q, K, V, g)
    tq, tK, tV = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (q, K, V))
    we, wh = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.6, 1.7))
    o = curved_attention_torch(tq, tK, tV, k=-0.7, de=a, dve=a, we=we / math.sqrt(a) / T, wh=wh / T)
    (o @ torch.tensor(g)).backward()
    key = ("hyperbolic", "backward")
    for x, y in ((got.query, tq.grad), (got.keys, tK.grad), (got.values, tV.grad),
                 (got.params["euclidean_weight"], [we.grad.item()]),
                 (got.params["hyperbolic_weight"], [wh.grad.item()])):
        assert_close(x, y, key)
    scores = attn.space_scores(q, K)
    assert scores.shape == (2, 8) and np.all(scores[1] <= 0)
    with pytest.raises(ra.DimensionMismatchError, match="euclidean_dim"):
        attn.forward(q, K, V[:, :5])


def test_graph_batch_and_isa_consistency():
    rng = np.random.default_rng(14)
    X, V = ball(rng, (30, 8)), ball(rng, (30, 3))
    indptr = [0]
    indices = []
    for i in range(30):
        nb = [] if i == 4 else list(rng.choice(30, size=rng.integers(1, 9), replace=False))
        indices += nb
        indptr.append(len(indices))
    attn = ra.HyperbolicAttention(8, curvature=-1.5)
    out = attn.forward_graph(X, indptr, indices, values=V)
    key = ("hyperbolic", "consistency")
    for i in range(30):
        nb = indices[indptr[i]:indptr[i + 1]]
        expect = np.zeros(3) if not nb else attn.forward(X[i], X[nb], V[nb])
        assert_close(out[i], expect, key, what=f"row {i}")
    batch = attn.forward_batch(X[:5], X[5:12], V[5:12])
    for i in range(5):
        assert_close(batch[i], attn.forward(X[i], X[5:12], V[5:12]), key)
    previous = _kernel.use_isa("scalar")
    try:
        scalar = attn.forward_graph(X, indptr, indices, values=V)
    finally:
        _kernel.use_isa(previous)
    assert_close(scalar, out, ("hyperbolic", "scalar_vs_simd"))
    with pytest.raises(ra.OutOfBoundsError, match=r"indices\[0\] = 99"):
        attn.forward_graph(X, [0, 1] + [1] * 29, [99])


def test_masks_overflow_bait_and_nan():
    attn = ra.HyperbolicAttention(3, temperature=1e-4)  # scores near -1e4: online softmax
    q, K = [0.1, 0.2, 0.0], [[0.1, 0.2, 0.0], [-0.8, 0.1, 0.1], [0.5, -0.5, 0.2]]
    w = attn.attention_weights(q, K)
    assert np.all(np.isfinite(w)) and float(w[0]) == pytest.approx(1.0)
    assert np.all(np.asarray(attn.forward(q, K, K, mask=[False] * 3)) == 0)
    assert np.all(np.asarray(attn.attention_weights(q, K, mask=[False] * 3)) == 0)
    with pytest.raises(ra.NumericalInstabilityError, match=r"keys\[1\]\[2\] is nan"):
        attn.forward(q, [[0.1, 0.2, 0.0], [0.1, 0.2, float("nan")]], K[:2])
    with pytest.raises(ra.NumericalInstabilityError, match="grad_output"):
        attn.backward(q, K, K, [float("nan")] * 3)
    with pytest.raises(ra.DimensionMismatchError):
        attn.forward(q, K, K[:2])
    with pytest.raises(ra.EmptyInputError):
        attn.forward(q, [], [])


def test_lists_in_memoryviews_out_and_save_load(tmp_path):
    attn = ra.HyperbolicAttention(2, curvature=-0.5, learn_curvature=True)
    out = attn.forward([0.1, 0.2], [[0.3, 0.1], [0.0, -0.2]], [[0.2, 0.2], [0.1, 0.0]])
    assert isinstance(out, ra.FloatArray) and out.shape == (2,)
    attn.save(tmp_path / "h.safetensors")
    back = ra.HyperbolicAttention.load(tmp_path / "h.safetensors")
    assert back.curvature == pytest.approx(attn.curvature)
    assert back.config() == attn.config()
