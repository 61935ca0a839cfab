"""LocalGlobalAttention: selection (window / distances / HNSW layers, ties by order),
the spec's <= 15 nonzeros test, output equals SDPA over the selected keys only,
Longformer band + global for sequences, forward_graph, typed errors."""

import pytest

np = pytest.importorskip("numpy")

import reference as R  # noqa: E402
import reference_sparse as RS  # noqa: E402
import ruvector_attention as ra  # noqa: E402
from inputs import rand, rand_mask, random_csr  # noqa: E402
from tolerances import assert_close  # noqa: E402


def test_spec_mask_has_at_most_15_nonzeros():
    attn = ra.LocalGlobalAttention(16, local_window=10, global_nodes=5)
    layers = np.zeros(1000, int)
    layers[[3, 400, 401, 700, 999, 12]] = [1, 3, 2, 3, 1, 4]
    mask = attn.attention_mask(1000, ra.GraphMetadata(hnsw_layers=layers))
    assert mask.count_nonzero() <= 15 and mask.shape == (1, 1000)
    # local 0..9, then layer 4 (12), layer 3 (400, 700 by order), layer 2 (401), layer 1:
    # 3 is already local, so 999
    assert mask.row(0) == sorted(list(range(10)) + [12, 400, 700, 401, 999])
    assert attn.attention_mask(1000).count_nonzero() == 10  # no layers: no global keys


@pytest.mark.parametrize("seed", range(4))
def test_selection_matches_twin(seed):
    rng = np.random.default_rng(seed)
    n = 60
    dist = rng.integers(0, 8, n).astype(float)  # many ties: broken by order
    layers = rng.integers(0, 3, n)
    attn = ra.LocalGlobalAttention(4, local_window=7, global_nodes=4)
    meta = ra.GraphMetadata(distances=dist, hnsw_layers=layers)
    assert attn.selected_keys(n, meta) == RS.local_global_keys(n, 7, 4, dist, layers)


def test_forward_equals_sdpa_over_selected_keys():
    n, d, dv = 500, 32, 8
    q, k, v = rand(d, 1), rand((n, d), 2), rand((n, dv), 3)
    layers = np.random.default_rng(4).integers(0, 4, n)
    meta = ra.GraphMetadata(hnsw_layers=layers, distances=rand(n, 5) ** 2)
    attn = ra.LocalGlobalAttention(d, 12, 6)
    sel = RS.local_global_keys(n, 12, 6, meta.distances, layers)
    out = attn.forward(q, k, v, metadata=meta)
    assert_close(out, R.sdpa_forward(q, k[sel], v[sel]), ("local_global", "forward"))
    w = attn.attention_weights(q, k, metadata=meta)
    assert np.count_nonzero(w) == len(sel) and abs(w.sum() - 1) < 1e-5
    assert_close(w[sel], R.sdpa_weights(q, k[sel]), ("local_global", "forward"))
    # only selected keys are read: garbage elsewhere does not matter
    k2 = k.copy()
    k2[np.setdiff1d(np.arange(n), sel)] = 1e30
    assert np.array_equal(attn.forward(q, k2, v, metadata=meta), out)


def test_mask_intersects_and_fully_masked_gives_zeros():
    n, d = 40, 8
    q, k, v = rand(d, 6), rand((n, d), 7), rand((n, 3), 8)
    attn = ra.LocalGlobalAttention(d, 10, 0)
    m = rand_mask(n, 9)
    sel = [j for j in range(10) if m[j]]
    assert_close(attn.forward(q, k, v, mask=m), R.sdpa_forward(q, k[sel], v[sel]),
                 ("local_global", "forward"))
    m[:10] = False
    assert np.array_equal(attn.forward(q, k, v, mask=m), np.zeros(3, np.float32))


