"""Native reference values for the visualizer's end-to-end test.

    python3 tests/e2e/make_fixture.py OUT.json [--nodes 2000 --dim 32 --m 8 --seed 0]

Builds the same synthetic graph the page builds in Pyodide
(``ruvector_attention.datasets.hnsw_graph``, same seed), then, through the
public Python API running natively, the attention weights every mechanism of
``mechanism_catalog()`` gives for a few query nodes over their neighbours —
with the options the page uses by default (catalogue defaults, ``dim`` from
the data) plus a few changed configs. The graph-aware mechanisms get the
metadata the page derives (web-demo/app/data/metadata.js): GraphRoPE the latent
distance of each neighbour, HNSWAwareAttention its HNSW layer,
StructuralAttention [degree, PageRank, clustering] from
``ruvector_attention.graph.structural_features``. The curved mechanisms get the
inputs mapped into the Poincaré ball as the page maps them (web-demo/app/data/ball.js:
x_H -> exp_map0(s x_H), s = 2 / (sqrt(-k) max ||x_H||) over the data set). ``outputs`` are the forward outputs with the keys as values.
``distanceEffect`` holds GraphRoPE's weights with those distances and with all
distances 0. ``trained`` names a .safetensors file of trained multi-head weights
(written next to OUT, with files the page must refuse) and their weights. The e2e
test compares the page's exported weights to these numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import json
import math
import os
import re
import struct
import sys
from array import array

import ruvector_attention as ra
from ruvector_attention import datasets, geometric
from ruvector_attention.graph import structural_features
from ruvector_attention.io import save_file

# Mirrors web-demo/app/controls.js DATA_DIM_FIELDS (python spelling): fields set from the data.
DATA_DIM_FIELDS = {"dim", "hidden_dim", "node_dim", "embed_dim", "input_dim", "query_dim"}
# Mirrors controls.js DATA_DIM_PARTS: widths that sum to the data's dim (first = dim // 2).
DATA_DIM_PARTS = [("euclidean_dim", "hyperbolic_dim")]
# Mirrors web-demo/app/data/ball.js: the longest vector's tangent length times sqrt(-k).
BALL_TANGENT_RADIUS = 2.0
# Config changes the test makes on the page; each must re-render to these values.
CHANGED_CONFIGS = [
    ("MultiHeadAttention", {"num_heads": 2}),
    ("ScaledDotProductAttention", {"temperature": 0.5}),
]


def camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def has_default(param) -> bool:
    return "default" in param and param["default"] is not dataclasses.MISSING


def default_options(entry, dim):
    """The options the page creates a mechanism with (see controls.js defaultOptions)."""
    options = {}
    for p in entry["fields"]:
        if p["name"] in DATA_DIM_FIELDS and p["type"] == "int":
            options[p["name"]] = dim
        elif has_default(p):
            options[p["name"]] = p["default"]
        elif p["type"] in ("int", "float"):
            options[p["name"]] = p.get("min") if p.get("min") is not None else 1
    names = {p["name"] for p in entry["fields"]}
    for first, rest in DATA_DIM_PARTS:
        if {first, rest} <= names and dim >= 2:
            options[first], options[rest] = dim // 2, dim - dim // 2
    heads = options.get("num_heads")
    if isinstance(heads, int) and dim % heads:  # as controls.js: the largest divisor of dim below
        options["num_heads"] = max(h for h in range(1, heads + 1) if dim % h == 0)
    return options


def head_weights(mechanism, entry, query, keys, metadata=None):
    """(H, n) as lists: one row per head for multi-head mechanisms, else one row."""
    kw = {"metadata": metadata} if metadata is not None else {}
    if "head_attention_weights" in entry["methods"]:
        return mechanism.head_attention_weights(query, keys, **kw).tolist()
    return [mechanism.attention_weights(query, keys, **kw).tolist()]


def output(mechanism, entry, query, keys, metadata=None):
    """forward with the keys as values (as the page), or the error's class name."""
    try:
        if metadata is not None and "forward_with_metadata" in entry["methods"]:
            return mechanism.forward_with_metadata(query, keys, keys, metadata).tolist()
        return mechanism.forward(query, keys, keys).tolist()
    except ra.AttentionError as exc:
        return type(exc).__name__


def latent_distances(graph, node):
    """Euclidean distance from node to each neighbour, summed in order in float64 (as the page)."""
    q = graph.vector(node)
    return [math.sqrt(sum((float(a) - float(b)) ** 2 for a, b in zip(q, graph.vector(j))))
            for j in graph.neighbours(node)]


_FEATURES = {}
_MAX_NORMS = {}


def curved_space(name, options, dim):
    """(k, first hyperbolic coordinate) as web-demo/app/data/ball.js curvedSpace, or None."""
    if name == "HyperbolicAttention":
        return options["curvature"], 0
    if name == "ManifoldAttention" and options["curvature"] < 0:
        return options["curvature"], 0
    if name == "MixedCurvatureAttention":
        return options["curvature"], dim - options["hyperbolic_dim"]
    return None


