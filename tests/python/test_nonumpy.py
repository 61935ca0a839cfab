"""The Pyodide situation natively: these run in the numpy-hidden pass too
(`RUVECTOR_HIDE_NUMPY=1 pytest -m nonumpy`). Inputs are lists, array.array and
memoryviews; expected values come from the pure-Python reference."""

import os
import sys
from array import array

import pure_reference as P
import pytest
import ruvector_attention as ra
from tolerances import assert_close

pytestmark = pytest.mark.nonumpy


def test_numpy_is_really_hidden_when_asked():
    if os.environ.get("RUVECTOR_HIDE_NUMPY") != "1":
        pytest.skip("only meaningful in the numpy-hidden run")
    with pytest.raises(ImportError):
        import numpy  # noqa: F401
    assert "numpy" not in sys.modules


@pytest.mark.parametrize("n,d,dv", [(1, 1, 1), (3, 7, 5), (17, 33, 3), (128, 17, 17)])
def test_sdpa_on_lists_matches_pure_reference(n, d, dv):
    q, k, v = P.random_matrix(1, d, 1)[0], P.random_matrix(n, d, 2), P.random_matrix(n, dv, 3)
    attn = ra.ScaledDotProductAttention(d, temperature=0.8)
    out = attn.forward(q, k, v)
    assert isinstance(out, ra.FloatArray) and out.format == "f" and out.shape == (dv,)
    assert_close(out.tolist(), P.sdpa_forward(q, k, v, temperature=0.8), ("pure", "forward"))
    w = attn.attention_weights(q, k)
    assert w.shape == (n,)
    assert_close(w.tolist(), P.sdpa_weights(q, k, temperature=0.8), ("sdpa", "weights"))


def test_array_and_memoryview_inputs():
    n, d = 9, 5
    q, k, v = P.random_matrix(1, d, 4)[0], P.random_matrix(n, d, 5), P.random_matrix(n, d, 6)
    flat_k = array("f", [x for row in k for x in row])
    shaped_v = memoryview(array("f", [x for row in v for x in row])).cast("B").cast("f", (n, d))
    mask = [j % 3 != 0 for j in range(n)]
    out = ra.ScaledDotProductAttention(d).forward(array("f", q), flat_k, shaped_v, mask=mask)
    # f32 inputs: the reference must see the same rounded values
    k32 = [[float(x) for x in flat_k[i * d:(i + 1) * d]] for i in range(n)]
    v32 = shaped_v.tolist()
    assert_close(out.tolist(), P.sdpa_forward(list(array("f", q)), k32, v32, mask=mask), ("pure", "forward"))


def test_multihead_on_lists_and_state_dict_kind():
    mha = ra.MultiHeadAttention(12, 3, seed=1)
    state = mha.state_dict()
    if os.environ.get("RUVECTOR_HIDE_NUMPY") == "1":  # no numpy: shaped float32 memoryviews
        assert isinstance(state["in_proj_weight"], ra.FloatArray) and state["in_proj_weight"].format == "f"
    assert tuple(state["in_proj_weight"].shape) == (36, 12)
    q, k = P.random_matrix(1, 12, 7)[0], P.random_matrix(6, 12, 8)
    out = mha.forward(q, k, k)
    assert out.shape == (12,)
    hw = mha.head_attention_weights(q, k)
    assert hw.shape == (3, 6)
    for row in hw.tolist():
        assert abs(sum(row) - 1.0) < 1e-5
    mha2 = ra.MultiHeadAttention(12, 3, seed=2)
    mha2.load_state_dict(state)
    assert mha2.forward(q, k, k).tolist() == out.tolist()


def test_backward_without_numpy():
    d, n = 6, 4
    q, k, v, g = P.random_matrix(1, d, 1)[0], P.random_matrix(n, d, 2), P.random_matrix(n, 2, 3), [1.0, -0.5]
    grads = ra.ScaledDotProductAttention(d).backward(q, k, v, g)
    assert grads.query.shape == (d,) and grads.keys.shape == (n, d) and grads.values.shape == (n, 2)
    # dL/dV[j] = a_j * g for L = <g, out>: checkable with the pure reference weights.
    a = P.sdpa_weights(q, k)
    expected = [[a[j] * gc for gc in g] for j in range(n)]
    assert_close(grads.values.tolist(), expected, ("sdpa", "backward"))


def test_forward_graph_without_numpy():
    d = 3
    x = P.random_matrix(4, d, 9)
    indptr, indices = [0, 2, 2, 3, 5], [1, 2, 0, 0, 1]
    out = ra.ScaledDotProductAttention(d).forward_graph(x, indptr, indices).tolist()
    assert out[1] == [0.0, 0.0, 0.0]  # isolated node
    for i in (0, 2, 3):
        nbrs = indices[indptr[i]:indptr[i + 1]]
        expected = P.sdpa_forward(x[i], [x[j] for j in nbrs], [x[j] for j in nbrs])
        assert_close(out[i], expected, ("pure", "forward"), what=f"node {i}")


def test_save_load_round_trip_without_numpy(tmp_path):
    mha = ra.MultiHeadAttention(8, 2, value_dim=3, seed=4)
    path = tmp_path / "mha.safetensors"
    mha.save(path)
    loaded = ra.MultiHeadAttention.load(path)
    assert loaded.config() == mha.config()
    for name, value in mha.state_dict().items():
        assert loaded.state_dict()[name].tolist() == value.tolist(), name
