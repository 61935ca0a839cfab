"""The wire protocol of the JavaScript bridge: its buffers, argument decoding and
result encoding (``_bridge`` holds the object table and the calls; js/src/bridge.ts
is the JavaScript half).

Why it exists: converting JS arrays element by element into Python objects
costs far more than the attention itself. So inputs and outputs live in
Python-owned ``array.array`` buffers inside the wasm heap; JavaScript writes
inputs straight into them through ``getBuffer('f32')`` (one memcpy), reads the
output the same way, and each call passes only small integers through
``ctrl``. This module turns those buffers into shaped memoryviews and copies
results back. It is plain Python (no numpy, no ``js`` import), so it also runs
natively, where tests drive it directly.

Protocol of one call (see ``_bridge.invoke``):

* JS writes each array argument into an input slot (or names a resident
  ``Matrix``) and describes it in ``ctrl``: ``ARG_BASE + 5*i`` holds
  ``kind, ndim, dim0, dim1, dim2`` (kind: 1 float slot, 2 matrix with its
  handle in dim0, 3 int slot, 4 an int scalar in dim0, 5 uint8 slot: a mask).
* kwargs travel as JSON; ``{"$arg": i}`` there (also as a field of a nested
  object such as ``metadata``) stands for array argument i, not passed positionally;
  ``{"$handle": h}`` for an exported object; ``{"$state": i, "layout": {name:
  [offset, length]}}`` for parameters written flat into float argument i.
* ``invoke(handle, method, kwargs_json)`` returns ``0`` (result, if an array,
  is at heap address ``ctrl[OUT_ADDR]`` with its shape in ``ctrl[OUT_*]``), a
  JSON string for structured results (arrays inside are
  ``{"$a": [offset, shape]}`` into ``out``; ``{"$i": ...}`` for int32 data),
  or ``-1`` on error (``last_error()`` says what).
* ``call_function(name, kwargs_json)`` does the same for the exported module
  functions (``exports.FUNCTIONS``, e.g. the synthetic graphs of ``datasets``).
* ``convert(result, kind, register)`` shapes a result for its declared kind
  (``exports.RESULT_KINDS``) before ``emit``: lists become float32 arrays, sparse
  masks bytes, dataclass records objects, new objects handles.

``out`` is *replaced* when it grows (``ctrl[GENERATION]`` counts that, as for the
slots), so other modules read it as an attribute of this module, never through
``from ... import``. ``ctrl`` and the slot lists are never replaced.

Shape legend: N keys, D key width, DV value width, B batch.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import sys
from array import array

from . import errors
from ._floats import FloatArray, plain
from ._kernel import buffer_address
from .numerics import JS_HEAP_LIMIT, MAX_BRIDGE_BYTES

# ctrl layout (int32); slot 0 is unused. JS mirrors these numbers in js/src/bridge.ts.
CTRL_SIZE = 64
NARGS, OUT_NDIM, OUT_LEN = 1, 3, 4
OUT_SHAPE = 5           # 5, 6, 7: the output shape (up to 3 dims)
GENERATION = 8          # bumped whenever a buffer object is replaced (JS re-acquires views)
OUT_ADDR = 9            # heap address of a single array result (JS copies it out from there)
SAME_ARGS = 10          # set by JS: argument descriptors identical to the previous call's
ARG_BASE = 16           # 5 ints per argument, up to MAX_ARGS arguments
MAX_ARGS = 8
KIND_NONE, KIND_FLOAT, KIND_MATRIX, KIND_INT, KIND_SCALAR, KIND_BYTES = 0, 1, 2, 3, 4, 5

ctrl = array("i", bytes(4 * CTRL_SIZE))
float_slots = [array("f") for _ in range(MAX_ARGS)]
int_slots = [array("i") for _ in range(MAX_ARGS)]
byte_slots = [array("B") for _ in range(MAX_ARGS)]
out = array("f")
_SLOTS = {"f": float_slots, "i": int_slots, "B": byte_slots}


class Matrix:
    """A float32 (rows, cols) buffer that stays in the wasm heap between calls."""

    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.data = _zeros("f", rows * cols)
        self._view = shaped(memoryview(self.data), (rows, cols))

    def view(self):
        return self._view


# ------------------------------------------------------------------ buffers

_IN_WASM = sys.platform == "emscripten"

def _zeros(typecode, n):
    """n zeros of ``typecode`` (one allocation), in heap memory JS can view: Pyodide's
    getBuffer takes wasm addresses as signed 32-bit numbers (a buffer ending past 2 GiB
    gives a negative length, one starting there a negative offset), so a slot past
    JS_HEAP_LIMIT would break every later call that re-acquires the views."""
    itemsize = array(typecode).itemsize
    if _IN_WASM and n * itemsize > MAX_BRIDGE_BYTES:
        raise errors.UnsupportedError(f"a bridge buffer of {n} values ({n * itemsize} bytes) exceeds "
                                      f"{MAX_BRIDGE_BYTES} bytes (JS reaches 2 GiB of the wasm heap); "
                                      "pass smaller inputs")
    try:
        buf = array(typecode, [0]) * n
    except MemoryError:
        raise errors.UnsupportedError(f"a bridge buffer of {n} values ({n * itemsize} bytes) does "
                                      "not fit in memory; pass smaller inputs") from None
    if _IN_WASM and n and buf.buffer_info()[0] + n * itemsize > JS_HEAP_LIMIT:
        del buf
        raise errors.UnsupportedError(f"a bridge buffer of {n} values ({n * itemsize} bytes) would "
                                      "end past 2 GiB of the wasm heap, which JS cannot address; "
                                      "pass smaller inputs")
    return buf


def reserve(kind, index, n):
    """Make input slot ``index`` of ``kind`` ('f', 'i', 'B') hold at least n items.

    Returns the (possibly new) array; the caller re-acquires its buffer view."""
    slots = _SLOTS.get(kind)
    if slots is None:
        raise errors.InternalError(f"unknown slot kind {kind!r}")
    _views[index] = None  # drop the cached view so the old array can be freed
    if len(slots[index]) < n:
        slots[index] = _zeros(kind, _grow(len(slots[index]), n, array(kind).itemsize))
        ctrl[GENERATION] += 1
    return slots[index]


def _grow(current, needed, itemsize):
    # Grow geometrically so a loop of slightly larger inputs does not reallocate each time
    # (never past the bridge limit on account of the growth factor alone).
    return max(needed, min(current + current // 2, MAX_BRIDGE_BYTES // itemsize), 64)


def shaped(mv, shape):
    """A C-contiguous memoryview with ``shape`` over the first prod(shape) items of mv."""
    count = 1
    for s in shape:
        count *= s
    flat = mv[:count]
    if len(shape) == 1 or count == 0:
        # memoryview cannot cast to a shape with a zero dimension; an empty flat view
        # makes the mechanism report the empty input itself (EmptyInputError).
        return flat
    return flat.cast("B").cast(flat.format, shape)


def _ensure_out(n):
    """Grow out to n items, keeping what _pack already wrote into it."""
    global out
    if len(out) < n:
        bigger = _zeros("f", _grow(len(out), n, 4))
        bigger[:len(out)] = out
        out = bigger
        ctrl[GENERATION] += 1


def buffers():
    """The current buffer objects, for JS to (re-)acquire views after a generation change."""
    return {"ctrl": ctrl, "float": float_slots, "int": int_slots, "bytes": byte_slots, "out": out}


# ------------------------------------------------------------------ names

_CAMEL_RE = re.compile(r"_([a-z0-9])")


def camel(name):
    """The JS name of a Python name (JS sends Python names back: the catalogue has both)."""
    return _CAMEL_RE.sub(lambda m: m.group(1).upper(), name)


# ------------------------------------------------------------------ arguments

_views = [None] * MAX_ARGS  # per slot: (ctrl descriptor, array, shaped view) of the last call


def arg(i, lookup):
    """Argument i as described in ctrl; ``lookup(handle, Matrix)`` resolves a resident matrix."""
    base = ARG_BASE + 5 * i
    kind = ctrl[base]
    if kind == KIND_FLOAT or kind == KIND_INT or kind == KIND_BYTES:
        slot = float_slots[i] if kind == KIND_FLOAT else int_slots[i] if kind == KIND_INT else byte_slots[i]
        descriptor = ctrl[base:base + 5]
        cached = _views[i]
        # Hot loops repeat shapes: reuse the shaped view (building one costs ~1.5 us in Pyodide).
        if cached is not None and cached[1] is slot and cached[0] == descriptor:
            return cached[2]
        ndim = ctrl[base + 1]
        view = shaped(memoryview(slot), tuple(ctrl[base + 2:base + 2 + ndim]))
        _views[i] = (descriptor, slot, view)
        return view
    if kind == KIND_MATRIX:
        return lookup(ctrl[base + 2], Matrix).view()
    if kind == KIND_SCALAR:
        return ctrl[base + 2]
    if kind == KIND_NONE:
        return None
    raise errors.InternalError(f"bad argument kind {kind}")


_parsed = {}  # kwargs JSON -> parsed: hot loops send the same references call after call


def arguments(kwargs_json, lookup, objects):
    """Positional args from ctrl, and kwargs from JSON where {'$arg': i} names array
    argument i, at the top level (forward_graph's values=) or as a field of a nested
    object (metadata={'distances': {'$arg': 3}}); those are not passed positionally.
    ``{'$handle': h}`` is ``objects(h)``; ``{'$state': i, ...}`` a ``FlatState``.
    A mask arrives as bytes (uint8, non-zero = keep; not a cast to bool: a byte other than
    0 / 1 read as a C bool is undefined) or as float32 (added to the scores), unchanged."""
    parsed = _parsed.get(kwargs_json) if kwargs_json else {}
    if parsed is None:
        if len(_parsed) > 256:
            _parsed.clear()
        parsed = _parsed[kwargs_json] = json.loads(kwargs_json)
    kwargs, by_name = {}, set()
    for key, value in parsed.items():
        kwargs[key] = _resolve(value, lookup, objects, by_name)
    args = [arg(i, lookup) for i in range(ctrl[NARGS]) if i not in by_name]
    return args, kwargs


@dataclasses.dataclass(frozen=True)
class FlatState:
    """Parameters JS wrote one after the other into one float argument: name -> flat view."""

    tensors: dict


def _resolve(value, lookup, objects, by_name):
    """``value`` with every reference inside (nested objects) replaced (see ``arguments``)."""
    if isinstance(value, list):
        return [_resolve(v, lookup, objects, by_name) for v in value]
    if not isinstance(value, dict):
        return value
    if "$arg" in value:
        by_name.add(value["$arg"])
        return arg(value["$arg"], lookup)
    if "$handle" in value:
        return objects(value["$handle"])
    if "$state" in value:
        by_name.add(value["$state"])
        flat = arg(value["$state"], lookup)
        return FlatState({name: flat[o:o + n] for name, (o, n) in value["layout"].items()})
    return {key: _resolve(v, lookup, objects, by_name) for key, v in value.items()}


# ------------------------------------------------------------------ results

def _is_array(x):
    return isinstance(x, (memoryview, array)) or hasattr(x, "__array_interface__")


_INT_FORMATS = set("bBhHiIlLqQnN")


def _format(mv):
    return mv.format.lstrip("@=<>!")  # numpy reports e.g. '<q'; cast() takes native codes only


def _emit_array(x, offset):
    """Copy array x into out at offset; return (n items, shape, is_int).

    Integer arrays (CSR indices, layers) travel as int32 bit patterns in the
    float32 buffer, so they stay exact; JS reads them through an Int32Array."""
    mv = memoryview(plain(x))
    shape = tuple(x.shape) if type(x) is FloatArray else tuple(mv.shape)
    fmt = _format(mv)
    is_int = fmt in _INT_FORMATS
    if is_int or fmt != "f" or not mv.c_contiguous:
        # ints as int32; other dtypes (float64, bool) or strided views as one float32 copy
        flat = memoryview(mv.tobytes()).cast(fmt)
        mv = memoryview(array("i" if is_int else "f", flat)).cast("B")
    else:
        mv = mv.cast("B")
    n = mv.nbytes // 4
    _ensure_out(offset + n)
    if n:
        memoryview(out)[offset:offset + n].cast("B")[:] = mv
    return n, shape, is_int


def _pack(x, state):
    """JSON-able structure with arrays moved into out (state = [next offset])."""
    if hasattr(x, "item") and not _is_array(x):  # numpy scalars
        x = x.item()
    if x is None or isinstance(x, (bool, int, float, str)):
        if isinstance(x, float) and x != x:
            return None
        return x
    if isinstance(x, enum.Enum):
        return x.value if isinstance(x.value, (int, float, str)) else x.name
    if _is_array(x):
        n, shape, is_int = _emit_array(x, state[0])
        ref = {"$i" if is_int else "$a": [state[0], list(shape)]}
        state[0] += n
        return ref
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {camel(f.name): _pack(getattr(x, f.name), state) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {str(k): _pack(v, state) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_pack(v, state) for v in x]
    if hasattr(x, "__dict__"):  # e.g. a Gradients object that is not a dataclass
        return {camel(k): _pack(v, state) for k, v in vars(x).items() if not k.startswith("_")}
    raise errors.UnsupportedError(f"cannot return a {type(x).__name__} to JavaScript")


def convert(result, kind, register):
    """``result`` as its declared kind needs it for ``emit`` (see the module docstring);
    ``register(obj)`` gives a new object its handle."""
    if result is None:
        return None
    if kind == "handle":
        return {"$handle": register(result), "class": type(result).__name__}
    if kind in ("vector", "matrix", "points", "scalars") and isinstance(result, (list, tuple)):
        return _float_rows(result)
    if kind == "mask" and hasattr(result, "dense_mask_bytes"):
        return memoryview(result.dense_mask_bytes())
    if kind == "record" and dataclasses.is_dataclass(result):
        fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
        props = {name: getattr(result, name) for name, attr in vars(type(result)).items()
                 if isinstance(attr, property) and not name.startswith("_")}
        return {camel(k): v for k, v in {**fields, **props}.items()}
    return result


def _float_rows(values):
    """A list of numbers (or of equal-length rows of numbers) as a float32 memoryview."""
    if values and isinstance(values[0], (list, tuple)):
        width = len(values[0])
        flat = array("f", (x for row in values for x in row))
        return shaped(memoryview(flat), (len(values), width))
    return memoryview(array("f", values))


_result = None  # the last single-array result, alive until JS has copied it out


def emit(result):
    """Hand a call's result to JS: 0 (array in ctrl[OUT_*] or no result) or a JSON string."""
    global _result
    _result = None
    if type(result) is FloatArray and 0 not in result.shape:
        result = plain(result)
    if type(result) is memoryview and result.format == "f" and result.c_contiguous \
            and not result.readonly:
        # The hot path (a float32 result of the package): JS copies it straight from
        # the result's own memory, which stays alive in _result until the next call.
        _result = result
        ctrl[OUT_ADDR] = _address(result)
        _emit_shape(result.shape, result.nbytes >> 2)
        return 0
    ctrl[OUT_NDIM] = -1
    if result is None:
        return 0
    if _is_array(result) and _format(memoryview(result)) not in _INT_FORMATS:
        n, shape, _ = _emit_array(result, 0)  # other dtypes / layouts: a float32 copy in out
        ctrl[OUT_ADDR] = _address(memoryview(out))
        _emit_shape(shape, n)
        return 0
    return json.dumps(_pack(result, [0]), allow_nan=False)


def _emit_shape(shape, n):
    ctrl[OUT_NDIM] = len(shape)
    ctrl[OUT_LEN] = n
    for k, size in enumerate(shape[:3]):
        ctrl[OUT_SHAPE + k] = size


def _address(mv):
    """Heap address as a signed int32 (JS reads it back with >>> 0)."""
    owner = mv.obj
    if isinstance(owner, array) and mv.nbytes == len(owner) * owner.itemsize:
        addr = owner.buffer_info()[0]  # a view of a whole array starts at its address (fast path)
    else:
        addr = buffer_address(mv) if mv.nbytes else 0
    return addr - (1 << 32) if addr >= 1 << 31 else addr
