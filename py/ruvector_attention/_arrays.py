"""Input coercion and output kinds, without requiring numpy.

Inputs: numpy arrays (any float dtype, any strides), objects with ``__array__``
(torch tensors) when numpy is installed, ``array.array``, memoryviews and other
buffers, nested lists / tuples. Each becomes a contiguous float32 buffer the
kernel reads through a raw address (zero copy when it already is one).

Outputs follow the input's kind: numpy in -> numpy out; anything else -> a
read-only shaped float32 ``FloatArray`` (``_floats.py``: repr, rows, ``.tolist()``,
zero-copy ``numpy.asarray()``).
"""

from array import array

from . import _kernel
from ._floats import FloatArray, _shaped
from ._kernel import addressof, buffer_address, char_view, read_bytes
from .errors import DimensionMismatchError, EmptyInputError, NumericalInstabilityError, UnsupportedError
from .numerics import FLOAT32_BYTES

try:
    import numpy as np
except ImportError:  # Pyodide without numpy, or a minimal install
    np = None
_ZERO = array("f", [0.0])
_NDARRAY = np.ndarray if np is not None else None
_FLOAT32 = np.dtype(np.float32) if np is not None else None


class Tensor:
    """A contiguous float32 (or int64 / uint8) buffer: address, shape, and the owner
    that keeps the memory alive while the kernel reads it."""

    __slots__ = ("ptr", "shape", "owner", "numpy", "name")

    def __init__(self, ptr, shape, owner, numpy, name):
        # one store each: a tuple assignment builds and unpacks a tuple on every call
        self.ptr = ptr
        self.shape = shape
        self.owner = owner
        self.numpy = numpy
        self.name = name

    @property
    def size(self):
        n = 1
        for s in self.shape:
            n *= s
        return n


def _nested_shape(x, name):
    shape, level = [], x
    while isinstance(level, (list, tuple)):
        shape.append(len(level))
        if not level:
            break
        level = level[0]
    return tuple(shape)


def _flatten(x, shape, name, out, prefix=""):
    if len(shape) == 1:
        if len(x) != shape[0]:
            raise DimensionMismatchError(
                f"{name}{prefix} has {len(x)} entries, expected {shape[0]} like the first row",
                expected=shape[0], actual=len(x))
        try:
            out.extend(x)
        except TypeError:
            raise UnsupportedError(f"{name}{prefix} holds something that is not a number") from None
        except OverflowError:  # an int beyond any float
            raise NumericalInstabilityError(f"{name}{prefix} holds an integer too large for a "
                                            "float (inputs must be finite)") from None
        return
    if len(x) != shape[0]:
        raise DimensionMismatchError(f"{name}{prefix} has {len(x)} rows, expected {shape[0]}",
                                     expected=shape[0], actual=len(x))
    for i, row in enumerate(x):
        if not isinstance(row, (list, tuple)):
            raise DimensionMismatchError(f"{name}{prefix}[{i}] is not a row of numbers")
        _flatten(row, shape[1:], name, out, f"{prefix}[{i}]")


