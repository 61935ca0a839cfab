"""The CSR kernels under AddressSanitizer and UBSan (csr_bounds.c): a broken CSR, or
one thread's slice of one, is refused before any index is read. The normal build would
often report a plausible error after reading past ``indices``; only the sanitizer proves
nothing was read. Skipped where gcc or its sanitizer runtimes are absent."""

import shutil
import subprocess
from pathlib import Path

import pytest
from ruvector_attention import _kernel

pytestmark = pytest.mark.nonumpy

HERE = Path(__file__).resolve().parent
KERNEL = HERE.parents[1] / "wasm"
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
ISA_FLAGS = {"scalar": ["-DRV_ISA_SCALAR"], "avx2": ["-DRV_ISA_AVX2", "-mavx2", "-mfma"]}


def _build(tmp_path, isa):
    objects = []
    for src in sorted((KERNEL / "src").glob("*.c")):
        if src.name == "cpu.c":
            continue
        obj = tmp_path / f"{src.stem}.o"
        subprocess.run(["gcc", "-O0", *SANITIZE, f"-I{KERNEL}/include", *ISA_FLAGS[isa],
                        f"-DRV_ISA_SUFFIX={isa}", "-c", str(src), "-o", str(obj)], check=True)
        objects.append(str(obj))
    exe = tmp_path / "csr_bounds"
    subprocess.run(["gcc", "-O0", *SANITIZE, f"-I{KERNEL}/include", f"-DISA={isa}",
                    str(HERE / "csr_bounds.c"), *objects, "-lm", "-o", str(exe)], check=True)
    return exe


def _sanitizers_link(tmp_path):
    probe = tmp_path / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    return subprocess.run(["gcc", *SANITIZE, str(probe), "-o", str(tmp_path / "probe")],
                          capture_output=True).returncode == 0


@pytest.mark.skipif(not shutil.which("gcc"), reason="needs gcc")
@pytest.mark.parametrize("isa", ["scalar", "avx2"])
def test_csr_kernels_refuse_bad_offsets_without_reading_past_them(tmp_path, isa):
    if not _sanitizers_link(tmp_path):
        pytest.skip("gcc has no AddressSanitizer / UBSan runtime here")
    if isa != "scalar" and isa not in _kernel.AVAILABLE:
        pytest.skip(f"this CPU cannot run {isa}")
    run = subprocess.run([str(_build(tmp_path, isa))], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("ok (80 calls)"), run.stdout
