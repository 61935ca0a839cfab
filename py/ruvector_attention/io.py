"""Weights as safetensors (https://github.com/huggingface/safetensors): ``save_file`` /
``load_file`` of named float32 tensors with string metadata (``Attention.save`` puts
the mechanism's class and config there).

Written by hand, in the standard library, because the ``safetensors`` package is a
compiled extension that is not available inside Pyodide; the format is small
(u64 header length, JSON header, raw little-endian data) and tests check interop
with the real package natively.
"""

from __future__ import annotations

import json
import struct
import sys
from array import array
from typing import TYPE_CHECKING

from . import _arrays
from ._kernel import copy_bytes
from .errors import UnsupportedError
from .numerics import FLOAT32_BYTES

if TYPE_CHECKING:
    from typing import Any

    from ._typing import PathLike

_MAX_HEADER_BYTES = 100 * 1024 * 1024  # the safetensors limit
_DTYPE_BYTES = {"F32": 4, "F64": 8, "F16": 2, "BF16": 2}


def _little_endian(a):
    if sys.byteorder == "big":
        a = array(a.typecode, a)
        a.byteswap()
    return a


def save_file(tensors: Any, path: PathLike, metadata: Any = None) -> Any:
    """Write ``{name: array-like}`` as float32 safetensors; ``metadata`` is str -> str."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = _arrays.f32(tensors[name], name)
        data = _little_endian(_arrays.as_floats(t)).tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the format pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for chunk in chunks:
            f.write(chunk)


def _decode(dtype, data):
    if dtype == "F32":
        return _little_endian(array("f", data))
    if dtype == "F64":
        return array("f", _little_endian(array("d", data)))
    if dtype == "F16":
        return array("f", struct.unpack(f"<{len(data) // 2}e", data))
    # BF16 is the top half of an F32
    halves = struct.unpack(f"<{len(data) // 2}H", data)
    return array("f", struct.unpack(f"<{len(halves)}f", struct.pack(f"<{len(halves)}I",
                                                                   *(h << 16 for h in halves))))


def load_file(path: PathLike) -> Any:
    """``{name: tensor}`` of a safetensors file, as ``safetensors.numpy.load_file``:
    numpy arrays when numpy is installed, else ``FloatArray``s (F32 / F64 / F16 / BF16,
    all widened or narrowed to float32). The metadata: ``load_file_with_metadata``."""
    return load_file_with_metadata(path)[0]


def load_file_with_metadata(path: PathLike) -> Any:
    """Read safetensors -> (``{name: tensor}``, metadata dict), tensors as ``load_file``."""
    with open(path, "rb") as f:
        blob = f.read()
    bad = f"{path} is not a valid safetensors file"
    if len(blob) < 8:
        raise UnsupportedError(f"{bad}: shorter than its 8-byte header length")
    (size,) = struct.unpack("<Q", blob[:8])
    if size > min(_MAX_HEADER_BYTES, len(blob) - 8):
        raise UnsupportedError(f"{bad}: header length {size} exceeds the file")
    try:
        header = json.loads(blob[8:8 + size])
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise UnsupportedError(f"{bad}: the header is not JSON") from None
    if not isinstance(header, dict):
        raise UnsupportedError(f"{bad}: the header is a JSON {type(header).__name__}, not an object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in metadata.items()):
        raise UnsupportedError(f"{bad}: __metadata__ must map strings to strings")
    body = memoryview(blob)[8 + size:]
    tensors = {}
    for name, spec in header.items():
        dtype, shape, begin, end = _tensor_spec(name, spec, bad)
        if not isinstance(dtype, str) or dtype not in _DTYPE_BYTES:
            raise UnsupportedError(f"{path}: tensor {name} has dtype {dtype}; "
                                   f"supported: {sorted(_DTYPE_BYTES)}")
        count = 1
        for s in shape:
            count *= s
        if not 0 <= begin <= end <= len(body) or end - begin != count * _DTYPE_BYTES[dtype]:
            raise UnsupportedError(f"{bad}: tensor {name} has offsets {begin}..{end} that do not "
                                   f"fit its shape {shape} or the file")
        values = _decode(dtype, bytes(body[begin:end]))
        owner, ptr = _arrays.output(tuple(shape), _arrays.np is not None)
        if count:
            copy_bytes(ptr, values.buffer_info()[0], count * FLOAT32_BYTES)
        tensors[name] = _arrays.result(owner, tuple(shape))
    return tensors, metadata


def _whole(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _tensor_spec(name, spec, bad):
    """(dtype, shape, begin, end) of one header entry, every part checked for its type."""
    if not isinstance(spec, dict):
        raise UnsupportedError(f"{bad}: tensor {name!r} is described by a {type(spec).__name__}, "
                               "not an object")
    shape, offsets = spec.get("shape"), spec.get("data_offsets")
    if not isinstance(shape, list) or not all(_whole(s) for s in shape):
        raise UnsupportedError(f"{bad}: tensor {name!r} has shape {shape!r}, not a list of "
                               "integers >= 0")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_whole(o) for o in offsets):
        raise UnsupportedError(f"{bad}: tensor {name!r} has data_offsets {offsets!r}, not "
                               "[begin, end] integers >= 0")
    return spec.get("dtype"), shape, offsets[0], offsets[1]
