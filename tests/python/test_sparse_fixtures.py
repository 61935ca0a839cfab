"""Replay tests/fixtures/sparse.json natively, with and without numpy (the JS tests
replay the same file on the wasm build)."""

import json

import fixture_format as F
import pytest
import ruvector_attention as ra
from tolerances import tolerance

pytestmark = pytest.mark.nonumpy
KEY = {"FlashAttention": "flash", "LinearAttention": "linear", "LocalGlobalAttention": "local_global"}


def test_sparse_fixture_replays(fixtures_dir):
    path = fixtures_dir / "sparse.json"
    cases = json.loads(path.read_text())["cases"]
    assert len({c["name"] for c in cases}) == len(cases) >= 15
    assert {c["mechanism"] for c in cases} == set(KEY)
    for case in cases:
        key = (KEY[case["mechanism"]], "fixture")
        assert (case["tolerance"]["rtol"], case["tolerance"]["atol"]) == tolerance(*key)
        got = F.call(F.build(ra, case), case)
        F.assert_replay(got, case, key)
