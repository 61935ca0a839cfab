"""tests/fixtures/masks.json: every mechanism that takes a mask, on torch's mask forms.

Forms (``args.mask.form``): "bool" (true keeps the key: torch SDPA's boolean
attn_mask; JS passes booleans / a Uint8Array), "additive" (added to the scores:
0 keeps, -inf removes, finite values shift; JS passes a Float32Array), and the
all-masked row of each (zeros, never NaN). Expected values come from torch:
F.scaled_dot_product_attention and nn.MultiheadAttention in float64 for the two
mechanisms that add shifts; for the others, the additive 0 / -inf mask must equal
the same mechanism under the equivalent boolean mask (whose twins are checked in
their own suites) and an additive mask with finite shifts is refused (UNSUPPORTED).
"""

from __future__ import annotations

import math

import fixture_format as F
import numpy as np
import ruvector_attention as ra
import torch
from inputs import rand

F64 = torch.float64
N = 9  # odd: the SIMD tails
TOL = {"rtol": 1e-4, "atol": 1e-5}


def _masks(n, seed):
    rng = np.random.default_rng(seed)
    keep = rng.random(n) > 0.35
    keep[0] = True
    shift = np.where(keep, rng.normal(size=n).round(2), -np.inf).astype(np.float32)
    zero_inf = np.where(keep, 0.0, -np.inf).astype(np.float32)
    return keep, shift, zero_inf


def _mask_arg(arr, form, values):
    out = arr(values, "bool") if form == "bool" else arr(np.asarray(values, np.float32))
    out["form"] = form
    return out


def _torch_sdpa(q, K, V, mask):
    q, K, V = (torch.tensor(np.float64(x)) for x in (q, K, V))
    scores = K @ q / math.sqrt(q.shape[0]) + torch.tensor(np.float64(mask))
    if torch.isinf(scores).all():
        return np.zeros(V.shape[1]), np.zeros(K.shape[0])  # ours: a fully masked row is zeros
    w = torch.softmax(scores, 0)
    return (w @ V).numpy(), w.numpy()


def _torch_mha(state, q, K, V, mask, heads):
    d = q.shape[0]
    mha = torch.nn.MultiheadAttention(d, heads, batch_first=True).double()
    mha.load_state_dict({k: torch.tensor(np.float64(v)) for k, v in state.items()})
    m = torch.tensor(np.float64(mask))[None, :]
    if torch.isinf(m).all():
        return np.zeros(d), np.zeros(K.shape[0])
    out, w = mha(*(torch.tensor(np.float64(x))[None] for x in (q[None], K, V)), attn_mask=m)
    return out[0, 0].detach().numpy(), w[0, 0].detach().numpy()


def _additive(mask_values):
    """The float mask of a boolean one (torch's equivalence: True -> 0, False -> -inf)."""
    return np.where(mask_values, 0.0, -np.inf).astype(np.float32)


