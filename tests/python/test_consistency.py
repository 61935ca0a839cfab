"""Things written in two places agree: numerics.py vs the C header's RV_* defines,
and the version in package.json, the Python package and the compiled kernel. Constants
written in one place stay there: every approximation coefficient in src/approx.h."""

import ast
import json
import math
import re
import struct

import pytest
import ruvector_attention as ra
from ruvector_attention import numerics

pytestmark = pytest.mark.nonumpy

DEFINE = re.compile(r"^\s*#define\s+RV_(\w+)\s+\(?\s*(-?[0-9][0-9.eE+-]*)f?\s*\)?\s*(?:/\*.*)?$")
# CPU feature bits are an ABI detail of rv_cpu_features(), mirrored by _kernel.py (checked below).
NOT_NUMERICS = ("CPU_",)


def header_constants(repo_root):
    # ruvector.h and every family header (include/rv_<family>.h)
    text = "\n".join(p.read_text() for p in sorted((repo_root / "wasm" / "include").glob("*.h")))
    found = {}
    for line in text.splitlines():
        m = DEFINE.match(line)
        if m:
            found[m.group(1)] = float(m.group(2))
    return found


def mirrored_block_names(repo_root):
    """Names assigned in numerics.py between the 'mirrors ruvector.h' marker and the next section."""
    source = (repo_root / "py" / "ruvector_attention" / "numerics.py").read_text()
    # the block starts at the comment line "# --- mirrors ruvector.h ---" and ends at the next "# ---"
    start = re.search(r"^#.*mirrors ruvector\.h.*$", source, re.M)
    assert start, "numerics.py lost its '# --- mirrors ruvector.h' marker line"
    block = source[start.end():].split("\n# ---", 1)[0]
    return {t.id for node in ast.parse(block).body if isinstance(node, ast.Assign) for t in node.targets}


# a float literal (1.5, 2e-3, .5f); an exponent alone makes one too
FLOAT_LITERAL = re.compile(r"(?<![\w.])((?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)[fF]?(?![\w.])")


def as_f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def test_header_constants_equal_numerics(repo_root):
    header = header_constants(repo_root)
    assert header, "no RV_* numeric defines parsed from ruvector.h"
    numeric = {k: v for k, v in header.items() if not k.startswith(NOT_NUMERICS)}
    missing = sorted(k for k in numeric if not hasattr(numerics, k))
    assert not missing, f"ruvector.h defines RV_{missing} but numerics.py has no such name"
    for name, value in numeric.items():
        # The header writes floats as f32 literals; compare at f32 precision.
        assert as_f32(getattr(numerics, name)) == as_f32(value), f"{name}: numerics.py {getattr(numerics, name)} != ruvector.h {value}"


def test_every_mirrored_numerics_name_is_in_the_header(repo_root):
    header = header_constants(repo_root)
    names = mirrored_block_names(repo_root)
    assert names, "numerics.py lost its 'mirrors ruvector.h' block"
    assert not sorted(n for n in names if n not in header), "numerics.py mirrors names the header does not define"


def test_cpu_feature_bits_match_kernel_loader(repo_root):
    from ruvector_attention import _kernel

    header = header_constants(repo_root)
    bits = {"avx2": header["CPU_AVX2_FMA"], "neon": header["CPU_NEON"], "wasm128": header["CPU_WASM128"]}
    assert {k: float(v) for k, v in _kernel._CPU_BIT.items()} == bits


def test_versions_agree(repo_root):
    package_json = json.loads((repo_root / "package.json").read_text())
    assert package_json["version"] == ra.__version__ == ra.kernel_info()["version"]


def test_errors_carry_the_typescript_codes():
    expected = {
        "DimensionMismatchError": "DIMENSION_MISMATCH", "EmptyInputError": "EMPTY_INPUT",
        "NumericalInstabilityError": "NUMERICAL_INSTABILITY", "InvalidConfigError": "INVALID_CONFIG",
        "OutOfBoundsError": "OUT_OF_BOUNDS", "UnsupportedError": "UNSUPPORTED",
    }
    assert {name: getattr(ra, name).code for name in expected} == expected


def _precise_literals(text):
    """Float literals with 5 or more significant digits that are not a power of two:
    polynomial and series coefficients, reduction constants."""
    code = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)
    for literal in FLOAT_LITERAL.findall(code):
        digits = re.split("[eE]", literal)[0].replace(".", "").strip("0")
        if len(digits) >= 5 and math.frexp(float(literal))[0] != 0.5:
            yield literal


def test_approximation_coefficients_are_named_once_in_approx_h(repo_root):
    src = repo_root / "wasm" / "src"
    assert len(list(_precise_literals((src / "approx.h").read_text()))) >= 15  # the scan sees them
    stray = {p.name: found for p in sorted(src.glob("*.[ch]")) if p.name != "approx.h"
             if (found := list(_precise_literals(p.read_text())))}
    assert not stray, f"name these coefficients in wasm/src/approx.h: {stray}"
