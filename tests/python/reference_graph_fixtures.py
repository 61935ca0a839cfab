"""Cases of tests/fixtures/graph.json (written by make_fixtures.py): GraphRoPE,
HNSWAwareAttention, StructuralAttention and CrossSpaceAttention. Every expected
value is computed natively and checked here against the float64 twin
(reference_graph.py) before it is written; the parameters come from the seed,
so the JS side rebuilds the identical mechanism from "config" alone.

A case: name, mechanism, config (constructor keywords), method, args (ARRAYs),
metadata (GraphMetadata fields, snake_case, plain lists), kwargs (plain scalars),
expected, tolerance. Methods: forward_with_metadata, attention_weights, backward,
apply_rotation, forward_cross. ``run`` replays one case natively.
"""

from __future__ import annotations

import fixture_format as F
import numpy as np
import reference_graph as ref
import ruvector_attention as ra
from inputs import rand
from tolerances import assert_close, tolerance

TOLERANCE = dict(zip(("rtol", "atol"), tolerance("graph", "fixture")))
ARGS = F.GRAPH_POSITIONAL


def build(case):
    return getattr(ra, case["mechanism"])(**case["config"])


def run(mech, case):
    """Replay ``case`` on ``mech``: its method with the decoded args, metadata, kwargs."""
    args = [np.asarray(F.decode(case["args"][k]), np.float32).reshape(case["args"][k]["shape"])
            for k in ARGS[case["method"]]]
    kw = dict(case.get("kwargs", {}))
    if "metadata" in case:
        kw["metadata"] = ra.GraphMetadata(**case["metadata"])
    if case["method"] == "forward_with_metadata":
        return mech.forward_with_metadata(*args, kw.pop("metadata"), **kw)
    return getattr(mech, case["method"])(*args, **kw)


def _case(arr, name, mechanism, config, method, metadata=None, kwargs=None, **args):
    case = {"name": name, "mechanism": mechanism, "config": config, "method": method,
            "args": {k: arr(v) for k, v in args.items()}}
    if metadata is not None:
        case["metadata"] = metadata
    if kwargs:
        case["kwargs"] = kwargs
    return case


def _raw_cases(arr):
    R, H, S, C = "GraphRoPE", "HNSWAwareAttention", "StructuralAttention", "CrossSpaceAttention"
    hops = [int(x) for x in np.random.default_rng(3).integers(0, 6, 40)]
    yield _case(arr, "rope hop distances n=40 d=16", R, {"dim": 16}, "forward_with_metadata",
                {"distances": [float(x) for x in hops]}, query=rand(16, 1), keys=rand((40, 16), 2),
                values=rand((40, 5), 3))
    frac = [round(float(x), 3) for x in np.random.default_rng(4).random(33) * 50]
    yield _case(arr, "rope fractional distances, query at 2.5, base 100", R, {"dim": 34, "base": 100.0},
                "forward_with_metadata", {"distances": frac}, {"query_distance": 2.5},
                query=rand(34, 4), keys=rand((33, 34), 5), values=rand((33, 3), 6))
    yield _case(arr, "rope weights over hops", R, {"dim": 8}, "attention_weights",
                {"distances": [0.0, 1.0, 1.0, 2.0, 3.0, 7.0]}, query=rand(8, 7), keys=rand((6, 8), 8))
    yield _case(arr, "rope apply_rotation rows", R, {"dim": 130}, "apply_rotation", None,
                {"distance": [0.0, 1.0, 17.5, 1000.25]}, embedding=rand((4, 130), 9))
    yield _case(arr, "rope backward", R, {"dim": 12, "base": 30.0}, "backward",
                {"distances": [0.5, 3.0, 1.0, 8.0, 2.0]}, query=rand(12, 10), keys=rand((5, 12), 11),
                values=rand((5, 4), 12), grad_output=rand(4, 13))
    layers = [0, 3, 1, 1, 2, 0, 3, 2, 1, 0, 0, 1]
    yield _case(arr, "hnsw 2 heads, 4 layers", H, {"dim": 8, "max_layers": 4, "num_heads": 2, "seed": 5},
                "forward_with_metadata", {"hnsw_layers": layers}, query=rand(8, 14),
                keys=rand((12, 8), 15), values=rand((12, 6), 16))
    feats = np.abs(rand((10, 3), 17)).round(3).tolist()
    yield _case(arr, "structural degree/pagerank/clustering", S,
                {"dim": 16, "structural_dim": 3, "seed": 2}, "forward_with_metadata",
                {"structural_features": feats}, query=rand(16, 18), keys=rand((10, 16), 19),
                values=rand((10, 4), 20))
    yield _case(arr, "structural backward", S, {"dim": 6, "structural_dim": 3, "seed": 4}, "backward",
                {"structural_features": feats[:7]}, query=rand(6, 21), keys=rand((7, 6), 22),
                values=rand((7, 3), 23), grad_output=rand(3, 24))
    for fusion in ("gate", "mean", "linear"):
        yield _case(arr, f"cross-space fusion {fusion}", C, {"dim": 6, "fusion": fusion, "seed": 1},
                    "forward_cross", h=rand(6, 25), graph_neighbors=rand((4, 6), 26),
                    latent_neighbors=rand((5, 6), 27))
    yield _case(arr, "cross-space empty graph set", C, {"dim": 6, "fusion": "gate", "seed": 1},
                "forward_cross", h=rand(6, 25), graph_neighbors=np.zeros((0, 6), np.float32),
                latent_neighbors=rand((5, 6), 27))


