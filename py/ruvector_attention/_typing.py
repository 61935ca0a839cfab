"""The type aliases of the public signatures (annotations only: every module imports
them under ``TYPE_CHECKING``, so nothing here runs on the hot path).

ArrayLike: what an array argument accepts — numpy arrays (any float dtype and strides),
torch tensors, ``array.array``, memoryviews and other buffers, nested lists / tuples.
Array: what a result is — a numpy array when numpy is in play, else a ``FloatArray``.
MaskLike: booleans / 0-1 integers (keep) or floats (added to the scores), a
``SparseMask``. IndexLike: integer CSR / edge arrays. PathLike: a file path.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    import numpy
    import numpy.typing

    from ._floats import FloatArray
    from .sparse.patterns import SparseMask

ArrayLike = Union["numpy.typing.ArrayLike", array, memoryview, Sequence[Any]]  # noqa: UP007
Array = Union["numpy.ndarray", "FloatArray"]  # noqa: UP007
MaskLike = Union["numpy.typing.ArrayLike", array, memoryview, Sequence[Any], "SparseMask"]  # noqa: UP007
IndexLike = Union["numpy.typing.ArrayLike", array, Sequence[int]]  # noqa: UP007
PathLike = Union[str, os.PathLike]  # noqa: UP007

__all__ = ["ArrayLike", "Array", "MaskLike", "IndexLike", "PathLike"]
