"""Float64 numpy reference twin of the graph-aware mechanisms (tests only), written
from the formulas in each module docstring, for reading not speed.

Shape legend: N keys, D width, DV value width, H heads, L layers, S features.
"""

from __future__ import annotations

import math

import numpy as np


def softmax(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max())
    return e / e.sum()


def rotate(x, t, base):
    """R(t) x: pairs (2i, 2i+1) rotated by theta_i = t / base^(2i/D)."""
    x = np.asarray(x, dtype=np.float64)
    d = x.shape[-1]
    theta = t / base ** (2 * np.arange(d // 2) / d)
    c, s = np.cos(theta), np.sin(theta)
    y = np.empty_like(x)
    y[..., 0::2] = x[..., 0::2] * c - x[..., 1::2] * s
    y[..., 1::2] = x[..., 0::2] * s + x[..., 1::2] * c
    return y


def rope_forward(q, K, V, dist, base, qdist=0.0):
    d = len(q)
    qr = rotate(q, qdist, base)
    scores = np.array([qr @ rotate(k, t, base) for k, t in zip(K, dist)]) / math.sqrt(d)
    w = softmax(scores)
    return w @ np.asarray(V, np.float64), w


def hnsw_forward(q, K, V, layers, E, B, h):
    q, K, V, E, B = (np.asarray(a, np.float64) for a in (q, K, V, E, B))
    d, dv = len(q), V.shape[1]
    hd, hdv = d // h, dv // h
    out, weights = [], []
    for t in range(h):
        cols = slice(t * hd, (t + 1) * hd)
        keys = K[:, cols] + E[layers][:, cols]
        w = softmax(keys @ q[cols] / math.sqrt(hd) + B[layers, t])
        weights.append(w)
        out.append(w @ V[:, t * hdv:(t + 1) * hdv])
    return np.concatenate(out), np.array(weights)


def structural_forward(q, K, V, F, W):
    q, K, V, F, W = (np.asarray(a, np.float64) for a in (q, K, V, F, W))
    keys = K + F @ W.T
    w = softmax(keys @ q / math.sqrt(len(q)))
    return w @ V, w


def att(h, N):
    N = np.asarray(N, np.float64)
    return softmax(N @ h / math.sqrt(len(h))) @ N


def cross_forward(h, G, L, fusion, params):
    h = np.asarray(h, np.float64)
    d = len(h)
    zero = np.zeros(d)
    present = [len(G) > 0, len(L) > 0, len(G) > 0 and len(L) > 0]
    xg = att(h, G) if present[0] else zero
    xl = att(h, L) if present[1] else zero
    xc = att(xg, L) if present[2] else zero
    views = [xg, xl, xc]
    if fusion == "mean":
        return sum(v for v, p in zip(views, present) if p) / sum(present)
    z = np.concatenate(views)
    if fusion == "linear":
        return np.asarray(params["fuse.weight"], np.float64) @ z + params["fuse.bias"]
    a = np.asarray(params["gate.weight"], np.float64) @ z + params["gate.bias"]
    gates = 1.0 / (1.0 + np.exp(-a))
    return sum(g * v * p for g, v, p in zip(gates, views, present))
