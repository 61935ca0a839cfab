"""The NEON kernels, checked against the scalar kernels under qemu-aarch64.

CI machines are x86-64, so the NEON path (the one ARM users run) is cross-compiled
with Debian's gcc-aarch64-linux-gnu and run under qemu-user (build.sh installs both).
Skipped where those tools are absent."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNEL = ROOT / "wasm"
CC, QEMU = "aarch64-linux-gnu-gcc", "qemu-aarch64"


def _unit(isa, define):
    """A translation unit compiling kernels.c for one ISA (the native build does this in CMake)."""
    return f'#define {define} 1\n#define RV_ISA_SUFFIX {isa}\n#include "{KERNEL}/src/kernels.c"\n'


@pytest.mark.skipif(not (shutil.which(CC) and shutil.which(QEMU)),
                    reason="needs gcc-aarch64-linux-gnu and qemu-user")
def test_neon_matches_scalar(tmp_path):
    (tmp_path / "neon.c").write_text(_unit("neon", "RV_ISA_NEON"))
    (tmp_path / "scalar.c").write_text(_unit("scalar", "RV_ISA_SCALAR"))
    exe = tmp_path / "parity"
    subprocess.run([CC, "-O2", "-fno-math-errno", "-static", f"-I{KERNEL}/include",
                    f"-I{KERNEL}/src", '-DRV_VERSION="test"', "-DISA=neon", "-o", str(exe),
                    str(Path(__file__).with_name("kernel_parity.c")), str(KERNEL / "src/cpu.c"),
                    str(tmp_path / "neon.c"), str(tmp_path / "scalar.c"), "-lm"], check=True)
    run = subprocess.run([QEMU, str(exe)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "max relative difference" in run.stdout
