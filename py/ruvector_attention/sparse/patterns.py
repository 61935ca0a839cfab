"""Sparsity patterns: which keys each query may attend to, as a ``SparseMask``.

A pattern is a boolean (R, C) matrix stored as CSR (R query rows, C key columns;
``True`` = the key takes part, torch's boolean ``attn_mask`` convention). Every
mechanism's ``mask=`` accepts a ``SparseMask`` whose R * C entries match what a
dense mask there would hold: (1, N) or (N,)-like for one query, (B, N) for
``forward_batch``. Patterns combine with ``union`` (``|``) and ``intersection`` (``&``).

Constructors (square (N, N) unless ``rows`` says otherwise):
band (Longformer sliding window), strided (Sparse Transformer, Child et al. 2019,
https://arxiv.org/abs/1904.10509), global_tokens, random (BigBird, Zaheer et al.
2020, https://arxiv.org/abs/2007.14062), block_sparse, from_hnsw_layers, from_csr.

Shapes: R rows (queries), C columns (keys), E stored entries.
"""

from __future__ import annotations

import random as _random
from array import array
from typing import TYPE_CHECKING

from .. import _arrays
from ..errors import DimensionMismatchError, InvalidConfigError, OutOfBoundsError
from ..metadata import GraphMetadata

if TYPE_CHECKING:
    from typing import Any

    from .._typing import Array, IndexLike


def _count(value, name, low=0):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidConfigError(f"{name} must be an int >= {low}, got {value!r}", field=name)
    return value


