"""The Python half of the JavaScript bridge (js/src/bridge.ts is the other half).

Why it exists: converting JS arrays element by element into Python objects
costs far more than the attention itself. So inputs and outputs live in
Python-owned ``array.array`` buffers inside the wasm heap; JavaScript writes
inputs straight into them through ``getBuffer('f32')`` (one memcpy), reads the
output the same way, and each call passes only small integers through
``ctrl``. This module turns those buffers into shaped memoryviews, calls the
public Python API, and copies results back. It is plain Python (no numpy, no
``js`` import), so it also runs natively, where tests drive it directly.

Protocol of one call (see ``invoke``):

* JS writes each array argument into an input slot (or names a resident
  ``Matrix``) and describes it in ``ctrl``: ``ARG_BASE + 5*i`` holds
  ``kind, ndim, dim0, dim1, dim2`` (kind: 1 float slot, 2 matrix with its
  handle in dim0, 3 int slot, 4 an int scalar in dim0).
* ``ctrl[MASK_LEN] >= 0`` passes ``mask=`` from the uint8 mask slot.
* ``invoke(handle, method, kwargs_json)`` returns ``0`` (result, if an array,
  is in ``out`` with its shape in ``ctrl[OUT_*]``), a JSON string for
  structured results (arrays inside are ``{"$a": [offset, shape]}`` into
  ``out``; ``{"$i": ...}`` for int32 data), or ``-1`` on error
  (``last_error()`` says what).
* ``call_function(name, kwargs_json)`` does the same for the public module
  functions in ``FUNCTIONS`` (e.g. the synthetic graphs of ``datasets``).

Shape legend: N keys, D key width, DV value width, B batch.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from array import array

from . import errors
from ._kernel import buffer_address

# ctrl layout (int32). JS mirrors these numbers in js/src/bridge.ts.
CTRL_SIZE = 64
HANDLE, NARGS, MASK_LEN, OUT_NDIM, OUT_LEN = 0, 1, 2, 3, 4
OUT_SHAPE = 5           # 5, 6, 7: the output shape (up to 3 dims)
GENERATION = 8          # bumped whenever a buffer object is replaced (JS re-acquires views)
OUT_ADDR = 9            # heap address of a single array result (JS copies it out from there)
SAME_ARGS = 10          # set by JS: argument descriptors identical to the previous call's
ARG_BASE = 16           # 5 ints per argument, up to MAX_ARGS arguments
MAX_ARGS = 8
KIND_NONE, KIND_FLOAT, KIND_MATRIX, KIND_INT, KIND_SCALAR = 0, 1, 2, 3, 4

ctrl = array("i", bytes(4 * CTRL_SIZE))
float_slots = [array("f") for _ in range(MAX_ARGS)]
int_slots = [array("i") for _ in range(MAX_ARGS)]
mask_slot = array("B")
out = array("f")

_objects: dict[int, object] = {}   # handle -> mechanism or Matrix
_next_handle = 1
_last_error = ("INTERNAL", "", "")


class Matrix:
    """A float32 (rows, cols) buffer that stays in the wasm heap between calls."""

    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.data = _zeros("f", rows * cols)
        self._view = _shaped(memoryview(self.data), (rows, cols))

    def view(self):
        return self._view


# ------------------------------------------------------------------ buffers

def _zeros(typecode, n):
    return array(typecode, bytes(array(typecode).itemsize * n))


def reserve(kind, index, n):
    """Make input slot ``index`` of ``kind`` ('f', 'i', 'B') hold at least n items.

    Returns the (possibly new) array; the caller re-acquires its buffer view."""
    if kind == "f":
        slots = float_slots
        _views[index] = None  # drop the cached view so the old array can be freed
    elif kind == "i":
        slots = int_slots
        _views[index] = None
    elif kind == "B":
        global mask_slot
        if len(mask_slot) < n:
            mask_slot = _zeros("B", _grow(len(mask_slot), n))
            ctrl[GENERATION] += 1
        return mask_slot
    else:
        raise errors.InternalError(f"unknown slot kind {kind!r}")
    if len(slots[index]) < n:
        slots[index] = _zeros(kind, _grow(len(slots[index]), n))
        ctrl[GENERATION] += 1
    return slots[index]


def _grow(current, needed):
    # Grow geometrically so a loop of slightly larger inputs does not reallocate each time.
    return max(needed, current + current // 2, 64)


def _shaped(mv, shape):
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
        bigger = _zeros("f", _grow(len(out), n))
        bigger[:len(out)] = out
        out = bigger
        ctrl[GENERATION] += 1


def buffers():
    """The current buffer objects, for JS to (re-)acquire views after a generation change."""
    return {"ctrl": ctrl, "float": float_slots, "int": int_slots, "mask": mask_slot, "out": out}


# ------------------------------------------------------------------ errors

def _error_code(exc):
    if isinstance(exc, errors.AttentionError):
        return exc.code
    if isinstance(exc, TypeError):
        # e.g. an unknown or missing constructor keyword
        return "INVALID_CONFIG"
    return "INTERNAL"


def _guard(fn):
    """Run fn; on an exception record (code, type, message) and return -1."""
    def wrapped(*args):
        global _last_error
        try:
            return fn(*args)
        except Exception as exc:  # every failure becomes a typed JS error, never a crash
            _last_error = (_error_code(exc), type(exc).__name__, str(exc))
            return -1
    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


def last_error():
    """JSON [code, python type, message] of the last failed call."""
    return json.dumps(_last_error)


# ------------------------------------------------------------------ names

_CAMEL_RE = re.compile(r"_([a-z0-9])")
_SNAKE_RE = re.compile(r"([A-Z])")


def camel(name):
    return _CAMEL_RE.sub(lambda m: m.group(1).upper(), name)


def snake(name):
    return _SNAKE_RE.sub(lambda m: "_" + m.group(1).lower(), name)


def _mechanisms():
    import ruvector_attention as ra
    return ra.MECHANISMS


# ------------------------------------------------------------------ arguments

_views = [None] * MAX_ARGS  # per slot: (ctrl descriptor, array, shaped view) of the last call


def _arg(i):
    base = ARG_BASE + 5 * i
    kind = ctrl[base]
    if kind == KIND_FLOAT or kind == KIND_INT:
        slot = float_slots[i] if kind == KIND_FLOAT else int_slots[i]
        descriptor = ctrl[base:base + 5]
        cached = _views[i]
        # Hot loops repeat shapes: reuse the shaped view (building one costs ~1.5 us in Pyodide).
        if cached is not None and cached[1] is slot and cached[0] == descriptor:
            return cached[2]
        ndim = ctrl[base + 1]
        view = _shaped(memoryview(slot), tuple(ctrl[base + 2:base + 2 + ndim]))
        _views[i] = (descriptor, slot, view)
        return view
    if kind == KIND_MATRIX:
        return _get(ctrl[base + 2], Matrix).view()
    if kind == KIND_SCALAR:
        return ctrl[base + 2]
    if kind == KIND_NONE:
        return None
    raise errors.InternalError(f"bad argument kind {kind}")


def _get(handle, cls=None):
    obj = _objects.get(handle)
    if obj is None:
        raise errors.InternalError(f"handle {handle} does not exist (already disposed?)")
    if cls is not None and not isinstance(obj, cls):
        raise errors.InternalError(f"handle {handle} is a {type(obj).__name__}, not a {cls.__name__}")
    return obj


# ------------------------------------------------------------------ results

def _is_array(x):
    return isinstance(x, (memoryview, array)) or hasattr(x, "__array_interface__")


_INT_FORMATS = set("bBhHiIlLqQnN")


def _emit_array(x, offset):
    """Copy array x into out at offset; return (n items, shape, is_int).

    Integer arrays (CSR indices, layers) travel as int32 bit patterns in the
    float32 buffer, so they stay exact; JS reads them through an Int32Array."""
    mv = memoryview(x)
    shape = tuple(mv.shape)
    fmt = mv.format.lstrip("@=<>!")  # numpy reports e.g. '<q'; cast() takes native codes only
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


def _emit_array_is_int(x):
    return memoryview(x).format.lstrip("@=<>!") in _INT_FORMATS


_result = None  # the last single-array result, alive until JS has copied it out


def _emit(result):
    global _result
    _result = None
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
    if _is_array(result) and not _emit_array_is_int(result):
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


# ------------------------------------------------------------------ calls

_last_args = None  # (generation, positional args) of the last call without kwargs


def invoke(handle, method, kwargs_json=None):
    """Call ``method`` of object ``handle`` with the arguments described in ctrl."""
    try:
        return _invoke(handle, method, kwargs_json)
    except Exception as exc:  # every failure becomes a typed JS error, never a crash
        return _fail(exc)


def _fail(exc):
    global _last_error
    _last_error = (_error_code(exc), type(exc).__name__, str(exc))
    return -1


def _invoke(handle, method, kwargs_json):
    global _last_args
    obj = _get(handle)
    fn = None if method[:1] == "_" else getattr(obj, method, None)
    if not callable(fn):
        raise errors.UnsupportedError(f"{type(obj).__name__} has no method {method!r}")
    if kwargs_json:
        _last_args = None
        args, kwargs = _arguments(kwargs_json)
    else:  # the hot path: positional arrays only, often the same views as last time
        last = _last_args
        if ctrl[SAME_ARGS] and last is not None and last[0] == ctrl[GENERATION]:
            args = last[1]
        else:
            _last_args = None
            args = [_arg(i) for i in range(ctrl[NARGS])]
            _last_args = (ctrl[GENERATION], args)
        kwargs = {}
    if ctrl[MASK_LEN] >= 0:
        kwargs["mask"] = memoryview(mask_slot)[:ctrl[MASK_LEN]].cast("?")
    result = fn(*args, **kwargs)
    return _emit(None if result is obj else result)  # train()/eval() return self, like torch


def _arguments(kwargs_json):
    """Positional args from ctrl, and kwargs from JSON where {'$arg': i} names array
    argument i (e.g. forward_graph's values=); those are not passed positionally."""
    kwargs, by_name = {}, set()
    for key, value in (json.loads(kwargs_json) if kwargs_json else {}).items():
        if isinstance(value, dict) and "$arg" in value:
            by_name.add(value["$arg"])
            value = _arg(value["$arg"])
        kwargs[snake(key)] = value
    args = [_arg(i) for i in range(ctrl[NARGS]) if i not in by_name]
    return args, kwargs


def _register(obj):
    global _next_handle
    handle = _next_handle
    _next_handle += 1
    _objects[handle] = obj
    return handle


@_guard
def create(name, options_json):
    """Construct mechanism ``name`` from camelCase options; returns its handle."""
    classes = _mechanisms()
    if name not in classes:
        raise errors.UnsupportedError(
            f"unknown mechanism {name!r}; available: {', '.join(sorted(classes))}")
    options = json.loads(options_json) if options_json else {}
    if not isinstance(options, dict):
        raise errors.InvalidConfigError("options must be an object", field="options")
    kwargs = {snake(k): v for k, v in options.items()}
    return _register(classes[name](**kwargs))


@_guard
def matrix(rows, cols):
    """A resident (rows, cols) float32 buffer; returns its handle (data via matrix_data)."""
    if rows < 0 or cols < 0:
        raise errors.DimensionMismatchError(f"a matrix needs rows, cols >= 0, got ({rows}, {cols})")
    return _register(Matrix(rows, cols))


def matrix_data(handle):
    return _get(handle, Matrix).data


@_guard
def load_state_dict(handle, layout_json):
    """Load parameters written flat into float slot 0; layout = {name: [offset, length]}.

    Each tensor is reshaped to the mechanism's own parameter shape when the
    length matches, so the mechanism's shape check reports real mismatches."""
    obj = _get(handle)
    current = obj.state_dict()
    flat = memoryview(float_slots[0])
    state = {}
    for name, (offset, length) in json.loads(layout_json).items():
        data = flat[offset:offset + length]
        shape = tuple(memoryview(current[name]).shape) if name in current else (length,)
        count = 1
        for s in shape:
            count *= s
        state[name] = _shaped(data, shape) if count == length else data
    obj.load_state_dict(state)
    return 0


#: Module functions JS may call by name: "module.function" under ruvector_attention.
FUNCTIONS = ("datasets.hnsw_graph", "datasets.knn_graph")


@_guard
def call_function(name, kwargs_json=None):
    """Call a public module function with the ctrl-described arrays as positional args."""
    global _last_args
    _last_args = None
    if name not in FUNCTIONS:
        raise errors.UnsupportedError(f"unknown function {name!r}; available: {', '.join(FUNCTIONS)}")
    import importlib
    module_name, func_name = name.rsplit(".", 1)
    fn = getattr(importlib.import_module(f"ruvector_attention.{module_name}"), func_name)
    args, kwargs = _arguments(kwargs_json)
    return _emit(fn(*args, **kwargs))


@_guard
def dispose(handle):
    _objects.pop(handle, None)
    return 0


def live_objects():
    """How many handles are alive (tests check dispose() frees them)."""
    return len(_objects)


@_guard
def info():
    """JSON {python, kernel, isa, catalog}: what init() checks and rt.mechanisms() returns."""
    import ruvector_attention as ra
    kinfo = ra.kernel_info()
    return json.dumps({
        "python": ra.__version__,
        "kernel": kinfo["version"],
        "isa": kinfo["isa"],
        "catalog": catalog(),
    })


def catalog():
    """The mechanism catalogue in the shape of ts-types ``MechanismInfo``: the Python
    catalogue with camelCase names (the Python keyword kept as ``pythonName``)."""
    from .catalog import mechanism_catalog
    return [{**entry,
             "fields": [{**f, "name": camel(f["name"]), "pythonName": f["name"]}
                        for f in entry["fields"]],
             "methods": [camel(m) for m in entry["methods"]]}
            for entry in mechanism_catalog()]
