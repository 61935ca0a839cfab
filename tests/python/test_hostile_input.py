"""Hostile input gets a typed error naming what is wrong — never a hang, a bare builtin
error, a NaN gradient or a silently wrong answer: huge sizes, configs that overflow
float32, results too large for memory, corrupt safetensors files, odd Python objects
where arrays or metadata belong. Runs with numpy hidden too (lists only)."""

import json
import math
import struct

import pytest
import ruvector_attention as ra
from ruvector_attention import io, numerics

pytestmark = pytest.mark.nonumpy

Q, K, V = [0.1] * 8, [[0.2] * 8] * 3, [[1.0] * 8] * 3


# ------------------------------------------------------------------ sizes and configs

@pytest.mark.parametrize("build, field", [
    (lambda: ra.LinearAttention(10**9), "dim"),
    (lambda: ra.MultiHeadAttention(10**9, 1), "dim"),
    (lambda: ra.StructuralAttention(2**53), "dim"),
    (lambda: ra.GraphRoPE(2**53), "dim"),
    (lambda: ra.HNSWAwareAttention(8, max_layers=10**9), "max_layers"),
    (lambda: ra.FlashAttention(8, block_size=2**62), "block_size"),
    (lambda: ra.LocalGlobalAttention(8, local_window=2**40), "local_window"),
    (lambda: ra.MultiHeadAttention(8, 2, seed=2**40), "seed"),
])
def test_huge_sizes_are_refused_at_once(build, field):
    with pytest.raises(ra.InvalidConfigError, match=field) as info:
        build()
    assert info.value.field == field


@pytest.mark.parametrize("build", [
    lambda: ra.LinearAttention(2**20, num_features=256),  # 2^28 random features
    lambda: ra.MultiHeadAttention(2**14, 1),  # 4 D^2 = 2^30 weights
    lambda: ra.HNSWAwareAttention(1024, max_layers=2**20),
    lambda: ra.CrossSpaceAttention(2**13, fusion="linear"),
])
def test_parameter_budget_is_checked_before_drawing(build):
    with pytest.raises(ra.InvalidConfigError, match="parameters"):
        build()


def test_every_int_size_option_has_an_upper_bound():
    for entry in ra.mechanism_catalog():
        for f in entry["fields"]:
            if f["type"] == "int":
                assert f.get("max") is not None, f"{entry['name']}.{f['name']} has no upper bound"


@pytest.mark.parametrize("build, field", [
    (lambda: ra.ScaledDotProductAttention(8, temperature=1e-45), "temperature"),
    (lambda: ra.ScaledDotProductAttention(8, scale=1e300), "scale"),
    (lambda: ra.HyperbolicAttention(8, curvature=-1e39), "curvature"),
    (lambda: ra.ManifoldAttention(8, curvature=1e39), "curvature"),  # forward raised, backward gave 0
    (lambda: ra.MixedCurvatureAttention(4, 4, curvature=-1e-40), "curvature"),
    (lambda: ra.GraphRoPE(8, base=1e39), "base"),
])
def test_config_numbers_must_fit_float32(build, field):
    with pytest.raises(ra.InvalidConfigError, match="float32") as info:
        build()
    assert info.value.field == field


def test_flash_block_larger_than_the_keys_needs_no_block_of_memory():
    big = ra.FlashAttention(8, block_size=2**24)
    assert big.forward(Q, K, V).tolist() == ra.FlashAttention(8, block_size=3).forward(Q, K, V).tolist()


def test_a_result_too_large_for_memory_is_a_typed_error():
    from ruvector_attention import _arrays
    with pytest.raises(ra.UnsupportedError, match="does not fit in memory"):
        _arrays.output((2**62,), False)


# ------------------------------------------------------------------ array-like inputs

def test_an_int_too_large_for_a_float_is_numerical_instability():
    with pytest.raises(ra.NumericalInstabilityError, match="query"):
        ra.ScaledDotProductAttention(2).forward([10**400, 1], [[1, 1]], [[1, 1]])


@pytest.mark.parametrize("raw", [b"abcdefgh", bytearray(8), "abcdefgh"])
def test_bytes_and_strings_are_not_vectors(raw):
    with pytest.raises(ra.UnsupportedError, match="query"):
        ra.ScaledDotProductAttention(8).forward(raw, K, V)


@pytest.mark.parametrize("state", [None, 3, [("in_proj_weight", [0.0])]])
def test_load_state_dict_needs_a_dict(state):
    with pytest.raises(ra.InvalidConfigError, match="dict"):
        ra.MultiHeadAttention(8, 2).load_state_dict(state)


