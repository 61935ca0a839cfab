"""The only module that touches ctypes: loads the C kernel and binds one ISA's functions.

The shared library (native ``.so`` or the Emscripten side module inside Pyodide)
exports every kernel once per instruction set as ``rv_<name>_<isa>``. At import
the best ISA the library and the CPU have is chosen; ``RUVECTOR_FORCE_SCALAR=1``
forces the scalar path. Arguments are plain ints (addresses) and sizes, so ctypes
does no conversion work; ctypes releases the GIL during each call, which is what
lets ``forward_batch`` / ``forward_graph`` run kernels on several threads.
"""

import ctypes
import os

from ._version import __version__
from .errors import InternalError

LIBRARY_NAME = "libruvector_kernel.so"
# Preference order; the CPU must also report the feature (see rv_cpu_features).
ISA_ORDER = ("avx2", "neon", "wasm128", "sse", "scalar")
_CPU_BIT = {"avx2": 1, "neon": 2, "wasm128": 4}

_p, _i64, _i32, _f32, _f64, _u64 = (ctypes.c_void_p, ctypes.c_int64, ctypes.c_int,
                                     ctypes.c_float, ctypes.c_double, ctypes.c_uint64)

# name -> (restype, argtypes), one entry per RV_DECLARE_* kernel of wasm/include/*.h
# (test_kernel_signatures checks every argument's type against the headers)
SIGNATURES = {
    # core: ruvector.h
    "attend": (_i32, [_p, _p, _p, _p, _i64, _i64, _i64, _f32, _f32, _u64, _p, _p]),
    "attend_bias": (_i32, [_p, _p, _p, _p, _p, _i64, _i64, _i64, _f32, _f32, _u64, _p, _p]),
    "attend_multi": (_i32, [_p, _i64, _p, _p, _p, _i64, _i64, _i64, _f32, _p, _p]),
    "attend_batch": (_i32, [_p, _p, _p, _p, _i64, _i64, _i64, _i64, _f32, _p]),
    "attend_backward": (_i32, [_p, _p, _p, _p, _i64, _i64, _i64, _f32, _f32, _u64,
                               _p, _p, _p, _p, _p]),
    "attend_backward_bias": (_i32, [_p, _p, _p, _p, _p, _i64, _i64, _i64, _f32, _f32, _u64,
                                    _p, _p, _p, _p, _p]),
    "mha_forward": (_i32, [_p, _p, _p, _p, _p, _p, _p, _i64, _i64, _i64, _i64, _i64, _i64,
                           _p, _p, _p, _p, _p, _p, _p, _i64, _i64, _p, _p, _p]),
    "linear": (_i32, [_p, _p, _p, _p, _i64, _i64, _i64, _i32]),
    "matmul": (_i32, [_p, _p, _p, _i64, _i64, _i64, _i32]),
    "matmul_tn": (_i32, [_p, _p, _p, _i64, _i64, _i64, _i32]),
    "find_nonfinite": (_i64, [_p, _i64]),
    "stream_sum": (_i32, [_p, _i64, _p]),
    # geometric: rv_geometric.h
    "geo_rows": (_i32, [_i32, _p, _i64, _p, _i64, _i64, _i64, _f32, _f32, _p]),
    "geo_midpoint": (_i32, [_p, _p, _i64, _i64, _f32, _p]),
    "geo_attend": (_i32, [_p, _p, _p, _p, _p, _p, _i64, _i64, _i64, _i64, _i64, _i64, _i64,
                          _f32, _f32, _f32, _i32, _i64, _i64, _p, _p, _p]),
    "geo_backward": (_i32, [_p, _p, _p, _p, _i64, _i64, _i64, _i64, _i64, _f64, _f64, _f64, _i32,
                            _p, _p, _p, _p, _i32, _p, _p]),
    "gat_aggregate": (_i32, [_p, _p, _p, _p, _p, _p, _i64, _i64, _i64, _i64, _i64, _f32, _i32,
                             _p, _i64, _i64, _p, _p]),
    # graph-aware: rv_graph.h
    "rope_rotate": (_i32, [_p, _p, _i64, _i64, _p, _p]),
    "rope_attend": (_i32, [_p, _p, _p, _p, _p, _p, _i64, _i64, _i64, _i64, _i64, _p, _f32, _f32,
                           _i64, _i64, _p, _p]),
    "hnsw_attend": (_i32, [_p, _p, _p, _p, _p, _p, _i64, _i64, _i64, _i64, _i64, _i64, _p, _p,
                           _i64, _f32, _i64, _i64, _p, _p]),
    "hnsw_backward": (_i32, [_p, _p, _p, _p, _i64, _i64, _i64, _i64, _p, _p, _i64, _f32,
                             _p, _p, _p, _p, _p, _p, _p, _p]),
    "struct_attend": (_i32, [_p, _p, _p, _p, _p, _p, _p, _i64, _i64, _i64, _i64, _i64, _i64, _f32,
                             _i64, _i64, _p, _p]),
    "fuse_rows": (_i32, [_p, _p, _p, _p, _i64, _i64, _p]),
    "nearest": (_i32, [_p, _i64, _i64, _p, _i64, _p, _i64, _i64, _p, _p]),
    # sparse / efficient: rv_sparse.h
    "flash_forward": (_i32, [_p, _i64, _p, _p, _p, _i64, _i64, _i64, _i64, _f32, _i64, _i32,
                             _i64, _p, _p, _p]),
    "flash_backward": (_i32, [_p, _i64, _p, _p, _p, _i64, _i64, _i64, _i64, _f32, _i64, _i32,
                              _i64, _p, _p, _p, _p, _p]),
    "linear_prepare": (_i32, [_p, _p, _p, _i64, _i64, _i64, _p, _i64, _i32, _f32, _i32,
                              _p, _p, _p, _p]),
    "linear_query": (_i32, [_p, _i64, _i64, _p, _i64, _i32, _f32, _i32, _p, _p, _p, _i64,
                            _p, _p]),
    "linear_weights": (_i32, [_p, _p, _p, _i64, _i64, _p, _i64, _i32, _f32, _i32, _p, _p,
                              _p]),
    "orthonormalize": (_i32, [_p, _i64, _i64]),
    "csr_check": (_i32, [_p, _p, _i64, _i64, _i64]),
    "attend_csr": (_i32, [_p, _p, _p, _p, _p, _i64, _i64, _i64, _i64, _i64, _f32, _i64, _i64,
                          _p, _p]),
}


