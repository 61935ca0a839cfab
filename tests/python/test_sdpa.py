"""ScaledDotProductAttention: forward and attention_weights against the float64 twin
and against torch.nn.functional.scaled_dot_product_attention."""

import dataclasses

import pytest

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")

import reference as R  # noqa: E402
import ruvector_attention as ra  # noqa: E402
from inputs import DIMS, SIZES, rand, rand_mask  # noqa: E402
from tolerances import assert_close  # noqa: E402


@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("n", SIZES)
def test_forward_and_weights_match_reference(n, d):
    q, k, v = rand(d, 1), rand((n, d), 2), rand((n, d), 3)
    attn = ra.ScaledDotProductAttention(d)
    out = attn.forward(q, k, v)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    assert_close(out, R.sdpa_forward(q, k, v), ("sdpa", "forward"), what=f"n={n} d={d}")
    w = attn.attention_weights(q, k)
    assert_close(w, R.sdpa_weights(q, k), ("sdpa", "weights"), what=f"n={n} d={d}")


@pytest.mark.parametrize("n,d,dv", [(5, 7, 1), (17, 3, 33), (128, 33, 5), (1000, 128, 17)])
def test_value_width_differs_from_key_width(n, d, dv):
    q, k, v = rand(d, 4), rand((n, d), 5), rand((n, dv), 6)
    out = ra.ScaledDotProductAttention(d).forward(q, k, v)
    assert_close(out, R.sdpa_forward(q, k, v), ("sdpa", "forward"))


@pytest.mark.parametrize("temperature,scale", [(1.0, None), (0.25, None), (3.0, None), (1.0, 0.05), (2.0, 1.5)])
@pytest.mark.parametrize("masked", [False, True])
def test_matches_torch_sdpa(temperature, scale, masked):
    n, d, dv = 127, 33, 17
    q, k, v = rand(d, 7), rand((n, d), 8), rand((n, dv), 9)
    mask = rand_mask(n, 10) if masked else None
    attn = ra.ScaledDotProductAttention(d, temperature=temperature, scale=scale)
    torch_out = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q, dtype=torch.float64)[None, None],
        torch.tensor(k, dtype=torch.float64)[None],
        torch.tensor(v, dtype=torch.float64)[None],
        attn_mask=None if mask is None else torch.tensor(mask)[None],
        # torch's `scale` multiplies q.k; ours is divided by the temperature on top.
        scale=R.logit_scale(d, temperature, scale),
    )[0, 0]
    assert_close(attn.forward(q, k, v, mask=mask), torch_out, ("sdpa", "torch"))
    ref_kw = dict(temperature=temperature, scale=scale, mask=mask)
    assert_close(attn.forward(q, k, v, mask=mask), R.sdpa_forward(q, k, v, **ref_kw), ("sdpa", "forward"))
    assert_close(attn.attention_weights(q, k, mask=mask), R.sdpa_weights(q, k, **ref_kw), ("sdpa", "weights"))


@pytest.mark.parametrize("n", [1, 5, 17, 1000])
def test_masked_keys_get_zero_weight_and_equal_removing_them(n):
    d = 17
    q, k, v = rand(d, 11), rand((n, d), 12), rand((n, d), 13)
    mask = rand_mask(n, 14, keep=0.5)
    attn = ra.ScaledDotProductAttention(d)
    w = attn.attention_weights(q, k, mask=mask)
    assert np.all(w[~mask] == 0.0)
    assert_close(w[mask], R.sdpa_weights(q, k[mask]), ("sdpa", "weights"))
    assert_close(attn.forward(q, k, v, mask=mask), attn.forward(q, k[mask], v[mask]), ("sdpa", "forward"))


@pytest.mark.parametrize("n", [1, 4, 17, 1000])
def test_fully_masked_query_gives_zeros_not_nan(n):
    d = 7
    attn = ra.ScaledDotProductAttention(d)
    mask = np.zeros(n, dtype=bool)
    out = attn.forward(rand(d, 1), rand((n, d), 2), rand((n, 5), 3), mask=mask)
    w = attn.attention_weights(rand(d, 1), rand((n, d), 2), mask=mask)
    np.testing.assert_array_equal(out, np.zeros(5, np.float32))
    np.testing.assert_array_equal(w, np.zeros(n, np.float32))


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("n", [3, 17, 1000])
def test_logits_near_plus_minus_1000_stay_finite(sign, n):
    """Overflow bait: logits of about +-1000 with gaps of ~1 between keys."""
    d = 4
    q = np.full(d, 1.0, np.float32)
    # q.k / sqrt(d) = sign * (1000 - j): huge magnitude, O(1) differences.
    k = (sign * (1000.0 - np.arange(n, dtype=np.float64))[:, None] * np.sqrt(d) / d * np.ones((1, d))).astype(np.float32)
    v = rand((n, 3), 5)
    attn = ra.ScaledDotProductAttention(d)
    w = attn.attention_weights(q, k)
    out = attn.forward(q, k, v)
    assert np.all(np.isfinite(w)) and np.all(np.isfinite(out))
    assert abs(float(w.sum()) - 1.0) < 1e-5
    assert_close(w, R.sdpa_weights(q, k), ("sdpa", "large_logits"))