def f32(x, name):
    """Any supported input -> contiguous float32 ``Tensor``. ``bytes`` are refused: raw
    bytes are not numbers (``array('f', ...)`` or numpy say which type they hold)."""
    if type(x) is FloatArray:  # a result fed back in: its writable memory, no copy
        x = x._mv
    # Hot path, zero copy: a C-contiguous native float32 ndarray (``is``: numpy keeps one
    # native float32 dtype object; any other spelling of float32 takes the general path).
    if type(x) is _NDARRAY and x.dtype is _FLOAT32 and x.flags.c_contiguous:
        try:
            return Tensor(addressof(char_view(x)), x.shape, x, True, name)
        except (TypeError, ValueError):  # read-only or empty: buffer_address handles both
            return Tensor(buffer_address(x), x.shape, x, True, name)
    if type(x) is memoryview and x.format == "f" and x.c_contiguous and not x.readonly:
        return Tensor(buffer_address(x), x.shape, x, False, name)  # hot path in Pyodide
    if np is not None and not isinstance(x, (list, tuple, array, memoryview)):
        if not isinstance(x, np.ndarray):
            if hasattr(x, "detach"):  # torch tensors: no autograd graph, on the CPU
                x = x.detach().cpu()
            if hasattr(x, "__array__") or hasattr(x, "__array_interface__"):
                x = np.asarray(x)
        if isinstance(x, np.ndarray):
            if x.dtype.kind not in "fiub":
                raise UnsupportedError(f"{name} has dtype {x.dtype}, expected a float array")
            if x.dtype != np.float32 or not x.flags.c_contiguous:
                x = np.ascontiguousarray(x, dtype=np.float32)
            return Tensor(buffer_address(x), x.shape, x, True, name)
    if isinstance(x, (bytes, bytearray, str)):
        raise UnsupportedError(f"{name}: a {type(x).__name__} is not an array of numbers")
    if isinstance(x, array):
        if x.typecode != "f":
            x = array("f", x)
        return Tensor(x.buffer_info()[0] if len(x) else 0, (len(x),), x, False, name)
    if isinstance(x, (list, tuple)):
        shape = _nested_shape(x, name)
        flat = array("f")
        _flatten(x, shape, name, flat)
        return Tensor(flat.buffer_info()[0] if len(flat) else 0, shape, flat, False, name)
    try:
        mv = memoryview(x)
    except TypeError:
        raise UnsupportedError(f"{name}: cannot read a {type(x).__name__} as a float32 array") from None
    if mv.format == "f" and mv.c_contiguous and not mv.readonly:
        return Tensor(buffer_address(mv), mv.shape, mv, False, name)
    flat = array("f")
    try:
        if mv.format == "f" and mv.c_contiguous:
            flat.frombytes(mv.cast("B"))
        else:
            flat.extend(_flatten_list(mv.tolist()))
    except (TypeError, ValueError, RuntimeError):  # tolist() of an odd format raises a RuntimeError subclass
        raise UnsupportedError(f"{name}: buffer format {mv.format!r} is not numeric") from None
    return Tensor(flat.buffer_info()[0] if len(flat) else 0, mv.shape, flat, False, name)


def _flatten_list(x):
    if isinstance(x, list):
        for item in x:
            yield from _flatten_list(item)
    else:
        yield x


def reshape(t, shape):
    """Same buffer, new shape (sizes must agree: callers check first)."""
    return Tensor(t.ptr, tuple(shape), t.owner, t.numpy, t.name)


def row(t, i):
    """Row ``i`` of a 2-D ``Tensor`` as an input object (no copy)."""
    if t.numpy:
        return t.owner[i]
    cols = t.shape[1]
    return memoryview(t.owner).cast("B").cast("f")[i * cols:(i + 1) * cols]


def slab(t, i):
    """The ``i``-th (N, C) slab of a 3-D ``Tensor`` as a 2-D input object (no copy)."""
    if t.numpy:
        return t.owner[i]
    n, c = t.shape[1], t.shape[2]
    flat = memoryview(t.owner).cast("B").cast("f")[i * n * c:(i + 1) * n * c]
    return flat.cast("B").cast("f", (n, c))


def vector(x, name, length=None):
    """A 1-D input of ``length`` entries (when given)."""
    t = f32(x, name)
    shape = t.shape
    if len(shape) != 1:
        raise DimensionMismatchError(f"{name} must be a vector, got shape {shape}")
    if length is not None and shape[0] != length:
        raise DimensionMismatchError(f"{name} has {shape[0]} features, expected {length}",
                                     expected=length, actual=shape[0])
    return t


