"""The contract every registered mechanism keeps, parametrised over ``ra.MECHANISMS``,
so a new mechanism is covered the day it registers.

Each mechanism is built from its catalogue entry (contract_cases.py). The checks:
finite output of the right shape and weights summing to 1; a fully masked query
gives zeros (or a refusal its ``forward`` docstring documents); a NaN key raises
NumericalInstabilityError; logits near ±100 stay finite; save / load round-trips bit
for bit and ``config()`` rebuilds the same mechanism; a seed fixes the output (and a
``seed`` field changes something); ``forward_graph`` rows equal the per-query call
over the CSR neighbours and isolated nodes give zero rows; the forced-scalar kernel
agrees with the SIMD one; everything the API returns converts with ``numpy.asarray``;
``forward_batch`` rows are ``forward``; ``backward`` is the derivative of ``forward``.

The tests marked ``nonumpy`` also run with numpy hidden (build.sh), on lists.
The same cases replay in Node and Chromium from tests/fixtures/contract.json
(tests/js/contract_fixtures.test.mjs).
"""

import dataclasses
import json
import math
import os
import subprocess
import sys
import textwrap
from array import array

import contract_cases as C
import pytest
import ruvector_attention as ra
from tolerances import assert_close

NAMES = C.NAMES
by_name = pytest.mark.parametrize("name", NAMES)


def _bits(x):
    """The float32 bytes of a parameter (numpy array or the no-numpy FloatArray)."""
    return array("f", floats(x)).tobytes()


def floats(x):
    """Flat Python floats of any result (memoryview, numpy array, nested lists)."""
    x = x.tolist() if hasattr(x, "tolist") else x
    if isinstance(x, list):
        return [v for item in x for v in floats(item)] if x and isinstance(x[0], list) else list(x)
    return [x]


def shape(x):
    return tuple(x.shape)


def test_every_registered_mechanism_is_in_the_contract():
    assert NAMES == sorted(e["name"] for e in ra.mechanism_catalog())
    assert len(NAMES) >= 13


# -------------------------------------------------------------- on lists (numpy optional)

@pytest.mark.nonumpy
@by_name
def test_forward_is_finite_and_weights_sum_to_one(name):
    m = C.build(name)
    q, K, V = C.inputs(m)
    out = m.forward(q, K, V)
    assert shape(out) == (m.hidden_dim,)
    assert all(math.isfinite(v) for v in floats(out))
    w = floats(m.attention_weights(q, K))
    assert len(w) == C.NUM_KEYS and all(v >= 0 for v in w)
    assert abs(sum(w) - 1.0) < 1e-5


@pytest.mark.nonumpy
@by_name
def test_fully_masked_query_gives_zeros(name):
    m = C.build(name)
    q, K, V = C.inputs(m)
    none = [False] * C.NUM_KEYS
    assert floats(m.attention_weights(q, K, mask=none)) == [0.0] * C.NUM_KEYS
    try:
        out = m.forward(q, K, V, mask=none)
    except ra.UnsupportedError as e:
        assert "UnsupportedError" in (type(m).forward.__doc__ or ""), f"undocumented refusal: {e}"
        return
    # the default initialisation has zero output biases: no key, no signal
    assert floats(out) == [0.0] * m.hidden_dim


@pytest.mark.nonumpy
@by_name
@pytest.mark.parametrize("where", ["keys", "query"])
def test_nan_input_raises_numerical_instability(name, where):
    m = C.build(name)
    q, K, V = C.inputs(m)
    if where == "keys":
        K[2][1] = float("nan")
    else:
        q[0] = float("nan")
    with pytest.raises(ra.NumericalInstabilityError, match="nan"):
        m.forward(q, K, V)


@pytest.mark.nonumpy
@by_name
@pytest.mark.parametrize("logit", [100.0, -100.0])
def test_logits_near_100_stay_finite(name, logit):
    m = C.build(name)
    q, K, V = C.bait_inputs(m, logit)
    out = floats(m.forward(q, K, V))
    assert len(out) == m.hidden_dim and all(math.isfinite(v) for v in out)
    w = floats(m.attention_weights(q, K))
    assert all(math.isfinite(v) for v in w) and abs(sum(w) - 1.0) < 1e-5