class SparseMask:
    """A boolean (rows, cols) attention mask stored as CSR (sorted, unique columns).

    It behaves as the dense (R, C) boolean mask it stands for: ``len`` is R,
    iterating yields each row as C booleans, and ``numpy.asarray(mask)`` is the
    dense boolean array (``to_dense()``). ``row(i)`` / ``rows()`` give the sorted live
    columns instead.

    Args:
        indptr: (R + 1,) row offsets, starting at 0, never decreasing.
        indices: (E,) column of each live entry, in [0, cols).
        cols: number of key columns C.

    Example:
        >>> from ruvector_attention.sparse import patterns
        >>> m = patterns.band(5, 1) | patterns.global_tokens(5, [0])
        >>> m.count_nonzero(), m.row(3), len(m)
        (19, [0, 2, 3, 4], 5)
        >>> [len(r) for r in m.rows()]
        [5, 3, 4, 4, 3]
        >>> next(iter(m))
        [True, True, True, True, True]
    """

    __slots__ = ("_indptr", "_indices", "shape")

    def __init__(self, indptr: IndexLike, indices: IndexLike, cols: int) -> None:
        cols = _count(cols, "cols")
        ip = [int(x) for x in (indptr.tolist() if hasattr(indptr, "tolist") else indptr)]
        ix = [int(x) for x in (indices.tolist() if hasattr(indices, "tolist") else indices)]
        if not ip or ip[0] != 0 or ip[-1] != len(ix):
            raise DimensionMismatchError(
                f"SparseMask: indptr must start at 0 and end at len(indices) = {len(ix)}")
        rows_out, out_ptr = array("q"), array("q", [0])
        for r in range(len(ip) - 1):
            if ip[r + 1] < ip[r]:
                raise DimensionMismatchError(f"SparseMask: indptr[{r + 1}] < indptr[{r}]")
            row = sorted(set(ix[ip[r]:ip[r + 1]]))
            if row and (row[0] < 0 or row[-1] >= cols):
                bad = row[0] if row[0] < 0 else row[-1]
                raise OutOfBoundsError(f"SparseMask: row {r} has column {bad} outside "
                                       f"[0, {cols})", index=bad, length=cols)
            rows_out.extend(row)
            out_ptr.append(len(rows_out))
        self._indptr, self._indices = out_ptr, rows_out
        self.shape = (len(ip) - 1, cols)

    @classmethod
    def from_rows(cls, rows: int, cols: int) -> Any:
        """From a list of per-row column lists."""
        indptr, indices = [0], []
        for r in rows:
            indices.extend(r)
            indptr.append(len(indices))
        return cls(indptr, indices, cols)

    def row(self, i: int) -> Any:
        """Sorted live columns of row ``i``."""
        if not 0 <= i < self.shape[0]:
            raise OutOfBoundsError(f"SparseMask row {i} outside [0, {self.shape[0]})",
                                   index=i, length=self.shape[0])
        return list(self._indices[self._indptr[i]:self._indptr[i + 1]])

    def rows(self) -> Any:
        """Every row's sorted live columns."""
        return [self.row(i) for i in range(self.shape[0])]

    def __len__(self):
        return self.shape[0]

    def __iter__(self):
        """Rows in order, each as C booleans: what iterating the dense mask gives."""
        cols = self.shape[1]
        for i in range(self.shape[0]):
            flags = [False] * cols
            for j in self._indices[self._indptr[i]:self._indptr[i + 1]]:
                flags[j] = True
            yield flags

    def __array__(self, dtype=None, copy=None):
        """``numpy.asarray(mask)``: the dense (R, C) boolean array (a new array)."""
        if copy is False:
            raise ValueError("a SparseMask has no dense buffer to share: numpy.asarray copies")
        dense = _arrays.np.frombuffer(self.dense_mask_bytes(), dtype=_arrays.np.uint8)
        dense = dense.reshape(self.shape).astype(bool)
        return dense if dtype is None else dense.astype(dtype)

    def count_nonzero(self) -> Any:
        """Number of live (query, key) pairs."""
        return len(self._indices)

    def density(self) -> Any:
        r, c = self.shape
        return self.count_nonzero() / (r * c) if r * c else 0.0

    def to_csr(self) -> Any:
        """``(indptr, indices)`` as int64 ``array('q')`` (copies)."""
        return array("q", self._indptr), array("q", self._indices)

    def to_dense(self) -> Array:
        """(R, C) booleans: a numpy bool array when numpy is installed, else nested lists."""
        flat = self.dense_mask_bytes()
        r, c = self.shape
        if _arrays.np is not None:
            return _arrays.np.frombuffer(flat, dtype=_arrays.np.uint8).reshape(r, c).astype(bool)
        return [[bool(v) for v in flat[i * c:(i + 1) * c]] for i in range(r)]

    def dense_mask_bytes(self) -> Any:
        """Row-major uint8 (R * C) mask: what ``mask=`` reads (``_arrays.mask_array``)."""
        r, c = self.shape
        out = array("B", bytes(r * c))
        for i in range(r):
            for j in self._indices[self._indptr[i]:self._indptr[i + 1]]:
                out[i * c + j] = 1
        return out

    def _combine(self, other, op, name):
        if not isinstance(other, SparseMask):
            return NotImplemented
        if other.shape != self.shape:
            raise DimensionMismatchError(f"SparseMask.{name}: shapes {self.shape} and "
                                         f"{other.shape} differ", expected=self.shape,
                                         actual=other.shape)
        return SparseMask.from_rows([sorted(op(set(a), set(b))) for a, b in
                                     zip(self.rows(), other.rows(), strict=False)], self.shape[1])

    def union(self, other: Any) -> Any:
        return self._combine(other, set.__or__, "union")

    def intersection(self, other: Any) -> Any:
        return self._combine(other, set.__and__, "intersection")

    __or__, __and__ = union, intersection

    def __eq__(self, other):
        return (isinstance(other, SparseMask) and self.shape == other.shape
                and self._indptr == other._indptr and self._indices == other._indices)

    __hash__ = None

    def __repr__(self):
        return f"SparseMask(shape={self.shape}, nnz={self.count_nonzero()})"


def _rows(n, rows):
    return _count(n if rows is None else rows, "rows")


