"""SDPA ``forward``'s per-call fast path (plain float32 ndarrays of shapes the shared
validation accepted before) against the general path: the same bytes, the same typed
errors with the same messages, and the fast path really taken."""

import math

import pytest

np = pytest.importorskip("numpy")

import ruvector_attention as ra  # noqa: E402
from inputs import rand  # noqa: E402
from ruvector_attention import _kernel, validation  # noqa: E402
from ruvector_attention.errors import AttentionError  # noqa: E402

SHAPES = [(1, 1, 1), (5, 7, 3), (17, 33, 17), (128, 128, 128), (1000, 17, 5)]  # (n, d, dv)


def general_forms(x):
    """The same numbers in forms that take the general path: float64, Fortran order, a
    strided view, nested lists, a read-only array and a big-endian array."""
    strided = np.zeros(x.shape + (2,), np.float32)[..., 0]
    strided[...] = x
    readonly = x.copy()
    readonly.flags.writeable = False
    return {"float64": x.astype(np.float64), "fortran": np.asfortranarray(x),
            "strided": strided, "lists": x.tolist(), "readonly": readonly,
            "big-endian": x.astype(">f4")}


def warm(attn, q, k, v):
    """One call so the shapes are known, then check the next call takes the fast path."""
    attn.forward(q, k, v)
    assert validation.known_query_inputs(q, k, v, None, attn.config().dim) is not None


@pytest.mark.parametrize("n,d,dv", SHAPES)
def test_fast_and_general_path_give_identical_bytes(n, d, dv):
    q, k, v = rand(d, 1), rand((n, d), 2), rand((n, dv), 3)
    attn = ra.ScaledDotProductAttention(d)
    warm(attn, q, k, v)
    fast = attn.forward(q, k, v)
    for form in ("float64", "fortran", "strided", "lists", "readonly", "big-endian"):
        general = attn.forward(*(general_forms(x)[form] for x in (q, k, v)))
        assert np.asarray(general).tobytes() == fast.tobytes(), form
    masked = attn.forward(q, k, v, mask=np.ones(n, bool))  # a mask takes the general path
    assert masked.tobytes() == fast.tobytes()


@pytest.mark.parametrize("isa", _kernel.AVAILABLE)
def test_fast_path_follows_the_live_isa(isa):
    n, d = 129, 33
    q, k, v = rand(d, 4), rand((n, d), 5), rand((n, d), 6)
    attn = ra.ScaledDotProductAttention(d, temperature=0.7)
    warm(attn, q, k, v)
    previous = _kernel.use_isa(isa)
    try:
        fast = attn.forward(q, k, v)
        general = attn.forward(q.tolist(), k.tolist(), v.tolist())
        out = np.zeros(d, np.float32)
        rc = _kernel.K.attend(*(x.ctypes.data for x in (q, k, v)), None, n, d, d,
                              attn._scale, 0.0, 0, out.ctypes.data, None)
    finally:
        _kernel.use_isa(previous)
    assert rc == 0
    assert fast.tobytes() == np.asarray(general).tobytes() == out.tobytes()


def error_of(call):
    with pytest.raises(AttentionError) as e:
        call()
    return type(e.value), str(e.value)


def bad_cases(n, d, dv):
    """(label, query, keys, values) with one thing wrong, all plain float32 arrays."""
    q, k, v = rand(d, 7), rand((n, d), 8), rand((n, dv), 9)
    nan_k, inf_v, nan_q = k.copy(), v.copy(), q.copy()
    nan_k[n - 1, d - 1] = math.nan
    inf_v[0, 0] = math.inf
    nan_q[0] = math.nan
    big = np.full((n, d), 1e30, np.float32)  # finite inputs whose scores overflow
    return [
        ("query too long", rand(d + 1, 10), k, v),
        ("query is 2-D", q[None], k, v),
        ("keys too wide", q, rand((n, d + 1), 11), v),
        ("values too few", q, k, rand((n - 1, dv), 12) if n > 1 else rand((0, dv), 12)),
        ("keys empty", q, rand((0, d), 13), rand((0, dv), 14)),
        ("keys 3-D", q, k[None], v),
        ("nan in keys", q, nan_k, v),
        ("inf in values", q, k, inf_v),
        ("nan in query", nan_q, k, v),
        ("overflow", np.full(d, 1e30, np.float32), big, v),
    ]


@pytest.mark.parametrize("n,d,dv", [(5, 7, 3), (128, 16, 9)])
def test_fast_and_general_path_raise_identical_errors(n, d, dv):
    attn = ra.ScaledDotProductAttention(d)
    q, k, v = rand(d, 7), rand((n, d), 8), rand((n, dv), 9)
    warm(attn, q, k, v)  # the good shapes are known: the bad calls below pass the fast check
    for label, bq, bk, bv in bad_cases(n, d, dv):
        fast = error_of(lambda: attn.forward(bq, bk, bv))
        again = error_of(lambda: attn.forward(bq, bk, bv))  # errors are never remembered
        general = error_of(lambda: attn.forward(bq.tolist(), bk.tolist(), bv.tolist()))
        assert fast == again == general, label


def test_a_shape_changed_in_place_is_checked_again():
    n, d, dv = 6, 4, 3
    attn = ra.ScaledDotProductAttention(d)
    q, k, v = rand(d, 15), rand((n, d), 16), rand((n, dv), 17)
    warm(attn, q, k, v)
    v.resize((n - 1, dv), refcheck=False)  # same object, fewer rows
    kind, message = error_of(lambda: attn.forward(q, k, v))
    assert kind is ra.DimensionMismatchError and "values" in message and str(n - 1) in message
    k.shape = (n * d,)  # a flat buffer of whole rows is accepted, as on the general path
    v.resize((n, dv), refcheck=False)
    assert attn.forward(q, k, v).tobytes() == np.asarray(
        attn.forward(q.tolist(), k.reshape(n, d).tolist(), v.tolist())).tobytes()


def test_training_dropout_is_the_same_on_both_paths():
    n, d = 50, 8
    q, k, v = rand(d, 18), rand((n, d), 19), rand((n, d), 20)
    fast_attn = ra.ScaledDotProductAttention(d, dropout=0.3, seed=5).train()
    general_attn = ra.ScaledDotProductAttention(d, dropout=0.3, seed=5).train()
    for _ in range(3):
        fast = fast_attn.forward(q, k, v)
        general = general_attn.forward(q.tolist(), k.tolist(), v.tolist())
        assert fast.tobytes() == np.asarray(general).tobytes()