def symbol(name, isa=None):
    """The library symbol of kernel ``name`` for ``isa`` (default: the live one)."""
    return f"rv_{name}_{isa or K.isa}"


class Kernel:
    """The kernel functions of one ISA, bound as attributes (``kernel.attend(...)``)."""

    def __init__(self, lib, isa):
        self.isa = isa
        for name, (restype, argtypes) in SIGNATURES.items():
            fn = getattr(lib, symbol(name, isa))
            fn.restype, fn.argtypes = restype, argtypes
            setattr(self, name, fn)


def _library_path():
    return os.environ.get("RUVECTOR_KERNEL_PATH") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), LIBRARY_NAME)


def _load():
    path = _library_path()
    try:
        lib = ctypes.CDLL(path)
    except OSError as exc:
        raise InternalError(f"cannot load the ruvector kernel from {path}: {exc}") from None
    lib.rv_version.restype = ctypes.c_char_p
    lib.rv_cpu_features.restype = ctypes.c_int
    return lib, path


_LIB, _PATH = _load()
KERNEL_VERSION = _LIB.rv_version().decode()
if KERNEL_VERSION != __version__:
    raise InternalError(f"kernel version {KERNEL_VERSION} at {_PATH} does not match "
                        f"the Python package {__version__}: rebuild the package")
