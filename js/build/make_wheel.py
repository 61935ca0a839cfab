"""Build the Pyodide wheel of ruvector_attention with the standard library only.

    python3 js/build/make_wheel.py <package dir> <wasm kernel .so> <out dir> [<bytecode dir>]

The wheel holds the pure-Python package plus the WebAssembly side module as
``ruvector_attention/libruvector_kernel.so`` (the name _kernel.py looks for), and
the package's Python 3.14 bytecode when given: the files of <bytecode dir>
(``__pycache__/*.cpython-314.pyc`` paths relative to the package, made by
js/build/bytecode.mjs; without them Pyodide compiles the sources at import).
It is tagged ``py3-none-pyemscripten_2026_0_wasm32`` (the ABI of Pyodide 314),
which build tools such as pyodide-lock 0.2.1 reject, hence this script.
Timestamps are fixed so the same inputs give the same bytes (and sha256).
Prints the wheel path.
"""
from __future__ import annotations

import base64
import hashlib
import re
import sys
import zipfile
from pathlib import Path

TAG = "py3-none-pyemscripten_2026_0_wasm32"
DIST_NAME = "ruvector-attention"
IMPORT_NAME = "ruvector_attention"
KERNEL_NAME = "libruvector_kernel.so"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time zip can store: reproducible builds
WASM_MAGIC = b"\0asm"


def read_version(package_dir: Path) -> str:
    text = (package_dir / "_version.py").read_text()
    match = re.search(r'__version__\s*=\s*["\']([^"\']+)["\']', text)
    if not match:
        raise SystemExit(f"no __version__ in {package_dir / '_version.py'}")
    return match.group(1)


def package_files(package_dir: Path) -> list[Path]:
    """Python sources and data files; never a compiled artifact of the native build."""
    skip_suffixes = {".so", ".pyd", ".dylib", ".dll", ".pyc", ".o"}
    files = []
    for path in sorted(package_dir.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        if path.suffix in skip_suffixes:
            continue
        files.append(path)
    return files


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def build(package_dir: Path, kernel: Path, out_dir: Path, bytecode_dir: Path | None = None) -> Path:
    kernel_bytes = kernel.read_bytes()
    if kernel_bytes[:4] != WASM_MAGIC:
        raise SystemExit(f"{kernel} is not a WebAssembly module (a native .so must never ship here)")
    version = read_version(package_dir)
    dist_info = f"{IMPORT_NAME}-{version}.dist-info"
    entries: list[tuple[str, bytes]] = []
    for path in package_files(package_dir):
        arcname = f"{IMPORT_NAME}/{path.relative_to(package_dir).as_posix()}"
        entries.append((arcname, path.read_bytes()))
    for path in sorted(bytecode_dir.rglob("*.pyc")) if bytecode_dir else ():
        entries.append((f"{IMPORT_NAME}/{path.relative_to(bytecode_dir).as_posix()}", path.read_bytes()))
    entries.append((f"{IMPORT_NAME}/{KERNEL_NAME}", kernel_bytes))
    metadata = (
        "Metadata-Version: 2.1\n"
        f"Name: {DIST_NAME}\n"
        f"Version: {version}\n"
        "Summary: Attention mechanisms for graph / HNSW latent spaces (WebAssembly build for Pyodide)\n"
        "License: MIT\n"
        "Requires-Python: >=3.10\n"
    )
    wheel = (
        "Wheel-Version: 1.0\n"
        "Generator: ruvector-attention js/build/make_wheel.py\n"
        "Root-Is-Purelib: false\n"
        f"Tag: {TAG}\n"
    )
    entries.append((f"{dist_info}/METADATA", metadata.encode()))
    entries.append((f"{dist_info}/WHEEL", wheel.encode()))
    entries.append((f"{dist_info}/top_level.txt", f"{IMPORT_NAME}\n".encode()))
    record_lines = [f"{name},{record_hash(data)},{len(data)}" for name, data in entries]
    record_lines.append(f"{dist_info}/RECORD,,")
    entries.append((f"{dist_info}/RECORD", ("\n".join(record_lines) + "\n").encode()))

    out_dir.mkdir(parents=True, exist_ok=True)
    wheel_path = out_dir / f"{IMPORT_NAME}-{version}-{TAG}.whl"
    with zipfile.ZipFile(wheel_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return wheel_path


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        raise SystemExit(__doc__)
    print(build(*(Path(a) for a in sys.argv[1:])))
