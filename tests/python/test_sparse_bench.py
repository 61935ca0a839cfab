"""The sparse scalability section of the benchmark: structure and sanity only (speed
is measured by the benchmark, never asserted)."""

import math

import pytest

pytest.importorskip("numpy")

from ruvector_attention.bench import sparse as bench  # noqa: E402
from ruvector_attention.bench.harness import Inputs  # noqa: E402


def test_fitted_exponent_recovers_a_power_law():
    ns = [1000, 10000, 100000]
    assert math.isclose(bench.fitted_exponent(ns, [3 * n for n in ns]), 1.0)
    assert math.isclose(bench.fitted_exponent(ns, [5.0] * 3), 0.0, abs_tol=1e-12)


def test_section_reports_every_mechanism_and_size():
    result = bench.run(Inputs(0), seconds=0.01, dim=16,
                       sizes=(100, 200, 400), quick=True)
    names = {"sdpa", "flash", "linear", "local-global"}
    assert {(r["mechanism"], r["n"]) for r in result["rows"]} == {(m, n) for m in names for n in (100, 200, 400)}
    assert all(r["p50_us"] > 0 and r["peak_extra_bytes"] >= 0 for r in result["rows"])
    assert {s["mechanism"] for s in result["summary"]} == names
    assert all(math.isfinite(s["exponent"]) for s in result["summary"])
    errors = result["linear_error"]
    assert {(r["norm"], r["num_features"]) for r in errors} == {(1.0, 64), (1.0, 256), (1.0, 1024),
                                                                 (5.0, 64), (5.0, 256), (5.0, 1024)}
    assert all(0 < r["mean_relative_error"] < 2 for r in errors)
    text = bench.format_section(result)
    assert "local-global" in text and "exponent" in text and "relative error" in text
