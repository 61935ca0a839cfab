"""Graph-aware mechanisms against the float64 twin (reference_graph.py),
rotary-embedding-torch, torch autograd and networkx."""

import math

import pytest

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")

import reference_graph as ref  # noqa: E402
import ruvector_attention as ra  # noqa: E402
from ruvector_attention import _kernel  # noqa: E402
from ruvector_attention.graph import convert  # noqa: E402
from tolerances import assert_close  # noqa: E402


def rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


# -- GraphRoPE ----------------------------------------------------------------------------
def test_rope_rotation_matches_twin_at_fractional_distances():
    rng = np.random.default_rng(1)
    rope = ra.GraphRoPE(16, base=50.0)
    for t in (0.0, 0.37, 2.5, -3.25, 1234.5):
        x = rand(rng, 16)
        assert_close(rope.apply_rotation(x, t), ref.rotate(x, t, 50.0), ("rope", "rotation"))


def test_rope_matches_rotary_embedding_torch_interleaved():
    rotary = pytest.importorskip("rotary_embedding_torch")
    rng = np.random.default_rng(2)
    d, n = 32, 7
    x = rand(rng, n, d)
    emb = rotary.RotaryEmbedding(dim=d, theta=10000.0)
    expected = emb.rotate_queries_or_keys(torch.tensor(x)[None], seq_dim=-2)[0].numpy()
    got = ra.GraphRoPE(d).apply_rotation(x, np.arange(n, dtype=np.float32))
    assert_close(got, expected, ("rope", "rotation"))


def test_rope_scores_depend_only_on_relative_distance_and_preserve_norm():
    rng = np.random.default_rng(3)
    rope = ra.GraphRoPE(8, base=10.0)
    q, k = rand(rng, 8), rand(rng, 8)
    for a, b in ((0.0, 1.5), (4.0, 5.5), (-2.0, -0.5), (10.25, 11.75)):
        s = float(np.dot(rope.apply_rotation(q, a), rope.apply_rotation(k, b)))
        s0 = float(np.dot(q, rope.apply_rotation(k, b - a)))
        assert abs(s - s0) < 1e-5
        assert abs(np.linalg.norm(rope.apply_rotation(q, a)) - np.linalg.norm(q)) < 1e-5


def test_rope_forward_with_metadata_matches_twin():
    rng = np.random.default_rng(4)
    q, K, V = rand(rng, 16), rand(rng, 40, 16), rand(rng, 40, 5)
    dist = rng.uniform(0, 6, 40).astype(np.float32)
    rope = ra.GraphRoPE(16)
    out = rope.forward_with_metadata(q, K, V, ra.GraphMetadata(distances=dist), query_distance=0.5)
    expect, w = ref.rope_forward(q, K, V, dist, 10000.0, qdist=0.5)
    assert_close(out, expect, ("graph", "forward"))
    weights = rope.attention_weights(q, K, metadata=ra.GraphMetadata(distances=dist),
                                     query_distance=0.5)
    assert_close(weights, w, ("graph", "forward"))
    # distance changes the result (the encoding is not a no-op)
    assert np.abs(rope.forward_with_metadata(q, K, V, ra.GraphMetadata(distances=dist * 3)) - out).max() > 1e-3


@pytest.mark.parametrize("isa", _kernel.AVAILABLE)
@pytest.mark.parametrize("d", [128, 130, 6])  # one sincos chunk (64 pairs), two, and a tail
@pytest.mark.parametrize("kind", ["hops", "fractional", "far", "distinct"])
def test_rope_fast_path_matches_twin(isa, d, kind):
    """The kernel rotates the query once per distinct distance (a 32-slot cache) with a
    vector sincos; it must stay within 1e-5 of the float64 twin for hop distances (cache
    hits), fractional ones, distances up to 1e5 (large angles: reduction in double) and
    more distinct distances than cache slots (collisions evict)."""
    rng = np.random.default_rng(d)
    n = 300
    q, K, V = rand(rng, d), rand(rng, n, d), rand(rng, n, 8)
    dist = {"hops": rng.integers(0, 7, n).astype(np.float32),
            "fractional": (rng.random(n) * 6).astype(np.float32),
            "far": (rng.random(n) * 1e5).astype(np.float32),
            "distinct": np.arange(n, dtype=np.float32) * 0.37}[kind]
    previous = _kernel.use_isa(isa)
    try:
        rope = ra.GraphRoPE(d)
        out = rope.forward_with_metadata(q, K, V, ra.GraphMetadata(distances=dist),
                                         query_distance=0.25)
        rotated = rope.apply_rotation(K, dist)
    finally:
        _kernel.use_isa(previous)
    expect, _ = ref.rope_forward(q, K, V, dist.astype(np.float64), 10000.0, qdist=0.25)
    assert_close(out, expect, ("graph", "forward"))
    scale = max(1.0, float(np.abs(K).max()))  # the rotation's error grows with |K|
    assert_close(rotated / scale, ref.rotate(K, dist.astype(np.float64)[:, None], 10000.0) / scale,
   ("rope", "rotation"))


