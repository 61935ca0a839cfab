"""What ``mask=`` means: torch's conventions, by dtype, never by truthiness.

- boolean (numpy / torch bool, Python bools, ``Uint8Array`` from JS) or integer 0/1:
  True / 1 keeps the key (torch SDPA's boolean ``attn_mask``);
- floating point: added to the scores (torch SDPA's float ``attn_mask``): 0 keeps,
  -inf removes, a finite value shifts the key's score; NaN / +inf are refused;
- ``sparse.patterns.SparseMask``: its row-major dense boolean form.

A mask becomes (keep, bias): a uint8 ``Tensor`` of the kept keys and, when a float
mask has finite non-zero entries, a float32 ``Tensor`` of the shifts (else None).
Mechanisms whose kernels add a score bias (scaled dot-product, multi-head) take both
(``mask_and_bias``); the others take the keep part (``mask_array``) and refuse a
finite shift with ``UnsupportedError`` rather than ignore it.

Shapes: n entries, one per key (or B * n for per-query masks), any nesting.
"""

from __future__ import annotations

import math
from array import array
from typing import Any

from . import _arrays
from ._floats import FloatArray
from .errors import DimensionMismatchError, NumericalInstabilityError, UnsupportedError

_INT_CODES = set("bBhHiIlLqQnN")
_FLOAT_CODES = set("fd")


def _flat_values(x: Any, name: str) -> tuple[list, str]:
    """(flat Python values, kind 'bool' | 'int' | 'float') of a non-numpy mask."""
    if isinstance(x, FloatArray):
        x = x.tolist()
    if isinstance(x, (array, memoryview)):
        code = (x.typecode if isinstance(x, array) else x.format).lstrip("@=<>!")
        flat = list(_arrays._flatten_list(x.tolist()))
        if code == "?":
            return flat, "bool"
        if code in _INT_CODES:
            return flat, "int"
        if code in _FLOAT_CODES:
            return flat, "float"
        raise UnsupportedError(f"{name}: buffer format {code!r} is not a mask (bool, 0/1 "
                               "integers, or an additive float mask)")
    if isinstance(x, (str, bytes)):
        raise UnsupportedError(f"{name} is a string, expected booleans, 0/1 integers or floats")
    try:
        flat = list(_arrays._flatten_list(list(x))) if not isinstance(x, list) else \
            list(_arrays._flatten_list(x))
    except TypeError:
        raise UnsupportedError(f"{name}: cannot read a {type(x).__name__} as a mask") from None
    # numpy / torch scalars (a list of a mask's rows) as the Python numbers they hold
    flat = [v.item() if hasattr(v, "item") and not isinstance(v, (int, float)) else v for v in flat]
    if all(isinstance(v, bool) for v in flat):
        return flat, "bool"
    if any(not isinstance(v, (int, float)) for v in flat):
        bad = next(v for v in flat if not isinstance(v, (int, float)))
        raise UnsupportedError(f"{name} holds {bad!r} ({type(bad).__name__}): a mask holds "
                               "booleans, 0/1 integers or floats")
    if any(isinstance(v, float) for v in flat):
        return flat, "float"
    return flat, "int"


def _from_numpy(x: Any, name: str) -> tuple[Any, str]:
    np = _arrays.np
    if hasattr(x, "detach"):  # torch: no autograd graph, on the CPU
        x = x.detach().cpu()
    a = np.asarray(x).reshape(-1)
    kind = a.dtype.kind
    if kind == "b":
        return a, "bool"
    if kind in "iu":
        return a, "int"
    if kind == "f":
        return a, "float"
    raise UnsupportedError(f"{name} has dtype {a.dtype}, expected bool, 0/1 integers or an "
                           "additive float mask")


def mask_and_bias(x: Any, n: int, name: str = "mask", *, true_ignores: bool = False
                  ) -> tuple[Any | None, Any | None]:
    """(keep uint8 Tensor, bias float32 Tensor or None) of a mask of ``n`` entries.
    ``true_ignores``: a boolean / 0-1 mask marks the keys to ignore (torch's
    ``key_padding_mask``) instead of those to keep; a float one is added either way."""
    if hasattr(x, "dense_mask_bytes"):  # SparseMask
        owner = x.dense_mask_bytes()
        _check_size(len(owner), n, name)
        return _arrays.Tensor(owner.buffer_info()[0] if len(owner) else 0, (n,), owner, False,
                              name), None
    np = _arrays.np
    if np is not None and not isinstance(x, (list, tuple, array, memoryview, FloatArray, str)):
        values, kind = _from_numpy(x, name)
        _check_size(values.size, n, name)
        return _numpy_mask(values, kind, n, name, true_ignores)
    values, kind = _flat_values(x, name)
    _check_size(len(values), n, name)
    if kind != "float":
        _check_binary(values, kind, name)
        keep = array("B", [(0 if v else 1) if true_ignores else (1 if v else 0) for v in values])
        return _tensor(keep, n, name), None
    for i, v in enumerate(values):
        if v != v or v == math.inf:
            raise NumericalInstabilityError(f"{name}[{i}] is {v}: an additive mask holds 0, "
                                            "finite shifts or -inf")
    keep = array("B", [0 if v == -math.inf else 1 for v in values])
    shifts = [0.0 if v == -math.inf else float(v) for v in values]
    bias = array("f", shifts) if any(shifts) else None
    return _tensor(keep, n, name), (_tensor(bias, n, f"{name} (additive)") if bias else None)


