"""Cases of tests/fixtures/geometric.json (written by make_fixtures.py): hyperbolic,
manifold, mixed-curvature and edge-featured attention. Each expected value is
computed natively and checked here, before it is written, against the float64
twin (reference_geometric.curved_attention, geoopt's dist / weighted_midpoint),
torch autograd through geoopt (backward) or PyG GATConv (edge-featured).

Same format as the other fixture files (tests/fixtures/README.md), plus: ``config``
holds every constructor keyword (``cls(**config)`` rebuilds the mechanism), a
``state_dict`` (when present) is always loaded, and two methods of their own:
``forward_with_edges`` (query, keys, values, edge_features) and ``forward_graph``
with an ``edge_features`` keyword (one row per CSR edge).
"""

from __future__ import annotations

import math

import fixture_format as F
import numpy as np
import reference_geometric as RG
import torch
from inputs import rand, rand_mask
from tolerances import assert_close, tolerance

ORDER = {
    "forward": ("query", "keys", "values"),
    "attention_weights": ("query", "keys"),
    "backward": ("query", "keys", "values", "grad_output"),
    "forward_with_edges": ("query", "keys", "values", "edge_features"),
    "forward_graph": ("features", "indptr", "indices"),
}
KEYWORDS = ("mask", "edge_features")
KEY = {"HyperbolicAttention": "hyperbolic", "ManifoldAttention": "hyperbolic",
       "MixedCurvatureAttention": "hyperbolic", "EdgeFeaturedAttention": "gat"}


def build(ra, case):
    """The case's mechanism: ``cls(**config)``, then its ``state_dict`` loaded."""
    mech = getattr(ra, case["mechanism"])(**case["config"])
    if "state_dict" in case:
        mech.load_state_dict({k: F.decode(v) for k, v in case["state_dict"].items()})
    return mech


def call(mech, case):
    a, method = case["args"], case["method"]
    positional = [F._arg(a[name], name) for name in ORDER[method]]
    keywords = {k: F._arg(a[k], k) for k in KEYWORDS if k in a and k not in ORDER[method]}
    return getattr(mech, method)(*positional, **keywords)


def _hyp(dim, k=-1.0, t=1.0, mode="ball"):
    return {"dim": dim, "curvature": k, "temperature": t, "learn_curvature": False,
            "input_mode": mode}


def _man(dim, k):
    return {"dim": dim, "curvature": k, "temperature": 1.0, "input_mode": "ball"}


def _mixed(a, b, k=-1.0, t=1.0, mode="ball"):
    return {"euclidean_dim": a, "hyperbolic_dim": b, "curvature": k, "temperature": t,
            "input_mode": mode}


def _gat(node, edge, heads, concat=True, out=None, slope=0.2, seed=0, loops=False):
    return {"node_dim": node, "edge_dim": edge, "out_dim": out, "num_heads": heads, "concat": concat,
            "negative_slope": slope, "bias": True, "seed": seed, "add_self_loops": loops}


def _case(arr, name, mechanism, config, method, state=None, **args):
    def enc(k, v):
        if k == "mask":
            return arr(v, "bool")
        if k in ("indptr", "indices"):
            return arr(np.asarray(v), "int")
        return arr(v)
    case = {"name": name, "mechanism": mechanism, "config": config, "method": method,
            "args": {k: enc(k, v) for k, v in args.items()}}
    if state is not None:
        case["state_dict"] = {k: arr(np.asarray(v, np.float32)) for k, v in state.items()}
    return case


def _ball(shape, seed, radius=0.9):
    """Points inside the ball of radius ``radius`` (k = -1 scale)."""
    x = rand(shape, seed).astype(np.float64)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x * (radius * np.tanh(norms) / np.maximum(norms, 1e-12))).astype(np.float32)


def _near_boundary(shape, seed):
    """Rows of norm 1 - 1e-7 (inside the ball, within its float32 margin: pulled in)."""
    x = rand(shape, seed).astype(np.float64)
    return (x / np.linalg.norm(x, axis=-1, keepdims=True) * (1 - 1e-7)).astype(np.float32)


