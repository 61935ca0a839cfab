"""LinearAttention: the kernel equals the float64 FAVOR+ twin for the same features;
the estimate approaches exact softmax attention like 1/sqrt(M); inputs of large
norm stay finite and of the right magnitude; relu / elu+1; prepared keys, seeds,
redraw; typed errors."""

import math

import pytest

np = pytest.importorskip("numpy")

import reference as R  # noqa: E402
import reference_sparse as RS  # noqa: E402
import ruvector_attention as ra  # noqa: E402
from inputs import rand, rand_mask  # noqa: E402
from tolerances import assert_close  # noqa: E402


def features_of(attn):
    return attn.state_dict()["projection_matrix"]


@pytest.mark.parametrize("norm", [0.5, 1.0, 5.0, 10.0])
def test_kernel_equals_float64_twin(norm):
    d, n, m = 32, 60, 64
    rng = np.random.default_rng(1)
    k = rng.standard_normal((n, d))
    q = rng.standard_normal((4, d))
    k *= norm / np.linalg.norm(k, axis=1, keepdims=True)
    q *= norm / np.linalg.norm(q, axis=1, keepdims=True)
    v = rand((n, 5), 2)
    attn = ra.LinearAttention(d, m, seed=3)
    out = attn.forward_batch(q.astype(np.float32), k.astype(np.float32), v)
    twin = RS.favor_forward(q, k, v, features_of(attn), scale=1 / math.sqrt(d))
    assert_close(out, twin, ("linear", "forward"), what=f"norm={norm}")


def test_large_norm_does_not_collapse():
    """d = 128, norms 5-10: exp underflow makes naive FAVOR+ return ~1e-16."""
    d, n = 128, 100
    rng = np.random.default_rng(2)
    k = rng.standard_normal((n, d))
    k *= rng.uniform(5, 10, (n, 1)) / np.linalg.norm(k, axis=1, keepdims=True)
    q = k[:8] * 1.0
    v = np.abs(rand((n, 16), 3)) + 1.0  # values in [1, ~4]: any convex combination too
    out = ra.LinearAttention(d, 256).forward_batch(q.astype(np.float32), k.astype(np.float32), v)
    assert np.all(np.isfinite(out))
    assert out.min() > 0.9 and out.max() < v.max() + 1e-3


def _mean_rel_error(m, norm, seeds=3):
    d, n = 128, 200
    rng = np.random.default_rng(7)
    k = rng.standard_normal((n, d))
    k *= norm / np.linalg.norm(k, axis=1, keepdims=True)
    q = rng.standard_normal((20, d))
    q *= norm / np.linalg.norm(q, axis=1, keepdims=True)
    v = rng.standard_normal((n, d))
    k, q, v = (x.astype(np.float32) for x in (k, q, v))
    exact = np.stack([R.sdpa_forward(qi, k, v) for qi in q])
    errs = []
    for seed in range(seeds):
        out = ra.LinearAttention(d, m, seed=seed).forward_batch(q, k, v)
        errs.append(np.mean(np.linalg.norm(out - exact, axis=1) / np.linalg.norm(exact, axis=1)))
    return float(np.mean(errs))


@pytest.mark.parametrize("norm", [1.0, 5.0])
def test_error_falls_like_inverse_sqrt_m(norm):
    e64, e256, e1024 = (_mean_rel_error(m, norm) for m in (64, 256, 1024))
    # 1/sqrt(M): each 4x more features halves the error; a stalled (biased) estimator
    # would keep the ratio near 1
    assert 0.3 < e256 / e64 < 0.75 and 0.3 < e1024 / e256 < 0.75, (e64, e256, e1024)
    if norm == 1.0:
        assert e1024 < 0.02


