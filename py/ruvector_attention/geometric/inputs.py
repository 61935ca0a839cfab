"""How the curved mechanisms read their inputs: never clipped silently.

``InputMode.BALL`` (default): inputs are points of the ball. A point with
|x| >= 1/sqrt(-k) (k < 0) is refused with ``OutOfBoundsError`` naming the
``input_mode="euclidean"`` fix; points inside — including those within the float32
margin ``GEO_BALL_EPS`` of the boundary, which the kernel pulls in — are accepted.

``InputMode.EUCLIDEAN`` (HGCN, Chami et al. 2019, https://arxiv.org/abs/1910.12933):
inputs are Euclidean features, i.e. tangent vectors at the origin, mapped onto the
manifold by the exponential map there before attention:

    exp_0^k(v) = tan_k(|v|) v / |v|,  tan_k(r) = tanh(sqrt(-k) r)/sqrt(-k) (k < 0),
                 tan(sqrt(k) r)/sqrt(k) (k > 0), r (k = 0)

and ``backward`` chains through it: for f(v) = g(r) v, r = |v|,
df/dv^T y = g y + (g'(r)/r)(v.y) v, and df/dk^T y = (dg/dk)(v.y) (with the kernel's
pull to the float32 margin folded into g where exp_0 lands within it).
Outputs are points of the manifold either way (``log_map0`` returns to tangent space).

Shapes: a (D,) point or (N, D) rows; only the curved columns [start, start + width)
of each row are checked / mapped (MixedCurvatureAttention's Euclidean part is not).
"""

import enum
import math
from array import array

from .. import _arrays, _kernel
from ..errors import OutOfBoundsError
from ..numerics import GEO_BALL_EPS, GEO_OP_EXP0, GEO_SERIES_LIMIT, GEO_TANH_CLAMP
from ..validation import raise_for_status
from .poincare import row_norms


class InputMode(enum.Enum):
    BALL = "ball"
    EUCLIDEAN = "euclidean"


def _columns(t, start, width):
    """(rows, flat float32 copy of the columns [start, start + width) of every row)."""
    rows = 1 if len(t.shape) == 1 else t.shape[0]
    total = t.shape[-1]
    flat = _arrays.as_floats(t)
    if start == 0 and width == total:
        return rows, flat
    sub = array("f")
    for i in range(rows):
        sub.extend(flat[i * total + start:i * total + start + width])
    return rows, sub


def check_in_ball(name, t, start, width, k, mech):
    """BALL mode: refuse a row whose curved part has norm >= the ball radius."""
    if k >= 0 or not width:
        return
    radius = 1.0 / math.sqrt(-k)
    rows, sub = _columns(t, start, width)
    norms = row_norms(memoryview(sub).cast("B").cast("f", (rows, width))).tolist() if rows else []
    for i, norm in enumerate(norms):
        if not norm < radius:
            where = name if len(t.shape) == 1 else f"{name}[{i}]"
            raise OutOfBoundsError(
                f"{mech}: {where} has norm {norm:.6g} >= the ball radius {radius:.6g} "
                f"(curvature {k}): it is not a point of the ball; pass input_mode='euclidean' "
                "to map Euclidean features into the ball with the exponential map at 0 (HGCN)",
                index=i, length=rows)


def to_manifold(t, start, width, k, what):
    """EUCLIDEAN mode: a new Tensor whose curved columns are exp_0^k of ``t``'s."""
    if not width:
        return t
    rows, sub = _columns(t, start, width)
    mapped = array("f", bytes(4 * len(sub)))
    if rows:
        rc = _kernel.K.geo_rows(GEO_OP_EXP0, None, 0, sub.buffer_info()[0], width, rows, width,
                                k, 0.0, mapped.buffer_info()[0])
        raise_for_status(rc, (t,), what)
    total = t.shape[-1]
    if width == total:
        out = mapped
    else:
        out = _arrays.as_floats(t)
        for i in range(rows):
            out[i * total + start:i * total + start + width] = mapped[i * width:(i + 1) * width]
    return _arrays.Tensor(out.buffer_info()[0] if len(out) else 0, t.shape, out, False, t.name)


def _g_and_derivatives(r, k):
    """g(r) = tan_k(r)/r, g'(r)/r and dg/dk (float64; series near 0, clamped as the kernel).
    A point that exp_0 puts within the float32 margin is pulled to the norm
    c = (1 - GEO_BALL_EPS)/sqrt(-k) as the kernel does: there g = c/r."""
    if k < 0 and r > 0:
        c = (1.0 - GEO_BALL_EPS) / math.sqrt(-k)
        if math.tanh(min(math.sqrt(-k) * r, GEO_TANH_CLAMP)) / math.sqrt(-k) > c:
            return c / r, -c / r ** 3, (1.0 - GEO_BALL_EPS) * 0.5 * (-k) ** -1.5 / r
    u2 = abs(k) * r * r
    if u2 < GEO_SERIES_LIMIT:  # tan_k(r)/r = 1 + k r²/3 + 2 k² r⁴/15 + ...
        return (1.0 + k * r * r / 3.0 + 2.0 * k * k * r ** 4 / 15.0,
                2.0 * k / 3.0 + 8.0 * k * k * r * r / 15.0,
                r * r / 3.0 + 4.0 * k * r ** 4 / 15.0)
    s = math.sqrt(abs(k))
    u = s * r
    if k < 0:
        if u > GEO_TANH_CLAMP:  # tanh saturated: g = 1/(s r), no dependence through tanh
            t, dt = 1.0, 0.0
        else:
            t, dt = math.tanh(u), 1.0 / math.cosh(u) ** 2
    else:
        t, dt = math.tan(u), 1.0 / math.cos(u) ** 2
    g = t / u
    dg_du = (dt * u - t) / (u * u)
    du_dk = (-1.0 if k < 0 else 1.0) * r / (2.0 * s)  # u = sqrt(|k|) r
    return g, dg_du * s / r, dg_du * du_dk


def exp0_backward(t, grad, start, width, k):
    """Chain ``grad`` (w.r.t. the mapped points, same shape as ``t``) through exp_0^k of
    the curved columns -> (grad w.r.t. the Euclidean inputs as floats, d/dk)."""
    total = t.shape[-1]
    rows = 1 if len(t.shape) == 1 else t.shape[0]
    v, g = _arrays.as_floats(t), _arrays.as_floats(_arrays.f32(grad, "grad"))
    out, dk = list(g), 0.0
    for i in range(rows):
        lo = i * total + start
        vi, yi = v[lo:lo + width], g[lo:lo + width]
        r = math.sqrt(sum(x * x for x in vi))
        vy = sum(a * b for a, b in zip(vi, yi))
        gr, gpr, gk = _g_and_derivatives(r, k)
        for c in range(width):
            out[lo + c] = gr * yi[c] + gpr * vy * vi[c]
        dk += gk * vy
    return out, dk