def _numpy_mask(values: Any, kind: str, n: int, name: str, true_ignores: bool
                ) -> tuple[Any, Any | None]:
    np = _arrays.np
    if kind != "float":
        _check_binary(values, kind, name)
        keep = np.ascontiguousarray((values == 0) if true_ignores else (values != 0),
                                    dtype=np.uint8)
        return _arrays.Tensor(_arrays.buffer_address(keep), (n,), keep, False, name), None
    bad = np.isnan(values) | (values == np.inf)
    if bad.any():
        i = int(np.argmax(bad))
        raise NumericalInstabilityError(f"{name}[{i}] is {values[i]}: an additive mask holds 0, "
                                        "finite shifts or -inf")
    removed = values == -np.inf
    keep = np.ascontiguousarray(~removed, dtype=np.uint8)
    shifts = np.where(removed, 0.0, values).astype(np.float32)
    keep_t = _arrays.Tensor(_arrays.buffer_address(keep), (n,), keep, False, name)
    if not shifts.any():
        return keep_t, None
    shifts = np.ascontiguousarray(shifts)
    return keep_t, _arrays.Tensor(_arrays.buffer_address(shifts), (n,), shifts, True,
                                  f"{name} (additive)")


def combine(a: tuple[Any, Any], b: tuple[Any, Any], n: int) -> tuple[Any, Any]:
    """Two (keep, bias) masks applied together: keep both's keys, add both's shifts
    (torch merges an attn_mask and a key_padding_mask so)."""
    if a[0] is None:
        return b
    if b[0] is None:
        return a
    keep = array("B", [x & y for x, y in zip(bytes(_arrays.read_bytes(a[0].ptr, n)),
                                             bytes(_arrays.read_bytes(b[0].ptr, n)))])
    biases = [t for t in (a[1], b[1]) if t is not None]
    if not biases:
        return _tensor(keep, n, "mask"), None
    total = array("f", bytes(4 * n))
    for t in biases:
        for i, v in enumerate(_arrays.as_floats(t)):
            total[i] += v
    return _tensor(keep, n, "mask"), _tensor(total, n, "mask (additive)")


def mask_array(x: Any, n: int, name: str = "mask", what: str = "this mechanism") -> Any:
    """The keep part of a mask; a float mask with finite shifts is refused (``what``
    cannot add a score bias)."""
    keep, bias = mask_and_bias(x, n, name)
    if bias is not None:
        raise UnsupportedError(
            f"{what} takes a boolean mask (True keeps) or an additive float mask of 0 / -inf; "
            f"{name} shifts scores by finite amounts, which only ScaledDotProductAttention and "
            "MultiHeadAttention add")
    return keep


def _check_size(size: int, n: int, name: str) -> None:
    if size != n:
        raise DimensionMismatchError(f"{name} has {size} entries, expected {n} (one per key)",
                                     expected=n, actual=size)


def _check_binary(values: Any, kind: str, name: str) -> None:
    """Integer masks are 0/1 (torch reads other integers as neither bool nor float)."""
    if kind != "int":
        return
    np = _arrays.np
    if np is not None and hasattr(values, "dtype"):
        bad = (values != 0) & (values != 1)
        if bad.any():
            i = int(np.argmax(bad))
            raise UnsupportedError(f"{name}[{i}] = {values[i]}: an integer mask holds 0 "
                                   "(masked) or 1 (kept); pass floats for an additive mask")
        return
    for i, v in enumerate(values):
        if v not in (0, 1):
            raise UnsupportedError(f"{name}[{i}] = {v}: an integer mask holds 0 (masked) or 1 "
                                   "(kept); pass floats for an additive mask")


def _tensor(buf: array, n: int, name: str) -> Any:
    return _arrays.Tensor(buf.buffer_info()[0] if len(buf) else 0, (n,), buf, False, name)