def test_prepared_keys_reused_and_seeded():
    d, n = 16, 50
    k, v, q = rand((n, d), 1), rand((n, 3), 2), rand((6, d), 3)
    a, b = ra.LinearAttention(d, 32, seed=5), ra.LinearAttention(d, 32, seed=5)
    assert np.array_equal(features_of(a), features_of(b))
    prepared = a.prepare_keys(k, v)
    batch = a.forward_prepared(q, prepared)
    singles = np.stack([a.forward_prepared(qi, prepared) for qi in q])
    assert_close(batch, singles, ("linear", "consistency"))
    assert_close(a.forward(q[0], k, v), singles[0], ("linear", "consistency"))
    with pytest.raises(ra.InvalidConfigError, match="set_keys"):
        a.forward_prepared(q)
    a.set_keys(k, v)
    assert np.array_equal(a.forward_prepared(q), batch)
    a.redraw_features()
    assert not np.array_equal(features_of(a), features_of(b))
    with pytest.raises(ra.InvalidConfigError, match="prepare_keys again"):
        a.forward_prepared(q, prepared)
    assert not np.array_equal(ra.LinearAttention(d, 32, seed=6).state_dict()["projection_matrix"],
                              features_of(b))


def test_orthogonal_blocks_are_orthogonal_with_chi_lengths():
    W = features_of(ra.LinearAttention(16, 40, seed=1)).astype(np.float64)
    block = W[:16] / np.linalg.norm(W[:16], axis=1, keepdims=True)
    assert_close(block @ block.T, np.eye(16), ("linear", "orthogonality"))
    lengths = np.linalg.norm(W, axis=1)
    assert 2.5 < lengths.mean() < 5.5 and lengths.std() > 0.1  # chi_16 mean ~3.94


@pytest.mark.parametrize("kernel", ["relu", "elu+1"])
def test_relu_and_elu_against_explicit_features(kernel):
    d, n = 12, 40
    k, v, q = rand((n, d), 4), rand((n, 3), 5), rand(d, 6)
    attn = ra.LinearAttention(d, 24, kernel=kernel)
    if kernel == "relu":
        W = features_of(attn).astype(np.float64)
        phi = lambda x: np.maximum(x @ W.T * d ** -0.25, 0) + 1e-3  # noqa: E731
    else:
        assert attn.state_dict() == {}
        phi = lambda x: np.where(x > 0, x + 1, np.exp(np.minimum(x, 0)))  # noqa: E731
    w = phi(np.float64(k)) @ phi(np.float64(q))
    assert_close(attn.forward(q, k, v), (w / w.sum()) @ v, ("linear", "forward"))


def test_normalize_option_approximates_cosine_attention():
    d, n = 64, 80
    k, v, q = rand((n, d), 7) * 8, rand((n, 4), 8), rand(d, 9) * 8
    out = ra.LinearAttention(d, 1024, normalize=True).forward(q, k, v)
    kn, qn = k / np.linalg.norm(k, axis=1, keepdims=True), q / np.linalg.norm(q)
    exact = R.sdpa_forward(qn, kn, v)
    assert np.linalg.norm(out - exact) / np.linalg.norm(exact) < 0.05


@pytest.mark.parametrize("norm", [1.0, 8.0])
def test_attention_weights_equal_twin_beyond_4096_keys(norm):
    """One pass over the keys, no (N, N) identity: any N; favor+ in log space, so keys of
    norm 8 (exp(q.k/sqrt d) far past f32 range in parts) still give exact weights."""
    d, n, m = 16, 5000, 32
    rng = np.random.default_rng(5)
    k = rng.standard_normal((n, d))
    k *= norm / np.linalg.norm(k, axis=1, keepdims=True)
    q = k[17] * 1.0
    mask = rand_mask(n, 6)
    attn = ra.LinearAttention(d, m, seed=2)
    for msk in (None, mask):
        w = attn.attention_weights(q.astype(np.float32), k.astype(np.float32), mask=msk)
        twin = RS.favor_weights(q, k, features_of(attn), scale=d ** -0.5, mask=msk)
        assert w.shape == (n,) and abs(w.sum() - 1) < 1e-4
        assert_close(w, twin, ("linear", "weights"), what=f"norm={norm} mask={msk is not None}")
    # the weights are the ones forward uses: w @ V equals the output
    v = rand((n, 3), 7)
    assert_close(w @ v, attn.forward(q, k, v, mask=mask), ("linear", "forward"))


