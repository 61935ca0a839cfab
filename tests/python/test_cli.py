"""The benchmark command runs end to end and reports every case it promises
(structure and sanity only: speed is measured by the benchmark, never asserted)."""

import json
import subprocess
import sys

import pytest
import ruvector_attention as ra
from ruvector_attention.bench import format_table

pytest.importorskip("numpy")


@pytest.fixture(scope="module")
def result():
    proc = subprocess.run([sys.executable, "-m", "ruvector_attention", "benchmark", "--quick", "--json",
                           "--seconds", "0.01"], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_benchmark_reports_every_case(result):
    cases = {(r["case"], r["impl"]) for r in result["single_query"]}
    for n in (100, 1000, 10000):
        for impl in ("stream K,V (bound)", "ruvector", "kernel only", "numpy f32"):
            assert (f"sdpa n={n}", impl) in cases
    for h in (4, 8):
        assert (f"mha h={h} n=1000", "ruvector") in cases
    assert len(result["threads"]) == 4  # calibration + batch + 2 graph cases
    assert result["threads"][0]["case"].startswith("calibration")


def test_benchmark_numbers_are_sane(result):
    for r in result["single_query"]:
        assert r["ops_per_s"] > 0 and 0 < r["p50_us"] <= r["p95_us"], r
        if "peak_extra_bytes" in r:
            assert 0 <= r["peak_extra_bytes"] and r["input_bytes"] > 0, r
    for r in result["threads"]:
        assert r["t1_ms"] > 0 and r["t2_ms"] > 0 and r["speedup"] > 0 and r["cores_busy_2_threads"] > 0


def test_benchmark_pins_blas_threads_and_reports_the_kernel(result):
    meta = result["meta"]
    assert meta["kernel_isa"] == ra.kernel_info()["isa"]
    assert meta["version"] == ra.__version__
    assert all(v == "1" for v in meta["blas_threads_env"].values())


def test_table_lists_every_case(result):
    table = format_table(result)
    for r in result["single_query"] + result["threads"]:
        assert r["case"] in table
    assert "x bound" in table and "speedup" in table


def test_bad_arguments_and_info_command():
    proc = subprocess.run([sys.executable, "-m", "ruvector_attention", "benchmark", "--seconds", "-1"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--seconds" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "ruvector_attention", "nonsense"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    proc = subprocess.run([sys.executable, "-m", "ruvector_attention", "info"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["isa"] == ra.kernel_info()["isa"]
