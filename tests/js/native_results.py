"""Replay the shared fixture cases with the *native* package and print the results as JSON.

    python3 tests/js/native_results.py sdpa multihead > results.json

The Node tests compare the wasm build to these (within 1e-6 of each array's
scale): the fixture files hold native results from when they were generated,
and a kernel change since then would otherwise look like a wasm difference.
Output: {case name: ARRAY | {query, keys, values, params}} with ARRAY =
{"shape", "data"} (data flat, floats as Python floats of the float32 values).
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))

import fixture_format as F  # noqa: E402  (the shared replay helpers)
import ruvector_attention as ra  # noqa: E402  (the installed native build)


def array(x):
    if hasattr(x, "reshape"):  # numpy, when the native run has it
        return {"shape": list(x.shape), "data": x.reshape(-1).tolist()}
    flat = x.tolist()  # a FloatArray (no numpy): nested lists like numpy's
    while flat and isinstance(flat[0], list):
        flat = [v for row in flat for v in row]
    return {"shape": list(x.shape), "data": flat}


def main(names):
    out = {"kernel": ra.kernel_info()["isa"], "results": {}}
    for name in names:
        cases = json.loads((ROOT / "tests" / "fixtures" / f"{name}.json").read_text())["cases"]
        for case in cases:
            got = F.call(F.build(ra, case), case)
            if case["method"] == "backward":
                out["results"][case["name"]] = {
                    "query": array(got.query), "keys": array(got.keys), "values": array(got.values),
                    "params": {k: array(v) for k, v in got.params.items()},
                }
            else:
                out["results"][case["name"]] = array(got)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:] or ["sdpa", "multihead"])
