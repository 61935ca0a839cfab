"""Write the shared fixtures tests/fixtures/{sdpa,multihead,errors}.json.

    python3 tests/python/make_fixtures.py          # (re)write the files
    python3 tests/python/make_fixtures.py --check  # exit 1 if the files are stale

Inputs are seeded float32 values; expected outputs are computed by the native
package and, before anything is written, every one is checked against the
float64 reference twin (reference.py), so a fixture can never freeze a bug.
Error cases are replayed natively and must raise the stated class with a
message containing the stated words. The Node and Playwright tests replay the
same files on the wasm build; the format is in tests/fixtures/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fixture_format as F  # noqa: E402
import reference as R  # noqa: E402
import ruvector_attention as ra  # noqa: E402
from inputs import rand, rand_mask, random_csr  # noqa: E402
from tolerances import assert_close, tolerance  # noqa: E402

OUT_DIR = HERE.parent / "fixtures"
FORMAT_VERSION = 1


# ------------------------------------------------------------------ encoding

def short_f32(x: float) -> float:
    """The shortest decimal that parses back to the same float32 (smaller files)."""
    f = np.float32(x)
    for digits in range(6, 10):
        candidate = float(f"{float(f):.{digits}g}")
        if np.float32(candidate) == f:
            return candidate
    return float(f)


def arr(x, kind="f32"):
    x = np.asarray(x)
    if kind == "f32":
        return F.encode([short_f32(v) if np.isfinite(v) else float(v) for v in x.reshape(-1).tolist()], x.shape)
    return F.encode(x.reshape(-1).tolist(), x.shape, kind=kind)


def sdpa_config(dim, temperature=1.0, scale=None):
    return {"dim": dim, "temperature": temperature, "scale": scale, "dropout": 0.0, "seed": 0}


def mha_config(dim, heads, value_dim=None, bias=True, seed=0):
    return {"dim": dim, "num_heads": heads, "value_dim": value_dim, "bias": bias, "seed": seed}


# ---------------------------------------------------------------------- cases

def sdpa_cases():
    for n, d, dv in [(1, 1, 1), (3, 7, 5), (5, 17, 17), (17, 33, 3), (127, 7, 7)]:
        q, k, v = rand(d, n), rand((n, d), n + 1), rand((n, dv), n + 2)
        tag = f"n={n} d={d} dv={dv}"
        yield dict(name=f"sdpa forward {tag}", mechanism="ScaledDotProductAttention", config=sdpa_config(d),
                   method="forward", args=dict(query=arr(q), keys=arr(k), values=arr(v)))
        yield dict(name=f"sdpa attention_weights {tag}", mechanism="ScaledDotProductAttention",
                   config=sdpa_config(d), method="attention_weights", args=dict(query=arr(q), keys=arr(k)))
    n, d, dv = 17, 7, 5
    q, k, v = rand(d, 40), rand((n, d), 41), rand((n, dv), 42)
    mask = rand_mask(n, 43)
    for t, s in [(0.5, None), (2.0, 0.3)]:
        yield dict(name=f"sdpa forward temperature={t} scale={s}", mechanism="ScaledDotProductAttention",
                   config=sdpa_config(d, t, s), method="forward", args=dict(query=arr(q), keys=arr(k), values=arr(v)))
    yield dict(name="sdpa forward masked", mechanism="ScaledDotProductAttention", config=sdpa_config(d),
               method="forward", args=dict(query=arr(q), keys=arr(k), values=arr(v), mask=arr(mask, "bool")))
    yield dict(name="sdpa attention_weights masked", mechanism="ScaledDotProductAttention", config=sdpa_config(d),
               method="attention_weights", args=dict(query=arr(q), keys=arr(k), mask=arr(mask, "bool")))
    yield dict(name="sdpa forward fully masked -> zeros", mechanism="ScaledDotProductAttention",
               config=sdpa_config(d), method="forward",
               args=dict(query=arr(q), keys=arr(k), values=arr(v), mask=arr(np.zeros(n, bool), "bool")))
    big_k = np.array([[500.0 - 0.5 * j, 0, 0, 0] for j in range(3)], np.float32)
    for sign in (1, -1):
        yield dict(name=f"sdpa attention_weights logits near {sign * 1000}", mechanism="ScaledDotProductAttention",
                   config=sdpa_config(4), method="attention_weights",
                   args=dict(query=arr(np.array([4.0, 0, 0, 0], np.float32)), keys=arr(sign * big_k)))
    b = 3
    yield dict(name="sdpa forward_batch shared keys", mechanism="ScaledDotProductAttention", config=sdpa_config(d),
               method="forward_batch", args=dict(queries=arr(rand((b, d), 50)), keys=arr(k), values=arr(v)))
    yield dict(name="sdpa forward_batch per-query keys", mechanism="ScaledDotProductAttention",
               config=sdpa_config(d), method="forward_batch",
               args=dict(queries=arr(rand((b, d), 51)), keys=arr(rand((b, 4, d), 52)), values=arr(rand((b, 4, 3), 53))))
    indptr, indices = random_csr(9, seed=54, max_degree=4, isolated=(0, 5))
    x = rand((9, d), 55)
    yield dict(name="sdpa forward_graph (nodes 0 and 5 isolated)", mechanism="ScaledDotProductAttention",
               config=sdpa_config(d), method="forward_graph",
               args=dict(features=arr(x), indptr=arr(indptr, "int"), indices=arr(indices, "int")))
    yield dict(name="sdpa forward_graph with values", mechanism="ScaledDotProductAttention",
               config=sdpa_config(d), method="forward_graph",
               args=dict(features=arr(x), indptr=arr(indptr, "int"), indices=arr(indices, "int"),
                         values=arr(rand((9, 3), 56))))
    for n, d, dv, masked, t in [(5, 7, 3, False, 1.0), (17, 33, 5, True, 0.7)]:
        q, k, v, g = rand(d, 60 + n), rand((n, d), 61 + n), rand((n, dv), 62 + n), rand(dv, 63 + n)
        a = dict(query=arr(q), keys=arr(k), values=arr(v), grad_output=arr(g))
        if masked:
            a["mask"] = arr(rand_mask(n, 64), "bool")
        yield dict(name=f"sdpa backward n={n} d={d}{' masked' if masked else ''}",
                   mechanism="ScaledDotProductAttention", config=sdpa_config(d, t), method="backward", args=a)


def _mha_state(mha):
    return {name: arr(np.asarray(value)) for name, value in mha.state_dict().items()}


def mha_cases():
    for dim, heads, vdim, n in [(8, 2, None, 5), (15, 3, None, 17), (12, 4, 5, 7), (7, 7, None, 3), (16, 1, None, 1)]:
        cfg = mha_config(dim, heads, vdim, seed=dim)
        mha = ra.MultiHeadAttention(dim, heads, value_dim=vdim, seed=dim)
        q, k, v = rand(dim, 70 + n), rand((n, dim), 71 + n), rand((n, vdim or dim), 72 + n)
        common = dict(mechanism="MultiHeadAttention", config=cfg, state_dict=_mha_state(mha), state_from_seed=True)
        tag = f"dim={dim} H={heads} vdim={vdim or dim} n={n}"
        yield dict(name=f"mha forward {tag}", method="forward", args=dict(query=arr(q), keys=arr(k), values=arr(v)),
                   **common)
        yield dict(name=f"mha attention_weights {tag}", method="attention_weights",
                   args=dict(query=arr(q), keys=arr(k)), **common)
        yield dict(name=f"mha head_attention_weights {tag}", method="head_attention_weights",
                   args=dict(query=arr(q), keys=arr(k)), **common)
        yield dict(name=f"mha head_output last head {tag}", method="head_output",
                   args=dict(head=heads - 1, query=arr(q), keys=arr(k), values=arr(v)), **common)
    # Non-zero biases need load_state_dict (a fresh layer has zero biases, as in torch).
    from inputs import mha_with_biases
    dim, heads, n = 12, 3, 9
    mha = mha_with_biases(ra, dim, heads, seed=80)
    q, k, v = rand(dim, 81), rand((n, dim), 82), rand((n, dim), 83)
    mask = rand_mask(n, 84)
    common = dict(mechanism="MultiHeadAttention", config=mha_config(dim, heads, seed=80),
                  state_dict=_mha_state(mha), state_from_seed=False)
    yield dict(name="mha forward with biases, masked", method="forward",
               args=dict(query=arr(q), keys=arr(k), values=arr(v), mask=arr(mask, "bool")), **common)
    yield dict(name="mha forward fully masked -> zeros", method="forward",
               args=dict(query=arr(q), keys=arr(k), values=arr(v), mask=arr(np.zeros(n, bool), "bool")), **common)
    yield dict(name="mha forward_batch shared keys", method="forward_batch",
               args=dict(queries=arr(rand((4, dim), 85)), keys=arr(k), values=arr(v)), **common)
    indptr, indices = random_csr(7, seed=86, max_degree=4, isolated=(3,))
    yield dict(name="mha forward_graph (node 3 isolated)", method="forward_graph",
               args=dict(features=arr(rand((7, dim), 87)), indptr=arr(indptr, "int"), indices=arr(indices, "int")),
               **common)
    yield dict(name="mha backward with biases", method="backward",
               args=dict(query=arr(q), keys=arr(k), values=arr(v), grad_output=arr(rand(dim, 88))), **common)
    mha = ra.MultiHeadAttention(8, 2, value_dim=5, seed=90)
    n = 5
    yield dict(name="mha backward value_dim=5", mechanism="MultiHeadAttention", config=mha_config(8, 2, 5, seed=90),
               state_dict=_mha_state(mha), state_from_seed=True, method="backward",
               args=dict(query=arr(rand(8, 91)), keys=arr(rand((n, 8), 92)), values=arr(rand((n, 5), 93)),
                         grad_output=arr(rand(8, 94))))


def error_cases():
    S, M = "ScaledDotProductAttention", "MultiHeadAttention"
    q4, k5, v5 = rand(4, 1), rand((5, 4), 2), rand((5, 3), 3)

    def err(name, mechanism, config, method, args, cls, words):
        return dict(name=name, mechanism=mechanism, config=config, method=method, args=args,
                    error={"class": cls, "code": getattr(ra, cls).code, "message_contains": [str(w) for w in words]})

    s4, m4 = sdpa_config(4), mha_config(4, 2)
    empty = arr(np.zeros((0, 4), np.float32))
    yield err("sdpa empty keys", S, s4, "forward", dict(query=arr(q4), keys=empty, values=empty),
              "EmptyInputError", ["keys"])
    yield err("mha empty keys", M, m4, "forward", dict(query=arr(q4), keys=empty, values=empty),
              "EmptyInputError", ["keys"])
    yield err("key/value count mismatch", S, s4, "forward",
              dict(query=arr(q4), keys=arr(k5), values=arr(rand((7, 3), 4))), "DimensionMismatchError", ["values", 5, 7])
    yield err("key width mismatch", S, s4, "forward",
              dict(query=arr(q4), keys=arr(rand((5, 6), 5)), values=arr(v5)), "DimensionMismatchError", ["keys", 4, 6])
    yield err("query width mismatch", M, m4, "forward",
              dict(query=arr(rand(7, 6)), keys=arr(k5), values=arr(k5)), "DimensionMismatchError", ["query", 4, 7])
    yield err("mask length mismatch", S, s4, "forward",
              dict(query=arr(q4), keys=arr(k5), values=arr(v5), mask=arr(np.ones(3, bool), "bool")),
              "DimensionMismatchError", ["mask", 5, 3])
    yield err("grad_output width mismatch", S, s4, "backward",
              dict(query=arr(q4), keys=arr(k5), values=arr(v5), grad_output=arr(rand(2, 7))),
              "DimensionMismatchError", ["grad_output", 3, 2])
    for where, bad in [("query", np.nan), ("keys", np.inf), ("values", -np.inf)]:
        a = dict(query=q4.copy(), keys=k5.copy(), values=v5.copy())
        a[where].reshape(-1)[1] = bad
        yield err(f"non-finite {where}", S, s4, "forward", {k: arr(v) for k, v in a.items()},
                  "NumericalInstabilityError", [where])
    yield err("graph indptr wrong length", S, s4, "forward_graph",
              dict(features=arr(rand((6, 4), 8)), indptr=arr(np.array([0, 1, 2]), "int"),
                   indices=arr(np.array([1, 2]), "int")), "DimensionMismatchError", ["indptr", 7, 3])
    yield err("graph neighbour index out of range", S, s4, "forward_graph",
              dict(features=arr(rand((3, 4), 9)), indptr=arr(np.array([0, 1, 2, 3]), "int"),
                   indices=arr(np.array([1, 2, 3]), "int")), "OutOfBoundsError", [])
    yield err("head index out of range", M, m4, "head_output",
              dict(head=2, query=arr(q4), keys=arr(k5), values=arr(k5)), "OutOfBoundsError", [])
    for mechanism, config, field in [(S, sdpa_config(0), "dim"), (S, {**s4, "temperature": -1.0}, "temperature"),
                                     (S, {**s4, "dropout": 1.0}, "dropout"), (M, mha_config(10, 3), "num_heads"),
                                     (M, mha_config(34, 17), "num_heads"), (M, mha_config(0, 1), "dim")]:
        yield err(f"invalid config {mechanism} {json.dumps(config)}", mechanism, config, "construct", {},
                  "InvalidConfigError", [field])


# ------------------------------------------------------------- computing expected

def expected_of(case):
    result = F.call(F.build(ra, case), case)
    if case["method"] == "backward":
        return {"query": arr(result.query), "keys": arr(result.keys), "values": arr(result.values),
                "params": {k: arr(np.asarray(v)) for k, v in result.params.items()}}
    return arr(np.asarray(result))


def _decoded(case):
    out = {}
    for name, value in case["args"].items():
        if name == "head":
            out[name] = value
        elif name in ("indptr", "indices"):
            out[name] = np.array(value["data"], np.int64)
        else:
            out[name] = np.array(F.decode(value)).reshape(value["shape"])
    return out


def reference_of(case):
    """The float64 twin's answer for a case (same decoded inputs)."""
    a, cfg, method = _decoded(case), case["config"], case["method"]
    if case["mechanism"] == "ScaledDotProductAttention":
        kw = dict(temperature=cfg["temperature"], scale=cfg["scale"], mask=a.get("mask"))
        single = lambda q, k, v: R.sdpa_forward(q, k, v, temperature=cfg["temperature"], scale=cfg["scale"])  # noqa: E731
        if method == "forward":
            return R.sdpa_forward(a["query"], a["keys"], a["values"], **kw)
        if method == "attention_weights":
            return R.sdpa_weights(a["query"], a["keys"], **kw)
        if method == "backward":
            return {**R.sdpa_backward(a["query"], a["keys"], a["values"], a["grad_output"], **kw), "params": {}}
    else:
        state = {k: np.array(F.decode(v)).reshape(v["shape"]) for k, v in case["state_dict"].items()}
        p, h = R.mha_split(state, cfg["dim"]), cfg["num_heads"]
        single = lambda q, k, v: R.mha_forward(p, h, q, k, v)  # noqa: E731
        m = a.get("mask")
        if method == "forward":
            return R.mha_forward(p, h, a["query"], a["keys"], a["values"], m)
        if method == "attention_weights":
            return R.mha_weights(p, h, a["query"], a["keys"], m)
        if method == "head_attention_weights":
            return R.mha_head_weights(p, h, a["query"], a["keys"], m)
        if method == "head_output":
            return R.mha_head_output(p, h, a["head"], a["query"], a["keys"], a["values"], m)
        if method == "backward":
            separate = "q_proj_weight" in state
            return R.mha_backward(p, h, a["query"], a["keys"], a["values"], a["grad_output"], m, separate_proj=separate)
    if method == "forward_batch":
        q, k, v = a["queries"], a["keys"], a["values"]
        if k.ndim == 2:
            return np.stack([single(qi, k, v) for qi in q])
        return np.stack([single(qi, ki, vi) for qi, ki, vi in zip(q, k, v)])
    if method == "forward_graph":
        values = a.get("values")
        width = (values.shape[1] if values is not None else a["features"].shape[1]) \
            if case["mechanism"] == "ScaledDotProductAttention" else cfg["dim"]
        return R.graph_forward(single, a["features"], a["indptr"], a["indices"], values, out_dim=width)
    raise ValueError(f"no reference for {case['mechanism']}.{method}")