def test_rope_distance_beyond_limit_is_out_of_bounds():
    rope = ra.GraphRoPE(4)
    far = ra.numerics.ROPE_MAX_DISTANCE * 4
    with pytest.raises(ra.OutOfBoundsError, match=r"metadata.distances\[1\]"):
        rope.forward_with_metadata([1, 0, 0, 0], [[1, 0, 0, 0]] * 2, [[1.0]] * 2,
                                   ra.GraphMetadata(distances=[1.0, far]))
    with pytest.raises(ra.OutOfBoundsError, match=r"distance\[0\]"):
        rope.apply_rotation([1, 0, 0, 0], far)
    with pytest.raises(ra.OutOfBoundsError, match=r"metadata.distances\[0\]"):
        rope.forward_graph([[1, 0, 0, 0], [0, 1, 0, 0]], [0, 1, 2], [1, 0],
                           metadata=ra.GraphMetadata(distances=[-far, 1.0]))


def _torch_rotate(x, t, base):
    """R(t) x in torch float64 (interleaved pairs), t a tensor of distances (N,) or scalar."""
    d = x.shape[-1]
    theta = torch.as_tensor(t, dtype=torch.float64)[..., None] / base ** (
        2 * torch.arange(d // 2, dtype=torch.float64) / d)
    c, s = torch.cos(theta), torch.sin(theta)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x0 * c - x1 * s, x0 * s + x1 * c], -1).reshape(x.shape)


def _assert_grads_match_torch(grads, t, scores, mask, g):
    """softmax(scores) @ V, with masked keys at -inf, back-propagated against <., g> by torch;
    grads.query / keys / values equal t["q"], t["K"], t["V"]'s gradients."""
    if mask is not None:
        scores = scores.masked_fill(~torch.tensor(mask), -math.inf)
    (torch.softmax(scores, 0) @ t["V"] @ torch.tensor(g, dtype=torch.float64)).backward()
    assert_close(grads.query, t["q"].grad.numpy(), ("graph", "torch"))
    assert_close(grads.keys, t["K"].grad.numpy(), ("graph", "torch"))
    assert_close(grads.values, t["V"].grad.numpy(), ("graph", "torch"))


@pytest.mark.parametrize("masked", [False, True])
def test_rope_backward_matches_torch_autograd(masked):
    rng = np.random.default_rng(21)
    d, n = 12, 7
    q, K, V, g = rand(rng, d), rand(rng, n, d), rand(rng, n, 5), rand(rng, 5)
    dist = (rng.random(n) * 9).astype(np.float32)
    mask = np.array([1, 0, 1, 1, 0, 1, 1], bool) if masked else None
    rope = ra.GraphRoPE(d, base=30.0)
    grads = rope.backward(q, K, V, g, metadata=ra.GraphMetadata(distances=dist), mask=mask,
                          query_distance=1.5)
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in dict(q=q, K=K, V=V).items()}
    scores = _torch_rotate(t["K"], dist.astype(np.float64), 30.0) @ _torch_rotate(
        t["q"], 1.5, 30.0) / math.sqrt(d)
    _assert_grads_match_torch(grads, t, scores, mask, g)
    assert grads.params == {}
    # sequence positions when no metadata is given: key j at distance j
    seq = rope.backward(q, K, V, g)
    seq_ref = rope.backward(q, K, V, g, metadata=ra.GraphMetadata(distances=np.arange(n)))
    assert_close(seq.keys, seq_ref.keys, ("graph", "consistency"))


