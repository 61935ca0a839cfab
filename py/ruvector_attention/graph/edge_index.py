"""PyG's ``edge_index`` (2, E) -> the target-major CSR every ``forward_graph`` reads.

PyG messages flow source -> target (``edge_index[0]`` = source j, ``edge_index[1]`` =
target i), and node i aggregates over its incoming edges. So CSR row i lists the
sources of the edges into i: ``indices[indptr[i]:indptr[i+1]]`` = {j : (j, i) in E},
in the edges' original order (a stable sort by target), and edge e of the CSR is
edge ``permutation[e]`` of ``edge_index``.

Shapes: N nodes, E edges, F edge features; edge_index (2, E), edge_attr (E, F) or
(E,) -> indptr (N+1,), indices (E,), edge_attr (E, F) / (E,) in CSR order,
permutation (E,).
"""

from __future__ import annotations

from typing import Any

from .. import _arrays
from ..errors import DimensionMismatchError, InvalidConfigError, OutOfBoundsError


def _pairs(edge_index: Any) -> tuple[list[int], list[int]]:
    """(sources, targets) as Python ints, from a (2, E) array / tensor / nested list."""
    if _arrays.np is not None and not isinstance(edge_index, (list, tuple)):
        a = _arrays.np.asarray(edge_index.detach().cpu() if hasattr(edge_index, "detach")
                               else edge_index)
        if a.ndim != 2 or a.shape[0] != 2:
            raise DimensionMismatchError(f"edge_index must have shape (2, E), got {a.shape}",
                                         expected=(2, "E"), actual=a.shape)
        if a.size and a.dtype.kind not in "iu":
            raise InvalidConfigError(f"edge_index must hold integers, got dtype {a.dtype}",
                                     field="edge_index")
        return [int(v) for v in a[0]], [int(v) for v in a[1]]
    rows = list(edge_index) if not isinstance(edge_index, (list, tuple)) else edge_index
    if len(rows) != 2:
        raise DimensionMismatchError(f"edge_index must have 2 rows (sources, targets), got "
                                     f"{len(rows)}", expected=2, actual=len(rows))
    src, dst = (list(_arrays.index_array(r, "edge_index").owner) for r in rows)
    if len(src) != len(dst):
        raise DimensionMismatchError(f"edge_index rows have {len(src)} and {len(dst)} entries",
                                     expected=len(src), actual=len(dst))
    return src, dst


def csr_from_edge_index(edge_index: Any, num_nodes: int, *, edge_attr: Any = None
                        ) -> tuple[Any, Any, Any, Any]:
    """CSR of a PyG graph, rows = targets (see the module docstring).

    Args:
        edge_index: (2, E) integers, row 0 the sources, row 1 the targets (PyG).
        num_nodes: N; every id must lie in [0, N).
        edge_attr: optional (E, F) or (E,) edge features, returned in CSR order.

    Returns:
        (indptr (N+1,), indices (E,), edge_attr in CSR order or None, permutation (E,)):
        int64 numpy arrays when numpy is installed, else ``array('q')``; edge_attr as a
        float32 result (numpy in, numpy out).

    Example:
        >>> from ruvector_attention.graph import csr_from_edge_index
        >>> ip, ix, _, perm = csr_from_edge_index([[0, 1, 2, 0], [1, 2, 0, 2]], 3)
        >>> [int(i) for i in ip], [int(j) for j in ix], [int(e) for e in perm]
        ([0, 1, 2, 4], [2, 0, 1, 0], [2, 0, 1, 3])
    """
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, int) or num_nodes < 0:
        raise InvalidConfigError(f"num_nodes must be an int >= 0, got {num_nodes!r}",
                                 field="num_nodes")
    src, dst = _pairs(edge_index)
    for row, ids in (("0 (sources)", src), ("1 (targets)", dst)):
        for e, j in enumerate(ids):
            if not 0 <= j < num_nodes:
                raise OutOfBoundsError(f"edge_index[{row}][{e}] = {j} is outside [0, {num_nodes})"
                                       " (the number of nodes)", index=j, length=num_nodes)
    counts = [0] * (num_nodes + 1)
    for i in dst:
        counts[i + 1] += 1
    for i in range(num_nodes):
        counts[i + 1] += counts[i]
    fill, perm = counts[:-1], [0] * len(dst)
    for e, i in enumerate(dst):  # counting sort by target: stable, O(N + E)
        perm[fill[i]] = e
        fill[i] += 1
    indices = [src[e] for e in perm]
    attr = None if edge_attr is None else _reorder(edge_attr, perm)
    if _arrays.np is not None:
        np = _arrays.np
        return (np.asarray(counts, np.int64), np.asarray(indices, np.int64), attr,
                np.asarray(perm, np.int64))
    from array import array
    return array("q", counts), array("q", indices), attr, array("q", perm)


def _reorder(edge_attr: Any, perm: list[int]) -> Any:
    """edge_attr rows in ``perm`` order, same kind and shape as given."""
    t = _arrays.f32(edge_attr, "edge_attr")
    e = len(perm)
    if not t.shape or t.shape[0] != e or len(t.shape) > 2:
        raise DimensionMismatchError(f"edge_attr has shape {tuple(t.shape)}, expected ({e}, F) "
                                     "or (E,): one row per edge", expected=e,
                                     actual=tuple(t.shape))
    width = t.shape[1] if len(t.shape) == 2 else 1
    out, _ = _arrays.output(tuple(t.shape), t.numpy)
    if t.numpy:
        out[...] = t.owner[perm]
    else:
        flat = _arrays.as_floats(t)
        for r, src in enumerate(perm):
            out[r * width:(r + 1) * width] = flat[src * width:(src + 1) * width]
    return _arrays.result(out, tuple(t.shape))