def finish(case, mech_key):
    """Attach expected values (native), check them against the twin, attach the tolerance."""
    expected = expected_of(case)
    ref = reference_of(case)
    path = "backward" if case["method"] == "backward" else (
        "weights" if "weights" in case["method"] else "forward")
    def dec(e):
        return np.array(F.decode(e)).reshape(e["shape"])
    if case["method"] == "backward":
        for name in ("query", "keys", "values"):
            assert_close(dec(expected[name]), ref[name], (mech_key, path), what=f"{case['name']}: {name}")
        for name, value in expected["params"].items():
            assert_close(dec(value), ref["params"][name], (mech_key, path), what=f"{case['name']}: {name}")
    else:
        assert_close(dec(expected), ref, (mech_key, path), what=case["name"])
    rtol, atol = tolerance(mech_key, "fixture")
    return {**case, "expected": expected, "tolerance": {"rtol": rtol, "atol": atol}}


def finish_error(case):
    try:
        mech = F.build(ra, case)
        if case["method"] != "construct":
            F.call(mech, case)
    except ra.AttentionError as e:
        want = case["error"]
        assert type(e).__name__ == want["class"], f"{case['name']}: raised {type(e).__name__}: {e}"
        missing = [w for w in want["message_contains"] if w not in str(e)]
        assert not missing, f"{case['name']}: message {str(e)!r} lacks {missing}"
        return case
    raise AssertionError(f"{case['name']}: no error raised")


