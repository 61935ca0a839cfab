"""Scalability section of the benchmark, sparse / efficient mechanisms (spec NFR-001.4):
one query, d = 128, n = 1 000, 10 000, 100 000 keys, one core.

For each of SDPA, flash, linear (keys prepared once, so a query costs O(M D)) and
local-global (window 16 + 4 global, gathered): time per op (p50), the fitted exponent
of time vs n (least squares of log t on log n; 1 = linear, 0 = flat), and the peak
extra memory per call (tracemalloc; flash and linear are constant in n). Run by
``python -m ruvector_attention benchmark``.
"""

import math
import random

import ruvector_attention as ra

from .harness import fmt_bytes, np, peak_extra_bytes, time_calls

SIZES = (1000, 10000, 100000)
QUICK_SIZES = (1000, 10000, 30000)
LINEAR_FEATURES = 256
LOCAL_WINDOW, GLOBAL_NODES = 16, 4
ERROR_FEATURES, ERROR_NORMS = (64, 256, 1024), (1.0, 5.0)
ROTATION_BYTES = 128 << 20  # key copies cycled per size: more than any L3, so timings stream


def fitted_exponent(ns, times):
    """Slope of log(time) against log(n) (least squares)."""
    xs, ys = [math.log(n) for n in ns], [math.log(t) for t in times]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / \
        sum((x - mx) ** 2 for x in xs)


def run(inputs, *, quick=False, seconds=0.5, dim=128, sizes=None):
    """Rows {mechanism, n, p50_us, peak_extra_bytes} and a summary per mechanism with
    the exponent."""
    sizes = sizes or (QUICK_SIZES if quick else SIZES)
    mechs = {"sdpa": ra.ScaledDotProductAttention(dim), "flash": ra.FlashAttention(dim, 64),
             "linear": ra.LinearAttention(dim, LINEAR_FEATURES),
             "local-global": ra.LocalGlobalAttention(dim, LOCAL_WINDOW, GLOBAL_NODES)}
    rows = []
    for n in sizes:
        rows += _time_size(mechs, inputs, n, dim, seconds)
    summary = []
    for name in mechs:
        mine = [r for r in rows if r["mechanism"] == name]
        summary.append({"mechanism": name,
                        "exponent": fitted_exponent([r["n"] for r in mine], [r["p50_us"] for r in mine]),
                        "memory_growth_bytes": mine[-1]["peak_extra_bytes"] - mine[0]["peak_extra_bytes"]})
    return {"dim": dim, "sizes": list(sizes), "rows": rows, "summary": summary,
            "linear_error": linear_error_study(quick=quick, dim=dim)}


def linear_error_study(*, quick=False, dim=128, n=200, features=ERROR_FEATURES):
    """Mean relative L2 error of LinearAttention (favor+, orthogonal) against exact
    attention, inputs scaled to norm 1 and 5, over a few feature seeds."""
    rng = random.Random(7)

    def rows(count, norm):
        out = []
        for _ in range(count):
            v = [rng.gauss(0, 1) for _ in range(dim)]
            s = norm / math.sqrt(sum(x * x for x in v))
            out.append([x * s for x in v])
        return out

    queries, seeds = (5, 2) if quick else (20, 3)
    result = []
    for norm in ERROR_NORMS:
        K, V, Q = rows(n, norm), [[rng.gauss(0, 1) for _ in range(dim)] for _ in range(n)], rows(queries, norm)
        exact = ra.ScaledDotProductAttention(dim).forward_batch(Q, K, V).tolist()
        for m in features:
            errs = []
            for seed in range(seeds):
                approx = ra.LinearAttention(dim, m, seed=seed).forward_batch(Q, K, V).tolist()
                errs += [_l2([a - e for a, e in zip(ra_, ex, strict=True)]) / _l2(ex)
                         for ra_, ex in zip(approx, exact, strict=True)]
            result.append({"norm": norm, "num_features": m, "mean_relative_error": sum(errs) / len(errs)})
    return result


def _l2(v):
    return math.sqrt(sum(x * x for x in v))


def _time_size(mechs, inputs, n, dim, seconds):
    q = inputs.vector(dim, 41)
    # cycle through copies of the keys that together exceed the caches, so every n
    # is timed streaming from memory (else small n run from cache and the fitted
    # exponent measures the cache hierarchy, not the algorithm)
    copies = max(1, ROTATION_BYTES // (2 * n * dim * 4)) if np is not None else 1
    K_all, V_all = inputs.matrix(copies * n, dim, 42), inputs.matrix(copies * n, dim, 43)
    sets = [(K_all[i * n:(i + 1) * n], V_all[i * n:(i + 1) * n]) for i in range(copies)]
    prepared = mechs["linear"].prepare_keys(*sets[0])
    turn = [0]

    def next_set():
        turn[0] = (turn[0] + 1) % copies
        return sets[turn[0]]

    calls = {
        "sdpa": lambda: mechs["sdpa"].forward(q, *next_set()),
        "flash": lambda: mechs["flash"].forward(q, *next_set()),
        "linear": lambda: mechs["linear"].forward_prepared(q, prepared),
        "local-global": lambda: mechs["local-global"].forward(q, *next_set()),
    }
    rows = []
    for name, fn in calls.items():
        timing = time_calls(fn, seconds, 5 if n >= 100000 else 20)
        rows.append({"mechanism": name, "n": n, "p50_us": timing["p50_us"],
                     "peak_extra_bytes": peak_extra_bytes(fn)})
    return rows


def format_section(result):
    """Plain-text table of ``run()``'s result."""
    sizes = result["sizes"]
    head = "".join(f"{'n=' + str(n) + ' us':>16}" for n in sizes)
    lines = ["", f"scalability, one query, d = {result['dim']} (linear: keys prepared once; "
             f"local-global: window {LOCAL_WINDOW} + {GLOBAL_NODES} global)",
             f"{'mechanism':<14}{head} {'exponent':>9} {'extra mem (by n)':>30}"]
    for s in result["summary"]:
        mine = {r["n"]: r for r in result["rows"] if r["mechanism"] == s["mechanism"]}
        times = "".join(f"{mine[n]['p50_us']:>16.1f}" for n in sizes)
        mem = " / ".join(fmt_bytes(mine[n]["peak_extra_bytes"]) for n in sizes)
        lines.append(f"{s['mechanism']:<14}{times} {s['exponent']:>9.2f} {mem:>30}")
    lines.append("exponent = slope of log(time) vs log(n): 1 linear, 0 flat in n")
    study = result.get("linear_error") or []
    if study:
        err = {(r["norm"], r["num_features"]): r["mean_relative_error"] for r in study}
        feats = sorted({m for _, m in err})
        parts = [f"norm {norm:g}: " + " / ".join(f"{err[norm, m]:.4f}" for m in feats)
                 for norm in sorted({nm for nm, _ in err})]
        lines.append(f"linear attention mean relative error vs exact (d = {result['dim']}, favor+, "
                     f"orthogonal) at M = {' / '.join(map(str, feats))}: " + "   ".join(parts))
    return "\n".join(lines)
