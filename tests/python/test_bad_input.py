"""Bad input gives a clear, typed error. Pure Python inputs, so the
whole module also runs with numpy hidden (the Pyodide situation)."""

import math

import pytest
import ruvector_attention as ra
from pure_reference import random_matrix
from ruvector_attention import (
    AttentionError,
    DimensionMismatchError,
    EmptyInputError,
    InvalidConfigError,
    NumericalInstabilityError,
    OutOfBoundsError,
)

pytestmark = pytest.mark.nonumpy

D = 4
Q = [0.5, -1.0, 0.25, 2.0]
K5 = random_matrix(5, D, seed=1)
V5 = random_matrix(5, 3, seed=2)


def both_mechanisms():
    return [ra.ScaledDotProductAttention(D), ra.MultiHeadAttention(D, 2, seed=0)]


def assert_message_names(err, *words):
    text = str(err)
    for w in words:
        assert str(w) in text, f"error message {text!r} should mention {w!r}"


# ------------------------------------------------------------------ the hierarchy

def test_error_hierarchy_plays_with_ordinary_python_handling():
    for cls in (DimensionMismatchError, EmptyInputError, NumericalInstabilityError, InvalidConfigError,
                ra.UnsupportedError):
        assert issubclass(cls, AttentionError) and issubclass(cls, ValueError), cls
    assert issubclass(OutOfBoundsError, AttentionError) and issubclass(OutOfBoundsError, IndexError)


# ---------------------------------------------------------------------- empty input

@pytest.mark.parametrize("attn", both_mechanisms(), ids=["sdpa", "mha"])
def test_empty_keys_raise_empty_input(attn):
    with pytest.raises(EmptyInputError) as e:
        attn.forward(Q, [], [])
    assert_message_names(e.value, "keys")
    with pytest.raises(EmptyInputError):
        attn.attention_weights(Q, [])
    with pytest.raises(EmptyInputError):
        attn.backward(Q, [], [], [1.0] * D)


def test_empty_query_raises():
    with pytest.raises((EmptyInputError, DimensionMismatchError)):
        ra.ScaledDotProductAttention(D).forward([], K5, V5)


# --------------------------------------------------------------- shape mismatches

@pytest.mark.parametrize("attn", both_mechanisms(), ids=["sdpa", "mha"])
def test_key_value_count_mismatch_names_values_and_both_counts(attn):
    values7 = random_matrix(7, D, seed=3)
    with pytest.raises(DimensionMismatchError) as e:
        attn.forward(Q, K5, values7)
    assert_message_names(e.value, "values", 5, 7)


@pytest.mark.parametrize("attn", both_mechanisms(), ids=["sdpa", "mha"])
def test_key_width_mismatch_names_keys_and_both_widths(attn):
    keys6 = random_matrix(5, 6, seed=4)
    with pytest.raises(DimensionMismatchError) as e:
        attn.forward(Q, keys6, V5 if isinstance(attn, ra.ScaledDotProductAttention) else K5)
    assert_message_names(e.value, "keys", 4, 6)


@pytest.mark.parametrize("attn", both_mechanisms(), ids=["sdpa", "mha"])
def test_query_width_differs_from_config_dim(attn):
    with pytest.raises(DimensionMismatchError) as e:
        attn.forward([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], K5, V5)
    assert_message_names(e.value, "query", 4, 7)


def test_multihead_value_width_must_equal_value_dim():
    mha = ra.MultiHeadAttention(D, 2, value_dim=3, seed=0)
    with pytest.raises(DimensionMismatchError) as e:
        mha.forward(Q, K5, K5)  # values of width 4, layer expects 3
    assert_message_names(e.value, "values", 3, 4)


def test_mask_length_mismatch():
    with pytest.raises(DimensionMismatchError) as e:
        ra.ScaledDotProductAttention(D).forward(Q, K5, V5, mask=[True, False, True])
    assert_message_names(e.value, "mask", 5, 3)


