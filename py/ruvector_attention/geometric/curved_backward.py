"""Gradients of curved-space attention (hyperbolic, manifold, mixed curvature), in
pure Python float64 (no numpy in Pyodide): the forward is recomputed once, then
reverse mode by hand; the curvature derivative by a complex step through the same
forward (exact to rounding: Im f(k + ih) / h, h = 1e-30).

Forward (one query; e / h = Euclidean / curved part, P = pull into the ball):
    s_j = we <q_e, k_je> - wh d_k(P q_h, P k_jh),  a = softmax(s)
    out_e = sum_j a_j v_je
    out_h = P(1/2 ⊗_k t),  t = N / Dn,  N = sum_j a_j l_j P v_jh,  Dn = sum_j a_j (l_j - 1)
    l_j = 2 / (1 + k |P v_jh|^2),  d_k = 2 arsin_k(sqrt(|x - y|^2 / ((1 + k|x|^2)(1 + k|y|^2))))
Shapes: q (de+dh,), K (N, de+dh), V (N, dve+dvh), g (dve+dvh,).
"""

import cmath
import math

from ..numerics import GEO_BALL_EPS, GEO_MIN_DENOM, GEO_MIN_NORM, GEO_SERIES_LIMIT

COMPLEX_STEP = 1e-30


def _sqrt(x):
    return cmath.sqrt(x) if isinstance(x, complex) else x ** 0.5


def _m(*xs):
    """cmath when any argument is complex (the curvature step), else math."""
    return cmath if any(isinstance(x, complex) for x in xs) else math


def tan_k(x, k):
    if abs(k.real) * abs(x.real) ** 2 < GEO_SERIES_LIMIT:
        return x + k * x ** 3 / 3 + 2 * k * k * x ** 5 / 15
    s = _sqrt(-k if k.real < 0 else k)
    M = _m(x, k)
    return (M.tanh(s * x) if k.real < 0 else M.tan(s * x)) / s


def artan_k(x, k):
    if abs(k.real) * abs(x.real) ** 2 < GEO_SERIES_LIMIT:
        return x - k * x ** 3 / 3 + k * k * x ** 5 / 5
    s = _sqrt(-k if k.real < 0 else k)
    M = _m(x, k)
    return (M.atanh(s * x) if k.real < 0 else M.atan(s * x)) / s


def arsin_k(x, k):
    if abs(k.real) * abs(x.real) ** 2 < GEO_SERIES_LIMIT:
        return x + k * x ** 3 / 6 + 3 * k * k * x ** 5 / 40
    s = _sqrt(-k if k.real < 0 else k)
    M = _m(x, k)
    return (M.asinh(s * x) if k.real < 0 else M.asin(min(s * x, 1.0) if M is math else s * x)) / s


def _dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def _project(x, k, on):
    """(P x, scale) with P pulling x inside the ball of radius (1 - eps)/sqrt(-k)."""
    if not on or k.real >= 0:
        return list(x), None
    maxnorm = (1 - GEO_BALL_EPS) / _sqrt(-k)
    norm = _sqrt(_dot(x, x))
    if norm.real <= maxnorm.real:
        return list(x), None
    return [v * maxnorm / norm for v in x], (maxnorm / norm, norm)


def _project_t(x_raw, grad, info):
    """Transpose of P's Jacobian at x_raw: s (g - x̂ (x̂ . g))."""
    if info is None:
        return grad
    s, norm = info
    u = [v / norm for v in x_raw]
    c = _dot(u, grad)
    return [s * (gi - ui * c) for gi, ui in zip(grad, u)]


def _forward(q, K, V, live, geo, k, project, keep=None):
    """The forward pass for any (float or complex) k; ``keep`` collects intermediates."""
    de, dh, dve, dvh, we, wh = geo
    qe, (qh, qinfo) = q[:de], _project(q[de:], k, project)
    a = max((1 + k * _dot(qh, qh)).real, GEO_MIN_NORM) if not isinstance(k, complex) \
        else 1 + k * _dot(qh, qh)
    rows, scores = [], []
    for j in live:
        ke, (kh, kinfo) = K[j][:de], _project(K[j][de:], k, project)
        s = we * _dot(qe, ke) if de else 0.0
        row = {"j": j, "ke": ke, "kh": kh, "kinfo": kinfo}
        if dh:
            b = 1 + k * _dot(kh, kh)
            diff = [x - y for x, y in zip(qh, kh)]
            w = _dot(diff, diff) / (a * b)
            z = _sqrt(w)
            dist = 2 * arsin_k(z, k)
            s = s - wh * dist
            row.update(b=b, diff=diff, w=w, z=z, dist=dist)
        rows.append(row)
        scores.append(s)
    if not rows:
        return [0.0] * (dve + dvh)
    m = max(s.real for s in scores)
    p = [cmath.exp(s - m) if isinstance(s, complex) else math.exp(s - m) for s in scores]
    total = sum(p)
    alpha = [x / total for x in p]
    out = [0.0] * dve
    for aj, row in zip(alpha, rows):
        out = [o + aj * v for o, v in zip(out, V[row["j"]][:dve])]
    if dvh:
        N, Dn = [0.0] * dvh, 0.0
        for aj, row in zip(alpha, rows):
            vh, vinfo = _project(V[row["j"]][dve:], k, project)
            lam = 2 / (1 + k * _dot(vh, vh))
            N = [x + aj * lam * v for x, v in zip(N, vh)]
            Dn += aj * (lam - 1)
            row.update(vh=vh, vinfo=vinfo, lam=lam)
        if abs(Dn.real) < GEO_MIN_DENOM:
            Dn = GEO_MIN_DENOM if Dn.real >= 0 else -GEO_MIN_DENOM
        t = [x / Dn for x in N]
        r = max(_sqrt(_dot(t, t)).real, GEO_MIN_NORM) if not isinstance(k, complex) \
            else _sqrt(_dot(t, t))
        f = tan_k(0.5 * artan_k(r, k), k)
        mid = [f / r * x for x in t]
        outh, oinfo = _project(mid, k, True)
        out += outh
        if keep is not None:
            keep.update(N=N, Dn=Dn, t=t, r=r, f=f, mid=mid, oinfo=oinfo)
    if keep is not None:
        keep.update(qe=qe, qh=qh, qinfo=qinfo, a=a, rows=rows, alpha=alpha)
    return out