def test_rope_bad_inputs():
    with pytest.raises(ra.InvalidConfigError, match="even"):
        ra.GraphRoPE(7)
    rope = ra.GraphRoPE(4)
    with pytest.raises(ra.InvalidConfigError, match="distance"):
        rope.forward_with_metadata([1, 0, 0, 0], [[1, 0, 0, 0]], [[1.0]], ra.GraphMetadata())
    with pytest.raises(ra.DimensionMismatchError, match="distances"):
        rope.forward_with_metadata([1, 0, 0, 0], [[1, 0, 0, 0]], [[1.0]],
                                   ra.GraphMetadata(distances=[1.0, 2.0]))
    with pytest.raises(ra.NumericalInstabilityError):
        rope.forward_with_metadata([1, 0, 0, 0], [[1, 0, 0, 0]], [[1.0]],
                                   ra.GraphMetadata(distances=[float("nan")]))
    out = rope.forward([1, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]], [[1.0], [2.0]], mask=[0, 0])
    assert out.tolist() == [0.0]


# -- HNSW-aware ---------------------------------------------------------------------------
def _hnsw(seed=5, h=2):
    rng = np.random.default_rng(seed)
    attn = ra.HNSWAwareAttention(8, 4, num_heads=h, seed=3)
    state = {"layer_embedding.weight": rand(rng, 4, 8), "layer_bias": rand(rng, 4, h)}
    attn.load_state_dict(state)
    return rng, attn, state


def test_hnsw_forward_and_weights_match_twin():
    rng, attn, st = _hnsw()
    q, K, V = rand(rng, 8), rand(rng, 9, 8), rand(rng, 9, 6)
    layers = [0, 3, 1, 2, 0, 1, 3, 2, 0]
    meta = ra.GraphMetadata(hnsw_layers=layers)
    expect, w = ref.hnsw_forward(q, K, V, layers, st["layer_embedding.weight"], st["layer_bias"], 2)
    assert_close(attn.forward_with_metadata(q, K, V, meta), expect, ("graph", "forward"))
    assert_close(attn.head_attention_weights(q, K, metadata=meta),
                 ref.hnsw_forward(q, K, K, layers, st["layer_embedding.weight"],
                                  st["layer_bias"], 2)[1], ("graph", "forward"))
    assert_close(attn.attention_weights(q, K, metadata=meta),
                 ref.hnsw_forward(q, K, K, layers, st["layer_embedding.weight"],
                                  st["layer_bias"], 2)[1].mean(0), ("graph", "forward"))


def test_hnsw_backward_matches_torch_autograd():
    rng, attn, st = _hnsw(h=2)
    q, K, V, g = rand(rng, 8), rand(rng, 6, 8), rand(rng, 6, 4), rand(rng, 4)
    layers = [1, 0, 3, 3, 2, 1]
    grads = attn.backward(q, K, V, g, metadata=ra.GraphMetadata(hnsw_layers=layers))
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in dict(q=q, K=K, V=V, E=st["layer_embedding.weight"], B=st["layer_bias"]).items()}
    idx = torch.tensor(layers)
    outs = []
    for h in range(2):
        c = slice(4 * h, 4 * h + 4)
        s = (t["K"][:, c] + t["E"][idx][:, c]) @ t["q"][c] / 2.0 + t["B"][idx, h]
        outs.append(torch.softmax(s, 0) @ t["V"][:, 2 * h:2 * h + 2])
    (torch.cat(outs) @ torch.tensor(g, dtype=torch.float64)).backward()
    assert_close(grads.query, t["q"].grad.numpy(), ("graph", "torch"))
    assert_close(grads.keys, t["K"].grad.numpy(), ("graph", "torch"))
    assert_close(grads.values, t["V"].grad.numpy(), ("graph", "torch"))
    assert_close(grads.params["layer_embedding.weight"], t["E"].grad.numpy(), ("graph", "torch"))
    assert_close(grads.params["layer_bias"], t["B"].grad.numpy(), ("graph", "torch"))


