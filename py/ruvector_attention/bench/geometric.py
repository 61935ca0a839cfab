"""Geometric section of the benchmark: one query, d = 128, n = 100 and
1 000 keys, one core, next to scaled dot-product attention on the same keys in the
same run (target: hyperbolic <= 5x SDPA). Hyperbolic keys / values are points of
the unit ball (|x| < 1); edge-featured (GAT, one head, PyG GATConv semantics) gets
16 edge features per key. Run by ``python -m ruvector_attention benchmark``.
"""

import ruvector_attention as ra

from .harness import time_calls

SIZES = (100, 1000)
EDGE_DIM = 16
TARGET_X_SDPA = 5.0  # hyperbolic forward vs SDPA forward


def _in_ball(x, dim):
    """Scale rows (N, D) or a vector (D,) in place into the unit ball (largest norm 0.9)."""
    if hasattr(x, "reshape"):  # numpy
        x *= 0.9 / float(((x.reshape(-1, dim) ** 2).sum(1) ** 0.5).max())
        return x
    flat = x.cast("B").cast("f")
    rows = len(flat) // dim
    largest = max(sum(v * v for v in flat[i * dim:(i + 1) * dim]) for i in range(rows)) ** 0.5
    for i in range(len(flat)):
        flat[i] *= 0.9 / largest
    return x


def run(inputs, *, quick=False, seconds=0.5, dim=128, sizes=SIZES):
    """Rows {mechanism, n, p50_us, x_sdpa}."""
    sdpa, hyp = ra.ScaledDotProductAttention(dim), ra.HyperbolicAttention(dim)
    gat = ra.EdgeFeaturedAttention(dim, EDGE_DIM)
    rows = []
    for n in sizes:
        q = _in_ball(inputs.vector(dim, 61 + n), dim)
        K, V = _in_ball(inputs.matrix(n, dim, 62 + n), dim), _in_ball(inputs.matrix(n, dim, 63 + n), dim)
        E = inputs.matrix(n, EDGE_DIM, 64 + n)
        calls = {
            "sdpa": lambda: sdpa.forward(q, K, V),
            "hyperbolic": lambda: hyp.forward(q, K, V),
            "edge-featured (Fe=16)": lambda: gat.forward_with_edges(q, K, V, E),
        }
        base = None
        for name, fn in calls.items():
            p50 = time_calls(fn, seconds, 10 if quick else 50)["p50_us"]
            base = base or p50
            rows.append({"mechanism": name, "n": n, "p50_us": p50, "x_sdpa": p50 / base})
    return {"dim": dim, "rows": rows, "target_hyperbolic_x_sdpa": TARGET_X_SDPA}


def format_section(result):
    """Plain-text table of ``run()``'s result."""
    lines = ["", f"geometric attention, one query, d = {result['dim']}, one core",
             f"{'mechanism':<24}{'n':>6}{'p50 us':>10}{'x SDPA':>9}"]
    for r in result["rows"]:
        lines.append(f"{r['mechanism']:<24}{r['n']:>6}{r['p50_us']:>10.1f}{r['x_sdpa']:>9.2f}")
    lines.append(f"x SDPA: vs sdpa forward at the same n (same run); target hyperbolic <= "
                 f"{result['target_hyperbolic_x_sdpa']:g}x")
    return "\n".join(lines)
