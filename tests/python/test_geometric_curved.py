"""HyperbolicAttention, ManifoldAttention, MixedCurvatureAttention: kernel vs the
float64 twin (geoopt dist / weighted_midpoint), backward vs torch autograd through
geoopt, the spec's boundary tests, k -> 0 continuity and bad input."""

import math

import numpy as np
import pytest
import ruvector_attention as ra
import torch
from geoopt.manifolds.stereographic import math as gm
from reference_geometric import curved_attention, curved_attention_torch
from ruvector_attention import _kernel
from tolerances import assert_close

H_FWD, H_W = ("hyperbolic", "forward"), ("hyperbolic", "weights")
H_TORCH = ("hyperbolic", "torch")


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
    attn = ra.ManifoldAttention(9, curvature=k, temperature=1.3)
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
        assert_close(ra.ManifoldAttention(16, curvature=k).forward(q, K, V), a @ V64, H_FWD)


def test_spec_boundary_cases():
    """The spec's far-out inputs (a query of 0.5s in 128-d has norm 5.7) are Euclidean
    features: mapped in with exp_0 they give a ball point; as ball points they are refused."""
    rng = np.random.default_rng(0)
    keys, values = rng.normal(size=(10, 128)), rng.normal(size=(10, 128))
    attn = ra.HyperbolicAttention(128, -1.0, input_mode="euclidean")
    assert np.linalg.norm(attn.forward(np.full(128, 0.5), keys, values)) < 1.0
    assert np.linalg.norm(attn.forward([0.99] * 128, keys, values)) < 1.0
    with pytest.raises(ra.OutOfBoundsError, match="input_mode='euclidean'"):
        ra.HyperbolicAttention(128, -1.0).forward(np.full(128, 0.5), keys, values)
    u = np.ones(128) / math.sqrt(128) * (1 - 1e-7)  # norm 1 - 1e-7: inside, pulled in
    out = ra.HyperbolicAttention(128, -1.0).forward(u, np.stack([u, -u, 0.5 * u]),
                                                    np.stack([u, -u, 0.5 * u]))
    assert np.all(np.isfinite(out)) and np.linalg.norm(out) < 1.0


def test_inputs_outside_the_ball_are_refused_naming_the_mode():
    attn = ra.HyperbolicAttention(2)
    with pytest.raises(ra.OutOfBoundsError, match=r"keys\[1\] has norm 1.11803 >= the ball "
                       r"radius 1 .*input_mode='euclidean'"):
        attn.forward([0.1, 0.1], [[0.1, 0.0], [1.0, 0.5]], [[0.1, 0.0], [0.1, 0.0]])
    with pytest.raises(ra.OutOfBoundsError, match="query"):
        attn.attention_weights([2.0, 0.0], [[0.1, 0.0]])
    with pytest.raises(ra.OutOfBoundsError, match=r"features\[1\]"):
        attn.forward_graph([[0.1, 0.0], [1.0, 0.0]], [0, 1, 2], [1, 0])
    with pytest.raises(ra.OutOfBoundsError, match="keys"):
        attn.backward([0.1, 0.1], [[1.0, 0.0]], [[0.1, 0.0]], [1.0, 1.0])
    half = ra.HyperbolicAttention(2, curvature=-4.0)  # radius 0.5
    with pytest.raises(ra.OutOfBoundsError, match=r"values\[0\]"):
        half.forward([0.1, 0.1], [[0.1, 0.0]], [[0.6, 0.0]])
    mixed = ra.MixedCurvatureAttention(2, 2)  # only the hyperbolic columns are points
    mixed.forward([5.0, 5.0, 0.1, 0.0], [[9.0, 9.0, 0.1, 0.0]], [[9.0, 9.0, 0.1, 0.0]])
    with pytest.raises(ra.OutOfBoundsError, match=r"keys\[0\]"):
        mixed.forward([0.0, 0.0, 0.1, 0.0], [[0.0, 0.0, 0.9, 0.9]], [[0.0, 0.0, 0.1, 0.0]])
    sphere = ra.ManifoldAttention(2, curvature=1.0)  # k >= 0: no ball, every point is one
    sphere.forward([3.0, 0.0], [[5.0, 1.0]], [[2.0, 0.0]])
    with pytest.raises(ra.InvalidConfigError) as e:
        ra.HyperbolicAttention(2, input_mode="tangent")
    assert e.value.field == "input_mode"


def test_points_within_the_float32_margin_are_accepted():
    r = 1.0 / math.sqrt(2.0)
    attn = ra.HyperbolicAttention(2, curvature=-2.0)
    edge = np.array([np.nextafter(np.float32(r), np.float32(0)), 0.0], np.float32)
    assert np.linalg.norm(edge) < r
    out = attn.forward(edge, np.stack([edge, -edge]), np.stack([edge, 0.5 * edge]))
    assert np.all(np.isfinite(out)) and np.linalg.norm(out) < r