def test_hnsw_bad_inputs():
    attn = ra.HNSWAwareAttention(4, 3)
    with pytest.raises(ra.OutOfBoundsError, match="hnsw_layers"):
        attn.forward_with_metadata([1, 0, 0, 0], [[1, 0, 0, 0]], [[1.0]],
                                   ra.GraphMetadata(hnsw_layers=[3]))
    with pytest.raises(ra.InvalidConfigError, match="hnsw_layers"):
        attn.forward_with_metadata([1, 0, 0, 0], [[1, 0, 0, 0]], [[1.0]], ra.GraphMetadata())
    with pytest.raises(ra.InvalidConfigError, match="num_heads"):
        ra.HNSWAwareAttention(6, num_heads=4)
    with pytest.raises(ra.DimensionMismatchError, match="hnsw_layers"):
        attn.forward_with_metadata([1, 0, 0, 0], [[1, 0, 0, 0]], [[1.0]],
                                   ra.GraphMetadata(hnsw_layers=[0, 1]))
    out = attn.forward([100, 0, 0, 0], [[100, 0, 0, 0], [-100, 0, 0, 0]], [[1.0], [2.0]])
    assert np.isfinite(out.tolist()).all()


# -- structural ---------------------------------------------------------------------------
def test_structural_matches_twin_and_helpers_match_networkx():
    nx = pytest.importorskip("networkx")
    g = nx.gnm_random_graph(30, 70, seed=4)
    edges = [(u, v) for u, v in g.edges()] + [(v, u) for u, v in g.edges()]
    indptr, indices = convert.csr_from_edges(30, sorted(edges))
    F = np.asarray(convert.structural_features(indptr, indices))
    np.testing.assert_array_equal(F[:, 0], [g.degree(i) for i in range(30)])
    pr = nx.pagerank(g)
    assert_close(F[:, 1], [pr[i] for i in range(30)], ("pagerank", "networkx"))
    cc = nx.clustering(g)
    assert_close(F[:, 2], [cc[i] for i in range(30)], ("clustering", "networkx"))
    sp = nx.single_source_shortest_path_length(g, 0)
    dist = convert.bfs_distances(indptr, indices, 0, unreachable=-1.0)
    assert dist == [float(sp.get(i, -1)) for i in range(30)]
    dg = nx.DiGraph([(0, 1), (1, 2), (2, 0), (3, 0)])
    dg.add_node(4)
    ip, ix = convert.csr_from_edges(5, [(0, 1), (1, 2), (2, 0), (3, 0)])
    prd = nx.pagerank(dg)
    assert_close(convert.pagerank(ip, ix), [prd[i] for i in range(5)], ("pagerank", "networkx"))

    rng = np.random.default_rng(6)
    attn = ra.StructuralAttention(16, 3, seed=2)
    q, K, V = rand(rng, 16), rand(rng, 12, 16), rand(rng, 12, 4)
    feats = F[:12].astype(np.float32)
    expect, w = ref.structural_forward(q, K, V, feats, attn.state_dict()["struct_proj.weight"])
    meta = ra.GraphMetadata(structural_features=feats)
    assert_close(attn.forward_with_metadata(q, K, V, meta), expect, ("graph", "forward"))
    assert_close(attn.attention_weights(q, K, metadata=meta),
                 ref.structural_forward(q, K, K, feats,
                                        attn.state_dict()["struct_proj.weight"])[1], ("graph", "forward"))
    with pytest.raises(ra.DimensionMismatchError, match="structural_features"):
        attn.forward_with_metadata(q, K, V, ra.GraphMetadata(structural_features=feats[:, :2]))
    with pytest.raises(ra.InvalidConfigError, match="structural_features"):
        attn.forward_with_metadata(q, K, V, ra.GraphMetadata())
    with pytest.raises(ra.OutOfBoundsError):
        convert.bfs_distances(indptr, indices, 30)


@pytest.mark.parametrize("masked", [False, True])
def test_structural_backward_matches_torch_autograd(masked):
    rng = np.random.default_rng(31)
    d, s, n = 10, 3, 9
    attn = ra.StructuralAttention(d, s, seed=5)
    q, K, V, g, F = rand(rng, d), rand(rng, n, d), rand(rng, n, 4), rand(rng, 4), rand(rng, n, s)
    mask = np.array([1, 1, 0, 1, 1, 1, 0, 1, 1], bool) if masked else None
    grads = attn.backward(q, K, V, g, mask=mask,
                          metadata=ra.GraphMetadata(structural_features=F))
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in
         dict(q=q, K=K, V=V, W=attn.state_dict()["struct_proj.weight"]).items()}
    scores = (t["K"] + torch.tensor(F, dtype=torch.float64) @ t["W"].T) @ t["q"] / math.sqrt(d)
    _assert_grads_match_torch(grads, t, scores, mask, g)
    assert_close(grads.params["struct_proj.weight"], t["W"].grad.numpy(), ("graph", "torch"))
    assert np.abs(grads.params["struct_proj.weight"]).max() > 1e-3
    # without metadata the features are zeros: no gradient reaches the projection
    plain = attn.backward(q, K, V, g)
    assert np.abs(plain.params["struct_proj.weight"]).max() < 1e-6
    sdpa = ra.ScaledDotProductAttention(d).backward(q, K, V, g)
    assert_close(plain.keys, sdpa.keys, ("graph", "consistency"))


