"""``FloatArray``: what a result is when numpy is not installed (Pyodide, minimal installs).

A read-only, C-contiguous float32 array of any shape over the kernel's output buffer
(no copy): ``repr`` shows the values and the shape, ``len`` and ``out[i]`` go by rows
(a float for a 1-D array, a ``FloatArray`` row otherwise), ``tolist()`` nests like
numpy's. ``numpy.asarray(out)`` is zero-copy (``__array_interface__``), and so is
``memoryview(out)`` on Python >= 3.12 (``__buffer__``: Pyodide's Python has it) and
``out.data`` (a memoryview, as numpy's ``ndarray.data``) on any Python.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator
from typing import Any

from ._kernel import buffer_address

_TYPESTR = ("<" if sys.byteorder == "little" else ">") + "f4"
_EMPTY = array("f", [0.0])  # a valid address for the data of an empty array
_REPR_ITEMS = 64  # larger arrays print their first and last rows only


class FloatArray:
    """Read-only shaped float32 result (see the module docstring)."""

    __slots__ = ("_mv", "_shape")

    def __init__(self, mv: memoryview, shape: tuple[int, ...]) -> None:
        self._mv = mv  # C-contiguous, format "f", shaped (flat when shape has a 0)
        self._shape = tuple(shape)

    # -- what numpy and memoryview read --------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def size(self) -> int:
        return self._mv.nbytes // 4

    @property
    def nbytes(self) -> int:
        return self._mv.nbytes

    format = "f"
    itemsize = 4
    readonly = True
    dtype = "float32"

    def __buffer__(self, flags: int) -> memoryview:
        return self._mv.toreadonly()

    @property
    def data(self) -> memoryview:
        """The values as a read-only float32 memoryview, as numpy's ``ndarray.data`` (shaped;
        flat when the shape has a 0). ``memoryview(out)`` itself needs Python >= 3.12."""
        return self._mv.toreadonly()

    @property
    def __array_interface__(self) -> dict:
        addr = buffer_address(self._mv) if self._mv.nbytes else _EMPTY.buffer_info()[0]
        return {"version": 3, "shape": self.shape, "typestr": _TYPESTR, "data": (addr, True)}

    def tolist(self) -> list | float:
        return self._mv.tolist()

    def tobytes(self) -> bytes:
        return self._mv.tobytes()

    # -- rows ------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._shape[0]

    def _row_view(self, begin: int, end: int) -> memoryview:
        width = 1
        for s in self._shape[1:]:
            width *= s
        flat = self._mv.cast("B").cast("f") if self.ndim > 1 else self._mv
        return flat[begin * width:end * width]

    def __getitem__(self, i: Any) -> float | FloatArray:
        n = len(self)
        if isinstance(i, slice):
            begin, end, step = i.indices(n)
            if step != 1:
                rows = list(range(begin, end, step))
                picked = array("f")
                for r in rows:
                    picked.frombytes(self._row_view(r, r + 1).tobytes())
                return _shaped(memoryview(picked), (len(rows),) + self.shape[1:])
            end = max(begin, end)
            return _shaped(self._row_view(begin, end), (end - begin,) + self.shape[1:])
        if isinstance(i, tuple):  # out[i, j, ...]: row by row
            if not i or len(i) > self.ndim:
                raise IndexError(f"{len(i)} indices for a {self.ndim}-D FloatArray")
            row = self[i[0]]
            return row[i[1:]] if len(i) > 1 else row
        try:
            k = i.__index__()
        except AttributeError:
            raise TypeError(f"FloatArray indices must be ints or slices, not "
                            f"{type(i).__name__}") from None
        if not -n <= k < n:
            raise IndexError(f"index {k} is out of range for {n} rows")
        k %= n
        if self.ndim == 1:
            return self._mv[k]
        return _shaped(self._row_view(k, k + 1), self.shape[1:])

    def __iter__(self) -> Iterator[float | FloatArray]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        n = len(self)
        if self.size <= _REPR_ITEMS or n <= 6:
            body = _text(self.tolist())
        else:
            rows = [_text(_as_list(self[i])) for i in (0, 1, 2, n - 3, n - 2, n - 1)]
            body = "[" + ", ".join(rows[:3]) + ", ..., " + ", ".join(rows[3:]) + "]"
        return f"FloatArray({body}, shape={self.shape})"


def _as_list(x: Any) -> Any:
    return x.tolist() if isinstance(x, FloatArray) else x


def _text(x: Any) -> str:
    """Nested lists of floats at float32 precision (7 significant digits)."""
    if isinstance(x, list):
        return "[" + ", ".join(_text(v) for v in x) + "]"
    return f"{x:.7g}"


def _shaped(flat: memoryview, shape: tuple[int, ...]) -> FloatArray:
    """A FloatArray over the flat float32 view ``flat`` with ``shape``."""
    flat = flat.cast("B").cast("f")
    return FloatArray(flat if 0 in shape else flat.cast("B").cast("f", shape), shape)


def plain(x: Any) -> Any:
    """The writable memoryview under a FloatArray (what the kernel's callers read); any
    other object unchanged."""
    return x._mv if type(x) is FloatArray else x
