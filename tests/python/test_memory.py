"""Extra memory per op stays within 2x the input size (DESIGN.md
section 8: never quadratic). tracemalloc sees every Python-side allocation, numpy
buffers included; the kernel itself allocates nothing. Deterministic, not timed."""

import tracemalloc

import pytest

np = pytest.importorskip("numpy")

import ruvector_attention as ra  # noqa: E402
from inputs import rand, random_csr  # noqa: E402


def peak_extra(fn):
    fn()  # one-off allocations (lazy imports, thread pool) are not per-op costs
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        out = fn()
        peak = tracemalloc.get_traced_memory()[1] - before
        del out
    finally:
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("n", [1000, 10000])
def test_sdpa_forward_allocates_about_its_output(n):
    d = 128
    q, k, v = rand(d, 1), rand((n, d), 2), rand((n, d), 3)
    attn = ra.ScaledDotProductAttention(d)
    extra = peak_extra(lambda: attn.forward(q, k, v))
    input_bytes = q.nbytes + k.nbytes + v.nbytes
    # f32 contiguous input: zero copy, no N-sized temporary; only the (D,) output and bookkeeping.
    assert extra < 16 * 1024, f"{extra} bytes for a {input_bytes}-byte input"


def test_float64_input_costs_at_most_one_f32_copy():
    n, d = 5000, 64
    q, k, v = (x.astype(np.float64) for x in (rand(d, 1), rand((n, d), 2), rand((n, d), 3)))
    attn = ra.ScaledDotProductAttention(d)
    extra = peak_extra(lambda: attn.forward(q, k, v))
    assert extra <= 2 * (q.nbytes + k.nbytes + v.nbytes)


def test_multihead_never_projects_all_keys():
    """The reassociated single-query form needs O(H D + D) scratch, not an (N, D) projection."""
    n, d, h = 10000, 128, 8
    q, k, v = rand(d, 1), rand((n, d), 2), rand((n, d), 3)
    mha = ra.MultiHeadAttention(d, h, seed=0)
    extra = peak_extra(lambda: mha.forward(q, k, v))
    projected_keys = n * d * 4
    assert extra < projected_keys // 10, f"{extra} bytes: looks like the keys were projected"


def test_forward_graph_memory_is_linear_in_nodes():
    nodes, d = 4000, 32
    indptr, indices = random_csr(nodes, seed=1, max_degree=16)
    x = rand((nodes, d), 2)
    attn = ra.ScaledDotProductAttention(d)
    extra = peak_extra(lambda: attn.forward_graph(x, indptr, indices))
    output_bytes = nodes * d * 4
    assert extra <= 2 * (x.nbytes + indptr.nbytes + indices.nbytes)
    assert extra >= output_bytes  # the (N, DV) result itself is counted: the probe works
