"""PyG graphs in, PyG numbers out: csr_from_edge_index turns edge_index / edge_attr into
the target-major CSR forward_graph reads, add_self_loops=True adds the loops as a
default GATConv does, and a state dict whose shapes disagree with the config names
the option."""

import numpy as np
import pytest
import reference_geometric  # noqa: F401  (registers the geometric tolerance rows)
import ruvector_attention as ra
import torch
from ruvector_attention.graph import csr_from_edge_index
from tolerances import assert_close

torch_geometric = pytest.importorskip("torch_geometric")
from torch_geometric.nn import GATConv  # noqa: E402

KEY = ("gat", "torch")


def random_graph(rng, n, e, loops=3):
    src, dst = rng.integers(0, n - 2, e), rng.integers(0, n - 2, e)  # the last 2 isolated
    src[:loops] = dst[:loops]  # some existing self-loops, which GATConv replaces
    return np.stack([src, dst])


def test_csr_is_target_major_with_the_edge_permutation():
    rng = np.random.default_rng(0)
    n = 9
    ei = random_graph(rng, n, 30)
    attr = rng.normal(size=(30, 3)).astype(np.float32)
    ip, ix, ea, perm = csr_from_edge_index(ei, n, edge_attr=attr)
    order = np.argsort(ei[1], kind="stable")  # independent oracle: a stable sort by target
    assert ip.dtype == ix.dtype == perm.dtype == np.int64
    np.testing.assert_array_equal(perm, order)
    np.testing.assert_array_equal(ix, ei[0][order])
    np.testing.assert_array_equal(ip, np.concatenate([[0], np.cumsum(np.bincount(ei[1], minlength=n))]))
    np.testing.assert_array_equal(ea, attr[order])
    for i in range(n):  # row i lists exactly the sources of the edges into i
        assert sorted(ix[ip[i]:ip[i + 1]].tolist()) == sorted(ei[0][ei[1] == i].tolist())


@pytest.mark.nonumpy
def test_csr_from_lists_without_numpy():
    ip, ix, ea, perm = csr_from_edge_index([[0, 1, 2, 0], [1, 2, 0, 2]], 4,
                                           edge_attr=[1.0, 2.0, 3.0, 4.0])
    assert list(ip) == [0, 1, 2, 4, 4] and list(ix) == [2, 0, 1, 0] and list(perm) == [2, 0, 1, 3]
    assert ea.tolist() == [3.0, 1.0, 2.0, 4.0]
    empty = csr_from_edge_index([[], []], 2)
    assert list(empty[0]) == [0, 0, 0] and list(empty[1]) == [] and empty[2] is None


def test_csr_accepts_torch_tensors():
    ei = torch.tensor([[0, 2, 1], [1, 1, 0]])
    ip, ix, ea, perm = csr_from_edge_index(ei, 3, edge_attr=torch.ones(3, 2))
    assert ip.tolist() == [0, 1, 3, 3] and ix.tolist() == [1, 0, 2] and ea.shape == (3, 2)


def test_csr_bad_input():
    with pytest.raises(ra.OutOfBoundsError, match=r"edge_index\[1 \(targets\)\]\[1\] = 5"):
        csr_from_edge_index(np.array([[0, 1], [1, 5]]), 3)
    with pytest.raises(ra.OutOfBoundsError, match="sources"):
        csr_from_edge_index([[0, -1], [1, 1]], 3)
    with pytest.raises(ra.DimensionMismatchError, match=r"\(2, E\)"):
        csr_from_edge_index(np.zeros((3, 4), dtype=np.int64), 3)
    with pytest.raises(ra.InvalidConfigError, match="integers"):
        csr_from_edge_index(np.zeros((2, 4)), 3)
    with pytest.raises(ra.InvalidConfigError, match="num_nodes"):
        csr_from_edge_index([[0], [0]], -1)
    with pytest.raises(ra.DimensionMismatchError, match="edge_attr"):
        csr_from_edge_index([[0, 1], [1, 0]], 2, edge_attr=np.zeros((3, 2)))


@pytest.mark.parametrize("heads,edge_dim,concat", [(4, 0, True), (4, 5, True), (2, 3, False),
                                                   (1, 1, True)])
def test_default_gatconv_state_dict_gives_its_outputs(heads, edge_dim, concat):
    """GATConv's defaults (add_self_loops=True, fill_value='mean') through csr_from_edge_index."""
    torch.manual_seed(heads + edge_dim)
    rng = np.random.default_rng(heads)
    n = 24
    conv = GATConv(32, 16, heads=heads, edge_dim=edge_dim or None, concat=concat).double()
    with torch.no_grad():
        conv.bias.normal_()
    gat = ra.EdgeFeaturedAttention(32, edge_dim, out_dim=16 * heads if concat else 16,
                                   num_heads=heads, concat=concat, add_self_loops=True)
    gat.load_state_dict({k: v.float() for k, v in conv.state_dict().items()})
    ei = random_graph(rng, n, 90)
    X = rng.normal(size=(n, 32))
    attr = rng.normal(size=(90, edge_dim)) if edge_dim else None
    ref = conv(torch.tensor(X), torch.tensor(ei),
               edge_attr=None if attr is None else torch.tensor(attr)).detach()
    ip, ix, ea, _ = csr_from_edge_index(ei, n, edge_attr=attr)
    assert_close(gat.forward_graph(X, ip, ix, edge_features=ea), ref, KEY)
    plain = ra.EdgeFeaturedAttention(32, edge_dim, out_dim=16 * heads if concat else 16,
                                     num_heads=heads, concat=concat)
    plain.load_state_dict(gat.state_dict())
    assert np.abs(plain.forward_graph(X, ip, ix, edge_features=ea) - ref.numpy()).max() > 1e-2


def test_self_loops_validate_the_csr_first():
    gat = ra.EdgeFeaturedAttention(4, add_self_loops=True)
    X = np.ones((3, 4), np.float32)
    with pytest.raises(ra.OutOfBoundsError, match=r"indices\[1\] = 7"):
        gat.forward_graph(X, [0, 1, 2, 2], [0, 7])
    with pytest.raises(ra.DimensionMismatchError, match="never decrease"):
        gat.forward_graph(X, [0, 2, 1, 2], [0, 1])


def test_state_dict_options_that_disagree_are_named():
    conv = GATConv(8, 4, heads=2, edge_dim=3)
    sd = {k: v.float() for k, v in conv.state_dict().items()}
    cases = [(dict(num_heads=4, out_dim=8), "num_heads"),   # att_src (1, 2, 4) vs (1, 4, 2)
             (dict(num_heads=2, out_dim=16), "out_dim"),    # lin.weight (8, 8) vs (16, 8)
             (dict(num_heads=2, edge_dim=0), "edge_dim"),   # lin_edge.weight unexpected
             (dict(num_heads=2, edge_dim=2), "edge_dim"),   # lin_edge.weight (8, 3) vs (8, 2)
             (dict(num_heads=2, bias=False), "bias"),
             (dict(num_heads=2, concat=False, out_dim=4), "concat")]
    for kwargs, option in cases:
        kwargs.setdefault("edge_dim", 3)
        gat = ra.EdgeFeaturedAttention(8, **kwargs)
        with pytest.raises(ra.InvalidConfigError, match=option) as err:
            gat.load_state_dict(sd)
        assert err.value.field == option
    ok = ra.EdgeFeaturedAttention(8, 3, num_heads=2)
    ok.load_state_dict(sd)