def _twin(mech, case):
    """The float64 twin's value for one case (backward: central differences of the twin)."""
    a = {k: np.asarray(F.decode(v), np.float64).reshape(v["shape"]) for k, v in case["args"].items()}
    meta, kw, cfg = case.get("metadata", {}), case.get("kwargs", {}), case["config"]
    st = {k: np.asarray(v, np.float64) for k, v in mech.state_dict().items()}
    name, method = case["mechanism"], case["method"]
    if method == "apply_rotation":
        return ref.rotate(a["embedding"], np.asarray(kw["distance"])[:, None], cfg.get("base", 1e4))
    if method == "forward_cross":
        return ref.cross_forward(a["h"], a["graph_neighbors"], a["latent_neighbors"], cfg["fusion"], st)

    def forward(q, K, V):
        if name == "GraphRoPE":
            return ref.rope_forward(q, K, V, np.asarray(meta["distances"]), cfg.get("base", 1e4),
                                    qdist=kw.get("query_distance", 0.0))
        if name == "HNSWAwareAttention":
            return ref.hnsw_forward(q, K, V, meta["hnsw_layers"], st["layer_embedding.weight"],
                                    st["layer_bias"], cfg["num_heads"])
        return ref.structural_forward(q, K, V, np.asarray(meta["structural_features"]),
                                      st["struct_proj.weight"])

    if method == "forward_with_metadata":
        return forward(a["query"], a["keys"], a["values"])[0]
    if method == "attention_weights":
        return forward(a["query"], a["keys"], a["keys"])[1]
    grads, eps = {}, 1e-6
    loss = lambda q, K, V: float(forward(q, K, V)[0] @ a["grad_output"])  # noqa: E731
    for part in ("query", "keys", "values"):
        g = np.zeros_like(a[part])
        for i in np.ndindex(g.shape):
            hi = {k: a[k].copy() for k in ("query", "keys", "values")}
            lo = {k: a[k].copy() for k in ("query", "keys", "values")}
            hi[part][i] += eps
            lo[part][i] -= eps
            g[i] = (loss(hi["query"], hi["keys"], hi["values"]) -
                    loss(lo["query"], lo["keys"], lo["values"])) / (2 * eps)
        grads[part] = g
    return grads


def graph_cases(arr):
    """Finished cases: inputs, native expected values (checked against the twin), tolerance."""
    for case in _raw_cases(arr):
        mech = build(case)
        got = run(mech, case)
        want = _twin(mech, case)
        if case["method"] == "backward":
            for part in ("query", "keys", "values"):
                assert_close(getattr(got, part), want[part], ("graph", "fixture_backward"),
                             what=f"{case['name']}: {part}")
            expected = {p: arr(np.asarray(getattr(got, p))) for p in ("query", "keys", "values")}
            expected["params"] = {k: arr(np.asarray(v)) for k, v in got.params.items()}
        else:
            assert_close(np.asarray(got).reshape(np.shape(want)), want, ("graph", "forward"),
                         what=case["name"])
            expected = arr(np.asarray(got))
        yield {**case, "expected": expected, "tolerance": dict(TOLERANCE)}
