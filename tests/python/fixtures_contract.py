"""Cases of tests/fixtures/contract.json (written by make_fixtures.py): the registry-wide
contract of test_contract.py, for every registered mechanism, so that Node and
Chromium replay it on the wasm build (tests/js/contract_fixtures.test.mjs).

Per mechanism (built from its catalogue entry, contract_cases.py): forward and
attention_weights; a fully masked forward (zeros, or the documented refusal as an
error case); forward at logits near +100 and -100; forward_graph with two isolated
nodes; a NaN key (NumericalInstabilityError). Before a case is written its contract
is asserted natively: weights sum to 1, fully masked rows are zeros, every output
finite, graph rows equal the per-query call (contract_cases.graph_row_reference).

``config`` holds every constructor keyword (``cls(**config)``); ``kwargs`` holds
what forward_graph needs beyond the CSR (``metadata`` with ``structural_features``,
or the latent CSR of cross-space attention).
"""

from __future__ import annotations

import dataclasses
import math

import contract_cases as C
import ruvector_attention as ra
from tolerances import assert_close, tolerance

NAN_AT = (2, 1)  # keys[2][1] of the NaN case


def _plain_config(mech):
    return dataclasses.asdict(mech.config())


def _flat(x):
    x = x.tolist()
    return [v for r in x for v in r] if x and isinstance(x[0], list) else x


def _mask(flags):
    return {"shape": [len(flags)], "data": [bool(v) for v in flags]}


def _check_finite(values, what):
    assert all(math.isfinite(v) for v in values), f"{what}: non-finite output"


def _graph_kwargs(name, features):
    if name == "CrossSpaceAttention":
        return {"latent_indptr": C.GRAPH_INDPTR, "latent_indices": C.GRAPH_INDICES}
    if name == "StructuralAttention":
        s = C.structural_features(len(features))
        return {"metadata": {"structural_features": s}}  # (N, 3) rows
    return {}


def contract_cases(arr):
    """``arr(x, kind)`` encodes an array (make_fixtures.arr)."""
    rtol, atol = tolerance("contract", "fixture")
    tol = {"rtol": rtol, "atol": atol}
    for name in C.NAMES:
        m = C.build(name)
        config = _plain_config(m)
        q, K, V = C.inputs(m)

        def case(label, method, args, expected=None, error=None, kwargs=None):
            c = {"name": f"{name} {label}", "mechanism": name, "config": config, "method": method,
                 "args": {k: (v if isinstance(v, dict) else arr(v)) for k, v in args.items()}}
            if kwargs:
                c["kwargs"] = kwargs
            if error:
                c["error"] = error
            else:
                c["expected"], c["tolerance"] = arr(expected), tol
            return c

        out = m.forward(q, K, V)
        _check_finite(_flat(out), name)
        yield case("forward", "forward", dict(query=q, keys=K, values=V), out)
        w = m.attention_weights(q, K)
        assert abs(sum(_flat(w)) - 1.0) < 1e-5, f"{name}: weights do not sum to 1"
        yield case("attention_weights", "attention_weights", dict(query=q, keys=K), w)

        none = [False] * C.NUM_KEYS
        try:
            masked = m.forward(q, K, V, mask=none)
        except ra.UnsupportedError as e:
            yield case("fully masked forward (documented refusal)", "forward",
                       dict(query=q, keys=K, values=V, mask=_mask(none)),
                       error={"class": type(e).__name__, "code": e.code, "message_contains": ["mask"]})
        else:
            assert _flat(masked) == [0.0] * m.hidden_dim, f"{name}: fully masked is not zeros"
            yield case("fully masked forward -> zeros", "forward",
                       dict(query=q, keys=K, values=V, mask=_mask(none)), masked)
        w0 = m.attention_weights(q, K, mask=none)
        assert _flat(w0) == [0.0] * C.NUM_KEYS
        yield case("fully masked attention_weights -> zeros", "attention_weights",
                   dict(query=q, keys=K, mask=_mask(none)), w0)

        for logit in (100.0, -100.0):
            bq, bK, bV = C.bait_inputs(m, logit)
            bait = m.forward(bq, bK, bV)
            _check_finite(_flat(bait), f"{name} logits {logit}")
            yield case(f"forward logits near {logit:+g}", "forward", dict(query=bq, keys=bK, values=bV), bait)

        if C.has(name, "forward_graph"):
            X = C.graph_features(m)
            g = C.graph_call(name, m, X)
            rows = g.tolist()
            for i in range(len(X)):
                if i in C.ISOLATED:
                    assert rows[i] == [0.0] * m.hidden_dim
                else:
                    assert_close(rows[i], C.graph_row_reference(name, m, X, i), ("contract", "consistency"),
                                 what=f"{name} graph row {i}")
            yield case("forward_graph (nodes 1 and 4 isolated)", "forward_graph",
                       dict(features=X, indptr=arr(C.GRAPH_INDPTR, "int"), indices=arr(C.GRAPH_INDICES, "int")),
                       g, kwargs=_graph_kwargs(name, X))

        bad = [list(r) for r in K]
        bad[NAN_AT[0]][NAN_AT[1]] = float("nan")
        try:
            m.forward(q, bad, V)
        except ra.NumericalInstabilityError as e:
            assert "nan" in str(e)
            yield case("NaN key -> NUMERICAL_INSTABILITY", "forward", dict(query=q, keys=bad, values=V),
                       error={"class": type(e).__name__, "code": e.code, "message_contains": ["nan"]})
        else:
            raise AssertionError(f"{name}: a NaN key raised nothing")


def build(case):
    return ra.MECHANISMS[case["mechanism"]](**case["config"])