def _raw_cases(arr):
    H, M, X, G = "HyperbolicAttention", "ManifoldAttention", "MixedCurvatureAttention", "EdgeFeaturedAttention"
    for n, d, dv, k, t in [(1, 3, 3, -1.0, 1.0), (17, 15, 5, -0.5, 0.7), (33, 33, 17, -2.0, 1.3)]:
        r = 0.9 / math.sqrt(-k)  # inside this curvature's ball
        q, K, V = _ball(d, 100 + n, r), _ball((n, d), 101 + n, r), _ball((n, dv), 102 + n, r)
        tag = f"n={n} d={d} dv={dv} k={k} T={t}"
        yield _case(arr, f"hyperbolic forward {tag}", H, _hyp(d, k, t), "forward", query=q, keys=K, values=V)
        yield _case(arr, f"hyperbolic attention_weights {tag}", H, _hyp(d, k, t), "attention_weights",
                    query=q, keys=K)
    q, K, V = _ball(8, 1), _ball((20, 8), 2), _ball((20, 4), 3)
    yield _case(arr, "hyperbolic forward masked", H, _hyp(8), "forward", query=q, keys=K, values=V,
                mask=rand_mask(20, 4))
    yield _case(arr, "hyperbolic fully masked -> zeros", H, _hyp(8), "forward", query=q, keys=K, values=V,
                mask=np.zeros(20, bool))
    yield _case(arr, "hyperbolic euclidean inputs (HGCN: exp_0 into the ball)", H,
                _hyp(6, -0.8, 0.9, "euclidean"), "forward", query=2 * rand(6, 40),
                keys=2 * rand((9, 6), 41), values=2 * rand((9, 6), 42))
    yield _case(arr, "mixed-curvature euclidean inputs E^2 x H^4", X, _mixed(2, 4, -1.3, 1.0, "euclidean"),
                "forward", state={"euclidean_weight": [0.3], "hyperbolic_weight": [1.7]},
                query=2 * rand(6, 43), keys=2 * rand((8, 6), 44), values=2 * rand((8, 6), 45))
    yield _case(arr, "hyperbolic near the boundary (norm 1 - 1e-7, pulled in)", H, _hyp(7), "forward",
                query=_near_boundary(7, 5), keys=_near_boundary((9, 7), 6), values=_near_boundary((9, 7), 7))
    yield _case(arr, "hyperbolic backward k=-0.8", H, _hyp(6, -0.8, 0.9), "backward", query=_ball(6, 8),
                keys=_ball((11, 6), 9), values=_ball((11, 5), 10), grad_output=rand(5, 11))
    for k in (0.6, 1e-6, -1e-6):
        yield _case(arr, f"manifold forward k={k:g}", M, _man(9, k), "forward", query=_ball(9, 12),
                    keys=_ball((13, 9), 13), values=_ball((13, 9), 14))
    state = {"euclidean_weight": [0.3], "hyperbolic_weight": [1.7]}
    for method in ("forward", "attention_weights"):
        args = dict(query=_ball(8, 15), keys=_ball((15, 8), 16))
        if method == "forward":
            args["values"] = _ball((15, 8), 17)
        yield _case(arr, f"mixed-curvature {method} E^3 x H^5 k=-0.7", X, _mixed(3, 5, -0.7, 0.8), method,
                    state=state, **args)
    for heads, concat, edge, out in [(1, True, 3, None), (2, True, 2, None), (3, False, 4, 5)]:
        n = 7
        yield _case(arr, f"edge-featured forward_with_edges H={heads} concat={concat} Fe={edge}", G,
                    _gat(6, edge, heads, concat, out, seed=heads), "forward_with_edges",
                    query=rand(6, 20 + heads), keys=rand((n, 6), 21 + heads),
                    values=rand((n, 6), 21 + heads if heads == 1 else 22 + heads),  # H=1: GATConv itself
                    edge_features=rand((n, edge), 23 + heads))
    indptr, indices = [0, 2, 2, 5, 6], [1, 3, 0, 1, 3, 2]  # node 1 isolated
    yield _case(arr, "edge-featured forward_graph (node 1 isolated)", G, _gat(5, 2, 1, seed=7), "forward_graph",
                features=rand((4, 5), 30), indptr=indptr, indices=indices, edge_features=rand((6, 2), 31))
    yield _case(arr, "edge-featured forward_graph add_self_loops (GATConv's default)", G,
                _gat(5, 2, 1, seed=8, loops=True), "forward_graph", features=rand((4, 5), 32),
                indptr=indptr, indices=[1, 0, 0, 1, 3, 2], edge_features=rand((6, 2), 33))


def _reference(case, mech):
    a = {k: np.array(F.decode(v)) if k not in ("indptr", "indices", "mask") else np.asarray(v["data"])
         for k, v in case["args"].items()}
    a = {k: v.reshape(case["args"][k]["shape"]) for k, v in a.items()}
    cfg, name, method = case["config"], case["mechanism"], case["method"]
    if name == "EdgeFeaturedAttention":
        return _gat_reference(case, mech, a)
    if name == "MixedCurvatureAttention":
        s = math.sqrt(cfg["euclidean_dim"]) * cfg["temperature"]
        kw = dict(k=cfg["curvature"], de=cfg["euclidean_dim"], dve=cfg["euclidean_dim"],
                  we=0.3 / s, wh=1.7 / cfg["temperature"])
    else:
        kw = dict(k=cfg.get("curvature", cfg.get("k")), wh=1.0 / cfg["temperature"])
    mask = a.get("mask")
    if cfg.get("input_mode") == "euclidean":  # HGCN: geoopt's expmap0 of the curved columns
        from geoopt.manifolds.stereographic import math as gm
        de = kw.get("de", 0)
        for x in ("query", "keys", "values"):
            t = torch.tensor(np.float64(a[x]))
            a[x] = torch.cat([t[..., :de], gm.expmap0(t[..., de:], k=torch.tensor(kw["k"], dtype=torch.float64))],
                             -1).numpy()
    if method == "backward":
        q, K, V = (torch.tensor(np.float64(a[x]), requires_grad=True) for x in ("query", "keys", "values"))
        out = RG.curved_attention_torch(q, K, V, **kw)
        (out @ torch.tensor(np.float64(a["grad_output"]))).backward()
        return {"query": q.grad.numpy(), "keys": K.grad.numpy(), "values": V.grad.numpy()}
    values = a.get("values", a["keys"])
    out, w = RG.curved_attention(a["query"], a["keys"], values, mask=mask, **kw)
    return out if method == "forward" else w


