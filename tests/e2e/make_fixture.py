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
``ruvector_attention.graph.structural_features``. ``distanceEffect`` holds
GraphRoPE's weights with those distances and with all distances 0. The e2e test
compares the page's exported weights to these numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import json
import math
import re
import sys

import ruvector_attention as ra
from ruvector_attention import datasets
from ruvector_attention.graph import structural_features

# Mirrors web-demo/app/controls.js DATA_DIM_FIELDS (python spelling): fields set from the data.
DATA_DIM_FIELDS = {"dim", "hidden_dim", "node_dim", "embed_dim", "input_dim", "query_dim"}
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
    heads = options.get("num_heads")
    if isinstance(heads, int) and dim % heads:  # as controls.js: the largest divisor of dim below
        options["num_heads"] = max(h for h in range(1, heads + 1) if dim % h == 0)
    if "input_mode" in options:  # as controls.js: the datasets are Euclidean features (exp_0 in)
        options["input_mode"] = "euclidean"
    return options


def head_weights(mechanism, entry, query, keys, metadata=None):
    """(H, n) as lists: one row per head for multi-head mechanisms, else one row."""
    kw = {"metadata": metadata} if metadata is not None else {}
    if "head_attention_weights" in entry["methods"]:
        return mechanism.head_attention_weights(query, keys, **kw).tolist()
    return [mechanism.attention_weights(query, keys, **kw).tolist()]


def latent_distances(graph, node):
    """Euclidean distance from node to each neighbour, summed in order in float64 (as the page)."""
    q = graph.vector(node)
    return [math.sqrt(sum((float(a) - float(b)) ** 2 for a, b in zip(q, graph.vector(j))))
            for j in graph.neighbours(node)]


_FEATURES = {}


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
    weights = {}
    for node in nodes:
        k = len(graph.neighbours(node))
        keys = memoryview(graph.neighbour_vectors(node)).cast("B").cast("f", (k, graph.dim))
        weights[str(node)] = head_weights(mechanism, entry, graph.vector(node), keys,
                                          metadata_for(entry["name"], graph, node))
    return {"options": camel_keys(options), "weights": weights}


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
        "layers": {str(i): graph.layers[i] for i in args.query},
        "neighbourLayers": {str(i): [graph.layers[j] for j in graph.neighbours(i)] for i in args.query},
        "mechanisms": {name: case(e, default_options(e, args.dim), graph, args.query)
                       for name, e in catalog.items()},
        "changed": [],
        "distanceEffect": (distance_effect(catalog, graph, args.query, args.dim)
                           if "GraphRoPE" in catalog else {}),
    }
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
