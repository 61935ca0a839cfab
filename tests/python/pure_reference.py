"""Pure-Python (no numpy) reference for the numpy-hidden run.

The same formulas as reference.py, on lists of floats, so the Pyodide-like
run checks real values and not just shapes. Python floats are doubles, so
this is also a float64 reference.
"""

from __future__ import annotations

import math
import random


def random_matrix(rows: int, cols: int, seed: int) -> list[list[float]]:
    rnd = random.Random(seed)
    return [[rnd.gauss(0.0, 1.0) for _ in range(cols)] for _ in range(rows)]


def dot(a, b) -> float:
    return math.fsum(x * y for x, y in zip(a, b))


def softmax(logits, keep=None) -> list[float]:
    keep = [True] * len(logits) if keep is None else [bool(k) for k in keep]
    live = [x for x, k in zip(logits, keep) if k]
    if not live:
        return [0.0] * len(logits)  # fully masked: zeros, never NaN
    top = max(live)
    e = [math.exp(x - top) if k else 0.0 for x, k in zip(logits, keep)]
    total = math.fsum(e)
    return [v / total for v in e]


def sdpa_weights(q, keys, *, temperature=1.0, scale=None, mask=None) -> list[float]:
    s = ((1.0 / math.sqrt(len(q))) if scale is None else scale) / temperature
    return softmax([dot(q, k) * s for k in keys], mask)


def sdpa_forward(q, keys, values, **kw) -> list[float]:
    a = sdpa_weights(q, keys, **kw)
    width = len(values[0])
    return [math.fsum(a[j] * values[j][c] for j in range(len(values))) for c in range(width)]
