"""The curvature gradient of curved-space attention (hyperbolic, manifold, mixed
curvature) when the curvature is learned: a complex step through the forward,
exact to rounding (Im f(k + ih) / h, h = 1e-30), in pure Python (no numpy in
Pyodide). Every other gradient is reverse mode in the kernel (rv_geo_backward).

Forward (one query; e / h = Euclidean / curved part, P = pull into the ball):
    s_j = we <q_e, k_je> - wh d_k(P q_h, P k_jh),  a = softmax(s)
    out_e = sum_j a_j v_je
    out_h = P(1/2 ⊗_k t),  t = N / Dn,  N = sum_j a_j l_j P v_jh,  Dn = sum_j a_j (l_j - 1)
    l_j = 2 / (1 + k |P v_jh|^2),  d_k = 2 arsin_k(sqrt(|x - y|^2 / ((1 + k|x|^2)(1 + k|y|^2))))
Shapes: q (de+dh,), K (N, de+dh), V (N, dve+dvh), g (dve+dvh,).
"""

import cmath
import math

from ..numerics import GEO_BALL_EPS, GEO_MIN_DENOM, GEO_SERIES_LIMIT

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
    """x pulled inside the ball of radius (1 - eps)/sqrt(-k) (complex k: by its real part)."""
    if not on or k.real >= 0:
        return list(x)
    maxnorm = (1 - GEO_BALL_EPS) / _sqrt(-k)
    norm = _sqrt(_dot(x, x))
    return list(x) if norm.real <= maxnorm.real else [v * maxnorm / norm for v in x]


def _forward(q, K, V, live, geo, k, project):
    """The forward pass at a complex curvature k (the float pass is the kernel's)."""
    de, dh, dve, dvh, we, wh = geo
    qe, qh = q[:de], _project(q[de:], k, project)
    a = 1 + k * _dot(qh, qh)
    scores = []
    for j in live:
        s = we * _dot(qe, K[j][:de]) if de else 0.0
        if dh:
            kh = _project(K[j][de:], k, project)
            diff = [x - y for x, y in zip(qh, kh)]
            s = s - wh * 2 * arsin_k(_sqrt(_dot(diff, diff) / (a * (1 + k * _dot(kh, kh)))), k)
        scores.append(s)
    if not scores:
        return [0.0] * (dve + dvh)
    m = max(s.real for s in scores)
    p = [cmath.exp(s - m) for s in scores]
    total = sum(p)
    alpha = [x / total for x in p]
    out = [sum(aj * V[j][c] for aj, j in zip(alpha, live)) for c in range(dve)]
    if dvh:
        N, Dn = [0.0] * dvh, 0.0
        for aj, j in zip(alpha, live):
            vh = _project(V[j][dve:], k, project)
            lam = 2 / (1 + k * _dot(vh, vh))
            N = [x + aj * lam * v for x, v in zip(N, vh)]
            Dn += aj * (lam - 1)
        if abs(Dn.real) < GEO_MIN_DENOM:
            Dn = GEO_MIN_DENOM if Dn.real >= 0 else -GEO_MIN_DENOM
        t = [x / Dn for x in N]
        r = _sqrt(_dot(t, t))
        f = tan_k(0.5 * artan_k(r, k), k)
        out += _project([f / r * x for x in t], k, True)
    return out


def curvature_grad(q, K, V, live, g, geo, k, project):
    """d<out, g>/dk by a complex step through the forward. ``live``: unmasked rows."""
    out = _forward(q, K, V, live, geo, complex(k, COMPLEX_STEP), project)
    return sum(gi * o.imag for gi, o in zip(g, out) if isinstance(o, complex)) / COMPLEX_STEP
