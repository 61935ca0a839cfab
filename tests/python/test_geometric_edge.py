"""EdgeFeaturedAttention vs PyG GATConv (a loaded state_dict gives the same outputs
for one neighbourhood and for a whole random graph), backward vs torch autograd
through GATConv, and bad input."""

import numpy as np
import pytest
import ruvector_attention as ra
import torch
from tolerances import assert_close

torch_geometric = pytest.importorskip("torch_geometric")
from torch_geometric.nn import GATConv  # noqa: E402

KEY = ("gat", "torch")


def pair(node_dim, edge_dim, heads, concat=True, out=None, bias=True, seed=0):
    torch.manual_seed(seed)
    channels = (out or node_dim) // heads if concat else (out or node_dim)
    conv = GATConv(node_dim, channels, heads=heads, concat=concat, edge_dim=edge_dim or None,
                   add_self_loops=False, bias=bias).double()
    if bias:
        with torch.no_grad():
            conv.bias.normal_()  # PyG starts at zero: make the bias visible
    gat = ra.EdgeFeaturedAttention(node_dim, edge_dim, out_dim=out, num_heads=heads,
                                   concat=concat, bias=bias)
    gat.load_state_dict({k: v.float() for k, v in conv.state_dict().items()})
    return conv, gat


def random_csr(rng, n, e):
    src, dst = rng.integers(0, n, e), rng.integers(0, n, e)
    order = np.lexsort((src, dst))
    src, dst = src[order], dst[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=n))])
    return src, dst, indptr


def test_parameter_names_and_shapes_are_pygs():
    conv, gat = pair(8, 3, 2)
    assert set(gat.state_dict()) == set(conv.state_dict())
    for k, v in conv.state_dict().items():
        assert tuple(gat.state_dict()[k].shape) == tuple(v.shape), k


@pytest.mark.parametrize("heads,concat,edge_dim,bias", [(1, True, 3, True), (2, True, 4, True),
                                                        (3, False, 2, False), (4, True, 0, True)])
def test_forward_graph_matches_gatconv(heads, concat, edge_dim, bias):
    rng = np.random.default_rng(heads)
    conv, gat = pair(8, edge_dim, heads, concat, None if concat else 5, bias)
    n = 20
    src, dst, indptr = random_csr(rng, n, 70)  # some nodes isolated
    X = rng.normal(size=(n, 8))
    ea = rng.normal(size=(len(src), edge_dim)) if edge_dim else None
    ref = conv(torch.tensor(X), torch.tensor(np.stack([src, dst])),
               edge_attr=None if ea is None else torch.tensor(ea)).detach()
    assert_close(gat.forward_graph(X, indptr, src, edge_features=ea), ref, KEY)


def test_one_neighbourhood_matches_gatconv_and_backward():
    rng = np.random.default_rng(3)
    conv, gat = pair(6, 3, 2, seed=4)
    n = 7
    q = torch.tensor(rng.normal(size=6), requires_grad=True)
    K = torch.tensor(rng.normal(size=(n, 6)), requires_grad=True)
    E = torch.tensor(rng.normal(size=(n, 3)))
    edges = torch.stack([torch.arange(1, n + 1), torch.zeros(n, dtype=torch.long)])
    out = conv(torch.cat([q[None], K]), edges, edge_attr=E)[0]
    g = torch.tensor(rng.normal(size=6))
    (out @ g).backward()
    qn, Kn = q.detach().numpy(), K.detach().numpy()
    assert_close(gat.forward_with_edges(qn, Kn, Kn, E.numpy()), out.detach(), KEY)
    got = gat.backward(qn, Kn, Kn, g.numpy(), edge_features=E.numpy())
    key = ("gat", "backward")
    assert_close(got.query, q.grad, key)
    assert_close(np.asarray(got.keys) + np.asarray(got.values), K.grad, key)  # keys are values
    for name, p in conv.named_parameters():
        assert_close(got.params[name], p.grad, key, what=name)
    w = gat.head_attention_weights(qn, Kn, edge_features=E.numpy())
    assert w.shape == (2, n)
    assert_close(w.sum(1), [1.0, 1.0], ("hyperbolic", "weights"))
    assert_close(gat.attention_weights(qn, Kn, edge_features=E.numpy()), w.mean(0),
                 ("hyperbolic", "weights"))


@pytest.mark.parametrize("heads,concat,edge_dim,bias", [(1, True, 3, True), (3, False, 2, False),
                                                        (4, True, 0, True)])