def matrix(x, name, cols=None, rows=None, allow_empty=False):
    """A 2-D input; a flat buffer is split into rows of ``cols`` (or into ``rows`` rows)."""
    t = f32(x, name)
    shape = t.shape
    if len(shape) == 1:
        n = shape[0]
        if cols and n % cols == 0:
            t = reshape(t, (n // cols, cols))
        elif rows and n % rows == 0:
            t = reshape(t, (rows, n // rows))
        elif n == 0:
            t = reshape(t, (0, cols or 0))
        else:
            raise DimensionMismatchError(
                f"{name} is flat with {n} numbers, which is not a whole number of rows of "
                f"{cols or '?'}", expected=cols, actual=n)
        shape = t.shape
    if len(shape) != 2:
        raise DimensionMismatchError(f"{name} must be 2-D (rows, features), got shape {shape}")
    if shape[0] == 0 and not allow_empty:
        raise EmptyInputError(f"{name} is empty (0 rows)")
    if cols is not None and shape[1] != cols:
        raise DimensionMismatchError(f"{name} rows have {shape[1]} features, expected {cols}",
                                     expected=cols, actual=shape[1])
    if rows is not None and shape[0] != rows:
        raise DimensionMismatchError(f"{name} has {shape[0]} rows, expected {rows}",
                                     expected=rows, actual=shape[0])
    return t


def index_array(x, name):
    """Integer input (CSR indptr / indices) -> contiguous int64 ``Tensor``."""
    if np is not None and not isinstance(x, (list, tuple, array)):
        x = np.asarray(x)
        if x.size and x.dtype.kind not in "iu":
            raise UnsupportedError(f"{name} must hold integers, got dtype {x.dtype}")
        x = np.ascontiguousarray(x, dtype=np.int64).reshape(-1)
        return Tensor(buffer_address(x), x.shape, x, True, name)
    try:
        a = x if isinstance(x, array) and x.typecode == "q" else array("q", x)
    except (TypeError, OverflowError):
        raise UnsupportedError(f"{name} must be a flat sequence of integers") from None
    return Tensor(a.buffer_info()[0] if len(a) else 0, (len(a),), a, False, name)


def index_at(t, i):
    """Entry ``i`` of an index ``Tensor`` as a Python int."""
    return int(t.owner[i])


def output(shape, numpy):
    """A new zeroed float32 buffer of ``shape`` -> (owner, address); too large for the
    memory: UnsupportedError naming the shape (not a bare MemoryError)."""
    try:
        if numpy:
            out = np.zeros(shape, _FLOAT32)
            try:
                return out, addressof(char_view(out))
            except ValueError:  # empty
                return out, 0
        size = 1
        for s in shape:
            size *= s
        out = _ZERO * size  # repeating a one-item array is ~3x faster than array("f", bytes(...))
    except MemoryError:
        raise UnsupportedError(f"a float32 result of shape {tuple(shape)} does not fit in "
                               "memory") from None
    return out, (out.buffer_info()[0] if size else 0)


def result(owner, shape):
    """The user-facing object for an ``output`` buffer."""
    if np is not None and isinstance(owner, np.ndarray):
        return owner
    return _shaped(memoryview(owner), tuple(shape))


def as_floats(t):
    """Host floats of a float32 ``Tensor`` (small arrays: parameters, metadata)."""
    out = array("f")
    out.frombytes(read_bytes(t.ptr, t.size * FLOAT32_BYTES))
    return out


def check_finite_tensor(t):
    """Raise NumericalInstabilityError naming the first NaN / inf of one ``Tensor``."""
    check_finite(_kernel.K, [t])  # the live ISA's kernel


def check_finite(kernel, tensors):
    """Raise NumericalInstabilityError naming the first NaN / inf among ``tensors``;
    return quietly when all are finite (then float32 overflow was the cause)."""
    for t in tensors:
        if t is None or not t.size:
            continue
        i = kernel.find_nonfinite(t.ptr, t.size)
        if i >= 0:
            where, rest = [], i
            for dim in reversed(t.shape):
                where.append(rest % dim)
                rest //= dim
            index = "".join(f"[{k}]" for k in reversed(where))
            value = array("f", read_bytes(t.ptr + i * FLOAT32_BYTES, FLOAT32_BYTES))[0]
            raise NumericalInstabilityError(f"{t.name}{index} is {value} (inputs must be finite)")


# Masks (torch's meaning by dtype) live in _masks.py, which builds on this module's Tensor;
# every family reaches them as _arrays.mask_array / _arrays.mask_and_bias.
from ._masks import mask_and_bias, mask_array  # noqa: E402, F401
