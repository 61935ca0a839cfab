"""Sparsity patterns against dense definitions; SparseMask algebra and CSR; every
mechanism's mask= accepts a SparseMask (also without numpy)."""

import pytest
import ruvector_attention as ra
from ruvector_attention.sparse import SparseMask, patterns

pytestmark = pytest.mark.nonumpy


def dense(mask):
    r, c = mask.shape
    rows = mask.rows()
    return [[j in set(rows[i]) for j in range(c)] for i in range(r)]


def test_band_strided_global_by_definition():
    n = 9
    assert dense(patterns.band(n, 2)) == [[abs(i - j) <= 2 for j in range(n)] for i in range(n)]
    assert dense(patterns.band(n, 2, causal=True)) == [[0 <= i - j <= 2 for j in range(n)]
                                                       for i in range(n)]
    assert dense(patterns.strided(n, 3)) == [[(i - j) % 3 == 0 for j in range(n)] for i in range(n)]
    g = dense(patterns.global_tokens(n, [0, 4]))
    assert g == [[i in (0, 4) or j in (0, 4) for j in range(n)] for i in range(n)]


def test_random_is_seeded_and_block_sparse_follows_layout():
    a, b = patterns.random(20, 4, seed=1), patterns.random(20, 4, seed=1)
    assert a == b and a != patterns.random(20, 4, seed=2)
    assert all(len(r) == 4 for r in a.rows()) and a.count_nonzero() == 80
    bs = patterns.block_sparse(5, 2, [[1, 0, 1], [0, 1, 0], [0, 0, 1]])
    want = [[(i // 2, j // 2) in {(0, 0), (0, 2), (1, 1), (2, 2)} for j in range(5)] for i in range(5)]
    assert dense(bs) == want
    assert dense(patterns.block_sparse(4, 2)) == [[i // 2 == j // 2 for j in range(4)] for i in range(4)]


def test_hnsw_layers_csr_union_intersection():
    h = patterns.from_hnsw_layers([0, 2, 1, 0, 3], min_layer=1)
    assert h.shape == (1, 5) and h.row(0) == [1, 2, 4]
    csr = patterns.from_csr([0, 2, 2, 5], [4, 1, 0, 3, 3], 6)
    assert csr.rows() == [[1, 4], [], [0, 3]] and csr.count_nonzero() == 4
    assert len(csr) == 3 and list(csr) == dense(csr)  # iterates like the dense 2-D mask
    assert [sum(r) for r in dense(csr)] == [len(r) for r in csr.rows()]
    indptr, indices = csr.to_csr()
    assert list(indptr) == [0, 2, 2, 4] and list(indices) == [1, 4, 0, 3]
    a, b = patterns.band(6, 1), patterns.strided(6, 2)
    pairs = list(zip(dense(a), dense(b), strict=True))
    assert dense(a | b) == [[x or y for x, y in zip(r, s, strict=True)] for r, s in pairs]
    assert dense(a & b) == [[x and y for x, y in zip(r, s, strict=True)] for r, s in pairs]
    assert (a & b).count_nonzero() == 6  # only the diagonal survives


def test_bad_patterns_raise_typed_errors():
    with pytest.raises(ra.InvalidConfigError, match="stride"):
        patterns.strided(5, 0)
    with pytest.raises(ra.InvalidConfigError, match="per_row"):
        patterns.random(5, 6)
    with pytest.raises(ra.OutOfBoundsError, match="column 9"):
        patterns.from_csr([0, 1], [9], 5)
    with pytest.raises(ra.DimensionMismatchError, match="indptr"):
        SparseMask([1, 2], [0], 3)
    with pytest.raises(ra.DimensionMismatchError, match="shapes"):
        patterns.band(4, 1) | patterns.band(5, 1)
    with pytest.raises(ra.OutOfBoundsError, match="global token"):
        patterns.global_tokens(4, [4])
    with pytest.raises(ra.DimensionMismatchError, match="layout"):
        patterns.block_sparse(4, 2, [[1]])
    with pytest.raises(ra.DimensionMismatchError, match="negative"):
        patterns.from_hnsw_layers([0, -1])


def _rows(n, d, seed):
    import random
    rng = random.Random(seed)
    return [[rng.gauss(0, 1) for _ in range(d)] for _ in range(n)]


@pytest.mark.parametrize("make", [
    lambda d: ra.ScaledDotProductAttention(d), lambda d: ra.MultiHeadAttention(d, 2),
    lambda d: ra.FlashAttention(d, 3), lambda d: ra.LinearAttention(d, 8),
    lambda d: ra.LocalGlobalAttention(d, 6, 0)])
def test_every_mechanism_accepts_a_sparse_mask(make):
    n, d = 12, 4
    q, k, v = _rows(1, d, 1)[0], _rows(n, d, 2), _rows(n, d, 3)
    attn = make(d)
    sm = patterns.from_hnsw_layers([1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1])
    dense_mask = [bool(x) for x in sm.dense_mask_bytes()]
    assert attn.forward(q, k, v, mask=sm).tolist() == attn.forward(q, k, v, mask=dense_mask).tolist()
    none = SparseMask([0, 0], [], n)
    assert attn.forward(q, k, v, mask=none).tolist() == [0.0] * d  # fully masked: zeros


def test_mechanisms_without_numpy_on_lists():
    n, d = 20, 8
    q, k, v = _rows(1, d, 4)[0], _rows(n, d, 5), _rows(n, d, 6)
    sdpa = ra.ScaledDotProductAttention(d).forward(q, k, v).tolist()
    flash = ra.FlashAttention(d, 7).forward(q, k, v)
    assert isinstance(flash, ra.FloatArray)
    assert max(abs(a - b) for a, b in zip(flash.tolist(), sdpa, strict=False)) < 1e-5
    lin = ra.LinearAttention(d, 64)
    out = lin.forward_prepared([q, q], lin.prepare_keys(k, v)).tolist()
    assert len(out) == 2 and all(abs(x) < 10 for x in out[0])
    lg = ra.LocalGlobalAttention(d, n, 0).forward(q, k, v).tolist()
    assert max(abs(a - b) for a, b in zip(lg, sdpa, strict=False)) < 1e-5


def test_numpy_asarray_is_the_dense_boolean_mask():
    np = pytest.importorskip("numpy")
    mask = ra.LocalGlobalAttention(16, local_window=10, global_nodes=5).attention_mask(1000)
    a = np.asarray(mask)
    assert a.dtype == np.bool_ and a.shape == (1, 1000) and a.sum() == mask.count_nonzero()
    assert np.array_equal(a, mask.to_dense())
    assert np.array_equal(np.asarray(mask, dtype=bool), a)
    assert np.asarray(mask, dtype=np.float32).dtype == np.float32
    assert [list(r) for r in a] == list(mask)  # iteration agrees with the dense rows
    csr = patterns.from_csr([0, 2, 2, 5], [4, 1, 0, 3, 3], 6)
    assert np.asarray(csr).tolist() == list(csr) == dense(csr)
    # the dense array and the SparseMask select the same keys
    q, K = np.ones(4, np.float32), np.arange(24, dtype=np.float32).reshape(6, 4) / 24
    band = patterns.band(6, 1, rows=1)
    attn = ra.ScaledDotProductAttention(4)
    assert np.array_equal(attn.attention_weights(q, K, mask=band), attn.attention_weights(q, K, mask=np.asarray(band)))