def test_backward_matches_gatconv_autograd(heads, concat, edge_dim, bias):
    """Every gradient against torch autograd through GATConv, at n = 37 with a mask (the
    masked neighbours are left out of the torch graph) and values apart from the keys."""
    rng = np.random.default_rng(10 + heads)
    conv, gat = pair(8, edge_dim, heads, concat, None if concat else 5, bias)
    n = 37
    mask = rng.random(n) > 0.25
    keep = np.flatnonzero(mask)
    q = torch.tensor(rng.normal(size=8), requires_grad=True)
    K = torch.tensor(rng.normal(size=(n, 8)), requires_grad=True)
    V = torch.tensor(rng.normal(size=(n, 8)), requires_grad=True)
    E = torch.tensor(rng.normal(size=(n, edge_dim))) if edge_dim else None
    # GATConv's math on its own parameters, with separate keys (logits) and values (messages),
    # which GATConv itself cannot take (one x serves both)
    lin = conv.lin if hasattr(conv, "lin") else conv.lin_src
    h, c = heads, conv.out_channels

    def project(t):
        return lin(t).view(-1, h, c)

    xq, xk, xv = project(q[None]), project(K[keep]), project(V[keep])
    logit = (xk * conv.att_src).sum(-1) + (xq * conv.att_dst).sum(-1)
    if edge_dim:
        xe = conv.lin_edge(E[keep]).view(-1, h, c)
        logit = logit + (xe * conv.att_edge).sum(-1)
    alpha = torch.softmax(torch.nn.functional.leaky_relu(logit, conv.negative_slope), 0)
    out = (alpha[..., None] * xv).sum(0)
    out = out.reshape(-1) if concat else out.mean(0)
    if bias:
        out = out + conv.bias
    g = torch.tensor(rng.normal(size=out.shape[0]))
    (out @ g).backward()
    got = gat.backward(q.detach().numpy(), K.detach().numpy(), V.detach().numpy(), g.numpy(),
                       mask=mask, edge_features=None if E is None else E.numpy())
    key = ("gat", "backward")
    assert_close(got.query, q.grad, key, what="query")
    assert_close(got.keys, K.grad, key, what="keys")
    assert_close(got.values, V.grad, key, what="values")
    for name, p in conv.named_parameters():
        assert_close(got.params[name], p.grad, key, what=name)


def test_mask_and_separate_values():
    rng = np.random.default_rng(5)
    gat = ra.EdgeFeaturedAttention(4, 2, num_heads=2, seed=3)
    q, K, V, E = (rng.normal(size=s).astype(np.float32) for s in ((4,), (6, 4), (6, 4), (6, 2)))
    mask = np.array([1, 0, 1, 1, 0, 1], bool)
    keep = np.flatnonzero(mask)
    assert_close(gat.forward(q, K, V, mask=mask, edge_features=E),
                 gat.forward_with_edges(q, K[keep], V[keep], E[keep]), ("hyperbolic", "consistency"))
    w = gat.attention_weights(q, K, mask=mask, edge_features=E)
    assert np.all(w[~mask] == 0) and abs(w.sum() - 1) < 1e-6
    # the spec's case: 128-d nodes, 32-d edges, 10 neighbours
    spec = ra.EdgeFeaturedAttention(128, 32)
    keys = rng.normal(size=(10, 128))
    assert len(spec.forward_with_edges(rng.normal(size=128), keys, keys, [[1.0] * 32] * 10)) == 128


def test_bad_input():
    gat = ra.EdgeFeaturedAttention(4, 2)
    q, K = [0.1] * 4, [[0.2] * 4] * 3
    with pytest.raises(ra.DimensionMismatchError, match="edge_features is required"):
        gat.forward(q, K, K)
    with pytest.raises(ra.DimensionMismatchError, match="edge_features"):
        gat.forward_with_edges(q, K, K, [[1.0, 2.0]] * 2)
    with pytest.raises(ra.NumericalInstabilityError, match=r"edge_features\[1\]\[0\] is nan"):
        gat.forward_with_edges(q, K, K, [[1.0, 2.0], [float("nan"), 0.0], [0.0, 0.0]])
    with pytest.raises(ra.DimensionMismatchError, match="edge_dim = 0"):
        ra.EdgeFeaturedAttention(4).forward(q, K, K, edge_features=[[1.0]] * 3)
    with pytest.raises(ra.InvalidConfigError) as e:
        ra.EdgeFeaturedAttention(6, 2, num_heads=4)
    assert e.value.field == "num_heads"
    with pytest.raises(ra.InvalidConfigError) as e:
        ra.EdgeFeaturedAttention(6, -1)
    assert e.value.field == "edge_dim"
    with pytest.raises(ra.OutOfBoundsError, match="indices"):
        gat.forward_graph([[0.1] * 4] * 3, [0, 1, 1, 1], [7], edge_features=[[0.0, 0.0]])
    with pytest.raises(ra.DimensionMismatchError, match="edge_features"):
        gat.forward_graph([[0.1] * 4] * 3, [0, 1, 1, 1], [2])
    with pytest.raises(ra.NumericalInstabilityError, match="grad_output"):
        gat.backward(q, K, K, [float("inf")] * 4, edge_features=[[0.0, 0.0]] * 3)