_FEATURES = _LIB.rv_cpu_features()
AVAILABLE = tuple(isa for isa in ISA_ORDER if hasattr(_LIB, symbol("attend", isa))
                  and (isa not in _CPU_BIT or _FEATURES & _CPU_BIT[isa]))
_KERNELS = {isa: Kernel(_LIB, isa) for isa in AVAILABLE}


def _default_isa():
    if os.environ.get("RUVECTOR_FORCE_SCALAR", "") not in ("", "0"):
        return "scalar"
    return AVAILABLE[0]


#: The kernel every mechanism calls; switch with ``use_isa`` (tests compare paths).
K = _KERNELS[_default_isa()]

#: The scalar build: plain C, no SIMD, no FMA contraction, so its float64 results are the
#: same bits on every machine (the datasets' neighbour search relies on it).
PORTABLE = _KERNELS["scalar"]


def use_isa(isa):
    """Route every later kernel call to ``isa`` (one of ``AVAILABLE``); returns the previous."""
    global K
    if isa not in _KERNELS:
        raise ValueError(f"ISA {isa!r} is not available here; available: {AVAILABLE}")
    previous, K = K.isa, _KERNELS[isa]
    return previous


_TYPE_NAMES = {_p: "ptr", _i64: "i64", _i32: "i32", _f32: "f32", _f64: "f64", _u64: "u64"}


def call_plan(name, args):
    """A call of kernel ``name`` for a caller outside Python (js/src/direct.ts): the
    library and live-ISA symbol to find it by, and ``args`` each paired with its type
    from SIGNATURES (placeholders such as "keys" are the caller's to fill)."""
    argtypes = SIGNATURES[name][1]
    if len(args) != len(argtypes):
        raise InternalError(f"call_plan({name!r}): {len(args)} arguments, the kernel takes "
                            f"{len(argtypes)}")
    return {"library": _PATH, "symbol": symbol(name),
            "args": [[_TYPE_NAMES[t], a] for t, a in zip(argtypes, args, strict=True)]}


def bound_args(name, first, *values):
    """``values`` as kernel ``name``'s arguments ``first, first + 1, ...``, converted once
    to their ctypes types: a call that passes them again skips ctypes' conversion of each
    (a third of a small call's cost)."""
    argtypes = SIGNATURES[name][1][first:first + len(values)]
    if len(argtypes) != len(values):
        raise InternalError(f"bound_args({name!r}, {first}): {len(values)} values, the kernel "
                            f"takes {len(argtypes)} from there")
    return tuple(t(v) for t, v in zip(argtypes, values, strict=True))


def kernel_info():
    """Which kernel is live: ``{'isa', 'available', 'version', 'library'}``."""
    return {"isa": K.isa, "available": list(AVAILABLE), "version": KERNEL_VERSION,
            "library": _PATH}


# -- raw memory helpers (kept here so no other module needs ctypes) -----------------
_from_buffer, _addressof = ctypes.c_char.from_buffer, ctypes.addressof
#: ``addressof(char_view(buf))`` is a writable buffer's address in two C calls and no
#: Python frame (the per-call hot path); TypeError when read-only, ValueError when empty.
addressof, char_view = _addressof, _from_buffer


def buffer_address(buf):
    """Address of a contiguous buffer (0 for an empty one). ``c_char.from_buffer`` is
    ~6x faster than numpy's ``__array_interface__``; read-only buffers fall back to it."""
    try:
        return _addressof(_from_buffer(buf))
    except ValueError:  # empty buffer
        return 0
    except TypeError:  # read-only: only numpy arrays reach here (others were copied)
        return buf.__array_interface__["data"][0]


def copy_bytes(dst, src, nbytes):
    """memmove between two addresses."""
    if nbytes:
        ctypes.memmove(dst, src, nbytes)


def read_bytes(ptr, nbytes):
    """The ``nbytes`` bytes at address ``ptr``."""
    return ctypes.string_at(ptr, nbytes) if nbytes else b""
