"""Input validation every mechanism family shares: keys / values, batches of queries,
CSR graphs and masks are checked here (the error names the offending argument), and
kernel status codes become typed errors naming the bad input.

Shapes: N keys, D key width, DV value width, B queries; CSR graphs as indptr (N+1,),
indices (E,).
"""

from . import _arrays, _kernel
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
    return X, V, ip, ix


def raise_for_graph_status(rc, X, V, ip, ix, what):
    """raise_for_status for CSR kernels, naming the offending indptr / indices entry."""
    num_nodes = X.shape[0]
    if rc == E_INDEX:
        for e in range(ix.shape[0]):
            j = _arrays.index_at(ix, e)
            if not 0 <= j < num_nodes:
                raise OutOfBoundsError(f"{what}: indices[{e}] = {j} is outside [0, {num_nodes}) "
                                       "(the number of nodes)", index=j, length=num_nodes)
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
    raise_for_status(rc, (X, V), what)


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