@pytest.mark.parametrize("name,make,k", [
    ("HyperbolicAttention", lambda m: ra.HyperbolicAttention(5, -0.8, input_mode=m), -0.8),
    ("ManifoldAttention", lambda m: ra.ManifoldAttention(5, curvature=0.7, input_mode=m), 0.7),
    ("MixedCurvatureAttention", lambda m: ra.MixedCurvatureAttention(2, 3, curvature=-1.2,
                                                                     input_mode=m), -1.2)])
def test_euclidean_mode_is_exp0_then_ball_mode(name, make, k):
    """HGCN: euclidean mode equals exp_0 of the inputs (geoopt's expmap0) fed to ball mode."""
    rng = np.random.default_rng(3)
    q, K, V = rng.normal(size=5), rng.normal(size=(7, 5)), rng.normal(size=(7, 5))
    start = 2 if name == "MixedCurvatureAttention" else 0

    def exp0_t(x):  # geoopt's expmap0 on the curved columns
        return torch.cat([x[..., :start], gm.expmap0(x[..., start:], k=torch.tensor(k,
                          dtype=torch.float64))], dim=-1)

    def exp0(x):
        return exp0_t(torch.tensor(x, dtype=torch.float64)).numpy()

    if k > 0:  # keep tan below its pole
        q, K, V = 0.3 * q, 0.3 * K, 0.3 * V
    euclid, ball = make("euclidean"), make("ball")
    assert_close(euclid.forward(q, K, V), ball.forward(exp0(q), exp0(K), exp0(V)), H_TORCH)
    assert_close(euclid.attention_weights(q, K), ball.attention_weights(exp0(q), exp0(K)), H_TORCH)
    g = rng.normal(size=5)
    ge = euclid.backward(q, K, V, g)
    tq, tK, tV = (torch.tensor(x, requires_grad=True) for x in (q, K, V))

    gb = ball.backward(exp0(q), exp0(K), exp0(V), g)  # gradients at the ball points
    t64 = lambda x: torch.tensor(np.asarray(x), dtype=torch.float64)  # noqa: E731
    (exp0_t(tq) @ t64(gb.query) + (exp0_t(tK) * t64(gb.keys)).sum()
     + (exp0_t(tV) * t64(gb.values)).sum()).backward()
    for got, want in ((ge.query, tq.grad), (ge.keys, tK.grad), (ge.values, tV.grad)):
        assert_close(got, want.numpy(), H_TORCH)


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
    K[2] *= (1 - 1e-3) / math.sqrt(-k) / np.linalg.norm(K[2])  # inside, within the float32
    # margin: the kernel pulls it in, and that pull is differentiated too
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
    values within the float32 margin of the boundary (pulled in), a mask; every gradient
    against torch autograd."""
    rng = np.random.default_rng(14)
    a, b, n, k, T = 5, 11, 301, -1.3, 0.7
    q = np.concatenate([rng.normal(size=a), ball(rng, (b,), k)]).astype(np.float32)
    K = np.concatenate([rng.normal(size=(n, a)), ball(rng, (n, b), k)], 1).astype(np.float32)
    V = np.concatenate([rng.normal(size=(n, a)), ball(rng, (n, b), k)], 1).astype(np.float32)
    edge = (1 - 1e-3) / math.sqrt(-k)
    K[::17, a:] *= edge / np.linalg.norm(K[::17, a:], axis=1, keepdims=True)
    V[::13, a:] *= edge / np.linalg.norm(V[::13, a:], axis=1, keepdims=True)
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
    assert_close(got.params["raw_curvature"], [-kt.grad.item() / (1 + math.exp(-raw))],
                 ("hyperbolic", "curvature_grad"))
    assert_close(got.keys, tK.grad, ("hyperbolic", "backward"), what="keys")


def test_learned_curvature_stays_negative():
    attn = ra.HyperbolicAttention(2, curvature=-1.0, learn_curvature=True)
    for raw in (-50.0, 0.0, 30.0):
        attn.load_state_dict({"raw_curvature": np.array([raw], np.float32)})
        assert attn.curvature < 0
        assert np.all(np.isfinite(attn.forward([0.05, 0.1], [[0.1, 0.05]], [[0.1, 0.1]])))


@pytest.mark.parametrize("k", [0.7, -1e-6])
def test_manifold_backward_matches_torch(k):
    rng = np.random.default_rng(12)
    q, K, V, g = ball(rng, (5,)), ball(rng, (6, 5)), ball(rng, (6, 3)), rng.normal(size=3)
    got = ra.ManifoldAttention(5, curvature=k).backward(q, K, V, g)
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
    X, V = ball(rng, (30, 8), -1.5), ball(rng, (30, 3), -1.5)
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
