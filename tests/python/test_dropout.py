"""Dropout acts only in training mode and is seeded (same seed, same mask)."""

import pytest

np = pytest.importorskip("numpy")

import reference as R  # noqa: E402
import ruvector_attention as ra  # noqa: E402
from inputs import rand  # noqa: E402
from tolerances import assert_close  # noqa: E402

N, D, DV = 1000, 33, 7


@pytest.fixture(scope="module")
def qkv():
    return rand(D, 1), rand((N, D), 2), rand((N, DV), 3)


def test_eval_mode_ignores_dropout(qkv):
    q, k, v = qkv
    attn = ra.ScaledDotProductAttention(D, dropout=0.5, seed=1)
    attn.eval()
    assert attn.training is False
    assert_close(attn.forward(q, k, v), R.sdpa_forward(q, k, v), ("sdpa", "forward"))


def test_default_mode_is_inference(qkv):
    """A fresh layer must not drop anything until train() is called (spec NFR-002.3: determinism)."""
    q, k, v = qkv
    attn = ra.ScaledDotProductAttention(D, dropout=0.5, seed=1)
    assert attn.training is False
    assert_close(attn.forward(q, k, v), R.sdpa_forward(q, k, v), ("sdpa", "forward"))


def test_training_mode_drops_and_is_reproducible_for_a_seed(qkv):
    q, k, v = qkv
    a = ra.ScaledDotProductAttention(D, dropout=0.3, seed=11)
    b = ra.ScaledDotProductAttention(D, dropout=0.3, seed=11)
    c = ra.ScaledDotProductAttention(D, dropout=0.3, seed=12)
    for layer in (a, b, c):
        layer.train()
    assert a.training is True
    out_a, out_b, out_c = a.forward(q, k, v), b.forward(q, k, v), c.forward(q, k, v)
    np.testing.assert_array_equal(out_a, out_b)  # same seed -> same dropout decisions
    assert not np.array_equal(out_a, out_c)     # another seed -> other decisions
    clean = R.sdpa_forward(q, k, v)
    assert np.abs(out_a - clean).max() > 1e-3   # dropout really changed something
    assert np.all(np.isfinite(out_a))


def test_dropout_is_unbiased_on_average(qkv):
    """Kept weights are scaled by 1/(1-p), so the mean over many seeds approaches the
    clean output. Deterministic (fixed seeds), so this cannot flake."""
    q, k, v = qkv
    clean = R.sdpa_forward(q, k, v)
    outs = []
    for seed in range(200):
        layer = ra.ScaledDotProductAttention(D, dropout=0.2, seed=seed)
        layer.train()
        outs.append(np.asarray(layer.forward(q, k, v), np.float64))
    outs = np.array(outs)
    stderr = outs.std(axis=0) / np.sqrt(len(outs))
    assert np.all(np.abs(outs.mean(axis=0) - clean) < 5 * stderr + 1e-6)


def test_zero_dropout_in_training_mode_is_exact(qkv):
    q, k, v = qkv
    attn = ra.ScaledDotProductAttention(D, dropout=0.0)
    attn.train()
    assert_close(attn.forward(q, k, v), R.sdpa_forward(q, k, v), ("sdpa", "forward"))


def test_backward_uses_the_same_dropout_decisions_as_forward():
    """With dropout, forward is linear in `values`: out = sum_j a~_j v_j, so
    <grad_output, out> == <grad_values, values> for the same layer state."""
    n, d, dv = 64, 9, 5
    q, k, v, g = rand(d, 4), rand((n, d), 5), rand((n, dv), 6), rand(dv, 7)
    layer = ra.ScaledDotProductAttention(d, dropout=0.4, seed=3)
    layer.train()
    out = np.asarray(layer.forward(q, k, v), np.float64)
    grads = layer.backward(q, k, v, g)
    assert_close((out * g).sum(), (np.asarray(grads.values, np.float64) * v).sum(), ("dropout", "identity"))


def test_train_and_eval_toggle():
    attn = ra.ScaledDotProductAttention(4, dropout=0.1)
    assert attn.train() is attn or attn.training is True
    attn.train()
    assert attn.training is True
    attn.eval()
    assert attn.training is False