def _gat_reference(case, mech, a):
    """PyG GATConv (float64, no self-loops) with the mechanism's state_dict."""
    from torch_geometric.nn import GATConv
    cfg = case["config"]
    heads, out = cfg["num_heads"], cfg["out_dim"] or cfg["node_dim"]
    conv = GATConv(cfg["node_dim"], out // heads if cfg["concat"] else out, heads=heads, concat=cfg["concat"],
                   edge_dim=cfg["edge_dim"] or None, negative_slope=cfg["negative_slope"],
                   add_self_loops=cfg["add_self_loops"]).double()
    conv.load_state_dict({k: torch.tensor(np.float64(np.asarray(v))) for k, v in mech.state_dict().items()})
    if case["method"] == "forward_graph":
        indptr, src = a["indptr"], a["indices"]
        dst = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        return conv(torch.tensor(np.float64(a["features"])), torch.tensor(np.stack([src, dst])),
                    edge_attr=torch.tensor(np.float64(a["edge_features"]))).detach().numpy()
    # One neighbourhood: node 0 is the query, nodes 1..n its neighbours (keys = values here).
    n = len(a["keys"])
    edges = torch.stack([torch.arange(1, n + 1), torch.zeros(n, dtype=torch.long)])
    x = torch.tensor(np.float64(np.concatenate([a["query"][None], a["values"]])))
    # GATConv scores with the message features: rebuild scores from the keys by hand
    # when keys differ from values (attention from keys, messages from values).
    lin = conv.lin if hasattr(conv, "lin") and conv.lin is not None else conv.lin_src
    xk = torch.tensor(np.float64(np.concatenate([a["query"][None], a["keys"]])))
    hk = lin(xk).view(-1, heads, conv.out_channels)
    hv = lin(x).view(-1, heads, conv.out_channels)
    s = (hk[1:] * conv.att_src).sum(-1) + (hk[0] * conv.att_dst).sum(-1)
    if cfg["edge_dim"]:
        he = conv.lin_edge(torch.tensor(np.float64(a["edge_features"]))).view(-1, heads, conv.out_channels)
        s = s + (he * conv.att_edge).sum(-1)
    alpha = torch.softmax(torch.nn.functional.leaky_relu(s, cfg["negative_slope"]), 0)  # (n, H)
    msg = (alpha[..., None] * hv[1:]).sum(0)  # (H, C)
    res = msg.reshape(-1) if cfg["concat"] else msg.mean(0)
    if conv.bias is not None:
        res = res + conv.bias
    if np.array_equal(a["keys"], a["values"]):  # the library oracle agrees with the hand-built one
        lib = conv(x, edges, edge_attr=torch.tensor(np.float64(a["edge_features"])) if cfg["edge_dim"] else None)[0]
        assert_close(res.detach().numpy(), lib.detach().numpy(), ("geometric", "oracle64"))
    return res.detach().numpy()


def geometric_cases(arr):
    """Finished cases: inputs, native expected values (checked before writing), tolerance."""
    import ruvector_attention as ra
    for case in _raw_cases(arr):
        mech = build(ra, case)
        got = call(mech, case)
        ref = _reference(case, mech)
        key = KEY[case["mechanism"]]
        check = (key, "backward" if case["method"] == "backward" else "torch")
        if case["method"] == "backward":
            for part in ("query", "keys", "values"):
                assert_close(getattr(got, part), ref[part], check, what=f"{case['name']}: {part}")
            expected = {"query": arr(np.asarray(got.query)), "keys": arr(np.asarray(got.keys)),
                        "values": arr(np.asarray(got.values)), "params": {}}
        else:
            assert_close(got, ref, check, what=case["name"])
            expected = arr(np.asarray(got))
        if case["mechanism"] == "EdgeFeaturedAttention" and "state_dict" not in case:
            case["state_dict"] = {k: arr(np.asarray(v)) for k, v in mech.state_dict().items()}
        rtol, atol = tolerance(key, "fixture")
        yield {**case, "expected": expected, "tolerance": {"rtol": rtol, "atol": atol}}
