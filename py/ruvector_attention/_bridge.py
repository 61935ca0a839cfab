"""The Python half of the JavaScript bridge (js/src/bridge.ts is the other half):
the object table and the calls JS makes (``invoke``, ``create``, ...).

The wire protocol (ctrl layout, buffers, argument and result encoding) is
described in ``_bridge_wire``; JS imports only this module, so the wire
functions it uses (``reserve``, ``buffers``) are re-exported here.
"""

from __future__ import annotations

import importlib
import json

from . import _bridge_wire as wire
from . import errors
from ._bridge_wire import GENERATION, MASK_LEN, NARGS, SAME_ARGS, Matrix, buffers, camel, ctrl, emit, reserve, snake
from ._kernel import kernel_info
from ._version import __version__
from .catalog import mechanism_catalog
from .core.base import MECHANISMS

__all__ = ["invoke", "call_function", "create", "dispose", "reserve", "buffers", "last_error", "matrix",
           "matrix_data", "direct_plan", "load_state_dict", "info", "live_objects", "catalog", "FUNCTIONS"]

# (ctrl is never replaced, so importing it by name is safe; out and mask_slot are: read them as wire.*)
_objects: dict[int, object] = {}   # handle -> mechanism or Matrix
_next_handle = 1
_last_error = ("INTERNAL", "", "")


# ------------------------------------------------------------------ errors

def _error_code(exc):
    if isinstance(exc, errors.AttentionError):
        return exc.code
    if isinstance(exc, TypeError):
        # e.g. an unknown or missing constructor keyword
        return "INVALID_CONFIG"
    return "INTERNAL"


def _fail(exc):
    """Record (code, type, message) of exc for last_error(); return -1, the error status."""
    global _last_error
    _last_error = (_error_code(exc), type(exc).__name__, str(exc))
    return -1


def _guard(fn):
    """Run fn; on an exception record it (_fail) and return -1."""
    def wrapped(*args):
        try:
            return fn(*args)
        except Exception as exc:  # every failure becomes a typed JS error, never a crash
            return _fail(exc)
    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


def last_error():
    """JSON [code, python type, message] of the last failed call."""
    return json.dumps(_last_error)


# ------------------------------------------------------------------ objects

def _get(handle, cls=None):
    obj = _objects.get(handle)
    if obj is None:
        raise errors.InternalError(f"handle {handle} does not exist (already disposed?)")
    if cls is not None and not isinstance(obj, cls):
        raise errors.InternalError(f"handle {handle} is a {type(obj).__name__}, not a {cls.__name__}")
    return obj


def _register(obj):
    global _next_handle
    handle = _next_handle
    _next_handle += 1
    _objects[handle] = obj
    return handle


# ------------------------------------------------------------------ calls

_last_args = None  # (generation, positional args) of the last call without kwargs


def invoke(handle, method, kwargs_json=None):
    """Call ``method`` of object ``handle`` with the arguments described in ctrl."""
    try:
        return _invoke(handle, method, kwargs_json)
    except Exception as exc:  # every failure becomes a typed JS error, never a crash
        return _fail(exc)


def _invoke(handle, method, kwargs_json):
    global _last_args
    obj = _get(handle)
    fn = None if method[:1] == "_" else getattr(obj, method, None)
    if not callable(fn):
        raise errors.UnsupportedError(f"{type(obj).__name__} has no method {method!r}")
    if kwargs_json:
        _last_args = None
        args, kwargs = wire.arguments(kwargs_json, _get)
    else:  # the hot path: positional arrays only, often the same views as last time
        last = _last_args
        if ctrl[SAME_ARGS] and last is not None and last[0] == ctrl[GENERATION]:
            args = last[1]
        else:
            _last_args = None
            args = [wire.arg(i, _get) for i in range(ctrl[NARGS])]
            _last_args = (ctrl[GENERATION], args)
        kwargs = {}
    if ctrl[MASK_LEN] >= 0:
        kwargs["mask"] = wire.mask()
    result = fn(*args, **kwargs)
    return emit(None if result is obj else result)  # train()/eval() return self, like torch


@_guard
def create(name, options_json):
    """Construct mechanism ``name`` from camelCase options; returns its handle."""
    classes = MECHANISMS
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
    flat = memoryview(wire.float_slots[0])
    state = {}
    for name, (offset, length) in json.loads(layout_json).items():
        data = flat[offset:offset + length]
        shape = tuple(memoryview(current[name]).shape) if name in current else (length,)
        count = 1
        for s in shape:
            count *= s
        state[name] = wire.shaped(data, shape) if count == length else data
    obj.load_state_dict(state)
    return 0


#: Module functions JS may call by name: "module.function" under ruvector_attention.
FUNCTIONS = ("datasets.hnsw_graph", "datasets.knn_graph",
             # issue 5: the Poincaré / κ-stereographic math (rt.geometric in JS)
             "geometric.poincare_distance", "geometric.mobius_add", "geometric.mobius_scalar_mul",
             "geometric.exp_map", "geometric.log_map", "geometric.exp_map0", "geometric.log_map0",
             "geometric.project_to_ball", "geometric.gyromidpoint",
             # issue 7: CSR converters for graph metadata (rt.graph in JS)
             "graph.bfs_distances", "graph.structural_features")


@_guard
def call_function(name, kwargs_json=None):
    """Call a public module function with the ctrl-described arrays as positional args."""
    global _last_args
    _last_args = None
    if name not in FUNCTIONS:
        raise errors.UnsupportedError(f"unknown function {name!r}; available: {', '.join(FUNCTIONS)}")
    module_name, func_name = name.rsplit(".", 1)
    fn = getattr(importlib.import_module(f"ruvector_attention.{module_name}"), func_name)
    args, kwargs = wire.arguments(kwargs_json, _get)
    return emit(fn(*args, **kwargs))


@_guard
def direct_plan(handle):
    """JSON of the object's ``_direct_plan()``: how JS may call the kernel itself for
    ``forward`` (js/src/direct.ts); null when the object has none or needs Python now.
    A class that overrides ``forward`` without a plan of its own gets none."""
    obj = _get(handle)
    cls = type(obj)
    owner = next((c for c in cls.__mro__ if "_direct_plan" in vars(c)), None)
    if owner is None or getattr(owner, "forward", None) is not cls.forward:
        return json.dumps(None)
    return json.dumps(obj._direct_plan())


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
    kinfo = kernel_info()
    return json.dumps({
        "python": __version__,
        "kernel": kinfo["version"],
        "isa": kinfo["isa"],
        "catalog": catalog(),
    })


def catalog():
    """The mechanism catalogue in the shape of ts-types ``MechanismInfo``: the Python
    catalogue with camelCase names (the Python keyword kept as ``pythonName``)."""
    return [{**entry,
             "fields": [{**f, "name": camel(f["name"]), "pythonName": f["name"]}
                        for f in entry["fields"]],
             "methods": [camel(m) for m in entry["methods"]]}
            for entry in mechanism_catalog()]