def test_grad_output_width_mismatch():
    with pytest.raises(DimensionMismatchError) as e:
        ra.ScaledDotProductAttention(D).backward(Q, K5, V5, [1.0, 2.0])
    assert_message_names(e.value, "grad_output", 3, 2)


def test_ragged_keys_are_rejected():
    with pytest.raises(DimensionMismatchError):
        ra.ScaledDotProductAttention(D).forward(Q, [[1.0] * D, [1.0] * (D - 1)], V5[:2])


def test_forward_batch_per_query_key_sets_must_match_query_count():
    sdpa = ra.ScaledDotProductAttention(D)
    queries = random_matrix(3, D, seed=5)
    keys = [random_matrix(4, D, seed=6)] * 2  # 2 key sets for 3 queries
    with pytest.raises(DimensionMismatchError) as e:
        sdpa.forward_batch(queries, keys, [random_matrix(4, 3, seed=7)] * 2)
    assert_message_names(e.value, 3, 2)


# ---------------------------------------------------------------------- CSR graphs

X6 = random_matrix(6, D, seed=8)


def test_graph_indptr_length_must_be_num_nodes_plus_one():
    with pytest.raises(DimensionMismatchError) as e:
        ra.ScaledDotProductAttention(D).forward_graph(X6, [0, 1, 2], [1, 2])
    assert_message_names(e.value, "indptr", 7, 3)


@pytest.mark.parametrize("bad_index", [6, 1000, -1])
def test_graph_neighbour_index_out_of_range(bad_index):
    indptr = [0, 1, 2, 2, 3, 3, 4]
    indices = [1, 0, 5, bad_index]
    with pytest.raises(OutOfBoundsError) as e:
        ra.ScaledDotProductAttention(D).forward_graph(X6, indptr, indices)
    assert isinstance(e.value, IndexError)
    assert_message_names(e.value, "indices")


def test_graph_indptr_must_be_non_decreasing_and_end_at_len_indices():
    sdpa = ra.ScaledDotProductAttention(D)
    with pytest.raises(AttentionError):
        sdpa.forward_graph(X6, [0, 2, 1, 3, 3, 3, 3], [1, 2, 3])
    with pytest.raises(AttentionError):
        sdpa.forward_graph(X6, [0, 1, 2, 3, 3, 3, 9], [1, 2, 3])


def test_head_index_out_of_range():
    mha = ra.MultiHeadAttention(D, 2, seed=0)
    with pytest.raises(OutOfBoundsError):
        mha.head_output(2, Q, K5, K5)
    with pytest.raises(OutOfBoundsError):
        mha.head_output(-3, Q, K5, K5)


# --------------------------------------------------------------------- non-finite

