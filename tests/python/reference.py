"""Float64 numpy reference twin of scaled dot-product and multi-head attention.

Tests only. Written for reading, not speed: every formula appears once, in the
order a textbook would write it, so a reviewer can check it against the paper
(Vaswani et al. 2017, https://arxiv.org/abs/1706.03762) and against torch's
`nn.MultiheadAttention`. The fast path (f32 C kernel) is compared to this.

Shape legend: N keys, D query/key width, DV value width, H heads, HD = D // H.

Conventions (DESIGN.md section 5):
  logits  = (q . k_j) * s,  s = (scale if given else 1/sqrt(D)) / temperature
  mask    = booleans, True = the key takes part; a fully masked query gives
            zero weights and a zero output (never NaN), for multi-head too
            (torch gives NaN there; the output bias is not added)
  multi-head follows torch: in_proj_weight = [W_q; W_k; W_v] when value_dim == D,
  else q_proj_weight / k_proj_weight / v_proj_weight; in_proj_bias = [b_q; b_k; b_v].
"""

from __future__ import annotations

import math

import numpy as np


def f64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def logit_scale(dim: int, temperature: float = 1.0, scale: float | None = None) -> float:
    base = (1.0 / math.sqrt(dim)) if scale is None else float(scale)
    return base / float(temperature)


