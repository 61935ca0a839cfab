"""Reading and replaying the shared JSON fixtures (tests/fixtures/*.json).

The format is documented in tests/fixtures/README.md. This module is the
Python side of it, used by make_fixtures.py (to compute expected values) and by
test_fixtures.py (to replay them); numpy-free so it also runs in the
numpy-hidden pass. The Node and Playwright tests implement the same replay.
"""

from __future__ import annotations

import math
from array import array

NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

# Method -> argument names in call order; "mask" (and "values" for forward_graph)
# are optional keyword arguments, passed only when present in the case.
POSITIONAL = {
    "forward": ("query", "keys", "values"),
    "attention_weights": ("query", "keys"),
    "head_attention_weights": ("query", "keys"),
    "head_output": ("head", "query", "keys", "values"),
    "forward_batch": ("queries", "keys", "values"),
    "forward_graph": ("features", "indptr", "indices"),
    "backward": ("query", "keys", "values", "grad_output"),
}
KEYWORD = ("mask", "values")

# tests/fixtures/graph.json: method -> positional array arguments (metadata and
# kwargs travel beside them in the case).
GRAPH_POSITIONAL = {
    "forward_with_metadata": ("query", "keys", "values"),
    "attention_weights": ("query", "keys"),
    "backward": ("query", "keys", "values", "grad_output"),
    "apply_rotation": ("embedding",),
    "forward_cross": ("h", "graph_neighbors", "latent_neighbors"),
}


def encode(values, shape, *, kind="f32"):
    """(flat iterable, shape) -> {"shape": [...], "data": [...]} with JSON-safe numbers."""
    if kind == "bool":
        data = [bool(v) for v in values]
    elif kind == "int":
        data = [int(v) for v in values]
    else:
        data = [_number(float(v)) for v in values]
    return {"shape": list(shape), "data": data}


def _number(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def decode(obj):
    """{"shape", "data"} -> what the package accepts: a shaped float32 memoryview for
    numbers, nested lists for booleans (masks). CSR index arrays are read by ``_arg``."""
    shape, data = obj["shape"], obj["data"]
    if data and isinstance(data[0], bool):
        return _nest(data, shape)
    flat = array("f", (NON_FINITE.get(v, v) if isinstance(v, str) else v for v in data))
    mv = memoryview(flat).cast("B")
    return mv.cast("f", shape) if shape and 0 not in shape else mv.cast("f")


def _nest(flat, shape):
    if len(shape) <= 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def build(ra, case):
    """The mechanism a case describes: class from "mechanism", constructor from "config",
    then "state_dict" loaded unless "state_from_seed" says the seed reproduces it."""
    cls = getattr(ra, case["mechanism"])
    config = dict(case["config"])
    if case["mechanism"] == "MultiHeadAttention":
        mech = cls(config.pop("dim"), config.pop("num_heads"), **config)
    else:
        mech = cls(config.pop("dim"), **config)
    if "state_dict" in case and not case.get("state_from_seed", False):
        mech.load_state_dict({k: decode(v) for k, v in case["state_dict"].items()})
    return mech


def call(mech, case):
    """Run the case's method on ``mech`` with its decoded arguments."""
    args = case["args"]
    method = case["method"]
    positional = []
    for name in POSITIONAL[method]:
        value = args[name]
        positional.append(value if name == "head" else _arg(value, name))
    keywords = {k: _arg(args[k], k) for k in KEYWORD if k in args and k not in POSITIONAL[method]}
    return getattr(mech, method)(*positional, **keywords)


def _arg(value, name):
    if name in ("indptr", "indices"):
        return list(value["data"])
    return decode(value)


def assert_replay(got, case, key):
    """Compare a replayed case's result with its expected value at the tolerance-table
    row ``key``; a backward case compares its query, keys and values gradients."""
    from tolerances import assert_close
    if case["method"] == "backward":
        for part in ("query", "keys", "values"):
            assert_close(getattr(got, part), decode(case["expected"][part]), key,
                         what=f"{case['name']}: {part}")
    else:
        assert_close(got, decode(case["expected"]), key, what=case["name"])
