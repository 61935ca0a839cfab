"""Backward pass of single-query multi-head attention (see mha.py for the forward).

With g = dL/dout, c = [o_1 ... o_H], S_h = a_h V, u_h = Wk_h^T q'_h:
    dWo = g c^T, dbo = g, dc = Wo^T g
    dbv_h = dc_h, dWv_h = dc_h S_h^T, dS_h = Wv_h^T dc_h
    (du_h, dK, dV) += attention backward of (u_h, K, V) with output gradient dS_h
    dWk_h = q'_h du_h^T, dq'_h = Wk_h du_h
    dbq = dq', dWq = dq' q^T, dq = Wq^T dq'
dbk is exactly zero: bk shifts every score of a head by the same amount.
"""

import math

from .. import _arrays, _kernel
from ..numerics import FLOAT32_BYTES as F32
from ..validation import raise_for_status
from .base import Gradients


def mha_backward(mha, query, keys, values, grad_output, mask, key_padding_mask=None):
    d, dv = mha._config.dim, mha.value_dim
    (q, K, V, m, bias, numpy), (_, scratch, _) = mha._run(query, keys, values, mask, False,
                                                         key_padding_mask)
    g = _arrays.vector(grad_output, "grad_output", d)
    numpy = numpy or g.numpy
    n = K.shape[0]
    k = _kernel.K

    grads = {name: _arrays.output(shape, numpy) for name, (_, shape) in mha._params.items()}
    gq, gq_ptr = _arrays.output((d,), numpy)
    gk, gk_ptr = _arrays.output((n, d), numpy)
    gv, gv_ptr = _arrays.output((n, dv), numpy)
    live = m is None or any(m.owner)
    if live:  # a fully masked query has the constant output 0: every gradient is 0
        _accumulate(mha, k, q, K, V, m, bias, g, scratch, grads, gq_ptr, gk_ptr, gv_ptr)
    params = {name: _arrays.result(buf, mha._params[name][1]) for name, (buf, _) in grads.items()}
    return Gradients(_arrays.result(gq, (d,)), _arrays.result(gk, (n, d)),
                     _arrays.result(gv, (n, dv)), params)


def _accumulate(mha, k, q, K, V, m, bias, g, scratch, grads, gq_ptr, gk_ptr, gv_ptr):
    d, h, dv, hd = mha._config.dim, mha.num_heads, mha.value_dim, mha.head_dim
    n = K.shape[0]
    wq, _bq, wk, wv, _bv, wo, _bo = mha._weights()
    s0 = scratch.buffer_info()[0]
    qp, U = s0, s0 + d * F32          # q' (D,), U (H, D)
    S = U + h * d * F32               # S (H, DV): a_h V
    cat = S + h * dv * F32            # head outputs (D,)
    ptr = {name: p for name, (_, p) in grads.items()}
    if "in_proj_weight" in ptr:
        gwq, gwk, gwv = (ptr["in_proj_weight"] + i * d * d * F32 for i in range(3))
    else:
        gwq, gwk, gwv = ptr["q_proj_weight"], ptr["k_proj_weight"], ptr["v_proj_weight"]
    _temp, tp = _arrays.output((2 * d + h * d + 2 * dv,), False)
    gcat, gqp, gU = tp, tp + d * F32, tp + 2 * d * F32
    gS, work = gU + h * d * F32, gU + h * d * F32 + dv * F32
    scale = 1.0 / math.sqrt(hd)

    k.matmul_tn(g.ptr, cat, ptr["out_proj.weight"], 1, d, d, 0)
    if "out_proj.bias" in ptr:
        _kernel.copy_bytes(ptr["out_proj.bias"], g.ptr, d * F32)
    k.matmul(g.ptr, wo, gcat, 1, d, d, 0)
    for hh in range(h):
        go = gcat + hh * hd * F32
        k.matmul_tn(go, S + hh * dv * F32, gwv + hh * hd * dv * F32, 1, hd, dv, 0)
        k.matmul(go, wv + hh * hd * dv * F32, gS, 1, hd, dv, 0)
        gu = gU + hh * d * F32
        rc = k.attend_backward_bias(U + hh * d * F32, K.ptr, V.ptr, m.ptr if m else None,
                                    bias.ptr if bias else None, n, d, dv, scale, 0.0, 0, gS,
                                    gu, gk_ptr, gv_ptr, work)
        raise_for_status(rc, (q, K, V, g), "MultiHeadAttention.backward")
        k.matmul_tn(qp + hh * hd * F32, gu, gwk + hh * hd * d * F32, 1, hd, d, 0)
        k.linear(gu, wk + hh * hd * d * F32, None, gqp + hh * hd * F32, 1, d, hd, 0)
    if "in_proj_bias" in ptr:
        gb = ptr["in_proj_bias"]
        _kernel.copy_bytes(gb, gqp, d * F32)                             # dbq
        _kernel.copy_bytes(gb + 2 * d * F32, gcat, d * F32)              # dbv = dc
    k.matmul_tn(gqp, q.ptr, gwq, 1, d, d, 0)
    k.matmul(gqp, wq, gq_ptr, 1, d, d, 0)
