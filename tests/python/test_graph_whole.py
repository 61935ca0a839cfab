"""forward_graph of every graph-aware mechanism on a 10 000-node CSR graph with
per-edge / per-node metadata equals the per-node loop (checked on a sample of rows,
isolated nodes included)."""

import pytest

np = pytest.importorskip("numpy")

import ruvector_attention as ra  # noqa: E402
from tolerances import assert_close  # noqa: E402

N, D, DEG = 10_000, 16, 6


@pytest.fixture(scope="module")
def graph():
    rng = np.random.default_rng(11)
    deg = rng.integers(0, DEG + 1, N)
    deg[:5] = 0  # isolated nodes
    indptr = np.concatenate([[0], np.cumsum(deg)])
    indices = rng.integers(0, N, indptr[-1])
    X = rng.standard_normal((N, D)).astype(np.float32)
    sample = np.concatenate([np.arange(5), rng.choice(N, 60, replace=False)])
    return rng, X, indptr, indices, sample


def nbrs(indptr, indices, i):
    return indices[indptr[i]:indptr[i + 1]]


def assert_rows_are_the_loop(graph, out, row_of):
    """out[i] == row_of(i, neighbours, slice of i's edges) on the sample; isolated rows are 0."""
    _, X, indptr, indices, sample = graph
    for i in sample:
        nb = nbrs(indptr, indices, i)
        if len(nb) == 0:
            assert not out[i].any()
            continue
        assert_close(out[i], row_of(i, nb, slice(indptr[i], indptr[i + 1])), ("graph", "consistency"))


def test_rope_graph_equals_loop(graph):
    rng, X, indptr, indices, _ = graph
    dist = rng.uniform(0, 5, len(indices)).astype(np.float32)
    rope = ra.GraphRoPE(D)
    out = rope.forward_graph(X, indptr, indices, metadata=ra.GraphMetadata(distances=dist))
    assert_rows_are_the_loop(graph, out, lambda i, nb, edges: rope.forward_with_metadata(
        X[i], X[nb], X[nb], ra.GraphMetadata(distances=dist[edges])))


def test_hnsw_graph_equals_loop(graph):
    rng, X, indptr, indices, _ = graph
    layers = rng.integers(0, 5, N)
    attn = ra.HNSWAwareAttention(D, 5, num_heads=2, seed=1)
    out = attn.forward_graph(X, indptr, indices, metadata=ra.GraphMetadata(hnsw_layers=layers))
    assert_rows_are_the_loop(graph, out, lambda i, nb, _: attn.forward_with_metadata(
        X[i], X[nb], X[nb], ra.GraphMetadata(hnsw_layers=layers[nb])))
    with pytest.raises(ra.OutOfBoundsError):
        attn.forward_graph(X, indptr, indices, metadata=ra.GraphMetadata(hnsw_layers=layers + 5))


def test_structural_graph_equals_loop(graph):
    rng, X, indptr, indices, _ = graph
    F = rng.standard_normal((N, 3)).astype(np.float32)
    attn = ra.StructuralAttention(D, 3, seed=1)
    out = attn.forward_graph(X, indptr, indices, metadata=ra.GraphMetadata(structural_features=F))
    assert_rows_are_the_loop(graph, out, lambda i, nb, _: attn.forward_with_metadata(
        X[i], X[nb], X[nb], ra.GraphMetadata(structural_features=F[nb])))


@pytest.mark.parametrize("fusion", ["gate", "mean", "linear"])
def test_cross_graph_equals_loop(graph, fusion):
    rng, X, indptr, indices, sample = graph
    ldeg = rng.integers(0, 4, N)
    ldeg[2:4] = 0  # nodes 0, 1: neither set; 4: graph only
    lptr = np.concatenate([[0], np.cumsum(ldeg)])
    lidx = rng.integers(0, N, lptr[-1])
    attn = ra.CrossSpaceAttention(D, fusion=fusion, seed=3)
    out = attn.forward_graph(X, indptr, indices, latent_indptr=lptr, latent_indices=lidx)
    for i in sample:
        g, l_ = nbrs(indptr, indices, i), nbrs(lptr, lidx, i)
        if len(g) == 0 and len(l_) == 0:
            assert not out[i].any()
            continue
        assert_close(out[i], attn.forward_cross(X[i], X[g], X[l_]), ("graph", "consistency"))


def test_graph_bad_csr(graph):
    _, X, indptr, indices, _ = graph
    bad = indices.copy()
    bad[7] = N
    with pytest.raises(ra.OutOfBoundsError, match="indices"):
        ra.GraphRoPE(D).forward_graph(X, indptr, bad)
    with pytest.raises(ra.DimensionMismatchError, match="distances"):
        ra.GraphRoPE(D).forward_graph(X, indptr, indices, metadata=ra.GraphMetadata(distances=[1.0]))
