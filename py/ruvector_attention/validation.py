"""Input validation every mechanism family shares: keys / values, batches of queries,
CSR graphs and masks are checked here (the error names the offending argument), and
kernel status codes become typed errors naming the bad input.

Shapes: N keys, D key width, DV value width, B queries; CSR graphs as indptr (N+1,),
indices (E,).
"""

from . import _arrays, _kernel
from ._arrays import _FLOAT32, _NDARRAY
from ._kernel import addressof, char_view
from .errors import (
    DimensionMismatchError,
    EmptyInputError,
    InternalError,
    NumericalInstabilityError,
    OutOfBoundsError,
)
from .numerics import E_ARG, E_INDEX, E_NONFINITE


def raise_for_status(rc, inputs=(), what="attention"):
    """Turn a kernel status into the typed error; ``inputs`` are scanned to name a NaN / inf."""
    if rc == 0:
        return
    if rc == E_NONFINITE:
        _arrays.check_finite(_kernel.K, inputs)
        raise NumericalInstabilityError(
            f"{what}: scores or outputs overflow float32 although the inputs are finite "
            "(scale the inputs down or raise the temperature)")
    if rc == E_INDEX:
        raise OutOfBoundsError(f"{what}: a neighbour index is outside [0, number of nodes)")
    if rc == E_ARG:
        raise DimensionMismatchError(f"{what}: the kernel rejected the sizes or CSR offsets "
                                     "(indptr must start at 0 and never decrease)")
    raise InternalError(f"{what}: kernel status {rc}")


def key_value_pair(keys, values, dim, *, allow_empty=False):
    """Validate keys (N, D) and values (N, DV) against each other and ``dim``."""
    K = _arrays.matrix(keys, "keys", cols=dim, allow_empty=allow_empty)
    V = _arrays.matrix(values, "values", rows=K.shape[0], allow_empty=allow_empty)
    return K, V


def query_inputs(query, keys, values, mask, dim):
    """Validate one query (D,) over keys (N, D) / values (N, DV) with an optional mask (N,)
    -> (q, K, V, m); m is None without a mask. Shapes it accepts for plain float32 arrays
    are remembered for ``known_query_inputs``."""
    q = _arrays.vector(query, "query", dim)
    K, V = key_value_pair(keys, values, dim)
    m = None if mask is None else _arrays.mask_array(mask, K.shape[0])
    if m is None and _plain(query) and _plain(keys) and _plain(values):
        if len(_ACCEPTED) >= SHAPES_KEPT:
            _ACCEPTED.clear()
        _ACCEPTED[(dim, query.shape, keys.shape, values.shape)] = V.shape  # (N, DV)
    return q, K, V, m


# (dim, query shape, keys shape, values shape) -> (N, DV) of the float32 arrays that
# query_inputs accepted: its checks read only these (values are the kernel's to check:
# a NaN comes back as a status), so the same shapes need not be checked again.
_ACCEPTED = {}
SHAPES_KEPT = 64  # per-shape caches: a model calls with a few shapes; forgetting all is cheap


def _plain(x):
    """The zero-copy case of ``_arrays.f32``: a C-contiguous native float32 ndarray."""
    return type(x) is _arrays._NDARRAY and x.dtype is _arrays._FLOAT32 and x.flags.c_contiguous


def known_query_inputs(query, keys, values, mask, dim):
    """The per-call fast path of ``query_inputs``: (query, keys, values addresses, N, DV)
    when there is no mask, all three are plain float32 ndarrays and query_inputs has
    accepted their shapes before; otherwise None (then call query_inputs)."""
    if mask is not None or type(query) is not _NDARRAY or type(keys) is not _NDARRAY \
            or type(values) is not _NDARRAY:
        return None
    sizes = _ACCEPTED.get((dim, query.shape, keys.shape, values.shape))
    if sizes is None or query.dtype is not _FLOAT32 or keys.dtype is not _FLOAT32 \
            or values.dtype is not _FLOAT32 or not (query.flags.c_contiguous
                                                    and keys.flags.c_contiguous
                                                    and values.flags.c_contiguous):
        return None
    try:
        return (addressof(char_view(query)), addressof(char_view(keys)),
                addressof(char_view(values)), sizes[0], sizes[1])
    except TypeError:  # read-only: query_inputs takes the address another way
        return None


def batch_inputs(queries, keys, values, mask, dim, *, bias=False):
    """Validate forward_batch inputs -> (Q, K, V, mask, own): queries (B, D) with shared
    keys (N, D) / values (N, DV) / mask (N,), or (own=True) per-query keys (B, N, D),
    values (B, N, DV), mask (B, N). With ``bias=True`` also the additive part of a float
    mask (or None) as a sixth item; without, a float mask's finite shifts are refused."""
    Q = _arrays.matrix(queries, "queries", cols=dim)
    b = Q.shape[0]
    K = _arrays.f32(keys, "keys")

    def masks(size):
        if mask is None:
            return None, None
        return _arrays.mask_and_bias(mask, size) if bias else (_arrays.mask_array(mask, size), None)

    if len(K.shape) != 3:
        K, V = key_value_pair(K.owner, values, dim)
        m, shift = masks(K.shape[0])
        return (Q, K, V, m, False, shift) if bias else (Q, K, V, m, False)
    if K.shape[0] != b or K.shape[2] != dim:
        raise DimensionMismatchError(
            f"keys has shape {tuple(K.shape)}, expected ({b}, N, {dim}) for {b} queries",
            expected=(b, "N", dim), actual=tuple(K.shape))
    n = K.shape[1]
    V = _arrays.f32(values, "values")
    if len(V.shape) != 3 or tuple(V.shape[:2]) != (b, n):
        raise DimensionMismatchError(
            f"values has shape {tuple(V.shape)}, expected ({b}, {n}, DV) to match keys",
            expected=(b, n, "DV"), actual=tuple(V.shape))
    if n == 0:
        raise EmptyInputError("keys is empty (0 keys per query)")
    m, shift = masks(b * n)
    return (Q, K, V, m, True, shift) if bias else (Q, K, V, m, True)


