"""forward_batch (shared and per-query keys) and forward_graph (CSR) for both
core mechanisms: each must equal the loop of single forward() calls."""

import pytest

np = pytest.importorskip("numpy")

import reference as R  # noqa: E402
import ruvector_attention as ra  # noqa: E402
from inputs import mha_with_biases, rand, random_csr  # noqa: E402
from tolerances import assert_close  # noqa: E402


def make(mechanism, d, dv=None):
    """(layer, its float64 twin for one query). Multi-head uses 3 heads when 3 divides d."""
    if mechanism == "sdpa":
        return (ra.ScaledDotProductAttention(d, temperature=0.7),
                lambda q, k, v: R.sdpa_forward(q, k, v, temperature=0.7))
    heads = 3 if d % 3 == 0 else 1
    attn = mha_with_biases(ra, d, heads, value_dim=dv, seed=2)
    p = R.mha_split({k: np.asarray(v) for k, v in attn.state_dict().items()}, d)
    return attn, lambda q, k, v: R.mha_forward(p, heads, q, k, v)


@pytest.mark.parametrize("mechanism", ["sdpa", "mha"])
@pytest.mark.parametrize("b,n", [(1, 1), (3, 5), (17, 127), (64, 1000)])
def test_forward_batch_shared_keys(mechanism, b, n):
    d, dv = 33, 33 if mechanism == "mha" else 7
    attn, ref = make(mechanism, d)
    queries, k, v = rand((b, d), 1), rand((n, d), 2), rand((n, dv), 3)
    out = attn.forward_batch(queries, k, v)
    assert out.shape == (b, d if mechanism == "mha" else dv)
    assert_close(out, np.stack([ref(q, k, v) for q in queries]), (mechanism, "forward"))
    loop = np.stack([attn.forward(q, k, v) for q in queries])
    assert_close(out, loop, (mechanism, "consistency"), what="batch vs loop of forward()")


@pytest.mark.parametrize("mechanism", ["sdpa", "mha"])
@pytest.mark.parametrize("b,n", [(1, 3), (5, 17), (9, 128)])
def test_forward_batch_per_query_keys(mechanism, b, n):
    d = 24
    dv = d if mechanism == "mha" else 5
    attn, ref = make(mechanism, d)
    queries, k, v = rand((b, d), 4), rand((b, n, d), 5), rand((b, n, dv), 6)
    out = attn.forward_batch(queries, k, v)
    assert_close(out, np.stack([ref(queries[i], k[i], v[i]) for i in range(b)]), (mechanism, "forward"))


@pytest.mark.parametrize("mechanism", ["sdpa", "mha"])
@pytest.mark.parametrize("num_nodes,d,separate_values", [(1, 3, False), (5, 7, True), (33, 17, False),
                                                           (300, 33, True), (2000, 128, False)])
def test_forward_graph_equals_per_node_loop(mechanism, num_nodes, d, separate_values):
    indptr, indices = random_csr(num_nodes, seed=num_nodes, isolated=(0, num_nodes // 2))
    x = rand((num_nodes, d), 7)
    dv = 5 if separate_values else d
    values = rand((num_nodes, dv), 8) if separate_values else None
    attn, single = make(mechanism, d, dv=dv if separate_values else None)
    out = attn.forward_graph(x, indptr, indices, values=values)
    out_dim = d if mechanism == "mha" else dv
    assert out.shape == (num_nodes, out_dim)
    ref = R.graph_forward(single, x, indptr, indices, values, out_dim=out_dim)
    assert_close(out, ref, (mechanism, "forward"), what="graph vs twin")
    # Isolated nodes give exactly zero rows.
    for i in range(num_nodes):
        if indptr[i] == indptr[i + 1]:
            np.testing.assert_array_equal(out[i], np.zeros(out_dim, np.float32), err_msg=f"isolated node {i}")
    # And every row equals the single-query forward on its neighbours.
    vals = x if values is None else values
    for i in range(0, num_nodes, max(1, num_nodes // 25)):
        nbrs = indices[indptr[i]:indptr[i + 1]]
        if len(nbrs):
            assert_close(out[i], attn.forward(x[i], x[nbrs], vals[nbrs]), (mechanism, "consistency"),
                         what=f"node {i}")


def test_forward_graph_with_no_edges_at_all_is_all_zero():
    n, d = 6, 5
    out = ra.ScaledDotProductAttention(d).forward_graph(rand((n, d), 1), np.zeros(n + 1, np.int64),
                                                       np.zeros(0, np.int64))
    np.testing.assert_array_equal(out, np.zeros((n, d), np.float32))


def test_forward_graph_accepts_int32_and_list_csr():
    n, d = 40, 7
    indptr, indices = random_csr(n, seed=3)
    x = rand((n, d), 2)
    attn = ra.ScaledDotProductAttention(d)
    ref = attn.forward_graph(x, indptr, indices)
    assert_close(attn.forward_graph(x, indptr.astype(np.int32), indices.astype(np.int32)), ref,
                 ("sdpa", "consistency"))
    assert_close(np.asarray(attn.forward_graph(x.tolist(), indptr.tolist(), indices.tolist())), ref,
                 ("sdpa", "consistency"))