def curved_backward(q, K, V, live, g, geo, k, project, want_k=False):
    """Gradients of <out, g>: (gq, gK, gV, g_we, g_wh, g_k). ``live``: unmasked rows."""
    de, dh, dve, dvh, we, wh = geo
    n = len(K)
    gq = [0.0] * (de + dh)
    gK = [[0.0] * (de + dh) for _ in range(n)]
    gV = [[0.0] * (dve + dvh) for _ in range(n)]
    keep = {}
    _forward(q, K, V, live, geo, k, project, keep)
    g_we = g_wh = g_k = 0.0
    if not keep:  # every key masked: the output is constant zero
        return gq, gK, gV, g_we, g_wh, g_k
    rows, alpha = keep["rows"], keep["alpha"]
    ge, gh = g[:dve], g[dve:]
    galpha = [_dot(V[row["j"]][:dve], ge) for row in rows]
    for aj, row in zip(alpha, rows):
        gV[row["j"]][:dve] = [aj * x for x in ge]
    if dvh:
        gm = _project_t(keep["mid"], gh, keep["oinfo"])
        t, r, f, Dn, N = keep["t"], keep["r"], keep["f"], keep["Dn"], keep["N"]
        fprime = (1 + k * f * f) * 0.5 / (1 + k * r * r)
        u = [x / r for x in t]
        c = (fprime - f / r) * _dot(u, gm)
        gt = [f / r * x + c * y for x, y in zip(gm, u)]
        gN = [x / Dn for x in gt]
        gDn = -_dot(N, gt) / (Dn * Dn)
        for i, (aj, row) in enumerate(zip(alpha, rows)):
            vh, lam = row["vh"], row["lam"]
            vg = _dot(vh, gN)
            galpha[i] += lam * vg + (lam - 1) * gDn
            glam = aj * (vg + gDn)
            gvh = [aj * lam * x - glam * k * lam * lam * v for x, v in zip(gN, vh)]
            gV[row["j"]][dve:] = _project_t(V[row["j"]][dve:], gvh, row["vinfo"])
    mean = _dot(alpha, galpha)
    qe, qh, a = keep["qe"], keep["qh"], keep["a"]
    gqh = [0.0] * dh
    for aj, ga, row in zip(alpha, galpha, rows):
        gs, j = aj * (ga - mean), row["j"]
        if de:
            g_we += gs * _dot(qe, row["ke"])
            gq[:de] = [x + gs * we * y for x, y in zip(gq[:de], row["ke"])]
            gK[j][:de] = [gs * we * x for x in qe]
        if dh:
            g_wh -= gs * row["dist"]
            z, w, b, diff, kh = row["z"], row["w"], row["b"], row["diff"], row["kh"]
            if z > 0:
                gz = -wh * gs * 2 / (1 - k * z * z) ** 0.5
                gw = gz / (2 * z)
                gD2, ga_, gb = gw / (a * b), -gw * w / a, -gw * w / b
                gqh = [x + 2 * gD2 * dd + ga_ * 2 * k * y for x, dd, y in zip(gqh, diff, qh)]
                gkh = [-2 * gD2 * dd + gb * 2 * k * y for dd, y in zip(diff, kh)]
                gK[j][de:] = _project_t(K[j][de:], gkh, row["kinfo"])
    if dh:
        gq[de:] = _project_t(q[de:], gqh, keep["qinfo"])
    if want_k:
        out = _forward(q, K, V, live, geo, complex(k, COMPLEX_STEP), project)
        g_k = sum(gi * o.imag for gi, o in zip(g, out) if isinstance(o, complex)) / COMPLEX_STEP
    return gq, gK, gV, g_we, g_wh, g_k