def test_graph_rope_query_distance_must_be_a_number():
    rope = ra.GraphRoPE(8)
    for bad in ("1", None, True):
        with pytest.raises(ra.InvalidConfigError, match="query_distance"):
            rope.attention_weights(Q, K, query_distance=bad)
    assert abs(sum(rope.attention_weights(Q, K, query_distance=1).tolist()) - 1) < 1e-6


# ------------------------------------------------------------------ metadata

@pytest.mark.parametrize("layers", [["x", 0, 1], [None, 0, 1], 5, "012", [0.5, 0, 1], [math.nan, 0, 1]])
def test_bad_hnsw_layers_are_typed(layers):
    with pytest.raises(ra.UnsupportedError, match="hnsw_layers"):
        ra.GraphMetadata(hnsw_layers=layers).validate(3)


@pytest.mark.parametrize("extra, error", [
    (dict(distances=[math.nan, 1.0, 2.0]), ra.NumericalInstabilityError),
    (dict(edge_weights=[1.0, 2.0]), ra.DimensionMismatchError),
    (dict(structural_features=[[1.0]] * 2), ra.DimensionMismatchError),
])
def test_hnsw_aware_checks_the_metadata_fields_it_does_not_read(extra, error):
    meta = ra.GraphMetadata(hnsw_layers=[0, 1, 2], **extra)
    with pytest.raises(error, match="metadata"):
        ra.HNSWAwareAttention(8, 4).forward_with_metadata(Q, K, V, meta)


# ------------------------------------------------------------------ gradients

def test_nan_grad_output_is_refused_not_propagated():
    with pytest.raises(ra.NumericalInstabilityError, match="grad_output"):
        ra.HNSWAwareAttention(8, 4).backward(Q, K, V, [math.nan] * 8)


def test_nan_query_is_refused_even_when_every_key_is_masked():
    q = [math.nan] + Q[1:]
    with pytest.raises(ra.NumericalInstabilityError, match="query"):
        ra.StructuralAttention(8).backward(q, K, V, [1.0] * 8, mask=[False] * 3)


# ------------------------------------------------------------------ corrupt safetensors

def _file(tmp_path, header, body=b"\0" * 8):
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + body)
    return path


W = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize("header", [
    b"[1, 2]", b"3", b'"text"', b"null", b"{", b'{"\xff": 1}', b"[" * 100000,
    {"w": "spec"}, {"w": None}, {"w": [1, 2]},
    {"w": {**W, "data_offsets": [0, 4, 8]}}, {"w": {**W, "data_offsets": [0]}},
    {"w": {**W, "data_offsets": "0-8"}}, {"w": {**W, "data_offsets": [0.0, 8.0]}},
    {"w": {**W, "data_offsets": [-8, 0]}}, {"w": {**W, "data_offsets": [8, 0]}},
    {"w": {**W, "shape": [-2]}}, {"w": {**W, "shape": 2}}, {"w": {**W, "shape": ["2"]}},
    {"w": {**W, "shape": [True, 2]}}, {"w": {**W, "shape": None}}, {"w": {**W, "dtype": 7}},
    {"w": {**W, "dtype": "I64"}}, {"w": {"dtype": "F32"}},
    {"__metadata__": [1], "w": W}, {"__metadata__": {"a": 1}, "w": W}, {"__metadata__": "x", "w": W},
])
def test_corrupt_headers_raise_unsupported(tmp_path, header):
    with pytest.raises(ra.UnsupportedError):
        io.load_file(_file(tmp_path, header))
    with pytest.raises(ra.UnsupportedError):
        ra.load(_file(tmp_path, header))


def _saved_with_config(tmp_path, config_text, cls="MultiHeadAttention"):
    m = ra.MultiHeadAttention(8, 2)
    path = tmp_path / "m.safetensors"
    io.save_file(m.state_dict(), path, {"ruvector_attention.mechanism": cls,
                                        "ruvector_attention.config": config_text})
    return path


@pytest.mark.parametrize("config, error", [
    ('{"dim": 8, "num_heads": 2, "colour": "red"}', ra.InvalidConfigError),
    ('{"num_heads": 2}', ra.InvalidConfigError),
    ('{"dim": "8", "num_heads": 2}', ra.InvalidConfigError),
    ('{"dim": 8, "num_heads": 3}', ra.InvalidConfigError),
    ('[8, 2]', ra.UnsupportedError),
    ("{", ra.UnsupportedError),
    ('{"dim": 16, "num_heads": 2}', ra.DimensionMismatchError),  # weights of another shape
])
def test_corrupt_config_metadata_is_typed(tmp_path, config, error):
    with pytest.raises(error):
        ra.load(_saved_with_config(tmp_path, config))


def test_an_unknown_or_missing_class_is_unsupported(tmp_path):
    with pytest.raises(ra.UnsupportedError, match="known mechanism"):
        ra.load(_saved_with_config(tmp_path, "{}", cls="Attention"))
    path = tmp_path / "plain.safetensors"
    io.save_file({"w": [1.0, 2.0]}, path)
    with pytest.raises(ra.UnsupportedError, match="known mechanism"):
        ra.load(path)


