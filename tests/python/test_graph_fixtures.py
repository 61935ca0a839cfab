"""Replay tests/fixtures/graph.json natively (the JS tests replay the same file on
the wasm build through the public TypeScript API)."""

import json

import pytest

np = pytest.importorskip("numpy")

import fixture_format as F  # noqa: E402
import reference_graph_fixtures as G  # noqa: E402

MECHANISMS = {"GraphRoPE", "HNSWAwareAttention", "StructuralAttention", "CrossSpaceAttention"}


def _close(got, want, tol, what):
    want = np.asarray(F.decode(want), np.float64)
    np.testing.assert_allclose(np.asarray(got, np.float64).reshape(-1), want.reshape(-1),
                               rtol=tol["rtol"], atol=tol["atol"], err_msg=what)


def test_graph_fixture_replays(fixtures_dir):
    cases = json.loads((fixtures_dir / "graph.json").read_text())["cases"]
    assert len({c["name"] for c in cases}) == len(cases) >= 12
    assert {c["mechanism"] for c in cases} == MECHANISMS
    for case in cases:
        got = G.run(G.build(case), case)
        if case["method"] == "backward":
            for part in ("query", "keys", "values"):
                _close(getattr(got, part), case["expected"][part], case["tolerance"],
                       f"{case['name']}: {part}")
            for name, value in case["expected"]["params"].items():
                _close(got.params[name], value, case["tolerance"], f"{case['name']}: {name}")
        else:
            _close(got, case["expected"], case["tolerance"], case["name"])

