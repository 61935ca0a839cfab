"""Hypothesis property tests: invariants that hold for every input, not just the
hand-picked ones. Sizes are capped so the run stays bounded (profile in conftest)."""

import pytest

np = pytest.importorskip("numpy")
hypothesis = pytest.importorskip("hypothesis")

import ruvector_attention as ra  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402
from tolerances import assert_close  # noqa: E402

# Finite f32 values of moderate size: logits stay far from overflow here, the
# overflow bait lives in test_sdpa.py / test_bad_input.py.
ELEMENTS = st.floats(-8.0, 8.0, width=32, allow_nan=False, allow_infinity=False)


@st.composite
def attention_inputs(draw, max_n=40, max_d=20):
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    dv = draw(st.integers(1, max_d))
    q = draw(hnp.arrays(np.float32, d, elements=ELEMENTS))
    k = draw(hnp.arrays(np.float32, (n, d), elements=ELEMENTS))
    v = draw(hnp.arrays(np.float32, (n, dv), elements=ELEMENTS))
    mask = draw(st.none() | hnp.arrays(np.bool_, n))
    temperature = draw(st.sampled_from([0.5, 1.0, 4.0]))
    return q, k, v, mask, temperature


@given(attention_inputs())
def test_weights_are_a_distribution_and_outputs_finite(case):
    q, k, v, mask, temperature = case
    attn = ra.ScaledDotProductAttention(q.shape[0], temperature=temperature)
    w = attn.attention_weights(q, k, mask=mask)
    out = attn.forward(q, k, v, mask=mask)
    assert np.all(np.isfinite(w)) and np.all(np.isfinite(out))
    assert np.all(w >= 0)
    if mask is not None and not mask.any():
        assert np.all(w == 0) and np.all(out == 0)
        return
    assert abs(float(w.sum(dtype=np.float64)) - 1.0) < 1e-5
    if mask is not None:
        assert np.all(w[~mask] == 0)
    # A convex combination of the value rows lies inside their bounding box.
    live = v if mask is None else v[mask]
    slack = 1e-5 * (1 + np.abs(live).max())
    assert np.all(out >= live.min(axis=0) - slack) and np.all(out <= live.max(axis=0) + slack)


@given(attention_inputs(), st.randoms(use_true_random=False))
def test_permuting_keys_permutes_weights_and_keeps_output(case, rnd):
    q, k, v, mask, temperature = case
    perm = list(range(k.shape[0]))
    rnd.shuffle(perm)
    perm = np.array(perm)
    attn = ra.ScaledDotProductAttention(q.shape[0], temperature=temperature)
    pmask = None if mask is None else mask[perm]
    assert_close(attn.attention_weights(q, k[perm], mask=pmask), attn.attention_weights(q, k, mask=mask)[perm],
                 ("sdpa", "weights"), what="weights permute with the keys")
    assert_close(attn.forward(q, k[perm], v[perm], mask=pmask), attn.forward(q, k, v, mask=mask),
                 ("sdpa", "forward"), what="output is invariant to key order")


@given(attention_inputs(max_n=24, max_d=12), st.integers(0, 2**31 - 1))
def test_multihead_is_deterministic_for_a_seed(case, seed):
    q, k, v, mask, _ = case
    d, dv = q.shape[0], v.shape[1]
    heads = max(h for h in range(1, 17) if d % h == 0)
    a = ra.MultiHeadAttention(d, heads, value_dim=dv, seed=seed)
    b = ra.MultiHeadAttention(d, heads, value_dim=dv, seed=seed)
    out_a = a.forward(q, k, v, mask=mask)
    # Same seed, same inputs -> bit-identical outputs, also on a repeated call.
    np.testing.assert_array_equal(out_a, b.forward(q, k, v, mask=mask))
    np.testing.assert_array_equal(out_a, a.forward(q, k, v, mask=mask))
    assert np.all(np.isfinite(out_a))
    hw = a.head_attention_weights(q, k, mask=mask)
    if mask is None or mask.any():
        assert_close(hw.sum(axis=1, dtype=np.float64), np.ones(heads), ("weights", "sum"))


@given(attention_inputs(max_n=24, max_d=12), st.randoms(use_true_random=False))
def test_multihead_permutation_equivariance(case, rnd):
    q, k, v, mask, _ = case
    d, dv = q.shape[0], v.shape[1]
    perm = np.array(rnd.sample(range(k.shape[0]), k.shape[0]))
    mha = ra.MultiHeadAttention(d, 1, value_dim=dv, seed=3)
    pmask = None if mask is None else mask[perm]
    assert_close(mha.head_attention_weights(q, k[perm], mask=pmask),
                 mha.head_attention_weights(q, k, mask=mask)[:, perm], ("mha", "weights"))
    assert_close(mha.forward(q, k[perm], v[perm], mask=pmask), mha.forward(q, k, v, mask=mask), ("mha", "forward"))


@given(attention_inputs(max_n=30, max_d=16))
def test_masking_a_key_equals_removing_it(case):
    q, k, v, mask, temperature = case
    if mask is None or not mask.any():
        return
    attn = ra.ScaledDotProductAttention(q.shape[0], temperature=temperature)
    assert_close(attn.forward(q, k, v, mask=mask), attn.forward(q, k[mask], v[mask]), ("sdpa", "forward"))
