"""The geometric section of the benchmark (bench/geometric.py): rows per mechanism and
size next to SDPA, inputs inside the ball with and without numpy, and the report."""

from array import array

from ruvector_attention.bench import geometric as G
from ruvector_attention.bench.harness import Inputs


def test_rows_next_to_sdpa_and_report():
    r = G.run(Inputs(0), quick=True, seconds=0.005, dim=16, sizes=(10, 30))
    assert [(x["mechanism"], x["n"]) for x in r["rows"]] == [
        (m, n) for n in (10, 30) for m in ("sdpa", "hyperbolic", "edge-featured (Fe=16)")]
    for x in r["rows"]:
        assert x["p50_us"] > 0
        sdpa = next(y for y in r["rows"] if y["n"] == x["n"] and y["mechanism"] == "sdpa")
        assert abs(x["x_sdpa"] - x["p50_us"] / sdpa["p50_us"]) < 1e-9
    text = G.format_section(r)
    assert "hyperbolic" in text and "target hyperbolic <= 5x" in text


def test_inputs_are_scaled_into_the_ball_without_numpy():
    flat = array("f", [3.0, 4.0, 0.0, 1.0])
    G._in_ball(memoryview(flat).cast("B").cast("f", (2, 2)), 2)
    assert abs((flat[0] ** 2 + flat[1] ** 2) ** 0.5 - 0.9) < 1e-6
    assert abs(flat[3] - 0.9 / 5) < 1e-6