def mask_row(m, bias, i, n, own):
    """The mask of query i: bools, or the additive floats when the mask has shifts."""
    rows = range(i * n, (i + 1) * n) if own else range(n)
    if bias is None:
        return [bool(m.owner[j]) for j in rows]
    shifts = _arrays.as_floats(bias)
    return [float(shifts[j]) if m.owner[j] else float("-inf") for j in rows]


def mask_size(mask):
    """Number of entries of a mask (SparseMask, nested lists, buffers, numpy)."""
    if hasattr(mask, "dense_mask_bytes"):
        return mask.shape[0] * mask.shape[1]
    if _arrays.np is not None and not isinstance(mask, (list, tuple)):
        return int(_arrays.np.asarray(mask).size)
    return sum(1 for _ in _arrays._flatten_list(list(mask)))


def graph_inputs(features, indptr, indices, values, dim):
    """Validate a CSR graph: features (N, D), indptr (N+1,), indices (E,), values (N, DV)."""
    X = _arrays.matrix(features, "features", cols=dim)
    V = X if values is None else _arrays.matrix(values, "values", rows=X.shape[0])
    ip = _arrays.index_array(indptr, "indptr")
    ix = _arrays.index_array(indices, "indices")
    if ip.shape[0] != X.shape[0] + 1:
        raise DimensionMismatchError(
            f"indptr has {ip.shape[0]} entries, expected {X.shape[0] + 1} (nodes + 1)",
            expected=X.shape[0] + 1, actual=ip.shape[0])
    nnz = _arrays.index_at(ip, X.shape[0])
    if nnz != ix.shape[0]:
        raise DimensionMismatchError(
            f"indptr[-1] = {nnz} but indices has {ix.shape[0]} entries", expected=ix.shape[0],
            actual=nnz)
    check_csr(ip, ix, X.shape[0], "forward_graph")
    return X, V, ip, ix


def raise_for_graph_status(rc, X, V, ip, ix, what):
    """raise_for_status for CSR kernels, naming the offending indptr / indices entry."""
    if rc in (E_INDEX, E_ARG):
        _raise_for_csr(rc, ip, ix, X.shape[0], what)
    raise_for_status(rc, (X, V), what)


def check_csr(ip, ix, num_src, what):
    """The whole CSR at once, before any thread or kernel sees a slice of it
    (rv_csr_check): indptr[0] == 0, never decreasing, indptr[-1] == len(indices), every
    index in [0, num_src). A failure names the first bad entry."""
    rc = _kernel.K.csr_check(ip.ptr, ix.ptr or None, ip.shape[0] - 1, ix.shape[0], num_src)
    if rc:
        _raise_for_csr(rc, ip, ix, num_src, what)
        raise_for_status(rc, (), what)


def _raise_for_csr(rc, ip, ix, num_src, what):
    """The typed error for a CSR the kernel refused (scanned only on failure)."""
    if rc == E_INDEX:
        for e in range(ix.shape[0]):
            j = _arrays.index_at(ix, e)
            if not 0 <= j < num_src:
                raise OutOfBoundsError(f"{what}: indices[{e}] = {j} is outside [0, {num_src}) "
                                       "(the number of nodes)", index=j, length=num_src)
    if rc == E_ARG:
        prev = _arrays.index_at(ip, 0)
        if prev != 0:
            raise DimensionMismatchError(f"{what}: indptr[0] = {prev}, expected 0")
        for i in range(1, ip.shape[0]):
            cur = _arrays.index_at(ip, i)
            if cur < prev:
                raise DimensionMismatchError(f"{what}: indptr must never decrease, but "
                                             f"indptr[{i}] = {cur} < indptr[{i - 1}] = {prev}")
            prev = cur


def softmax_weights(query, keys, mask, dim, scale, what, *, additive=False):
    """softmax(scale * K q) over the keys, (N,); masked keys get 0. Shared by every
    mechanism whose weights are scaled dot-product weights; ``additive``: a float mask's
    finite shifts are added to the scores (else refused, as that mechanism's forward)."""
    q = _arrays.vector(query, "query", dim)
    K = _arrays.matrix(keys, "keys", cols=dim)
    n = K.shape[0]
    m, bias = None, None
    if mask is not None:
        m, bias = _arrays.mask_and_bias(mask, n) if additive else (_arrays.mask_array(mask, n), None)
    w, wptr = _arrays.output((n,), q.numpy or K.numpy)
    # the kernel needs values: a zero column of width 1 (cheaper than a second kernel)
    _zero_values, zptr = _arrays.output((n,), False)
    _unused_out, uptr = _arrays.output((1,), False)
    rc = _kernel.K.attend_bias(q.ptr, K.ptr, zptr, m.ptr if m else None,
                               bias.ptr if bias else None, n, dim, 1, scale, 0.0, 0, uptr, wptr)
    raise_for_status(rc, (q, K), what)
    return _arrays.result(w, (n,))
