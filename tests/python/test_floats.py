"""FloatArray: the result kind without numpy — values and shape in repr, rows by index,
tolist(), and a zero-copy numpy.asarray when numpy is there."""

import importlib.resources
import sys

import pytest
import ruvector_attention as ra

pytestmark = pytest.mark.nonumpy

Q = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
K = [[1.0, 0.0], [0.0, 1.0]]
V = [[1.0, 2.0], [3.0, 4.0]]


def batch():
    return ra.ScaledDotProductAttention(2).forward_batch(Q, K, V)  # lists in: FloatArray out


def test_repr_shows_values_and_shape():
    out = batch()
    assert isinstance(out, ra.FloatArray)
    text = repr(out)
    assert text.startswith("FloatArray([[1.660477, 2.660477], [2.339523, 3.339523], [2, 3]]")
    assert text.endswith("shape=(3, 2))")
    big = ra.ScaledDotProductAttention(2).forward_batch([[1.0, 0.0]] * 50, K, V)
    assert "..., " in repr(big) and "shape=(50, 2)" in repr(big)


def test_rows_len_and_tolist():
    out = batch()
    assert len(out) == 3 and out.shape == (3, 2) and out.ndim == 2 and out.size == 6
    assert isinstance(out[0], ra.FloatArray) and out[0].shape == (2,)
    assert out[2].tolist() == [2.0, 3.0] and out[-1].tolist() == [2.0, 3.0]
    assert out[2, 1] == 3.0 and out[2][1] == 3.0
    assert out[1:].shape == (2, 2) and out[1:].tolist() == out.tolist()[1:]
    assert out[::2].tolist() == [out.tolist()[0], out.tolist()[2]]
    assert out[5:].shape == (0, 2) and out[5:].tolist() == []
    assert [r.tolist() for r in out] == out.tolist()
    with pytest.raises(IndexError):
        out[3]
    with pytest.raises(IndexError):
        out[0, 0, 0]
    with pytest.raises(TypeError):
        out["a"]
    vec = ra.ScaledDotProductAttention(2).forward([1.0, 0.0], K, V)
    assert isinstance(vec[0], float) and len(vec) == 2


def test_read_only_and_fed_back_as_input():
    out = batch()
    with pytest.raises(TypeError):
        out[0] = 1.0  # no item assignment: results are read-only
    again = ra.ScaledDotProductAttention(2).forward(out[0], K, V)
    assert len(again) == 2


@pytest.mark.skipif(sys.version_info < (3, 12), reason="__buffer__ is Python >= 3.12")
def test_buffer_protocol():
    out = batch()
    mv = memoryview(out)
    assert mv.shape == (3, 2) and mv.format == "f" and mv.readonly
    assert mv.tolist() == out.tolist()


def test_data_is_a_memoryview_on_any_python():
    out = batch()
    assert out.data.shape == (3, 2) and out.data.format == "f" and out.data.readonly
    assert out.data.tolist() == out.tolist()


def test_numpy_asarray_is_zero_copy():
    np = pytest.importorskip("numpy")
    out = batch()
    a = np.asarray(out)
    assert a.dtype == np.float32 and a.shape == (3, 2) and not a.flags.writeable
    assert a.__array_interface__["data"][0] == out.__array_interface__["data"][0]
    assert a.tolist() == out.tolist()
    assert np.asarray(out[5:]).shape == (0, 2)


def test_py_typed_ships_with_the_package():
    assert (importlib.resources.files("ruvector_attention") / "py.typed").is_file()
