"""FlashAttention: exact against SDPA, the float64 block twin and torch (causal,
masks, backward), for block sizes that do and do not divide N; extra memory
independent of N; bad input gives typed errors."""

import tracemalloc

import pytest

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")

import reference as R  # noqa: E402
import reference_sparse as RS  # noqa: E402
import ruvector_attention as ra  # noqa: E402
from inputs import rand, rand_mask  # noqa: E402
from ruvector_attention.sparse import patterns  # noqa: E402
from tolerances import assert_close  # noqa: E402


@pytest.mark.parametrize("n", [1, 2, 63, 64, 65, 1000])
@pytest.mark.parametrize("block", [1, 7, 64, "n"])
def test_exact_against_sdpa_and_twin(n, block):
    d, dv = 33, 17
    block = n if block == "n" else block
    q, k, v = rand(d, 1), rand((n, d), 2), rand((n, dv), 3)
    out = ra.FlashAttention(d, block).forward(q, k, v)
    sdpa = ra.ScaledDotProductAttention(d).forward(q, k, v)
    assert np.abs(out - sdpa).max() <= 1e-5
    assert_close(out, RS.flash_forward(q, k, v, block), ("flash", "forward"))
    assert_close(out, R.sdpa_forward(q, k, v), ("flash", "forward"))


def test_twin_block_loop_equals_plain_softmax():
    q, k, v = rand(8, 4), rand((23, 8), 5), rand((23, 3), 6)
    assert_close(RS.flash_forward(q, k, v, 5), R.sdpa_forward(q, k, v), ("flash", "twin"))


@pytest.mark.parametrize("block", [1, 7, 64])
def test_mask_dense_and_sparse(block):
    n, d = 97, 16
    q, k, v = rand(d, 7), rand((n, d), 8), rand((n, 4), 9)
    m = rand_mask(n, 10)
    attn = ra.FlashAttention(d, block)
    assert_close(attn.forward(q, k, v, mask=m), R.sdpa_forward(q, k, v, mask=m), ("flash", "forward"))
    sm = patterns.from_csr([0, int(m.sum())], np.flatnonzero(m), n)
    assert_close(attn.forward(q, k, v, mask=sm), R.sdpa_forward(q, k, v, mask=m), ("flash", "forward"))


def test_fully_masked_gives_zeros_not_nan():
    q, k, v = rand(8, 1), rand((10, 8), 2), rand((10, 3), 3)
    attn = ra.FlashAttention(8, 3)
    assert np.array_equal(attn.forward(q, k, v, mask=np.zeros(10, bool)), np.zeros(3, np.float32))
    g = attn.backward(q, k, v, np.ones(3, np.float32), mask=np.zeros(10, bool))
    assert not np.any(g.query) and not np.any(g.keys) and not np.any(g.values)


@pytest.mark.parametrize("b,n,block", [(37, 37, 7), (50, 50, 64), (20, 33, 1), (9, 9, 9)])
def test_causal_batch_against_torch(b, n, block):
    d, dv = 16, 5
    Q, k, v = rand((b, d), 11), rand((n, d), 12), rand((n, dv), 13)
    out = ra.FlashAttention(d, block, causal=True).forward_batch(Q, k, v)
    t = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(x, dtype=torch.float64) for x in (Q, k, v)), is_causal=True).numpy()
    assert_close(out, t, ("flash", "torch"))
    assert_close(out, RS.causal_forward(Q, k, v), ("flash", "forward"))


def test_batch_threads_and_per_query_masks():
    b, n, d = 200, 150, 16
    Q, k, v = rand((b, d), 14), rand((n, d), 15), rand((n, 6), 16)
    masks = np.stack([rand_mask(n, 100 + i) for i in range(b)])
    attn = ra.FlashAttention(d, 13)
    out = attn.forward_batch(Q, k, v, mask=masks)
    ref = np.stack([R.sdpa_forward(Q[i], k, v, mask=masks[i]) for i in range(b)])
    assert_close(out, ref, ("flash", "forward"))
    causal = ra.FlashAttention(d, 13, causal=True).forward_batch(Q, k, v, mask=masks[0])
    both = masks[0][None, :] & (np.arange(n)[None, :] <= np.arange(b)[:, None])
    ref = np.stack([R.sdpa_forward(Q[i], k, v, mask=both[i]) for i in range(b)])
    assert_close(causal, ref, ("flash", "forward"))


@pytest.mark.parametrize("block", [1, 7, 64])
def test_backward_against_torch_autograd(block):
    n, d, dv = 45, 12, 7
    q, k, v, g = rand(d, 20), rand((n, d), 21), rand((n, dv), 22), rand(dv, 23)
    m = rand_mask(n, 24)
    grads = ra.FlashAttention(d, block).backward(q, k, v, g, mask=m)
    ref = R.sdpa_backward(q, k, v, g, mask=m)
    for name in ("query", "keys", "values"):
        assert_close(getattr(grads, name), ref[name], ("flash", "backward"), what=name)


