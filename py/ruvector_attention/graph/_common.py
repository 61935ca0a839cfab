"""Helpers shared by the graph-aware mechanisms: boolean masks applied by keeping
rows, per-key / per-edge metadata arrays, and CSR calls split over threads.

Shapes: N keys, D width, E edges, K kept keys.
"""

from array import array

from .. import _arrays, _kernel
from .._parallel import run_rows
from ..errors import DimensionMismatchError
from ..numerics import FLOAT32_BYTES as F32
from ..validation import graph_inputs, raise_for_graph_status


def kept_rows(mask, n):
    """Positions of the keys a boolean mask keeps (None: every key)."""
    if mask is None:
        return None
    m = _arrays.mask_array(mask, n)
    return [j for j in range(n) if m.owner[j]]


def take_rows(t, rows):
    """Rows ``rows`` of a 2-D (or entries of a 1-D) float32 Tensor, as a new Tensor."""
    width = t.shape[1] if len(t.shape) == 2 else 1
    out, optr = _arrays.output((len(rows) * width,), False)
    for i, r in enumerate(rows):
        _kernel.copy_bytes(optr + i * width * F32, t.ptr + r * width * F32, width * F32)
    shape = (len(rows), width) if len(t.shape) == 2 else (len(rows),)
    return _arrays.Tensor(optr if rows else 0, shape, out, False, t.name)


def scatter(values, rows, n, numpy):
    """A length-n output holding ``values[i]`` at position ``rows[i]`` and 0 elsewhere."""
    out, _ = _arrays.output((n,), numpy)
    for i, r in enumerate(rows):
        out[r] = values[i]
    return _arrays.result(out, (n,))


def per_item(x, count, name):
    """A float32 vector of ``count`` finite entries (per-key or per-edge metadata)."""
    t = _arrays.f32(x, name)
    if len(t.shape) == 0 or t.size != count or len(t.shape) > 1:
        raise DimensionMismatchError(f"{name} has shape {tuple(t.shape)}, expected ({count},)",
                                     expected=count, actual=tuple(t.shape))
    _arrays.check_finite_tensor(t)
    return t


def int64s(values):
    """An int64 buffer (owner, address) of Python ints."""
    buf = array("q", values)
    return buf, (buf.buffer_info()[0] if len(buf) else 0)


def csr(features, indptr, indices, values, dim):
    """Validated CSR inputs -> (X, V, ip, ix, largest row length)."""
    X, V, ip, ix = graph_inputs(features, indptr, indices, values, dim)
    largest = 0
    for i in range(X.shape[0]):
        largest = max(largest, _arrays.index_at(ip, i + 1) - _arrays.index_at(ip, i))
    return X, V, ip, ix, largest


def run_csr(X, V, ip, ix, per_row_scratch, call, what):
    """Run ``call(begin, end, scratch_ptr)`` over the rows on the worker threads (each
    call gets its own scratch of ``per_row_scratch`` floats) and raise typed errors."""

    def rows(begin, end):
        _scratch, sptr = _arrays.output((max(per_row_scratch, 1),), False)
        return call(begin, end, sptr)

    raise_for_graph_status(run_rows(X.shape[0], rows), X, V, ip, ix, what)