# -- cross-space --------------------------------------------------------------------------
@pytest.mark.parametrize("fusion", ["gate", "mean", "linear"])
def test_cross_space_forward_and_empty_sets(fusion):
    rng = np.random.default_rng(7)
    attn = ra.CrossSpaceAttention(8, fusion=fusion, seed=1)
    h, G, L = rand(rng, 8), rand(rng, 5, 8), rand(rng, 3, 8)
    st = attn.state_dict()
    for g_, l_ in ((G, L), (G[:0], L), (G, L[:0])):
        assert_close(attn.forward_cross(h, g_, l_),
                     ref.cross_forward(h, g_, l_, fusion, st), ("graph", "forward"))
    with pytest.raises(ra.EmptyInputError):
        attn.forward_cross(h, G[:0], L[:0])
    with pytest.raises(ra.DimensionMismatchError):
        attn.forward_cross(h, G[:, :4], L)


@pytest.mark.parametrize("fusion", ["gate", "mean", "linear"])
@pytest.mark.parametrize("empty", [None, "graph", "latent"])
def test_cross_space_backward_matches_torch(fusion, empty):
    rng = np.random.default_rng(8)
    attn = ra.CrossSpaceAttention(6, fusion=fusion, seed=2)
    h, G, L, g = rand(rng, 6), rand(rng, 4, 6), rand(rng, 3, 6), rand(rng, 6)
    G = G[:0] if empty == "graph" else G
    L = L[:0] if empty == "latent" else L
    grads = attn.backward_cross(h, G, L, g)
    T = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in
         dict(h=h, G=G, L=L, **attn.state_dict()).items()}

    def att(q, N):
        return torch.softmax(N @ q / math.sqrt(6), 0) @ N

    zero = torch.zeros(6, dtype=torch.float64)
    pg, pl = len(G) > 0, len(L) > 0
    xg = att(T["h"], T["G"]) if pg else zero
    xl = att(T["h"], T["L"]) if pl else zero
    xc = att(xg, T["L"]) if pg and pl else zero
    views, present = [xg, xl, xc], [pg, pl, pg and pl]
    if fusion == "mean":
        out = sum(v for v, p in zip(views, present) if p) / sum(present)
    elif fusion == "linear":
        out = T["fuse.weight"] @ torch.cat(views) + T["fuse.bias"]
    else:
        a = torch.sigmoid(T["gate.weight"] @ torch.cat(views) + T["gate.bias"])
        out = sum(a[k] * views[k] * present[k] for k in range(3))
    (out @ torch.tensor(g, dtype=torch.float64)).backward()
    assert_close(grads.query, T["h"].grad.numpy(), ("graph", "torch"))
    if pg:
        assert_close(grads.keys, T["G"].grad.numpy(), ("graph", "torch"))
    if pl:
        assert_close(grads.values, T["L"].grad.numpy(), ("graph", "torch"))
    for name, value in grads.params.items():
        assert_close(value, T[name].grad.numpy(), ("graph", "torch"), what=name)
    assert set(grads.params) == set(attn.state_dict())


def test_cross_space_bad_fusion():
    with pytest.raises(ra.InvalidConfigError, match="fusion"):
        ra.CrossSpaceAttention(4, fusion="max")


def test_cross_space_attention_weights_are_the_graph_view():
    rng = np.random.default_rng(9)
    h, G = rand(rng, 8), rand(rng, 5, 8)
    w = ra.CrossSpaceAttention(8).attention_weights(h, G, mask=[1, 1, 0, 1, 1])
    expect = ref.softmax(np.delete(G, 2, 0).astype(np.float64) @ h / math.sqrt(8))
    assert_close(np.delete(w, 2), expect, ("graph", "forward"))
    assert w[2] == 0.0


