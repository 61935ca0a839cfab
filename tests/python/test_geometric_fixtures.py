"""Replay tests/fixtures/geometric.json natively (the Node tests replay the same file
on the wasm build, main thread and worker): hyperbolic, manifold, mixed-curvature and
edge-featured attention at the file's tolerance."""

import json

import fixture_format as F
import fixtures_geometric as FG
import ruvector_attention as ra
from tolerances import tolerance


def test_geometric_fixture_replays(fixtures_dir):
    cases = json.loads((fixtures_dir / "geometric.json").read_text())["cases"]
    assert len({c["name"] for c in cases}) == len(cases) >= 15
    assert {c["mechanism"] for c in cases} == set(FG.KEY)
    assert {c["method"] for c in cases} == set(FG.ORDER)
    for case in cases:
        key = (FG.KEY[case["mechanism"]], "fixture")
        assert (case["tolerance"]["rtol"], case["tolerance"]["atol"]) == tolerance(*key)
        got = FG.call(FG.build(ra, case), case)
        F.assert_replay(got, case, key)


def test_fully_masked_case_is_zeros(fixtures_dir):
    cases = json.loads((fixtures_dir / "geometric.json").read_text())["cases"]
    masked = [c for c in cases if "fully masked" in c["name"]]
    assert masked and all(v == 0 for c in masked for v in c["expected"]["data"])
