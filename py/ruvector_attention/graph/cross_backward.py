"""Backward pass of CrossSpaceAttention.forward_cross (see cross_space.py).

With g = dL/dout and views x_k (k = g, l, c; absent views are constant zeros):
    mean:   dx_k = g / m (present k; m present views)
    gate:   c_k = sigmoid(a_k), a = W [x_g; x_l; x_c] + b
            da_k = (g . x_k) c_k (1 - c_k);  dx_m = c_m g + sum_k da_k W[k, block m]
            dW[k, block m] = da_k x_m;  db = da
    linear: dx_m = W[:, block m]^T g;  dW[:, block m] = g x_m^T;  db = g
then the three attentions backwards, outermost first:
    x_c = Att(x_g, L, L):  dx_g += dq,  dL += dK + dV
    x_l = Att(h, L, L):    dh += dq,    dL += dK + dV
    x_g = Att(h, G, G):    dh += dq,    dG += dK + dV

Shapes: h (D,), G (Ng, D), L (Nl, D); W_gate (3, 3D), W_fuse (D, 3D).
"""

import math

from .. import _arrays, _kernel
from ..core.base import Gradients
from ..validation import raise_for_status


def cross_backward(mech, q, G, L, g, views, present):
    d, k, s = mech._config.dim, _kernel.K, mech._scale
    fusion = mech.fusion.value
    numpy = q.numpy or G.numpy or L.numpy or g.numpy
    x = [list(buf) for buf, _ in views]  # (3, D) host floats
    gl = list(_arrays.as_floats(g))
    dx = [[0.0] * d for _ in range(3)]
    params = {}
    if fusion == "mean":
        count = sum(present)
        for b in range(3):
            if present[b]:
                dx[b] = [v / count for v in gl]
    elif fusion == "gate":
        W = list(mech._params["gate.weight"][0])
        bias = mech._params["gate.bias"][0]
        a = [bias[r] + sum(W[r * 3 * d + b * d + i] * x[b][i] for b in range(3) for i in range(d))
             for r in range(3)]
        c = [present[r] / (1.0 + math.exp(-a[r])) if a[r] >= 0 else
             present[r] * math.exp(a[r]) / (1.0 + math.exp(a[r])) for r in range(3)]
        da = [present[r] * sum(gi * xi for gi, xi in zip(gl, x[r])) * c[r] * (1.0 - c[r])
              for r in range(3)]
        for b in range(3):
            if present[b]:
                dx[b] = [c[b] * gl[i] + sum(da[r] * W[r * 3 * d + b * d + i] for r in range(3))
                         for i in range(d)]
        gw, gwp = _arrays.output((3, 3 * d), numpy)
        flat = gw.reshape(-1) if numpy else gw
        for r in range(3):
            for b in range(3):
                for i in range(d):
                    flat[r * 3 * d + b * d + i] = da[r] * x[b][i]
        gb, _ = _arrays.output((3,), numpy)
        for r in range(3):
            gb[r] = da[r]
        params = {"gate.weight": _arrays.result(gw, (3, 3 * d)), "gate.bias": _arrays.result(gb, (3,))}
    else:  # linear
        for b, (_, wptr) in enumerate(mech.weight_blocks("fuse.weight", d)):
            if present[b]:
                buf, ptr = _arrays.output((d,), False)
                k.matmul(g.ptr, wptr, ptr, 1, d, d, 0)
                dx[b] = list(buf)
        z, zptr = _arrays.output((3 * d,), False)
        for b in range(3):
            for i in range(d):
                z[b * d + i] = x[b][i] * present[b]
        gw, gwp = _arrays.output((d, 3 * d), numpy)
        k.matmul_tn(g.ptr, zptr, gwp, 1, d, 3 * d, 0)
        gb, gbp = _arrays.output((d,), numpy)
        _kernel.copy_bytes(gbp, g.ptr, d * 4)
        params = {"fuse.weight": _arrays.result(gw, (d, 3 * d)), "fuse.bias": _arrays.result(gb, (d,))}

    ng, nl = G.shape[0], L.shape[0]
    gh, ghp = _arrays.output((d,), numpy)
    gG, gGp = _arrays.output((ng, d), numpy)
    gL, gLp = _arrays.output((nl, d), numpy)
    work, workp = _arrays.output((d,), False)

    def att_back(qptr, K, gK, grad, gq_ptr):
        gbuf, gptr = _arrays.output((d,), False)
        for i, v in enumerate(grad):
            gbuf[i] = v
        rc = k.attend_backward(qptr, K.ptr, K.ptr, None, K.shape[0], d, d, s, 0.0, 0, gptr,
                               gq_ptr, gK, gK, workp)
        raise_for_status(rc, (q, G, L, g), "CrossSpaceAttention.backward_cross")

    if present[2]:
        dq_c, dq_cp = _arrays.output((d,), False)
        att_back(views[0][1], L, gLp, dx[2], dq_cp)
        dx[0] = [a + b for a, b in zip(dx[0], dq_c)]
    if present[1]:
        att_back(q.ptr, L, gLp, dx[1], ghp)
    if present[0]:
        att_back(q.ptr, G, gGp, dx[0], ghp)
    return Gradients(_arrays.result(gh, (d,)), _arrays.result(gG, (ng, d)),
                     _arrays.result(gL, (nl, d)), params)
