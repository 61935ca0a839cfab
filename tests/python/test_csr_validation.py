"""A CSR graph is validated once, over the whole array, before any thread or kernel sees
a slice of it: every mechanism's forward_graph gives the same typed error, naming the
entry, for a broken indptr / indices, on one thread and on four (rows split across
threads, so a spike at a chunk boundary is seen whole). The kernels' own refusal, with
no read past the arrays, is test_kernel_sanitizers.py."""

import pytest

np = pytest.importorskip("numpy")

import ruvector_attention as ra  # noqa: E402
from ruvector_attention import DimensionMismatchError, OutOfBoundsError  # noqa: E402

N, D = 64, 8
GRAPH_MECHANISMS = sorted(name for name, cls in ra.MECHANISMS.items() if hasattr(cls, "forward_graph"))


def make(name):
    cls = ra.MECHANISMS[name]
    fields = cls.Config.__dataclass_fields__
    if "euclidean_dim" in fields:
        return cls(euclidean_dim=D // 2, hyperbolic_dim=D // 2)
    required = {"MultiHeadAttention": {"num_heads": 2}, "ManifoldAttention": {"k": -1.0}}
    return cls(**{("node_dim" if "node_dim" in fields else "dim"): D, **required.get(name, {})})


def ring():
    """Every node's one neighbour is the next node: a valid CSR."""
    return np.arange(N + 1), (np.arange(N) + 1) % N


def run(name, indptr, indices):
    X = (np.random.default_rng(0).standard_normal((N, D)) * 0.1).astype(np.float32)
    extra = {}
    if name == "CrossSpaceAttention":  # the latent CSR is the valid ring
        extra = dict(zip(("latent_indptr", "latent_indices"), ring(), strict=True))
    return make(name).forward_graph(X, indptr, indices, **extra)


@pytest.fixture(params=[1, 4], ids=["1 thread", "4 threads"])
def threads(request):
    previous = ra.get_num_threads()
    ra.set_num_threads(request.param)
    yield request.param
    ra.set_num_threads(previous)


def spike():
    ip, ix = ring()
    ip[16] = 100_000  # where the first thread's rows end: its slice alone looks valid
    return ip, ix


def huge_spike():
    ip, ix = ring()
    ip[16] = 2**62  # sized scratch from, it would be a MemoryError, not a typed error
    return ip, ix


def backwards_then_end():
    ip, ix = ring()
    ip[40] = N  # past every later offset, then back: indptr[41] < indptr[40]
    return ip, ix


BROKEN = {
    "a spike at a thread boundary": (spike, DimensionMismatchError, "indptr[17] = 17 < indptr[16]"),
    "a huge spike": (huge_spike, DimensionMismatchError, "indptr[17] = 17 < indptr[16]"),
    "indptr decreases": (backwards_then_end, DimensionMismatchError, "indptr[41] = 41 < indptr[40]"),
    "indptr[0] != 0": (lambda: (np.arange(N + 1) + 1, np.zeros(N + 1, np.int64)),
                       DimensionMismatchError, "indptr[0] = 1"),
    "an index past the nodes": (lambda: (ring()[0], np.r_[ring()[1][:-1], N]), OutOfBoundsError,
                                f"indices[{N - 1}] = {N}"),
    "a negative index": (lambda: (ring()[0], np.r_[-1, ring()[1][1:]]), OutOfBoundsError,
                         "indices[0] = -1"),
}


@pytest.mark.parametrize("case", list(BROKEN))
@pytest.mark.parametrize("name", GRAPH_MECHANISMS)
def test_a_broken_csr_is_refused_naming_the_entry(name, case, threads):
    make_csr, error, message = BROKEN[case]
    with pytest.raises(error, match=message.replace("[", r"\[").replace("]", r"\]")):
        run(name, *make_csr())


def test_the_issue_repro_gives_a_typed_error_not_an_out_of_bounds_read(threads):
    X = np.ones((N, D), np.float32)
    ip = np.arange(N + 1)
    ip[16] = 100_000
    with pytest.raises(DimensionMismatchError, match="never decrease"):
        ra.EdgeFeaturedAttention(D).forward_graph(X, ip, (np.arange(N) + 1) % N)


def test_indptr_past_its_indices_then_back():
    """indptr = {0, 5, 2} over 2 indices: row 0 would read indices[0:5]."""
    X = np.ones((2, D), np.float32)
    for name in GRAPH_MECHANISMS:
        if name == "CrossSpaceAttention":
            continue  # needs two CSRs over the same nodes; covered above
        with pytest.raises(DimensionMismatchError, match=r"indptr\[2\] = 2 < indptr\[1\] = 5"):
            make(name).forward_graph(X, [0, 5, 2], [0, 1])


@pytest.mark.parametrize("name", GRAPH_MECHANISMS)
def test_the_valid_ring_still_runs(name, threads):
    out = np.asarray(run(name, *ring()))
    assert out.shape[0] == N and np.isfinite(out).all()
