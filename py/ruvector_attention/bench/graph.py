"""Graph-aware section of the benchmark: one query, d = 128, n = 1 000
keys, one core, next to scaled dot-product attention on the same keys in the same
run. GraphRoPE is timed with hop distances (integers 1..6: a handful of distinct
rotations, the common graph case) and with all-distinct fractional distances (one
rotation per key); HNSW-aware with layers 0..3; structural with S = 3 features;
cross-space with 1 000 graph and 1 000 latent neighbours (three attentions);
GraphRoPE and structural backward too. Run by ``python -m ruvector_attention
benchmark``.
"""

import random
from array import array

import ruvector_attention as ra

from .harness import np, time_calls

KEYS = 1000


def run(inputs, *, quick=False, seconds=0.5, dim=128, n=KEYS):
    """Rows {mechanism, n, p50_us, x_sdpa}."""
    q, K, V = inputs.vector(dim, 51), inputs.matrix(n, dim, 52), inputs.matrix(n, dim, 53)
    L = inputs.matrix(n, dim, 54)
    rnd = random.Random(55)
    hops = array("f", (float(rnd.randint(1, 6)) for _ in range(n)))
    frac = array("f", (rnd.uniform(0.0, 6.0) for _ in range(n)))
    layers = [rnd.randint(0, 3) for _ in range(n)]
    feats = [[float(rnd.randint(1, 40)), rnd.random() / n, rnd.random()] for _ in range(n)]
    g = inputs.vector(dim, 56)
    if np is not None:  # metadata as arrays, as users with numpy pass it
        layers, feats = np.array(layers), np.array(feats, np.float32)
    sdpa, rope = ra.ScaledDotProductAttention(dim), ra.GraphRoPE(dim)
    hnsw, struct = ra.HNSWAwareAttention(dim, 16), ra.StructuralAttention(dim, 3)
    cross = ra.CrossSpaceAttention(dim)
    hop_meta, frac_meta = ra.GraphMetadata(distances=hops), ra.GraphMetadata(distances=frac)
    layer_meta, feat_meta = ra.GraphMetadata(hnsw_layers=layers), ra.GraphMetadata(structural_features=feats)
    calls = {
        "sdpa": lambda: sdpa.forward(q, K, V),
        "graph-rope hops": lambda: rope.forward_with_metadata(q, K, V, hop_meta),
        "graph-rope fractional": lambda: rope.forward_with_metadata(q, K, V, frac_meta),
        "hnsw-aware": lambda: hnsw.forward_with_metadata(q, K, V, layer_meta),
        "structural": lambda: struct.forward_with_metadata(q, K, V, feat_meta),
        "cross-space (2 x n)": lambda: cross.forward_cross(q, K, L),
        "sdpa backward": lambda: sdpa.backward(q, K, V, g),
        "graph-rope backward": lambda: rope.backward(q, K, V, g, metadata=hop_meta),
        "structural backward": lambda: struct.backward(q, K, V, g, metadata=feat_meta),
    }
    rows = []
    for name, fn in calls.items():
        timing = time_calls(fn, seconds, 10 if quick else 50)
        rows.append({"mechanism": name, "n": n, "p50_us": timing["p50_us"]})
    base = {"": rows[0]["p50_us"], "backward": rows[6]["p50_us"]}
    for r in rows:
        r["x_sdpa"] = r["p50_us"] / base["backward" if r["mechanism"].endswith("backward") else ""]
    return {"dim": dim, "n": n, "rows": rows}


def format_section(result):
    """Plain-text table of ``run()``'s result."""
    lines = ["", f"graph-aware attention, one query, n = {result['n']}, d = {result['dim']}, one core",
             f"{'mechanism':<24}{'p50 us':>10}{'x SDPA':>9}"]
    for r in result["rows"]:
        lines.append(f"{r['mechanism']:<24}{r['p50_us']:>10.1f}{r['x_sdpa']:>9.2f}")
    lines.append("x SDPA: forward vs sdpa forward, backward vs sdpa backward (same keys, same run)")
    return "\n".join(lines)
