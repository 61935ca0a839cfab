"""No input crashes the process: a batch of nasty inputs runs in a subprocess (a
segfault in the kernel would kill pytest itself otherwise). Each case must either
return finite numbers or raise one of the typed errors; the subprocess must exit
normally and report every case.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.nonumpy

NASTY = textwrap.dedent(r"""
    import json, math, sys
    from array import array
    import ruvector_attention as ra

    D = 4
    sdpa = ra.ScaledDotProductAttention(D)
    mha = ra.MultiHeadAttention(D, 2, seed=0)
    q = [1.0, 2.0, 3.0, 4.0]
    K = [[0.1 * (i + j) for j in range(D)] for i in range(5)]
    nan, inf = math.nan, math.inf
    cases = {
        "string query": lambda: sdpa.forward("abcd", K, K),
        "None keys": lambda: sdpa.forward(q, None, K),
        "dict values": lambda: sdpa.forward(q, K, {"a": 1}),
        "nested strings": lambda: sdpa.forward(q, [["a"] * D] * 5, K),
        "ragged keys": lambda: sdpa.forward(q, [[1.0], [1.0, 2.0, 3.0, 4.0]], K[:2]),
        "3-d query": lambda: sdpa.forward([[[1.0] * D]], K, K),
        "scalar query": lambda: sdpa.forward(1.0, K, K),
        "1-d keys": lambda: sdpa.forward(q, [1.0] * D, [1.0] * D),
        "empty rows": lambda: sdpa.forward(q, [[]] * 3, [[]] * 3),
        "int memoryview": lambda: sdpa.forward(memoryview(array("i", [1, 2, 3, 4])), K, K),
        "byte buffer": lambda: sdpa.forward(b"\x00" * 16, K, K),
        "double array": lambda: sdpa.forward(array("d", q), K, K),
        "too short buffer": lambda: sdpa.forward(array("f", [1.0]), K, K),
        "nan everywhere": lambda: sdpa.forward([nan] * D, [[nan] * D] * 5, [[nan] * D] * 5),
        "inf logits": lambda: sdpa.forward([inf] * D, K, K),
        "huge finite": lambda: sdpa.forward([3e38] * D, [[3e38] * D] * 5, K),
        "denormals": lambda: sdpa.forward([1e-45] * D, [[1e-45] * D] * 5, [[1e-45] * D] * 5),
        "mask of ints": lambda: sdpa.forward(q, K, K, mask=[2, 0, -1, 7, 1]),
        "mask too long": lambda: sdpa.forward(q, K, K, mask=[True] * 50),
        "mask of strings": lambda: sdpa.forward(q, K, K, mask=["x"] * 5),
        "graph negative indptr": lambda: sdpa.forward_graph(K, [0, -4, 2, 2, 2, 2], [0, 1]),
        "graph huge index": lambda: sdpa.forward_graph(K, [0, 1, 1, 1, 1, 1], [2**62]),
        "graph indptr past end": lambda: sdpa.forward_graph(K, [0, 1, 1, 1, 1, 10**9], [0]),
        "graph float indices": lambda: sdpa.forward_graph(K, [0, 1, 1, 1, 1, 1], [0.5]),
        "graph empty features": lambda: sdpa.forward_graph([], [0], []),
        "batch mismatched sets": lambda: sdpa.forward_batch([q, q], [K], [K]),
        "batch 4-d keys": lambda: sdpa.forward_batch([q], [[K]], [[K]]),
        "mha nan grad": lambda: mha.backward(q, K, K, [nan] * D),
        "mha head -1": lambda: mha.head_output(-1, q, K, K),
        "mha head 99": lambda: mha.head_output(99, q, K, K),
        "mha load garbage": lambda: mha.load_state_dict({"in_proj_weight": "garbage"}),
        "mha load None": lambda: mha.load_state_dict(None),
        "huge dim config": lambda: ra.ScaledDotProductAttention(2**62).forward(q, K, K),
        "negative heads": lambda: ra.MultiHeadAttention(4, -2),
        "batch per-query sets": lambda: sdpa.forward_batch([q] * 3, [K] * 3, [K] * 3),
    }
    report = {}
    for name, call in cases.items():
        try:
            out = call()
        except ra.AttentionError as e:
            report[name] = ["typed", type(e).__name__]
        except (TypeError, ValueError, IndexError) as e:
            report[name] = ["builtin", type(e).__name__ + ": " + str(e)[:120]]
        except BaseException as e:  # anything else is a defect, but keep going
            report[name] = ["other", type(e).__name__ + ": " + str(e)[:120]]
        else:
            flat = []
            def walk(x):
                if isinstance(x, (int, float)):
                    flat.append(float(x))
                else:
                    for y in x:
                        walk(y)
            tolist = getattr(out, "tolist", None)
            walk(tolist() if tolist else out)
            report[name] = ["returned", all(math.isfinite(x) for x in flat)]
    print(json.dumps(report))
""")

# Cases whose outcome the contract fixes exactly.
MUST_BE_TYPED = {
    "ragged keys", "empty rows", "too short buffer", "nan everywhere", "mask too long",
    "graph negative indptr", "graph huge index", "graph indptr past end", "batch mismatched sets",
    "mha nan grad", "mha head -1", "mha head 99", "negative heads", "huge dim config",
}


@pytest.fixture(scope="module")
def report():
    proc = subprocess.run([sys.executable, "-c", NASTY], capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)
    assert proc.returncode == 0, f"process died (rc={proc.returncode}):\n{proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_nasty_inputs_never_crash_the_process(report):
    problems = []
    for name, (kind, detail) in report.items():
        if kind == "other":
            problems.append(f"{name}: untyped {detail}")
        elif kind == "returned" and not detail:
            problems.append(f"{name}: returned non-finite numbers")
        elif name in MUST_BE_TYPED and kind != "typed":
            problems.append(f"{name}: expected an AttentionError, got {kind} {detail}")
    assert not problems, "\n".join(problems)


def test_builtin_errors_are_only_type_errors_for_wrong_kinds(report):
    """A ValueError/IndexError that is not an AttentionError means a check is missing
    in our code (numpy or ctypes complained instead); only TypeError is acceptable
    for inputs of the wrong Python kind."""
    untyped = {n: d for n, (k, d) in report.items() if k == "builtin" and not d.startswith("TypeError")}
    assert not untyped, untyped