def test_limits_live_in_numerics():
    assert numerics.MAX_SIZE >= 1 << 20 and numerics.MAX_PARAMETERS >= 1 << 24
    assert numerics.FLOAT32_MAX == struct.unpack("<f", struct.pack("<I", 0x7F7FFFFF))[0]
    assert numerics.FLOAT32_MIN_NORMAL == struct.unpack("<f", struct.pack("<I", 0x00800000))[0]


# ------------------------------------------------------------------ the JS bridge's error path

def test_bridge_reports_out_of_memory_as_a_typed_error_with_a_message():
    from ruvector_attention import _bridge
    assert _bridge.reserve("f", 0, 2**62) == -1  # too large: recorded, not raised into JS
    code, kind, message = json.loads(_bridge.last_error())
    assert (code, kind) == ("UNSUPPORTED", "UnsupportedError") and "does not fit in memory" in message
    _bridge._fail(MemoryError())
    code, kind, message = json.loads(_bridge.last_error())
    assert (code, kind) == ("UNSUPPORTED", "MemoryError") and message.startswith("out of memory")
    assert _bridge.reserve("f", 0, 16) is not None  # the slot still works


def _json_values():
    from hypothesis import strategies as st
    scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=8)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


def test_any_json_header_loads_or_raises_a_typed_error(tmp_path):
    """Fuzz: a header that is any JSON value, or a valid one with one entry replaced."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    keys = st.sampled_from(["dtype", "shape", "data_offsets", "extra"])

    @hypothesis.given(st.one_of(_json_values(), st.tuples(keys, _json_values())))
    def check(header):
        if isinstance(header, tuple):
            key, value = header
            header = {"w": {**W, key: value}, "__metadata__": {"k": "v"}}
        path = _file(tmp_path, header)
        try:
            tensors = io.load_file(path)
        except ra.AttentionError:
            return
        assert all(len(t.tolist()) >= 0 for t in tensors.values())

    check()


def test_any_saved_config_loads_or_raises_a_typed_error(tmp_path):
    """Fuzz: the saved config is any JSON value, or a valid one with one field replaced."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    fields = st.sampled_from(["dim", "num_heads", "value_dim", "bias", "seed", "other"])

    @hypothesis.given(st.one_of(_json_values(), st.tuples(fields, _json_values())))
    @hypothesis.settings(max_examples=60)
    def check(config):
        if isinstance(config, tuple):
            key, value = config
            config = {"dim": 8, "num_heads": 2, key: value}
        try:
            ra.load(_saved_with_config(tmp_path, json.dumps(config)))
        except ra.AttentionError:
            pass

    check()


def test_any_python_value_as_an_input_computes_or_raises_a_typed_error():
    """Fuzz: queries, keys and masks made of any JSON-like Python value (huge ints,
    strings, None, ragged lists, bytes)."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st
    attn = ra.ScaledDotProductAttention(2)
    values = _json_values() | st.binary(max_size=8) | st.lists(st.integers(-2**70, 2**70), max_size=3)

    @hypothesis.given(values, values)
    @hypothesis.settings(max_examples=150)
    def check(query, keys):
        try:
            attn.forward(query, keys if keys else [[1, 2]], [[1.0, 2.0]])
        except ra.AttentionError:
            pass

    check()


@pytest.mark.parametrize("mask", [["no"] * 4, "1111", b"\x01\x01\x01\x01", [None] * 4, [1, "0", 1, 1]])
def test_masks_of_strings_or_objects_are_refused(mask):
    """A mask is read as numbers, never by truthiness: "no" and "0" are not True."""
    attn = ra.ScaledDotProductAttention(4)
    with pytest.raises(ra.UnsupportedError, match="mask"):
        attn.forward([1.0, 0, 0, 0], [[1.0, 0, 0, 0]] * 4, [[1.0]] * 4, mask=mask)


def test_numpy_string_masks_are_refused():
    np = pytest.importorskip("numpy")
    attn = ra.ScaledDotProductAttention(4)
    for mask in (np.array(["0"] * 4), np.array([None] * 4, dtype=object)):
        with pytest.raises(ra.UnsupportedError, match="dtype"):
            attn.forward(np.ones(4, "f4"), np.ones((4, 4), "f4"), np.ones((4, 1), "f4"), mask=mask)
    # numeric masks still work (0/1 integers keep, bools keep)
    out = attn.forward(np.ones(4, "f4"), np.eye(4, dtype="f4"), np.arange(4, dtype="f4")[:, None],
                       mask=np.array([0, 1, 0, 0]))
    assert float(out[0]) == 1.0