def masked_softmax(logits: np.ndarray, mask=None) -> np.ndarray:
    """Softmax over the last axis; masked-out entries get 0; an all-masked row is all 0."""
    logits = f64(logits)
    keep = np.ones(logits.shape, dtype=bool) if mask is None else np.broadcast_to(
        np.asarray(mask, dtype=bool), logits.shape)
    shifted = np.where(keep, logits, -np.inf)
    row_max = shifted.max(axis=-1, keepdims=True)
    row_max = np.where(np.isfinite(row_max), row_max, 0.0)  # all-masked row
    e = np.where(keep, np.exp(shifted - row_max), 0.0)
    total = e.sum(axis=-1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


# ----------------------------------------------------------------- scaled dot-product

def sdpa_weights(q, keys, *, temperature=1.0, scale=None, mask=None) -> np.ndarray:
    q, keys = f64(q), f64(keys)                                   # (D,), (N,D)
    s = logit_scale(q.shape[-1], temperature, scale)
    return masked_softmax(keys @ q * s, mask)                      # (N,)


def sdpa_forward(q, keys, values, *, temperature=1.0, scale=None, mask=None) -> np.ndarray:
    a = sdpa_weights(q, keys, temperature=temperature, scale=scale, mask=mask)
    return a @ f64(values)                                        # (DV,)


def sdpa_backward(q, keys, values, grad_output, *, temperature=1.0, scale=None, mask=None) -> dict:
    """Gradients of <grad_output, sdpa_forward(...)> w.r.t. query, keys, values."""
    q, keys, values, g = f64(q), f64(keys), f64(values), f64(grad_output)
    s = logit_scale(q.shape[-1], temperature, scale)
    a = sdpa_weights(q, keys, temperature=temperature, scale=scale, mask=mask)  # (N,)
    d_values = np.outer(a, g)                                     # (N,DV)
    d_a = values @ g                                              # (N,)
    d_logits = a * (d_a - a @ d_a)                                # softmax Jacobian; 0 where masked
    return {
        "query": s * (keys.T @ d_logits),                         # (D,)
        "keys": s * np.outer(d_logits, q),                        # (N,D)
        "values": d_values,
    }


def sdpa_forward_batch(queries, keys, values, **kw) -> np.ndarray:
    """keys/values (N,D) shared by every query, or (B,N,D) one set per query."""
    queries, keys, values = f64(queries), f64(keys), f64(values)
    if keys.ndim == 2:
        return np.stack([sdpa_forward(q, keys, values, **kw) for q in queries])
    return np.stack([sdpa_forward(q, k, v, **kw) for q, k, v in zip(queries, keys, values)])


def graph_forward(forward, features, indptr, indices, values=None, out_dim=None) -> np.ndarray:
    """Row i = forward(x_i, X[nbrs(i)], V[nbrs(i)]); an isolated node gives a zero row."""
    features = f64(features)
    values = features if values is None else f64(values)
    width = values.shape[1] if out_dim is None else out_dim
    out = np.zeros((features.shape[0], width))
    for i in range(features.shape[0]):
        nbrs = np.asarray(indices[indptr[i]:indptr[i + 1]], dtype=np.int64)
        if len(nbrs):
            out[i] = forward(features[i], features[nbrs], values[nbrs])
    return out


# ----------------------------------------------------------------------- multi-head

def mha_split(state: dict, dim: int) -> dict:
    """torch-named state_dict -> the nine projection pieces (missing biases are zeros)."""
    st = {k: f64(v) for k, v in state.items()}
    if "in_proj_weight" in st:
        w_q, w_k, w_v = np.split(st["in_proj_weight"], 3, axis=0)
    else:
        w_q, w_k, w_v = st["q_proj_weight"], st["k_proj_weight"], st["v_proj_weight"]
    b_q, b_k, b_v = np.split(st.get("in_proj_bias", np.zeros(3 * dim)), 3)
    return {"w_q": w_q, "w_k": w_k, "w_v": w_v, "b_q": b_q, "b_k": b_k, "b_v": b_v,
            "w_o": st["out_proj.weight"], "b_o": st.get("out_proj.bias", np.zeros(dim))}


def _mha_parts(p: dict, num_heads: int, q, keys, values, mask):
    q, keys, values = f64(q), f64(keys), f64(values)
    dim = p["w_q"].shape[0]
    hd = dim // num_heads
    qp = p["w_q"] @ q + p["b_q"]                                  # (D,)
    kp = keys @ p["w_k"].T + p["b_k"]                             # (N,D)
    vp = values @ p["w_v"].T + p["b_v"]                           # (N,D)
    qh = qp.reshape(num_heads, hd)                                # (H,HD)
    kh = kp.reshape(-1, num_heads, hd).transpose(1, 0, 2)         # (H,N,HD)
    vh = vp.reshape(-1, num_heads, hd).transpose(1, 0, 2)         # (H,N,HD)
    logits = np.einsum("hnd,hd->hn", kh, qh) / math.sqrt(hd)      # (H,N)
    a = masked_softmax(logits, mask)                              # (H,N)
    heads = np.einsum("hn,hnd->hd", a, vh)                        # (H,HD)
    return qp, qh, kh, vh, a, heads


def mha_head_weights(p, num_heads, q, keys, mask=None) -> np.ndarray:
    dummy_values = np.zeros((f64(keys).shape[0], p["w_v"].shape[1]))
    return _mha_parts(p, num_heads, q, keys, dummy_values, mask)[4]  # (H,N)


def mha_weights(p, num_heads, q, keys, mask=None) -> np.ndarray:
    """torch's default need_weights=True, average_attn_weights=True: mean over heads."""
    return mha_head_weights(p, num_heads, q, keys, mask).mean(axis=0)


def mha_head_output(p, num_heads, head, q, keys, values, mask=None) -> np.ndarray:
    return _mha_parts(p, num_heads, q, keys, values, mask)[5][head]  # (HD,)


def fully_masked(mask) -> bool:
    return mask is not None and not np.any(mask)


def mha_forward(p, num_heads, q, keys, values, mask=None) -> np.ndarray:
    if fully_masked(mask):  # DESIGN.md: zero output (torch would give NaN; the biases do not leak)
        return np.zeros(p["w_o"].shape[0])
    heads = _mha_parts(p, num_heads, q, keys, values, mask)[5]
    return p["w_o"] @ heads.reshape(-1) + p["b_o"]                # (D,)


def mha_backward(p, num_heads, q, keys, values, grad_output, mask=None, *, separate_proj=False):
    """Gradients of <grad_output, mha_forward(...)> w.r.t. inputs and every torch-named parameter."""
    q, keys, values, g = f64(q), f64(keys), f64(values), f64(grad_output)
    if fully_masked(mask):  # the output is constant zero, so every gradient is zero
        g = np.zeros_like(g)
    dim = p["w_q"].shape[0]
    hd = dim // num_heads
    qp, qh, kh, vh, a, heads = _mha_parts(p, num_heads, q, keys, values, mask)
    concat = heads.reshape(-1)                                    # (D,)
    d_concat = p["w_o"].T @ g                                     # (D,)
    d_heads = d_concat.reshape(num_heads, hd)                     # (H,HD)
    d_vh = np.einsum("hn,hd->hnd", a, d_heads)                    # (H,N,HD)
    d_a = np.einsum("hnd,hd->hn", vh, d_heads)                    # (H,N)
    d_logits = a * (d_a - (a * d_a).sum(axis=1, keepdims=True))   # (H,N)
    d_qh = np.einsum("hn,hnd->hd", d_logits, kh) / math.sqrt(hd)  # (H,HD)
    d_kh = np.einsum("hn,hd->hnd", d_logits, qh) / math.sqrt(hd)  # (H,N,HD)
    d_qp = d_qh.reshape(-1)                                       # (D,)
    d_kp = d_kh.transpose(1, 0, 2).reshape(-1, dim)               # (N,D)
    d_vp = d_vh.transpose(1, 0, 2).reshape(-1, dim)               # (N,D)
    d_wq, d_wk, d_wv = np.outer(d_qp, q), d_kp.T @ keys, d_vp.T @ values
    params = {
        "in_proj_bias": np.concatenate([d_qp, d_kp.sum(axis=0), d_vp.sum(axis=0)]),
        "out_proj.weight": np.outer(g, concat),
        "out_proj.bias": g.copy(),
    }
    if separate_proj:
        params.update({"q_proj_weight": d_wq, "k_proj_weight": d_wk, "v_proj_weight": d_wv})
    else:
        params["in_proj_weight"] = np.concatenate([d_wq, d_wk, d_wv], axis=0)
    return {
        "query": p["w_q"].T @ d_qp,
        "keys": d_kp @ p["w_k"],
        "values": d_vp @ p["w_v"],
        "params": params,
    }