def band(n: int, width: Any, *, rows: int | None = None, causal: bool = False) -> Any:
    """Sliding window: row i keeps columns j with |i - j| <= width (``causal``:
    i - width <= j <= i). Row i is query position i."""
    n, width = _count(n, "n"), _count(width, "width")
    return SparseMask.from_rows(
        [list(range(max(0, i - width), min(n, i + 1 if causal else i + width + 1)))
         for i in range(_rows(n, rows))], n)


def strided(n: int, stride: Any, *, rows: int | None = None) -> Any:
    """Strided: row i keeps columns j with (i - j) divisible by ``stride``."""
    n, stride = _count(n, "n"), _count(stride, "stride", 1)
    return SparseMask.from_rows([list(range(i % stride, n, stride))
                                 for i in range(_rows(n, rows))], n)


def global_tokens(n: int, tokens: Any, *, rows: int | None = None) -> Any:
    """Global tokens: every row keeps the ``tokens`` columns, and rows that are
    themselves global tokens keep every column (Longformer's global attention)."""
    n = _count(n, "n")
    toks = sorted({_count(t, "tokens[i]") for t in tokens})
    if toks and toks[-1] >= n:
        raise OutOfBoundsError(f"global token {toks[-1]} outside [0, {n})", index=toks[-1], length=n)
    full, ts = list(range(n)), set(toks)
    return SparseMask.from_rows([full if i in ts else toks for i in range(_rows(n, rows))], n)


def random(n: int, per_row: Any, *, rows: int | None = None, seed: int = 0) -> Any:
    """Seeded random: each row keeps ``per_row`` distinct columns drawn uniformly."""
    n, per_row = _count(n, "n"), _count(per_row, "per_row")
    if per_row > n:
        raise InvalidConfigError(f"per_row = {per_row} exceeds the {n} columns", field="per_row")
    rng = _random.Random(_count(seed, "seed"))
    return SparseMask.from_rows([rng.sample(range(n), per_row) for _ in range(_rows(n, rows))], n)


def block_sparse(n: int, block: Any, layout: Any = None) -> Any:
    """Block-sparse (N, N): ``layout`` is an (nb, nb) boolean matrix over blocks of
    ``block`` rows / columns, nb = ceil(N / block); default block-diagonal."""
    n, block = _count(n, "n"), _count(block, "block", 1)
    nb = (n + block - 1) // block
    if layout is None:
        layout = [[a == b for b in range(nb)] for a in range(nb)]
    layout = [list(r) for r in (layout.tolist() if hasattr(layout, "tolist") else layout)]
    if len(layout) != nb or any(len(r) != nb for r in layout):
        raise DimensionMismatchError(f"layout must be ({nb}, {nb}) for {n} rows in blocks of "
                                     f"{block}", expected=(nb, nb))
    return SparseMask.from_rows(
        [[j for bj in range(nb) if layout[i // block][bj]
          for j in range(bj * block, min(n, (bj + 1) * block))] for i in range(n)], n)


def from_hnsw_layers(layers: IndexLike, min_layer: Any = 1, *, rows: int = 1) -> Any:
    """Keys whose highest HNSW layer is >= ``min_layer`` (the graph's hubs), for each of
    ``rows`` query rows. ``layers``: (N,) ints >= 0, as ``GraphMetadata.hnsw_layers``."""
    layers = list(layers.tolist() if hasattr(layers, "tolist") else layers)
    layers = GraphMetadata(hnsw_layers=layers).validate(len(layers)).hnsw_layers
    keep = [j for j, layer in enumerate(layers) if layer >= _count(min_layer, "min_layer")]
    return SparseMask.from_rows([keep] * _count(rows, "rows"), len(layers))


def from_csr(indptr: IndexLike, indices: IndexLike, num_cols: Any) -> Any:
    """A CSR graph (row i attends ``indices[indptr[i]:indptr[i+1]]``) as a mask."""
    return SparseMask(indptr, indices, num_cols)
