"""Float64 numpy reference twin of the sparse / efficient mechanisms (tests only).

Readable, not fast: flash attention written as the paper's block loop (Dao et al.
2022), FAVOR+ with the features formed explicitly (Choromanski et al. 2020) and
stabilised in log space, local + global selection, and every sparsity pattern
as a dense boolean matrix built by its definition.

Shape legend: N keys, D width, DV value width, B queries, M features, T block.
"""

from __future__ import annotations

import math

import numpy as np
from reference import f64, masked_softmax


def flash_forward(q, keys, values, block, *, scale=None, mask=None):
    """One query, blocks of T keys, running max m / sum l / accumulator rescaled."""
    q, keys, values = f64(q), f64(keys), f64(values)
    s = 1.0 / math.sqrt(q.shape[0]) if scale is None else scale
    m, total, acc = -np.inf, 0.0, np.zeros(values.shape[1])
    for start in range(0, keys.shape[0], block):
        sc = keys[start:start + block] @ q * s                     # (T,)
        if mask is not None:
            sc = np.where(np.asarray(mask[start:start + block], bool), sc, -np.inf)
        if not np.isfinite(sc.max()):
            continue
        m_new = max(m, sc.max())
        p = np.exp(sc - m_new)                                     # (T,)
        total = total * math.exp(m - m_new) + p.sum() if total else p.sum()
        acc = acc * (math.exp(m - m_new) if np.isfinite(m) else 0.0) + p @ values[start:start + block]
        m = m_new
    return acc / total if total else acc


def causal_forward(queries, keys, values):
    """Query i sees keys j <= i (torch is_causal, top-left aligned)."""
    queries, keys, values = f64(queries), f64(keys), f64(values)
    b, n = queries.shape[0], keys.shape[0]
    mask = np.arange(n)[None, :] <= np.arange(b)[:, None]          # (B,N)
    a = masked_softmax(queries @ keys.T / math.sqrt(queries.shape[1]), mask)
    return a @ values


def favor_features(x, W, scale):
    """log phi(x) (without the common 1/sqrt(M)): w_i . x' - |x'|^2 / 2, x' = x sqrt(s)."""
    xp = f64(x) * math.sqrt(scale)                                  # (.., D)
    return xp @ f64(W).T - 0.5 * (xp * xp).sum(-1, keepdims=True)  # (.., M)


def favor_forward(queries, keys, values, W, *, scale, mask=None):
    """FAVOR+ output for queries (B, D) in float64, the features combined in log space
    so no term underflows: out = sum_ij e^{lq_i + lk_ji} v_j / sum_ij e^{lq_i + lk_ji}."""
    lq, lk = favor_features(queries, W, scale), favor_features(keys, W, scale)  # (B,M), (N,M)
    if mask is not None:
        lk = np.where(np.asarray(mask, bool)[:, None], lk, -np.inf)
    logw = np.logaddexp.reduce(lq[:, :, None] + lk.T[None, :, :], axis=1)  # (B,N)
    return masked_softmax(logw, None if mask is None else mask) @ f64(values)


def favor_weights(query, keys, W, *, scale, mask=None):
    """The weights FAVOR+ implies for one query (N,): e^{lq . lk_j} summed over features,
    normalised over keys, in log space like ``favor_forward``."""
    lq, lk = favor_features(query, W, scale), favor_features(keys, W, scale)  # (M,), (N,M)
    if mask is not None:
        lk = np.where(np.asarray(mask, bool)[:, None], lk, -np.inf)
    logw = np.logaddexp.reduce(lq[None, :] + lk, axis=1)                   # (N,)
    return masked_softmax(logw[None], None if mask is None else mask)[0]


def local_global_keys(n, local_window, global_nodes, distances=None, layers=None):
    """Sorted selected positions: L nearest (by order or distance), G highest layers."""
    order = list(range(n)) if distances is None else sorted(range(n), key=lambda j: (distances[j], j))
    chosen = set(order[:local_window])
    if layers is not None:
        ranked = [j for j in sorted(range(n), key=lambda j: (-layers[j], j)) if j not in chosen]
        chosen |= set(ranked[:global_nodes])
    return sorted(chosen)


def dense_band(n, width, rows=None, causal=False):
    i = np.arange(n if rows is None else rows)[:, None]
    j = np.arange(n)[None, :]
    return (j >= i - width) & (j <= (i if causal else i + width))


def dense_strided(n, stride):
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    return (i - j) % stride == 0


def dense_global(n, tokens):
    out = np.zeros((n, n), bool)
    out[:, tokens] = True
    out[tokens, :] = True
    return out