@pytest.mark.nonumpy
@by_name
def test_save_load_round_trips_bit_for_bit(name, tmp_path):
    m = C.build(name)
    path = tmp_path / f"{name}.safetensors"
    m.save(path)
    back = ra.load(path)
    assert type(back) is type(m) and back.config() == m.config()
    state, loaded = m.state_dict(), back.state_dict()
    assert list(state) == list(loaded)
    for key in state:
        assert _bits(state[key]) == _bits(loaded[key]), key
    q, K, V = C.inputs(m)
    assert floats(back.forward(q, K, V)) == floats(m.forward(q, K, V))
    assert type(m).load(path).config() == m.config()


@pytest.mark.nonumpy
@by_name
def test_config_rebuilds_the_same_mechanism(name):
    m = C.build(name)
    config = m.config()
    assert dataclasses.is_dataclass(config)
    kwargs = dataclasses.asdict(config)
    json.dumps(kwargs)  # plain values only: what save() writes and JS sends
    again = type(m)(**kwargs)
    assert again.config() == config
    q, K, V = C.inputs(m)
    assert floats(again.forward(q, K, V)) == floats(m.forward(q, K, V))


@pytest.mark.nonumpy
@by_name
def test_same_seed_same_output_and_the_seed_matters(name):
    fields = C.field_names(name)
    extra = {"dropout": 0.5} if "dropout" in fields else {}  # a dropout seed acts in training

    def run(**seed):
        m = C.build(name, **extra, **seed).train(bool(extra))
        q, K, V = C.inputs(m)
        state = {k: floats(v) for k, v in m.state_dict().items()}
        return state, floats(m.forward(q, K, V))

    if "seed" not in fields:
        assert run() == run()
        return
    assert run(seed=3) == run(seed=3)
    assert run(seed=3) != run(seed=4), "the seed field changes nothing"


@pytest.mark.nonumpy
@by_name
def test_forward_graph_rows_are_the_per_query_call(name):
    if not C.has(name, "forward_graph"):
        pytest.skip(f"{name} has no forward_graph")
    m = C.build(name)
    X = C.graph_features(m)
    out = C.graph_call(name, m, X)
    assert shape(out) == (len(X), m.hidden_dim)
    got = out.tolist()
    for i in range(len(X)):
        if i in C.ISOLATED:
            assert got[i] == [0.0] * m.hidden_dim, f"isolated node {i}"
        else:
            assert_close(got[i], C.graph_row_reference(name, m, X, i), ("contract", "consistency"),
                         what=f"{name} row {i}")


# ---------------------------------------------------------------------------- numpy

@by_name
def test_numpy_asarray_works_on_every_result(name):
    np = pytest.importorskip("numpy")
    m = C.build(name)
    q, K, V = C.inputs(m)
    for kind, (qq, KK, VV) in {"lists": (q, K, V),
                               "numpy": (np.float32(q), np.float32(K), np.float32(V))}.items():
        results = {"forward": m.forward(qq, KK, VV), "attention_weights": m.attention_weights(qq, KK)}
        if C.has(name, "forward_batch"):
            results["forward_batch"] = m.forward_batch([qq, qq] if kind == "lists" else np.stack([qq, qq]), KK, VV)
        if C.has(name, "head_attention_weights"):
            results["head_attention_weights"] = m.head_attention_weights(qq, KK)
        if C.has(name, "backward"):
            g = m.backward(qq, KK, VV, qq)
            results.update({f"grad {p}": getattr(g, p) for p in ("query", "keys", "values")})
            results.update({f"grad {p}": v for p, v in g.params.items()})
        if C.has(name, "attention_mask"):
            results["attention_mask"] = m.attention_mask(C.NUM_KEYS)
        results.update({f"state {k}": v for k, v in m.state_dict().items()})
        for what, r in results.items():
            a = np.asarray(r)
            assert a.dtype != object and a.ndim >= 1, f"{kind} {what}: {a.dtype} {a.shape}"
            assert a.shape == shape(r), f"{kind} {what}"
            if kind == "numpy" and what != "attention_mask":  # built from n, not from arrays
                assert isinstance(r, np.ndarray), f"numpy in, numpy out: {what} is a {type(r).__name__}"


@by_name
def test_forward_batch_rows_are_forward(name):
    np = pytest.importorskip("numpy")
    if not C.has(name, "forward_batch"):
        pytest.skip(f"{name} has no forward_batch")
    m = C.build(name)
    q, K, V = (np.float32(x) for x in C.inputs(m))
    Q = np.stack([q, 0.5 * q, -q])
    want = [np.asarray(m.forward(row, K, V)) for row in Q]
    assert_close(m.forward_batch(Q, K, V), np.stack(want), ("contract", "consistency"), what=name)