def test_sequence_band_plus_global_against_dense_masked_sdpa():
    b = n = 50
    d = 16
    Q, k, v = rand((b, d), 10), rand((n, d), 11), rand((n, 4), 12)
    attn = ra.LocalGlobalAttention(d, 6, 2)
    dense = RS.dense_band(n, 3) | RS.dense_global(n, [0, 1])
    assert np.array_equal(attn.sequence_mask(b, n).to_dense(), dense)
    out = attn.forward_batch(Q, k, v)
    ref = np.stack([R.sdpa_forward(Q[i], k, v, mask=dense[i]) for i in range(b)])
    assert_close(out, ref, ("local_global", "forward"))


def test_forward_graph_uses_first_window_neighbours():
    indptr, indices = random_csr(30, 3, max_degree=9)
    X, V = rand((30, 8), 4), rand((30, 5), 5)
    attn = ra.LocalGlobalAttention(8, 4, 0)
    out = attn.forward_graph(X, indptr, indices, values=V)
    for i in range(30):
        nb = indices[indptr[i]:indptr[i + 1]][:4]
        ref = R.sdpa_forward(X[i], X[nb], V[nb]) if len(nb) else np.zeros(5)
        assert_close(out[i], ref, ("local_global", "forward"), what=f"node {i}")


@pytest.mark.parametrize("global_nodes", [0, 2, 5])
def test_forward_graph_with_hnsw_layers_equals_per_node_loop(global_nodes):
    """Row i = forward over i's neighbours with GraphMetadata(hnsw_layers=layers[nb]):
    window 3 + the global_nodes highest-layer other neighbours, ties by order."""
    indptr, indices = random_csr(40, 8, max_degree=12)
    X, V = rand((40, 8), 9), rand((40, 5), 10)
    layers = np.random.default_rng(11).integers(0, 4, 40)
    attn = ra.LocalGlobalAttention(8, 3, global_nodes)
    out = attn.forward_graph(X, indptr, indices, values=V, hnsw_layers=layers)
    for i in range(40):
        nb = indices[indptr[i]:indptr[i + 1]]
        if not len(nb):
            assert np.array_equal(out[i], np.zeros(5, np.float32))
            continue
        meta = ra.GraphMetadata(hnsw_layers=layers[nb])
        assert_close(out[i], attn.forward(X[i], X[nb], V[nb], metadata=meta),
                     ("local_global", "forward"), what=f"node {i}")
        sel = RS.local_global_keys(len(nb), 3, global_nodes, layers=list(layers[nb]))
        assert_close(out[i], R.sdpa_forward(X[i], X[nb[sel]], V[nb[sel]]),
                     ("local_global", "forward"), what=f"node {i} twin")
    with pytest.raises(ra.DimensionMismatchError, match="hnsw_layers"):
        attn.forward_graph(X, indptr, indices, values=V, hnsw_layers=layers[:5])


def test_huge_logits():
    q, k, v = rand(8, 1) * 80, rand((30, 8), 2) * 80, rand((30, 2), 3)
    out = ra.LocalGlobalAttention(8, 20, 0).forward(q, k, v)
    assert_close(out, R.sdpa_forward(q, k[:20], v[:20]), ("local_global", "forward"))


def test_bad_input_typed_errors():
    with pytest.raises(ra.InvalidConfigError, match="local_window"):
        ra.LocalGlobalAttention(8, -1, 2)
    attn = ra.LocalGlobalAttention(4, 3, 1)
    k, v = rand((6, 4), 1), rand((6, 2), 2)
    with pytest.raises(ra.DimensionMismatchError, match="hnsw_layers"):
        attn.forward(rand(4, 1), k, v, metadata=ra.GraphMetadata(hnsw_layers=[1, 2]))
    with pytest.raises(ra.DimensionMismatchError, match="distances"):
        attn.attention_mask(6, ra.GraphMetadata(distances=[1.0] * 5))
    with pytest.raises(ra.DimensionMismatchError, match="n must be"):
        attn.attention_mask(-1)
    bad = rand(4, 1)
    bad[0] = np.inf
    with pytest.raises(ra.NumericalInstabilityError, match=r"query\[0\]"):
        attn.forward(bad, k, v)
    with pytest.raises(ra.OutOfBoundsError, match="indices"):
        attn.forward_graph(rand((3, 4), 1), [0, 1, 2, 3], [1, 2, 7])