def ball_inputs(graph, space, query, keys):
    """Query and key rows with the hyperbolic slice mapped into the ball, as the page does:
    the largest slice norm of the data set in float64, then exp_map0 of the float32 s x."""
    k, start = space
    d = graph.dim
    if (id(graph), start) not in _MAX_NORMS:
        best = 0.0
        for i in range(len(graph.layers)):
            v = graph.vector(i)
            acc = 0.0
            for j in range(start, d):
                acc += float(v[j]) * float(v[j])
            best = max(best, acc)
        _MAX_NORMS[id(graph), start] = math.sqrt(best)
    top = _MAX_NORMS[id(graph), start]
    scale = BALL_TANGENT_RADIUS / (math.sqrt(-k) * top) if top > 0 else 1.0
    rows = [list(query)] + [list(r) for r in keys]
    tangent = [[float(array("f", [x * scale])[0]) for x in r[start:]] for r in rows]
    mapped = geometric.exp_map0(tangent, k=k).tolist()
    out = [r[:start] + m for r, m in zip(rows, mapped)]
    return out[0], out[1:]  # float32 values, as lists


def mechanism_inputs(name, options, graph, node, curvature=None):
    """(query, keys) the page gives mechanism `name` for query `node`; `curvature` is the
    one the mechanism uses when it differs from its option (a learned one)."""
    k = len(graph.neighbours(node))
    keys = memoryview(graph.neighbour_vectors(node)).cast("B").cast("f", (k, graph.dim))
    space = curved_space(name, options, graph.dim)
    if space is None:
        return graph.vector(node), keys
    if curvature is not None:
        space = (curvature, space[1])
    return ball_inputs(graph, space, graph.vector(node), keys.tolist())


def metadata_for(name, graph, node):
    """The GraphMetadata the page passes (web-demo/app/data/metadata.js), or None."""
    nbrs = graph.neighbours(node)
    if name == "GraphRoPE":
        return ra.GraphMetadata(distances=latent_distances(graph, node))
    if name == "HNSWAwareAttention":
        return ra.GraphMetadata(hnsw_layers=[graph.layers[j] for j in nbrs])
    if name == "StructuralAttention":
        if id(graph) not in _FEATURES:
            _FEATURES[id(graph)] = structural_features(graph.indptr, graph.indices).tolist()
        table = _FEATURES[id(graph)]
        return ra.GraphMetadata(structural_features=[table[j] for j in nbrs])
    return None


def distance_effect(catalog, graph, nodes, dim):
    """GraphRoPE (default options) with the latent distances and with all distances 0."""
    rope = ra.MECHANISMS["GraphRoPE"](**default_options(catalog["GraphRoPE"], dim))
    out = {}
    for node in nodes:
        k = len(graph.neighbours(node))
        keys = memoryview(graph.neighbour_vectors(node)).cast("B").cast("f", (k, graph.dim))
        dist = latent_distances(graph, node)
        at = lambda d: rope.attention_weights(graph.vector(node), keys,  # noqa: E731
                                              metadata=ra.GraphMetadata(distances=d)).tolist()
        out[str(node)] = {"distances": dist, "with": at(dist), "without": at([0.0] * k)}
    return out


def case(entry, options, graph, nodes):
    """Weights of one (mechanism, options) for each node, or the error it raises natively."""
    try:
        mechanism = ra.MECHANISMS[entry["name"]](**options)
    except ra.AttentionError as exc:
        return {"options": camel_keys(options), "error": type(exc).__name__, "message": str(exc)}
    weights, outputs = {}, {}
    for node in nodes:
        query, keys = mechanism_inputs(entry["name"], options, graph, node)
        metadata = metadata_for(entry["name"], graph, node)
        weights[str(node)] = head_weights(mechanism, entry, query, keys, metadata)
        outputs[str(node)] = output(mechanism, entry, query, keys, metadata)
    return {"options": camel_keys(options), "weights": weights, "outputs": outputs}