def test_single_key_has_weight_one_and_returns_its_value():
    d = 33
    v = rand((1, 5), 3)
    attn = ra.ScaledDotProductAttention(d)
    np.testing.assert_array_equal(attn.attention_weights(rand(d, 1), rand((1, d), 2)), [1.0])
    assert_close(attn.forward(rand(d, 1), rand((1, d), 2), v), v[0], ("sdpa", "single_key"))


def test_identical_keys_give_uniform_weights():
    d, n = 17, 10
    k = np.tile(rand(d, 2), (n, 1))
    w = ra.ScaledDotProductAttention(d).attention_weights(rand(d, 1), k)
    assert_close(w, np.full(n, 0.1), ("weights", "uniform"))


def test_accepts_any_float_dtype_and_strides():
    d, n = 17, 33
    q64, k64, v64 = rand(d, 1).astype(np.float64), rand((n, 2 * d), 2).astype(np.float64), rand((2 * n, d), 3)
    k_view, v_view = k64[:, ::2], v64[::2]  # non-contiguous views
    assert not k_view.flags.c_contiguous and not v_view.flags.c_contiguous
    attn = ra.ScaledDotProductAttention(d)
    out = attn.forward(q64, k_view, v_view)
    assert isinstance(out, np.ndarray) and out.shape == (d,)
    assert_close(out, R.sdpa_forward(q64, k_view, v_view), ("sdpa", "forward"))
    out16 = attn.forward(q64.astype(np.float16), k_view.astype(np.float16), v_view.astype(np.float16))
    assert_close(out16, R.sdpa_forward(q64.astype(np.float16), k_view.astype(np.float16),
                                       v_view.astype(np.float16)), ("sdpa", "forward"))


def test_torch_tensors_are_accepted_through_array_protocol():
    d, n = 7, 5
    q, k, v = rand(d, 1), rand((n, d), 2), rand((n, d), 3)
    out = ra.ScaledDotProductAttention(d).forward(torch.tensor(q), torch.tensor(k), torch.tensor(v))
    assert_close(np.asarray(out), R.sdpa_forward(q, k, v), ("sdpa", "forward"))


def test_non_numpy_inputs_give_shaped_float32_memoryview():
    from array import array

    d, n = 3, 4
    q, k, v = rand(d, 1), rand((n, d), 2), rand((n, 5), 3)
    attn = ra.ScaledDotProductAttention(d)
    out = attn.forward(array("f", q.tolist()), memoryview(k).cast("B").cast("f", (n, d)), v.tolist())
    assert isinstance(out, ra.FloatArray) and out.format == "f" and out.shape == (5,)
    assert_close(np.asarray(out), R.sdpa_forward(q, k, v), ("sdpa", "forward"))
    w = attn.attention_weights(q.tolist(), k.tolist())
    assert isinstance(w, ra.FloatArray) and w.shape == (n,)


def test_descriptive_attributes():
    attn = ra.ScaledDotProductAttention(64, temperature=2.0)
    assert attn.hidden_dim == 64
    assert isinstance(attn.complexity, ra.Complexity)
    assert attn.supports_variable_length is True
    cfg = attn.config()
    assert cfg.dim == 64 and cfg.temperature == 2.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.dim = 3  # frozen dataclass


def test_hundred_thousand_keys():
    """DESIGN.md section 8 promises linear cost up to 100 000 neighbours: check the
    answer there too (accumulated f32 error over 1e5 keys stays in budget)."""
    n, d = 100_000, 33
    q, k, v = rand(d, 1), rand((n, d), 2), rand((n, 5), 3)
    attn = ra.ScaledDotProductAttention(d)
    assert_close(attn.forward(q, k, v), R.sdpa_forward(q, k, v), ("sdpa", "forward"), what="n=1e5")
    w = attn.attention_weights(q, k)
    assert_close(w, R.sdpa_weights(q, k), ("sdpa", "weights"), what="n=1e5")
    assert abs(float(w.sum(dtype=np.float64)) - 1.0) < 1e-4
