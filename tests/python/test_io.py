"""safetensors save / load: round trip, and interop with the real `safetensors`
package in both directions (our files read by it, its files read by us)."""

import json

import pytest

np = pytest.importorskip("numpy")
st_numpy = pytest.importorskip("safetensors.numpy")
safetensors = pytest.importorskip("safetensors")
torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")

import ruvector_attention as ra  # noqa: E402
from inputs import mha_with_biases, rand  # noqa: E402
from ruvector_attention import io as rio  # noqa: E402


def _same_state(a, b):
    assert set(a) == set(b)
    for name in a:
        np.testing.assert_array_equal(np.asarray(a[name]), np.asarray(b[name]), err_msg=name)


@pytest.mark.parametrize("value_dim,bias", [(None, True), (5, True), (None, False)])
def test_multihead_round_trip_is_exact(tmp_path, value_dim, bias):
    mha = mha_with_biases(ra, 24, 4, value_dim=value_dim, bias=bias, seed=3)
    path = tmp_path / "mha.safetensors"
    mha.save(path)
    for loaded in (ra.MultiHeadAttention.load(path), ra.load(path)):
        assert type(loaded) is ra.MultiHeadAttention
        assert loaded.config() == mha.config()
        _same_state(loaded.state_dict(), mha.state_dict())
        q, k, v = rand(24, 1), rand((17, 24), 2), rand((17, value_dim or 24), 3)
        np.testing.assert_array_equal(loaded.forward(q, k, v), mha.forward(q, k, v))


def test_sdpa_round_trip_keeps_config(tmp_path):
    attn = ra.ScaledDotProductAttention(33, temperature=0.7, scale=0.2, dropout=0.25, seed=9)
    path = tmp_path / "sdpa.safetensors"
    ra.save(attn, path)
    loaded = ra.ScaledDotProductAttention.load(path)
    assert loaded.config() == attn.config()


def test_real_safetensors_reads_our_file_with_config_in_metadata(tmp_path):
    mha = mha_with_biases(ra, 16, 2, value_dim=7, seed=4)
    path = tmp_path / "ours.safetensors"
    mha.save(path)
    tensors = st_numpy.load_file(str(path))
    _same_state(tensors, mha.state_dict())
    assert all(t.dtype == np.float32 for t in tensors.values())
    with safetensors.safe_open(str(path), framework="np") as f:
        metadata = f.metadata()
    assert metadata["ruvector_attention.mechanism"] == "MultiHeadAttention"
    config = json.loads(metadata["ruvector_attention.config"])
    assert config == {"dim": 16, "num_heads": 2, "value_dim": 7, "bias": True, "seed": 4}
    assert metadata["ruvector_attention.version"] == ra.__version__


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_torch_weights_saved_by_real_safetensors_load_into_ours(tmp_path, dtype):
    torch.manual_seed(0)
    m = torch.nn.MultiheadAttention(16, 4, batch_first=True).eval()
    with torch.no_grad():
        m.in_proj_bias.normal_()
        m.out_proj.bias.normal_()
    state = {k: v.to(dtype).contiguous() for k, v in m.state_dict().items()}
    path = tmp_path / "torch.safetensors"
    st_torch.save_file(state, str(path))
    tensors, metadata = rio.load_file_with_metadata(path)
    assert metadata == {}
    same = rio.load_file(path)  # safetensors.numpy.load_file's contract: the dict alone
    assert set(same) == set(state)
    if dtype != torch.bfloat16:  # numpy has no bfloat16 for safetensors.numpy to return
        expect = st_numpy.load_file(str(path))
        assert all(np.array_equal(same[k], expect[k].astype(np.float32)) for k in expect)
    ours = ra.MultiHeadAttention(16, 4)
    ours.load_state_dict(tensors)
    for name, value in state.items():  # the exact values, widened to f32
        np.testing.assert_array_equal(np.asarray(ours.state_dict()[name]), value.float().numpy(), err_msg=name)


def test_real_writer_with_our_metadata_loads_as_a_mechanism(tmp_path):
    mha = mha_with_biases(ra, 12, 3, seed=5)
    path = tmp_path / "mixed.safetensors"
    st_numpy.save_file({k: np.asarray(v) for k, v in mha.state_dict().items()}, str(path), metadata={
        "ruvector_attention.mechanism": "MultiHeadAttention",
        "ruvector_attention.config": json.dumps({"dim": 12, "num_heads": 3, "value_dim": None,
                                                 "bias": True, "seed": 5})})
    loaded = ra.load(path)
    _same_state(loaded.state_dict(), mha.state_dict())


def test_loading_the_wrong_class_or_a_plain_file_is_a_typed_error(tmp_path):
    sdpa_path = tmp_path / "sdpa.safetensors"
    ra.ScaledDotProductAttention(8).save(sdpa_path)
    with pytest.raises(ra.UnsupportedError):
        ra.MultiHeadAttention.load(sdpa_path)
    plain = tmp_path / "plain.safetensors"
    st_numpy.save_file({"w": np.ones(3, np.float32)}, str(plain))
    with pytest.raises(ra.UnsupportedError):
        ra.load(plain)


def test_the_hint_for_a_torch_written_file_is_code_that_works(tmp_path):
    torch.manual_seed(1)
    layer = torch.nn.MultiheadAttention(8, 2)
    path = tmp_path / "torch.safetensors"
    st_torch.save_file(dict(layer.state_dict()), str(path))
    with pytest.raises(ra.UnsupportedError) as err:
        ra.load(path)
    code = str(err.value).split("e.g. ", 1)[1]
    scope = {"ra": ra, "dim": 8, "num_heads": 2}
    exec(code, scope)  # the hint, run as written
    mech = scope["mech"]
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(np.asarray(mech.state_dict()[name]), value.numpy())


@pytest.mark.parametrize("damage", ["truncated", "garbage_header", "huge_header_length", "bad_offsets",
                                    "bad_dtype", "empty"])
def test_corrupt_files_raise_typed_errors(tmp_path, damage):
    path = tmp_path / "good.safetensors"
    mha_with_biases(ra, 8, 2, seed=1).save(path)
    blob = bytearray(path.read_bytes())
    header_len = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + header_len])
    if damage == "truncated":
        blob = blob[: len(blob) - 10]
    elif damage == "garbage_header":
        blob[8:8 + header_len] = b"{" * header_len
    elif damage == "huge_header_length":
        blob[:8] = (2**62).to_bytes(8, "little")
    elif damage in ("bad_offsets", "bad_dtype"):
        entry = header["out_proj.weight"]
        if damage == "bad_offsets":
            entry["data_offsets"] = [0, 10**9]
        else:
            entry["dtype"] = "I64"
        raw = json.dumps(header).encode()
        raw += b" " * (-len(raw) % 8)
        blob = bytearray(len(raw).to_bytes(8, "little")) + raw + blob[8 + header_len:]
    elif damage == "empty":
        blob = bytearray()
    path.write_bytes(bytes(blob))
    with pytest.raises(ra.AttentionError):
        ra.load(path)