def mask_cases(arr):
    d, heads = 8, 2
    q, K, V = rand(d, 1), rand((N, d), 2), rand((N, d), 3)
    keep, shift, zero_inf = _masks(N, 4)
    none = np.zeros(N, bool)
    forms = [("bool", keep, _additive(keep)), ("additive", shift, shift),
             ("bool", none, _additive(none)), ("additive", np.full(N, -np.inf, np.float32), None)]
    state = {"in_proj_weight": rand((3 * d, d), 5, 0.4), "in_proj_bias": rand(3 * d, 6, 0.3),
             "out_proj.weight": rand((d, d), 7, 0.4), "out_proj.bias": rand(d, 8, 0.3)}
    for form, values, as_float in forms:
        as_float = values if as_float is None else as_float
        tag = f"{form}{' all masked' if not np.isfinite(as_float).any() else ''}"
        out, w = _torch_sdpa(q, K, V, as_float)
        for method, expected in (("forward", out), ("attention_weights", w)):
            yield _case(arr, f"sdpa {method} {tag} mask", "ScaledDotProductAttention", {"dim": d},
                        None, method, q, K, V, form, values, expected)
        out, w = _torch_mha(state, q, K, V, as_float, heads)
        for method, expected in (("forward", out), ("attention_weights", w)):
            yield _case(arr, f"mha {method} {tag} mask", "MultiHeadAttention",
                        {"dim": d, "num_heads": heads}, state, method, q, K, V, form, values,
                        expected)
    # the others: an additive 0 / -inf mask is their boolean mask; finite shifts are refused
    ball = lambda x: (0.6 * x / (1 + np.linalg.norm(x, axis=-1, keepdims=True))).astype(np.float32)  # noqa: E731
    others = [("FlashAttention", {"dim": d, "block_size": 4}, q, K, V),
              ("LinearAttention", {"dim": d, "num_features": 16, "seed": 3}, q, K, V),
              ("LocalGlobalAttention", {"dim": d, "local_window": 4, "global_nodes": 2}, q, K, V),
              ("HyperbolicAttention", {"dim": d}, ball(q), ball(K), ball(V)),
              ("ManifoldAttention", {"dim": d, "curvature": 0.5}, ball(q), ball(K), ball(V)),
              ("MixedCurvatureAttention", {"euclidean_dim": 3, "hyperbolic_dim": 5}, ball(q), ball(K), ball(V)),
              ("GraphRoPE", {"dim": d}, q, K, V),
              ("StructuralAttention", {"dim": d, "structural_dim": 3, "seed": 2}, q, K, V),
              ("HNSWAwareAttention", {"dim": d, "max_layers": 4, "num_heads": 2, "seed": 2}, q, K, V),
              ("EdgeFeaturedAttention", {"node_dim": d, "num_heads": 2, "seed": 2}, q, K, V)]
    for name, config, qq, KK, VV in others:
        mech = ra.MECHANISMS[name](**config)
        expected = mech.forward(qq, KK, VV, mask=keep)
        yield _case(arr, f"{name} forward additive 0/-inf mask = its boolean mask", name, config, None,
                    "forward", qq, KK, VV, "additive", zero_inf, expected)
        case = _case(arr, f"{name} forward additive mask with finite shifts is refused", name,
                     config, None, "forward", qq, KK, VV, "additive", shift, None)
        case["error"] = {"class": "UnsupportedError", "code": "UNSUPPORTED",
                         "message_contains": ["finite amounts"]}
        yield case


def _case(arr, name, mechanism, config, state, method, q, K, V, form, mask, expected):
    args = {"query": arr(q), "keys": arr(K), "mask": _mask_arg(arr, form, mask)}
    if method == "forward":
        args = {"query": args["query"], "keys": args["keys"], "values": arr(V), "mask": args["mask"]}
    case = {"name": name, "mechanism": mechanism, "config": config, "method": method, "args": args}
    if state is not None:
        case["state_dict"] = {k: arr(v) for k, v in state.items()}
    if expected is not None:
        case["expected"] = arr(np.asarray(expected, np.float32))
        case["tolerance"] = TOL
        _check_native(case)
    return case


def decode_mask(obj):
    """The mask as the package takes it: a list of bools, or float32 additive values."""
    if obj["form"] == "bool":
        return [bool(v) for v in obj["data"]]
    return np.asarray(F.decode(obj), np.float32)


def replay(case):
    """Run a case natively; returns the result (or raises its error)."""
    mech = ra.MECHANISMS[case["mechanism"]](**case["config"])
    if "state_dict" in case:
        mech.load_state_dict({k: F.decode(v) for k, v in case["state_dict"].items()})
    a = case["args"]
    mask = decode_mask(a["mask"])
    if case["method"] == "forward":
        return mech.forward(F.decode(a["query"]), F.decode(a["keys"]), F.decode(a["values"]), mask=mask)
    return mech.attention_weights(F.decode(a["query"]), F.decode(a["keys"]), mask=mask)


def _check_native(case):
    """A fixture can never freeze a bug: the package equals the oracle before writing."""
    got = np.asarray(replay(case), np.float64)
    want = np.asarray(F.decode(case["expected"]), np.float64)
    tol = case["tolerance"]
    if not np.allclose(got, want, rtol=tol["rtol"], atol=tol["atol"]):
        raise AssertionError(f"{case['name']}: native {got} != oracle {want}")