@by_name
def test_backward_is_the_derivative_of_forward(name):
    """<forward, g> by central differences in float64 steps of the float32 inputs."""
    np = pytest.importorskip("numpy")
    if not C.has(name, "backward"):
        pytest.skip(f"{name} has no backward")
    m = C.build(name)
    inputs = [np.float64(x) for x in C.inputs(m)]
    g = np.random.default_rng(1).standard_normal(m.hidden_dim)
    grads = m.backward(*(np.float32(x) for x in inputs), np.float32(g))

    def loss(args):
        return float(np.asarray(m.forward(*(np.float32(x) for x in args)), np.float64) @ g)

    eps = 1e-3
    for which, grad in enumerate((grads.query, grads.keys, grads.values)):
        grad = np.asarray(grad, np.float64)
        for idx in [(0,), (5,)] if inputs[which].ndim == 1 else [(0, 0), (2, 5), (6, 11)]:
            up, down = [x.copy() for x in inputs], [x.copy() for x in inputs]
            up[which][idx] += eps
            down[which][idx] -= eps
            numeric = (loss(up) - loss(down)) / (2 * eps)
            assert_close(grad[idx], numeric, ("contract", "finite_difference"),
                         what=f"{name} d/d{('query', 'keys', 'values')[which]}{list(idx)}")


SCALAR_RUN = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import contract_cases as C
    import ruvector_attention as ra
    out = {"isa": ra.kernel_info()["isa"]}
    for name in C.NAMES:
        m = C.build(name)
        q, K, V = C.inputs(m)
        out[name] = [m.forward(q, K, V).tolist(), m.attention_weights(q, K).tolist()]
        if C.has(name, "forward_graph"):
            out[name].append(C.graph_call(name, m, C.graph_features(m)).tolist())
    print(json.dumps(out))
""")


def _run_kernel(force_scalar):
    env = {k: v for k, v in os.environ.items() if k != "RUVECTOR_FORCE_SCALAR"}
    if force_scalar:
        env["RUVECTOR_FORCE_SCALAR"] = "1"
    here = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.run([sys.executable, "-c", SCALAR_RUN, here], env=env, capture_output=True,
                          text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.nonumpy
def test_scalar_and_simd_agree_for_every_mechanism():
    simd, scalar = _run_kernel(False), _run_kernel(True)
    assert scalar.pop("isa") == "scalar"
    simd.pop("isa")
    assert sorted(simd) == NAMES
    for name in NAMES:
        for got, want in zip(scalar[name], simd[name], strict=True):
            assert_close(got, want, ("contract", "scalar_vs_simd"), what=name)


# ------------------------------------------------- the shared fixture Node and Chromium replay

def _fixture_args(case):
    import fixture_format as F
    args = {}
    for key, value in case["args"].items():
        if key in ("indptr", "indices"):
            args[key] = value["data"]
        else:
            args[key] = F.decode(value)
    return args


def _fixture_call(mech, case):
    a, kw = _fixture_args(case), dict(case.get("kwargs", {}))
    if "metadata" in kw:
        kw["metadata"] = ra.GraphMetadata.coerce(kw["metadata"])
    mask = {"mask": a["mask"]} if "mask" in a else {}
    if case["method"] == "forward":
        return mech.forward(a["query"], a["keys"], a["values"], **mask)
    if case["method"] == "attention_weights":
        return mech.attention_weights(a["query"], a["keys"], **mask)
    assert case["method"] == "forward_graph", case["method"]
    return mech.forward_graph(a["features"], a["indptr"], a["indices"], **kw)


@pytest.mark.nonumpy
def test_contract_fixture_covers_every_mechanism_and_replays(fixtures_dir):
    import fixture_format as F
    import fixtures_contract as FC
    cases = json.loads((fixtures_dir / "contract.json").read_text())["cases"]
    assert {c["mechanism"] for c in cases} == set(NAMES), "run python3 tests/python/make_fixtures.py"
    for case in cases:
        mech = FC.build(case)
        if "error" in case:
            with pytest.raises(getattr(ra, case["error"]["class"])) as info:
                _fixture_call(mech, case)
            assert all(w in str(info.value) for w in case["error"]["message_contains"])
            continue
        got = _fixture_call(mech, case)
        want = F.decode(case["expected"])
        assert_close(got, want, ("contract", "fixture"), what=case["name"])