def build_all(names=None):
    """{file name: content}; ``names`` limits which files are computed."""
    def wrap(cases, description):
        return lambda: {"format": FORMAT_VERSION, "generated_by": "tests/python/make_fixtures.py",
                        "description": description, "cases": list(cases)}
    files = {
        "sdpa.json": wrap((finish(c, "sdpa") for c in sdpa_cases()),
                          "ScaledDotProductAttention: inputs and natively computed expected outputs"),
        "multihead.json": wrap((finish(c, "mha") for c in mha_cases()),
                               "MultiHeadAttention: inputs, weights and natively computed expected outputs"),
        "errors.json": wrap((finish_error(c) for c in error_cases()),
                            "bad inputs and configs with the error class, code and message words expected"),
        # sparse / efficient attention (cases and twin checks in fixtures_sparse.py)
        "sparse.json": wrap(__import__("fixtures_sparse").sparse_cases(arr),
                            "Flash / Linear / LocalGlobal attention: inputs and native expected outputs"),
        # graph-aware attention (cases and twin checks in reference_graph_fixtures.py)
        "graph.json": wrap(__import__("reference_graph_fixtures").graph_cases(arr),
                           "GraphRoPE / HNSW-aware / structural / cross-space attention: inputs, "
                           "metadata and native expected outputs"),
        "masks.json": wrap(__import__("fixtures_masks").mask_cases(arr),
                           "every mechanism that takes a mask on torch's forms: boolean (true "
                           "keeps), additive (added to the scores), all masked; oracle: torch"),
        # geometric attention (cases and oracle checks in fixtures_geometric.py)
        "geometric.json": wrap(__import__("fixtures_geometric").geometric_cases(arr),
                               "Hyperbolic / manifold / mixed-curvature / edge-featured attention: inputs "
                               "and native expected outputs (checked vs geoopt twin, torch, PyG)"),
        "contract.json": wrap(__import__("fixtures_contract").contract_cases(arr),
                              "the registry-wide contract (test_contract.py) for every registered "
                              "mechanism: inputs and native expected outputs or errors"),
    }
    unknown = sorted(set(names or ()) - set(files))
    if unknown:
        raise SystemExit(f"unknown fixture file(s) {unknown}; known: {sorted(files)}")
    return {name: make() for name, make in files.items() if not names or name in names}


def to_json(content):
    """Compact JSON with one case per line (readable diffs, small files)."""
    head = {k: v for k, v in content.items() if k != "cases"}
    lines = [json.dumps(c, separators=(",", ":"), allow_nan=False) for c in content["cases"]]
    return json.dumps(head)[:-1] + ', "cases": [\n' + ",\n".join(lines) + "\n]}\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed files differ")
    parser.add_argument("files", nargs="*", help="only these files (e.g. contract.json)")
    args = parser.parse_args(argv)
    stale = []
    for name, content in build_all(args.files).items():
        text = to_json(content)
        path = OUT_DIR / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            OUT_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(HERE.parent.parent)} ({len(content['cases'])} cases, {len(text)} bytes)")
    if stale:
        print(f"stale fixtures: {stale}; run python3 tests/python/make_fixtures.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
