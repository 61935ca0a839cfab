"""Replay the shared JSON fixtures natively (numpy-free, so the numpy-hidden pass
replays them too, the way Pyodide will)."""

import json

import fixture_format as F
import pytest
import ruvector_attention as ra
from tolerances import assert_close

pytestmark = pytest.mark.nonumpy


def load_cases(fixtures_dir, name):
    path = fixtures_dir / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run python3 tests/python/make_fixtures.py")
    content = json.loads(path.read_text())
    assert content["format"] == 1
    return content["cases"]


def _key(case):
    return "sdpa" if case["mechanism"] == "ScaledDotProductAttention" else "mha"


def _check(got, expected, case, what):
    tol = case["tolerance"]
    # The JSON carries its own tolerance (the JS tests read it); it must be the table's.
    from tolerances import tolerance
    assert (tol["rtol"], tol["atol"]) == tolerance(_key(case), "fixture")
    assert_close(got, F.decode(expected), (_key(case), "fixture"), what=f"{case['name']}: {what}")


@pytest.mark.parametrize("file", ["sdpa.json", "multihead.json"])
def test_fixture_outputs_replay(fixtures_dir, file):
    cases = load_cases(fixtures_dir, file)
    assert len({c["name"] for c in cases}) == len(cases), "case names must be unique"
    for case in cases:
        mech = F.build(ra, case)
        if case.get("state_from_seed"):
            # The seeded initialisation must reproduce the recorded weights exactly.
            for name, value in case["state_dict"].items():
                assert mech.state_dict()[name].tolist() == F.decode(value).tolist(), f"{case['name']}: {name}"
        got = F.call(mech, case)
        if case["method"] == "backward":
            for name in ("query", "keys", "values"):
                _check(getattr(got, name), case["expected"][name], case, name)
            assert set(got.params) == set(case["expected"]["params"])
            for name, value in case["expected"]["params"].items():
                _check(got.params[name], value, case, name)
        else:
            _check(got, case["expected"], case, case["method"])


def test_fixture_errors_replay(fixtures_dir):
    for case in load_cases(fixtures_dir, "errors.json"):
        want = case["error"]
        with pytest.raises(ra.AttentionError) as info:
            mech = F.build(ra, case)
            if case["method"] != "construct":
                F.call(mech, case)
        err = info.value
        assert type(err).__name__ == want["class"], f"{case['name']}: {type(err).__name__}: {err}"
        assert err.code == want["code"]
        for word in want["message_contains"]:
            assert word in str(err), f"{case['name']}: {str(err)!r} lacks {word!r}"


def test_fixtures_cover_every_method():
    """The fixture files promise every method of both core mechanisms (README.md)."""
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[1] / "fixtures"
    sdpa = {c["method"] for c in load_cases(root, "sdpa.json")}
    mha = {c["method"] for c in load_cases(root, "multihead.json")}
    assert sdpa == {"forward", "attention_weights", "forward_batch", "forward_graph", "backward"}
    assert mha == {"forward", "attention_weights", "head_attention_weights", "head_output", "forward_batch",
                   "forward_graph", "backward"}