# -- metadata converters ------------------------------------------------------------------
def test_metadata_from_dict_and_from_csr():
    rng = np.random.default_rng(41)
    q, K, V = rand(rng, 8), rand(rng, 5, 8), rand(rng, 5, 4)
    rope, hnsw = ra.GraphRoPE(8), ra.HNSWAwareAttention(8, 4, seed=1)
    np.testing.assert_array_equal(
        rope.forward_with_metadata(q, K, V, {"distances": [1, 2, 3, 1, 2]}),
        rope.forward_with_metadata(q, K, V, ra.GraphMetadata(distances=[1, 2, 3, 1, 2])))
    np.testing.assert_array_equal(
        hnsw.forward_with_metadata(q, K, V, {"hnswLayers": [0, 3, 1, 1, 2]}),
        hnsw.forward_with_metadata(q, K, V, ra.GraphMetadata(hnsw_layers=[0, 3, 1, 1, 2])))
    with pytest.raises(ra.InvalidConfigError, match="unknown"):
        rope.forward_with_metadata(q, K, V, {"distance": [1, 2, 3, 1, 2]})
    with pytest.raises(ra.InvalidConfigError, match="metadata"):
        rope.forward_with_metadata(q, K, V, [1, 2, 3, 1, 2])

    # a path 0 - 1 - 2 - 3 plus an isolated node 4 (both directions)
    edges = [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]
    indptr, indices = convert.csr_from_edges(5, edges)
    meta = ra.GraphMetadata.from_csr(indptr, indices, 1, keys=[0, 3, 4], structural=True)
    assert meta.distances == [1.0, 2.0, -1.0]
    table = np.asarray(convert.structural_features(indptr, indices))
    np.testing.assert_allclose(meta.structural_features, table[[0, 3, 4]])
    assert ra.GraphMetadata.from_csr(indptr, indices, 0).distances == [0.0, 1.0, 2.0, 3.0, -1.0]
    with pytest.raises(ra.OutOfBoundsError, match="keys"):
        ra.GraphMetadata.from_csr(indptr, indices, 0, keys=[5])
    attn = ra.StructuralAttention(8, 3, seed=3)
    out = attn.forward_with_metadata(q, K[:3], V[:3], meta)
    assert np.abs(out - attn.forward(q, K[:3], V[:3])).max() > 1e-4


def test_hnsw_numpy_layers_take_the_vectorised_path_with_the_same_errors():
    rng = np.random.default_rng(51)
    attn = ra.HNSWAwareAttention(8, 4, num_heads=2, seed=3)
    q, K, V = rand(rng, 8), rand(rng, 6, 8), rand(rng, 6, 4)
    layers = [0, 3, 1, 2, 2, 1]
    want = attn.forward_with_metadata(q, K, V, ra.GraphMetadata(hnsw_layers=layers))
    for arr in (np.array(layers), np.array(layers, np.int32), np.array(layers, np.float32),
                np.array(layers)[::-1][::-1]):
        got = attn.forward_with_metadata(q, K, V, ra.GraphMetadata(hnsw_layers=arr))
        np.testing.assert_array_equal(got, want)
    mask = np.array([1, 0, 1, 1, 0, 1], bool)
    np.testing.assert_array_equal(
        attn.forward_with_metadata(q, K, V, ra.GraphMetadata(hnsw_layers=np.array(layers)), mask=mask),
        attn.forward_with_metadata(q, K, V, ra.GraphMetadata(hnsw_layers=layers), mask=mask))
    with pytest.raises(ra.OutOfBoundsError, match=r"hnsw_layers\[2\] = 4"):
        attn.forward_with_metadata(q, K, V, ra.GraphMetadata(hnsw_layers=np.array([0, 1, 4, 0, 0, 0])))
    with pytest.raises(ra.DimensionMismatchError, match=r"hnsw_layers\[1\] = -1"):
        attn.forward_with_metadata(q, K, V, ra.GraphMetadata(hnsw_layers=np.array([0, -1, 0, 0, 0, 0])))
    with pytest.raises(ra.UnsupportedError, match=r"hnsw_layers\[3\]"):
        attn.forward_with_metadata(q, K, V, ra.GraphMetadata(hnsw_layers=np.array([0, 1, 0, 0.5, 0, 0])))
    with pytest.raises(ra.DimensionMismatchError, match="hnsw_layers"):
        attn.forward_with_metadata(q, K, V, ra.GraphMetadata(hnsw_layers=np.zeros(5, int)))