@pytest.mark.parametrize("kernel", ["relu", "elu+1"])
def test_attention_weights_relu_elu_explicit_features(kernel):
    d, n = 12, 4500
    k, q = rand((n, d), 4), rand(d, 6)
    attn = ra.LinearAttention(d, 24, kernel=kernel)
    if kernel == "relu":
        W = features_of(attn).astype(np.float64)
        phi = lambda x: np.maximum(x @ W.T * d ** -0.25, 0) + 1e-3  # noqa: E731
    else:
        phi = lambda x: np.where(x > 0, x + 1, np.exp(np.minimum(x, 0)))  # noqa: E731
    w = phi(np.float64(k)) @ phi(np.float64(q))
    assert_close(attn.attention_weights(q, k), w / w.sum(), ("linear", "weights"))


@pytest.mark.parametrize("kernel", ["favor+", "relu", "elu+1"])
def test_nan_key_is_a_typed_error_for_every_feature_map(kernel):
    """relu(NaN) must not become 0 + eps: forward, prepare_keys and the weights all say where."""
    k, v = rand((5, 8), 1), rand((5, 2), 2)
    k[3, 2] = np.nan
    attn = ra.LinearAttention(8, 16, kernel=kernel)
    for call in (lambda: attn.forward(rand(8, 3), k, v), lambda: attn.attention_weights(rand(8, 3), k)):
        with pytest.raises(ra.NumericalInstabilityError, match=r"keys\[3\]\[2\]"):
            call()


def test_masks_and_fully_masked():
    d, n = 8, 30
    k, v, q = rand((n, d), 1), rand((n, 3), 2), rand(d, 3)
    m = rand_mask(n, 4)
    attn = ra.LinearAttention(d, 16)
    twin = RS.favor_forward(q[None], k, v, features_of(attn), scale=d ** -0.5, mask=m)[0]
    assert_close(attn.forward(q, k, v, mask=m), twin, ("linear", "forward"))
    assert np.array_equal(attn.forward(q, k, v, mask=np.zeros(n, bool)), np.zeros(3, np.float32))
    w = attn.attention_weights(q, k, mask=m)
    assert abs(w.sum() - 1) < 1e-5 and np.all(w[~m] == 0) and np.all(w >= 0)
    assert np.array_equal(attn.attention_weights(q, k, mask=np.zeros(n, bool)), np.zeros(n, np.float32))


def test_bad_input_typed_errors(tmp_path):
    with pytest.raises(ra.InvalidConfigError, match="kernel"):
        ra.LinearAttention(8, 16, kernel="softmax")
    with pytest.raises(ra.InvalidConfigError, match="num_features"):
        ra.LinearAttention(8, 0)
    attn = ra.LinearAttention(8, 16)
    k, v = rand((5, 8), 1), rand((5, 2), 2)
    with pytest.raises(ra.DimensionMismatchError, match="values"):
        attn.forward(rand(8, 1), k, rand((4, 2), 2))
    bad = rand(8, 1)
    bad[2] = np.nan
    with pytest.raises(ra.NumericalInstabilityError, match=r"query\[2\]"):
        attn.forward(bad, k, v)
    with pytest.raises(ra.UnsupportedError, match="prepare_keys"):
        attn.forward_prepared(rand(8, 1), {"kv": 0})
    attn.save(tmp_path / "l.safetensors")
    back = ra.load(tmp_path / "l.safetensors")
    assert np.array_equal(back.forward(rand(8, 3), k, v), attn.forward(rand(8, 3), k, v))
