"""_kernel.SIGNATURES against the C headers: every kernel declared in
wasm/include/*.h is bound, with its return type and, argument by argument, the ctypes
type of its C type. Under ctypes an arity or type slip is silent undefined behaviour
(a float read from an integer register, a size taken from the wrong argument), so
this test is the only thing that catches it."""

import ctypes
import re

import pytest
from ruvector_attention import _kernel

pytestmark = pytest.mark.nonumpy

# C type (qualifiers dropped) -> ctypes type; every pointer is an address (c_void_p).
C_TO_CTYPES = {"int": ctypes.c_int, "int64_t": ctypes.c_int64, "uint64_t": ctypes.c_uint64,
               "float": ctypes.c_float, "double": ctypes.c_double}
DECLARATION = re.compile(r"\b(int|int64_t)\s+rv_(\w+?)_##isa\s*\(([^)]*)\)\s*;")
# rv_version / rv_cpu_features are ISA-independent and bound by _load() itself.


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S).replace("\\\n", " ")


def argument_type(argument):
    """'const float *K' -> c_void_p; 'int64_t n' -> c_int64."""
    if "*" in argument:
        return ctypes.c_void_p
    words = [w for w in argument.split() if w != "const"]
    assert len(words) == 2, f"cannot read the C argument {argument!r}"
    return C_TO_CTYPES[words[0]]


def header_signatures(repo_root):
    found = {}
    for path in sorted((repo_root / "wasm" / "include").glob("*.h")):
        for restype, name, args in DECLARATION.findall(strip_comments(path.read_text())):
            assert name not in found, f"rv_{name} is declared twice"
            found[name] = (C_TO_CTYPES[restype],
                           [argument_type(a) for a in args.split(",") if a.strip()],
                           [a.split()[-1].lstrip("*") for a in args.split(",") if a.strip()],
                           path.name)
    return found


def test_the_parser_reads_every_family(repo_root):
    names = header_signatures(repo_root)
    for kernel in ("attend", "flash_forward", "attend_csr", "rope_attend", "gat_aggregate"):
        assert kernel in names
    assert names["attend_csr"][0] is ctypes.c_int
    assert names["find_nonfinite"][0] is ctypes.c_int64
    assert names["attend"][1][7] is ctypes.c_float and names["attend"][1][9] is ctypes.c_uint64


def test_bindings_equal_the_headers(repo_root):
    header = header_signatures(repo_root)
    assert sorted(_kernel.SIGNATURES) == sorted(header), "bound kernels differ from the headers"
    for name, (restype, argtypes) in _kernel.SIGNATURES.items():
        c_restype, c_argtypes, c_names, where = header[name]
        assert restype is c_restype, f"rv_{name}: restype {restype} but {where} returns {c_restype}"
        assert len(argtypes) == len(c_argtypes), (
            f"rv_{name}: {len(argtypes)} argtypes but {where} declares {len(c_argtypes)}")
        for i, (bound, declared) in enumerate(zip(argtypes, c_argtypes, strict=True)):
            assert bound is declared, (f"rv_{name} argument {i} ({c_names[i]}): bound as "
                                       f"{bound.__name__}, declared {declared.__name__} in {where}")


def test_every_isa_exports_every_kernel():
    for isa in _kernel.AVAILABLE:
        for name in _kernel.SIGNATURES:
            assert hasattr(_kernel._LIB, _kernel.symbol(name, isa)), f"{_kernel.symbol(name, isa)} missing"
