"""forward_batch / forward_graph split rows across native threads (ctypes releases
the GIL); the split must not change a single bit of the result."""

import pytest

np = pytest.importorskip("numpy")

import ruvector_attention as ra  # noqa: E402
from inputs import mha_with_biases, rand, random_csr  # noqa: E402


@pytest.fixture
def threads():
    previous = ra.get_num_threads()
    yield ra.set_num_threads
    ra.set_num_threads(previous)


def _with_threads(set_threads, count, fn):
    set_threads(count)
    assert ra.get_num_threads() == count
    return np.array(fn())


@pytest.mark.parametrize("mechanism", ["sdpa", "mha"])
def test_thread_count_does_not_change_results(threads, mechanism):
    d = 24
    attn = ra.ScaledDotProductAttention(d) if mechanism == "sdpa" else mha_with_biases(ra, d, 4, seed=1)
    nodes = 301  # enough rows for every thread count to get a share
    indptr, indices = random_csr(nodes, seed=2, isolated=(0, 150, 300))
    x, queries = rand((nodes, d), 3), rand((257, d), 4)
    k, v = rand((129, d), 5), rand((129, d), 6)
    kb, vb = rand((257, 7, d), 7), rand((257, 7, d), 8)
    calls = {
        "graph": lambda: attn.forward_graph(x, indptr, indices),
        "batch shared": lambda: attn.forward_batch(queries, k, v),
    }
    if mechanism == "sdpa":
        calls["batch per-query"] = lambda: attn.forward_batch(queries, kb, vb)
    for name, fn in calls.items():
        one = _with_threads(threads, 1, fn)
        for count in (2, 3, 8):
            np.testing.assert_array_equal(_with_threads(threads, count, fn), one, err_msg=f"{name}, {count} threads")


def test_errors_from_any_thread_are_raised(threads):
    """A bad neighbour index in the last rows (handled by the second thread) still raises."""
    nodes, d = 200, 8
    indptr, indices = random_csr(nodes, seed=9)
    indices[-1] = nodes + 5
    threads(2)
    with pytest.raises(ra.OutOfBoundsError):
        ra.ScaledDotProductAttention(d).forward_graph(rand((nodes, d), 1), indptr, indices)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_validates(threads, bad):
    with pytest.raises(ra.InvalidConfigError):
        threads(bad)
