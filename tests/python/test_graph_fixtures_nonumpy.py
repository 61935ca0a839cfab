"""Replay tests/fixtures/graph.json without numpy (the Pyodide situation): arguments
as float32 memoryviews, metadata once as plain lists (what a Python user passes)
and once as buffers (float32 distances / features, int32 layers: what the
JavaScript bridge passes), compared with the shared tolerance table.
test_graph_fixtures.py replays the same file natively with numpy."""

import json
from array import array

import fixture_format as F
import pytest
import ruvector_attention as ra
from tolerances import assert_close, tolerance

pytestmark = pytest.mark.nonumpy

KEY = ("graph", "fixture")


def _cases(fixtures_dir):
    path = fixtures_dir / "graph.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: run python3 tests/python/make_fixtures.py")
    content = json.loads(path.read_text())
    assert content["format"] == 1
    return content["cases"]


def _as_buffers(metadata):
    """Metadata fields as the bridge hands them over: shaped memoryviews, not lists."""
    out = {}
    for name, value in metadata.items():
        if name == "hnsw_layers":
            out[name] = memoryview(array("i", value))
        elif name == "structural_features":
            flat = [x for row in value for x in row]
            out[name] = F.decode({"shape": [len(value), len(value[0]) if value else 0], "data": flat})
        else:
            out[name] = F.decode({"shape": [len(value)], "data": value})
    return out


def _run(case, metadata):
    mech = getattr(ra, case["mechanism"])(**case["config"])
    args = [F.decode(case["args"][name]) for name in F.GRAPH_POSITIONAL[case["method"]]]
    kwargs = dict(case.get("kwargs", {}))
    if metadata is not None:
        kwargs["metadata"] = ra.GraphMetadata(**metadata)
    if case["method"] == "forward_with_metadata":
        return mech.forward_with_metadata(*args, kwargs.pop("metadata"), **kwargs)
    return getattr(mech, case["method"])(*args, **kwargs)


def _check(got, expected, what):
    assert_close(got, F.decode(expected), KEY, what=what)


@pytest.mark.parametrize("metadata_as", ["lists", "buffers"])
def test_graph_fixture_replays_without_numpy(fixtures_dir, metadata_as):
    cases = _cases(fixtures_dir)
    assert len({c["name"] for c in cases}) == len(cases)
    for case in cases:
        # The JSON carries its own tolerance (the JS tests read it); it must be the table's.
        assert (case["tolerance"]["rtol"], case["tolerance"]["atol"]) == tolerance(*KEY)
        metadata = case.get("metadata")
        if metadata is not None and metadata_as == "buffers":
            metadata = _as_buffers(metadata)
        got = _run(case, metadata)
        label = f"{case['name']} (metadata as {metadata_as})"
        if case["method"] == "backward":
            for part in ("query", "keys", "values"):
                _check(getattr(got, part), case["expected"][part], f"{label}: {part}")
            assert set(got.params) == set(case["expected"]["params"]), label
            for name, value in case["expected"]["params"].items():
                _check(got.params[name], value, f"{label}: {name}")
        else:
            _check(got, case["expected"], label)


def test_int32_layer_buffers_give_the_errors_of_lists():
    """The bridge's int32 layer slot takes a numpy-free fast path; same checks as lists."""
    attn = ra.HNSWAwareAttention(4, max_layers=3)
    q, keys = [1.0, 0.0, 0.0, 0.0], [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
    for layers, error, text in (([0, 3], ra.OutOfBoundsError, r"hnsw_layers\[1\] = 3 is >= max_layers"),
                                ([1, -1], ra.DimensionMismatchError, r"hnsw_layers\[1\] = -1 is negative"),
                                ([0, 1, 2], ra.DimensionMismatchError, r"hnsw_layers has .*3.*expected .*2")):
        for form in (layers, memoryview(array("i", layers))):
            with pytest.raises(error, match=text):
                attn.attention_weights(q, keys, metadata=ra.GraphMetadata(hnsw_layers=form))
    as_list = attn.attention_weights(q, keys, metadata=ra.GraphMetadata(hnsw_layers=[2, 0]))
    as_buffer = attn.attention_weights(q, keys, metadata={"hnswLayers": memoryview(array("i", [2, 0]))})
    assert as_buffer.tolist() == as_list.tolist()