def trained_weights(catalog, graph, nodes, dim, folder):
    """Multi-head weights that no seed gives (the seeded ones, scaled and shifted), saved by
    the library with their config (2 heads, unlike the page's default), their weights per
    node, and files the page must refuse: another mechanism's, one with wrong tensors, and
    one that is not safetensors at all."""
    entry = catalog["MultiHeadAttention"]
    options = {**default_options(entry, dim), "num_heads": 2, "seed": 7}
    mech = ra.MultiHeadAttention(**options)
    seeded = case(entry, options, graph, nodes)["weights"]
    state = {name: [0.5 * x + 0.05 * math.sin(i) for i, x in enumerate(t.data.cast("B").cast("f").tolist())]
             for name, t in mech.state_dict().items()}
    shapes = {name: tuple(t.shape) for name, t in mech.state_dict().items()}
    mech.load_state_dict({name: memoryview(array("f", v)).cast("B").cast("f", shapes[name])
                          for name, v in state.items()})
    files = {name: f"{folder}/{name}.safetensors" for name in ("trained", "other", "wrong", "garbage")}
    mech.save(files["trained"])
    ra.HNSWAwareAttention(**default_options(catalog["HNSWAwareAttention"], dim)).save(files["other"])
    save_file({"in_proj_weight": [[0.0] * 3] * 3}, files["wrong"])
    with open(files["garbage"], "wb") as fh:
        fh.write(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    weights = {}
    for node in nodes:
        query, keys = mechanism_inputs("MultiHeadAttention", options, graph, node)
        weights[str(node)] = head_weights(mech, entry, query, keys)
    files["plain"], plain = plain_half_file(entry, graph, nodes, dim, folder)
    files["curvature"], curvature = learned_curvature_file(catalog, graph, nodes, dim, folder)
    return {"files": files, "mechanism": "MultiHeadAttention", "options": camel_keys(options),
            "weights": weights, "seeded": seeded, "plain": plain, "curvature": curvature}


def learned_curvature_file(catalog, graph, nodes, dim, folder):
    """HyperbolicAttention with a learned curvature k = -2 (raw_curvature = softplus⁻¹(2)):
    the page must map its data and draw its disk at the curvature in use, not the option's -1."""
    entry = catalog["HyperbolicAttention"]
    options = {**default_options(entry, dim), "learn_curvature": True}
    mech = ra.HyperbolicAttention(**options)
    mech.load_state_dict({"raw_curvature": [math.log(math.expm1(2.0))]})
    path = f"{folder}/curvature.safetensors"
    mech.save(path)
    weights = {}
    for node in nodes:
        query, keys = mechanism_inputs("HyperbolicAttention", options, graph, node, curvature=mech.curvature)
        weights[str(node)] = head_weights(mech, entry, query, keys)
    return path, {"options": camel_keys(options), "k": mech.curvature, "weights": weights}


def plain_half_file(entry, graph, nodes, dim, folder):
    """Weights as another framework writes them: float16, no metadata (so the page keeps
    its own config), the page's default multi-head weights scaled by 0.7; and their
    weights per node natively, loaded from the same float16 values."""
    options = default_options(entry, dim)
    mech = ra.MultiHeadAttention(**options)
    header, body, halves = {}, b"", {}
    for name, t in sorted(mech.state_dict().items()):
        shape = list(t.shape)
        data = struct.pack(f"<{math.prod(shape)}e", *(0.7 * x for x in t.data.cast("B").cast("f").tolist()))
        header[name] = {"dtype": "F16", "shape": shape, "data_offsets": [len(body), len(body) + len(data)]}
        halves[name] = memoryview(array("f", struct.unpack(f"<{math.prod(shape)}e", data))).cast("B").cast("f", shape)
        body += data
    raw = json.dumps(header).encode()
    path = f"{folder}/plain_f16.safetensors"
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw + body)
    mech.load_state_dict(halves)
    weights = {}
    for node in nodes:
        query, keys = mechanism_inputs("MultiHeadAttention", options, graph, node)
        weights[str(node)] = head_weights(mech, entry, query, keys)
    return path, {"options": camel_keys(options), "weights": weights}


def camel_keys(options):
    return {camel(k): v for k, v in options.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--nodes", type=int, default=2000)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--m", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--query", type=int, nargs="*", default=[0, 7, 1234])
    args = ap.parse_args(argv)

    graph = datasets.hnsw_graph(args.nodes, args.dim, m=args.m, seed=args.seed)
    catalog = {e["name"]: e for e in ra.mechanism_catalog()}
    fixture = {
        "dataset": {"numNodes": args.nodes, "dim": args.dim, "m": args.m, "seed": args.seed},
        "kernel": ra.kernel_info(),
        "nodes": args.query,
        "neighbours": {str(i): graph.neighbours(i) for i in args.query},
        "inputs": {str(i): {"query": list(graph.vector(i)),
                            "keys": [list(graph.vector(j)) for j in graph.neighbours(i)]}
                   for i in args.query},
        "layers": {str(i): graph.layers[i] for i in args.query},
        "neighbourLayers": {str(i): [graph.layers[j] for j in graph.neighbours(i)] for i in args.query},
        "mechanisms": {name: case(e, default_options(e, args.dim), graph, args.query)
                       for name, e in catalog.items()},
        "changed": [],
        "distanceEffect": (distance_effect(catalog, graph, args.query, args.dim)
                           if "GraphRoPE" in catalog else {}),
    }
    if "MultiHeadAttention" in catalog and "HNSWAwareAttention" in catalog:
        fixture["trained"] = trained_weights(catalog, graph, args.query, args.dim,
                                             os.path.dirname(os.path.abspath(args.out)))
    for name, change in CHANGED_CONFIGS:
        if name in catalog:
            options = {**default_options(catalog[name], args.dim), **change}
            fixture["changed"].append({"mechanism": name, "change": camel_keys(change),
                                       **case(catalog[name], options, graph, args.query)})
    with open(args.out, "w") as fh:
        # Enum defaults travel as their value, as the JS bridge sends them.
        json.dump(fixture, fh, default=lambda o: o.value if isinstance(o, enum.Enum) else str(o))
    print(f"wrote {args.out}: {len(catalog)} mechanisms x {len(args.query)} nodes", file=sys.stderr)


if __name__ == "__main__":
    main()
