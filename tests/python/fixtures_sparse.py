"""Cases of tests/fixtures/sparse.json (written by make_fixtures.py): FlashAttention,
LinearAttention and LocalGlobalAttention, each expected value computed natively
and checked here against the float64 twin (reference_sparse.py) before it is
written. Same format as the other fixture files (tests/fixtures/README.md);
config keys are the full constructor keywords, so the JS side rebuilds the
identical mechanism (LinearAttention's features come from its seed)."""

from __future__ import annotations

import math

import fixture_format as F
import numpy as np
import reference as R
import reference_sparse as RS
import ruvector_attention as ra
from inputs import rand, rand_mask
from tolerances import assert_close, tolerance


def _flash(dim, block, causal=False):
    return {"dim": dim, "block_size": block, "causal": causal, "temperature": 1.0, "scale": None}


def _linear(dim, m, kernel="favor+"):
    return {"dim": dim, "num_features": m, "kernel": kernel, "orthogonal": True, "seed": 0,
            "normalize": False, "temperature": 1.0}


def _lg(dim, window, glob):
    return {"dim": dim, "local_window": window, "global_nodes": glob, "temperature": 1.0, "scale": None}


def _case(arr, name, mechanism, config, method, **args):
    return {"name": name, "mechanism": mechanism, "config": config, "method": method,
            "args": {k: (arr(v, "bool") if k == "mask" else arr(v)) for k, v in args.items()}}


def _raw_cases(arr):
    F_, L_, G_ = "FlashAttention", "LinearAttention", "LocalGlobalAttention"
    for n, d, dv, block in [(1, 7, 3, 1), (17, 15, 5, 7), (127, 33, 17, 64), (33, 17, 4, 33)]:
        yield _case(arr, f"flash n={n} d={d} block={block}", F_, _flash(d, block), "forward",
                    query=rand(d, n), keys=rand((n, d), n + 1), values=rand((n, dv), n + 2))
    yield _case(arr, "flash masked block=3", F_, _flash(8, 3), "forward", query=rand(8, 1),
                keys=rand((20, 8), 2), values=rand((20, 3), 3), mask=rand_mask(20, 4))
    yield _case(arr, "flash fully masked -> zeros", F_, _flash(8, 3), "forward", query=rand(8, 1),
                keys=rand((20, 8), 2), values=rand((20, 3), 3), mask=np.zeros(20, bool))
    yield _case(arr, "flash logits near 1000", F_, _flash(8, 5), "forward", query=rand(8, 5) * 40,
                keys=rand((30, 8), 6) * 40, values=rand((30, 3), 7))
    yield _case(arr, "flash causal batch b=n=17 block=7", F_, _flash(8, 7, True), "forward_batch",
                queries=rand((17, 8), 8), keys=rand((17, 8), 9), values=rand((17, 4), 10))
    yield _case(arr, "flash backward masked block=5", F_, _flash(6, 5), "backward", query=rand(6, 11),
                keys=rand((17, 6), 12), values=rand((17, 3), 13), grad_output=rand(3, 14),
                mask=rand_mask(17, 15))
    for kernel in ("favor+", "relu", "elu+1"):
        yield _case(arr, f"linear {kernel} n=40 d=15 m=32", L_, _linear(15, 32, kernel), "forward",
                    query=rand(15, 16), keys=rand((40, 15), 17), values=rand((40, 5), 18))
    yield _case(arr, "linear favor+ norm 8 batch", L_, _linear(16, 64), "forward_batch",
                queries=rand((3, 16), 19) * 2, keys=rand((25, 16), 20) * 2, values=rand((25, 4), 21))
    yield _case(arr, "local-global first 10 of 40", G_, _lg(8, 10, 0), "forward", query=rand(8, 22),
                keys=rand((40, 8), 23), values=rand((40, 3), 24))
    yield _case(arr, "local-global weights window 6", G_, _lg(8, 6, 0), "attention_weights",
                query=rand(8, 25), keys=rand((15, 8), 26))
    yield _case(arr, "local-global sequence band+global b=n=20", G_, _lg(8, 4, 2), "forward_batch",
                queries=rand((20, 8), 27), keys=rand((20, 8), 28), values=rand((20, 3), 29))


def _reference(case, mech):
    a = {k: np.array(F.decode(v)).reshape(v["shape"]) for k, v in case["args"].items()}
    cfg, method, name = case["config"], case["method"], case["mechanism"]
    mask = a.get("mask")
    if name == "FlashAttention":
        if method == "forward":
            return RS.flash_forward(a["query"], a["keys"], a["values"], cfg["block_size"], mask=mask)
        if method == "forward_batch":
            return RS.causal_forward(a["queries"], a["keys"], a["values"])
        return R.sdpa_backward(a["query"], a["keys"], a["values"], a["grad_output"], mask=mask)
    if name == "LinearAttention":
        q = a["query"][None] if method == "forward" else a["queries"]
        if cfg["kernel"] == "favor+":
            W = np.asarray(mech.state_dict()["projection_matrix"])
            out = RS.favor_forward(q, a["keys"], a["values"], W, scale=1 / math.sqrt(cfg["dim"]))
        else:
            if cfg["kernel"] == "relu":
                W = np.asarray(mech.state_dict()["projection_matrix"], np.float64)
                phi = lambda x: np.maximum(x @ W.T * cfg["dim"] ** -0.25, 0) + 1e-3  # noqa: E731
            else:
                phi = lambda x: np.where(x > 0, x + 1, np.exp(np.minimum(x, 0)))  # noqa: E731
            w = phi(np.float64(q)) @ phi(np.float64(a["keys"])).T
            out = (w / w.sum(1, keepdims=True)) @ a["values"]
        return out[0] if method == "forward" else out
    if method == "forward":
        sel = RS.local_global_keys(len(a["keys"]), cfg["local_window"], cfg["global_nodes"])
        return R.sdpa_forward(a["query"], a["keys"][sel], a["values"][sel])
    if method == "attention_weights":
        sel = RS.local_global_keys(len(a["keys"]), cfg["local_window"], cfg["global_nodes"])
        w = np.zeros(len(a["keys"]))
        w[sel] = R.sdpa_weights(a["query"], a["keys"][sel])
        return w
    n = len(a["keys"])
    dense = RS.dense_band(n, cfg["local_window"] // 2) | RS.dense_global(n, list(range(cfg["global_nodes"])))
    return np.stack([R.sdpa_forward(qi, a["keys"], a["values"], mask=dense[i]) for i, qi in enumerate(a["queries"])])


def sparse_cases(arr):
    """Finished cases: inputs, native expected values (checked against the twin), tolerance."""
    keys = {"FlashAttention": "flash", "LinearAttention": "linear", "LocalGlobalAttention": "local_global"}
    for case in _raw_cases(arr):
        mech = F.build(ra, case)
        got = F.call(mech, case)
        ref = _reference(case, mech)
        key = keys[case["mechanism"]]
        if case["method"] == "backward":
            expected = {"query": arr(got.query), "keys": arr(got.keys), "values": arr(got.values), "params": {}}
            for part in ("query", "keys", "values"):
                assert_close(got.__getattribute__(part), ref[part], (key, "backward"), what=case["name"])
        else:
            expected = arr(np.asarray(got))
            assert_close(got, ref, (key, "forward"), what=case["name"])
        rtol, atol = tolerance(key, "fixture")
        yield {**case, "expected": expected, "tolerance": {"rtol": rtol, "atol": atol}}
