"""Float64 reference twins of the geometric mechanisms (tests only), and the
torch / geoopt oracles they are checked against. Readable, slow, numpy.

Their tolerances are the geometric rows of tests/fixtures/tolerances.json.
"""

import math

import numpy as np
import torch
from geoopt.manifolds.stereographic import math as gm

BALL_EPS_F32 = 4e-3


def t64(x):
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def project(x, k, eps=BALL_EPS_F32):
    """Rows of x pulled inside the ball (k < 0) with margin eps (numpy)."""
    x = np.asarray(x, dtype=np.float64)
    if k >= 0:
        return x
    maxnorm = (1 - eps) / math.sqrt(-k)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.where(norm > maxnorm, x * maxnorm / np.maximum(norm, 1e-300), x)


def curved_attention(q, K, V, *, k, de=0, dve=0, we=0.0, wh=1.0, mask=None, project_inputs=True):
    """Twin of rv_geo_attend in float64 with geoopt's dist / weighted_midpoint:
    returns (output, weights)."""
    q, K, V = (np.asarray(a, dtype=np.float64) for a in (q, K, V))
    qh, Kh, Vh = q[de:], K[:, de:], V[:, dve:]
    if project_inputs:
        qh, Kh, Vh = project(qh, k), project(Kh, k), project(Vh, k)
    kt = torch.tensor(float(k), dtype=torch.float64)
    s = we * (K[:, :de] @ q[:de]) if de else np.zeros(len(K))
    if qh.size:
        s = s - wh * gm.dist(t64(qh)[None], t64(Kh), k=kt).numpy()
    live = np.ones(len(K), bool) if mask is None else np.asarray(mask, bool)
    if not live.any():
        return np.zeros(V.shape[1]), np.zeros(len(K))
    e = np.where(live, np.exp(s - s[live].max()), 0.0)
    a = e / e.sum()
    out_e = a @ V[:, :dve]
    if Vh.shape[1]:
        mid = gm.weighted_midpoint(t64(Vh), k=kt, weights=t64(a), reducedim=[0]).numpy()
        mid = project(mid, k)
        return np.concatenate([out_e, mid]), a
    return out_e, a


def project_torch(x, k, eps=BALL_EPS_F32):
    """Differentiable pull into the ball (k < 0): x * min(1, maxnorm / |x|)."""
    if float(k.detach()) >= 0:
        return x
    maxnorm = (1 - eps) / torch.sqrt(-k)
    return x * torch.clamp(maxnorm / x.norm(dim=-1, keepdim=True), max=1.0)


def curved_attention_torch(q, K, V, *, k, de=0, dve=0, we=0.0, wh=1.0, mask=None,
                           project_inputs=True):
    """The same forward in torch float64 through geoopt for autograd; k may be a
    tensor requiring grad."""
    kt = k if torch.is_tensor(k) else torch.tensor(float(k), dtype=torch.float64)
    if project_inputs:
        q = torch.cat([q[:de], project_torch(q[de:], kt)])
        K = torch.cat([K[:, :de], project_torch(K[:, de:], kt)], 1)
        V = torch.cat([V[:, :dve], project_torch(V[:, dve:], kt)], 1)
    s = we * (K[:, :de] @ q[:de]) if de else torch.zeros(K.shape[0], dtype=torch.float64)
    if q.shape[0] > de:
        s = s - wh * gm.dist(q[de:][None], K[:, de:], k=kt)
    if mask is not None:
        s = s.masked_fill(~torch.as_tensor(mask), float("-inf"))
    a = torch.softmax(s, 0)
    out_e = a @ V[:, :dve]
    if V.shape[1] > dve:
        Vh = V[:, dve:]
        lam = 2 / (1 + kt * (Vh * Vh).sum(-1))
        two_mean = (a * lam) @ Vh / (a * (lam - 1)).sum()
        mid = gm.mobius_scalar_mul(torch.tensor(0.5, dtype=torch.float64), two_mean, k=kt)
        return torch.cat([out_e, mid])
    return out_e