@pytest.mark.parametrize("where", ["query", "keys", "values"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_input_names_where(where, bad):
    q, k, v = list(Q), [list(r) for r in K5], [list(r) for r in V5]
    {"query": lambda: q.__setitem__(2, bad), "keys": lambda: k[3].__setitem__(1, bad),
     "values": lambda: v[4].__setitem__(0, bad)}[where]()
    with pytest.raises(NumericalInstabilityError) as e:
        ra.ScaledDotProductAttention(D).forward(q, k, v)
    assert_message_names(e.value, where)


def test_non_finite_grad_output_names_it():
    with pytest.raises(NumericalInstabilityError) as e:
        ra.ScaledDotProductAttention(D).backward(Q, K5, V5, [0.0, math.nan, 1.0])
    assert_message_names(e.value, "grad_output")


def test_non_finite_multihead_input_names_where():
    with pytest.raises(NumericalInstabilityError) as e:
        ra.MultiHeadAttention(D, 2, seed=0).forward(Q, K5, [[math.nan] * D] * 5)
    assert_message_names(e.value, "values")


def test_overflowing_logits_do_not_become_nan():
    """f32 logits of 1e38 * 1e38 overflow to inf inside the kernel: a typed error, never NaN out."""
    big = [3e38] * D
    sdpa = ra.ScaledDotProductAttention(D)
    try:
        out = sdpa.forward(big, [big, big], [[1.0], [2.0]])
    except NumericalInstabilityError:
        return
    assert all(math.isfinite(x) for x in out.tolist())


# ---------------------------------------------------------------- invalid configs

@pytest.mark.parametrize("kwargs,field", [
    (dict(dim=0), "dim"),
    (dict(dim=-3), "dim"),
    (dict(dim=4, temperature=-1.0), "temperature"),
    (dict(dim=4, temperature=0.0), "temperature"),
    (dict(dim=4, temperature=math.nan), "temperature"),
    (dict(dim=4, dropout=1.0), "dropout"),
    (dict(dim=4, dropout=-0.1), "dropout"),
    (dict(dim=4, dropout=math.nan), "dropout"),
    (dict(dim=4, scale=math.inf), "scale"),
    (dict(dim=4, scale=-1.0), "scale"),
])
def test_invalid_sdpa_config_names_the_field(kwargs, field):
    dim = kwargs.pop("dim")
    with pytest.raises(InvalidConfigError) as e:
        ra.ScaledDotProductAttention(dim, **kwargs)
    assert_message_names(e.value, field)


@pytest.mark.parametrize("args,kwargs,field", [
    ((0, 1), {}, "dim"),
    ((10, 3), {}, "num_heads"),
    ((16, 0), {}, "num_heads"),
    ((34, 17), {}, "num_heads"),  # more than the 16 heads the kernel supports
    ((8, 2), dict(value_dim=0), "value_dim"),
])
def test_invalid_multihead_config_names_the_field(args, kwargs, field):
    with pytest.raises(InvalidConfigError) as e:
        ra.MultiHeadAttention(*args, **kwargs)
    assert_message_names(e.value, field)


@pytest.mark.parametrize("dim", [2.5, "8", None, True])
def test_non_integer_dim_is_rejected(dim):
    with pytest.raises((InvalidConfigError, TypeError)):
        ra.ScaledDotProductAttention(dim)


def test_load_state_dict_rejects_wrong_shapes_and_names():
    mha = ra.MultiHeadAttention(D, 2, seed=0)
    state = {k: v for k, v in mha.state_dict().items()}
    wrong = dict(state)
    wrong["out_proj.weight"] = [[0.0] * 3] * 3
    with pytest.raises(DimensionMismatchError) as e:
        mha.load_state_dict(wrong)
    assert_message_names(e.value, "out_proj.weight")
    missing = dict(state)
    del missing["in_proj_weight"]
    with pytest.raises(AttentionError) as e:
        mha.load_state_dict(missing)
    assert_message_names(e.value, "in_proj_weight")
    extra = dict(state)
    extra["bogus.weight"] = [0.0]
    with pytest.raises(AttentionError) as e:
        mha.load_state_dict(extra)
    assert_message_names(e.value, "bogus.weight")


# ------------------------------------------------ edge cases that must *not* error

def test_fully_masked_row_gives_zeros_without_numpy():
    sdpa = ra.ScaledDotProductAttention(D)
    out = sdpa.forward(Q, K5, V5, mask=[False] * 5)
    assert out.tolist() == [0.0, 0.0, 0.0]
    assert sdpa.attention_weights(Q, K5, mask=[False] * 5).tolist() == [0.0] * 5


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_logits_near_1000_without_numpy(sign):
    # q.k / sqrt(4) = sign * (1000, 999, 998): a spread of 1 at magnitude 1000.
    keys = [[sign * 500.0 - sign * 0.5 * j, 0.0, 0.0, 0.0] for j in range(3)]
    w = ra.ScaledDotProductAttention(D).attention_weights([4.0, 0.0, 0.0, 0.0], keys).tolist()
    e = [math.exp(-j) for j in range(3)] if sign > 0 else [math.exp(j - 2) for j in range(3)]
    assert all(math.isfinite(x) for x in w)
    for got, want in zip(w, [x / sum(e) for x in e]):
        assert abs(got - want) < 1e-5