def test_causal_backward_batch_against_torch():
    b, d, dv = 30, 8, 5
    Q, k, v, g = rand((b, d), 30), rand((b, d), 31), rand((b, dv), 32), rand((b, dv), 33)
    tq, tk, tv = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (Q, k, v))
    out = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=True)
    (out * torch.tensor(g, dtype=torch.float64)).sum().backward()
    grads = ra.FlashAttention(d, 4, causal=True).backward_batch(Q, k, v, g)
    for mine, ref in ((grads.query, tq), (grads.keys, tk), (grads.values, tv)):
        assert_close(mine, ref.grad, ("flash", "backward"))


def test_huge_logits_stay_finite_and_exact():
    d = 16
    q, k, v = rand(d, 40) * 60, rand((80, d), 41) * 60, rand((80, 3), 42)
    out = ra.FlashAttention(d, 7).forward(q, k, v)
    assert np.all(np.isfinite(out))
    assert_close(out, R.sdpa_forward(q, k, v), ("flash", "forward"))


def _peak_bytes(attn, q, k, v):
    attn.forward(q, k, v)  # warm caches of ctypes / imports
    tracemalloc.start()
    attn.forward(q, k, v)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_extra_memory_independent_of_n():
    d = 64
    attn = ra.FlashAttention(d, 64)
    small = _peak_bytes(attn, rand(d, 1), rand((1000, d), 2), rand((1000, d), 3))
    large = _peak_bytes(attn, rand(d, 1), rand((50000, d), 2), rand((50000, d), 3))
    assert large <= small + 1024, (small, large)  # O(block) scratch: no N-sized temporary
    assert large < 16 * 1024


def test_bad_input_typed_errors():
    attn = ra.FlashAttention(4, 2)
    k, v = rand((5, 4), 1), rand((5, 2), 2)
    with pytest.raises(ra.InvalidConfigError, match="block_size"):
        ra.FlashAttention(4, 0)
    with pytest.raises(ra.InvalidConfigError, match="causal"):
        ra.FlashAttention(4, 8, causal=1)
    with pytest.raises(ra.DimensionMismatchError, match="query"):
        attn.forward(rand(3, 1), k, v)
    with pytest.raises(ra.DimensionMismatchError, match="mask"):
        attn.forward(rand(4, 1), k, v, mask=[True] * 4)
    with pytest.raises(ra.DimensionMismatchError, match="mask"):
        attn.forward_batch(rand((3, 4), 1), k, v, mask=np.ones((2, 5), bool))
    with pytest.raises(ra.EmptyInputError):
        attn.forward(rand(4, 1), np.zeros((0, 4), np.float32), np.zeros((0, 2), np.float32))
    bad = k.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ra.NumericalInstabilityError, match=r"keys\[3\]\[1\]"):
        attn.forward(rand(4, 1), bad, v)
    with pytest.raises(ra.NumericalInstabilityError, match=r"queries\[0\]\[0\]"):
        attn.forward_batch(np.full((2, 4), np.inf, np.float32), k, v)


def test_catalogued_and_saves(tmp_path):
    assert "FlashAttention" in {m["name"] for m in ra.mechanism_catalog()}
    attn = ra.FlashAttention(8, 5, causal=True)
    attn.save(tmp_path / "f.safetensors")
    back = ra.load(tmp_path / "f.safetensors")
    assert back.config() == attn.config() and back.block_size == 5


def test_per_query_key_sets():
    b, n, d = 5, 9, 8
    Q, K, V = rand((b, d), 50), rand((b, n, d), 51), rand((b, n, 3), 52)
    m = np.stack([rand_mask(n, 60 + i) for i in range(b)])
    out = ra.FlashAttention(d, 4).forward_batch(Q, K, V, mask=m)
    ref = np.stack([R.sdpa_forward(Q[i], K[i], V[i], mask=m[i]) for i in range(b)])
    assert_close(out, ref, ("flash", "forward"))
    lin = ra.LinearAttention(d, 32)
    own = lin.forward_batch(Q, K, V, mask=m)
    assert_close(own, np.stack([lin.forward(Q[i], K[i], V[i], mask=m[i]) for i in range(b)]),
                 ("linear", "consistency"))


@pytest.mark.parametrize("isa", [i for i in ra.kernel_info()["available"] if i != ra.kernel_info()["isa"]])
def test_every_isa_agrees_with_the_live_one(isa):
    from ruvector_attention import _kernel
    d, n = 19, 77
    q, k, v, Q = rand(d, 70), rand((n, d), 71), rand((n, 5), 72), rand((n, d), 73)
    g = rand(5, 74)
    runs = {}
    for which in (ra.kernel_info()["isa"], isa):
        previous = _kernel.use_isa(which)
        try:
            runs[which] = [ra.FlashAttention(d, 7).forward(q, k, v),
                           ra.FlashAttention(d, 7, causal=True).forward_batch(Q, k, v),
                           ra.FlashAttention(d, 5).backward(q, k, v, g).keys,
                           ra.LinearAttention(d, 40, seed=2).forward(q, k, v),
                           ra.LinearAttention(d, 40, kernel="relu").forward(q, k, v),
                           ra.LocalGlobalAttention(d, 9, 0).forward(q, k, v)]
        finally:
            _kernel.use_isa(previous)
    for a, b in zip(*runs.values(), strict=True):
        assert_close(a, b, ("linear", "forward"), what=isa)
