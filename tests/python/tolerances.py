"""One tolerance table and one `assert_close` for the whole suite.

The table is tests/fixtures/tolerances.json (the Node and browser tests read the same
file), each row with the reason for its numbers. Keys are (mechanism, path); "path"
names what is compared:
  forward / weights / backward   f32 kernel vs the float64 reference twin
  torch                          f32 kernel vs PyTorch (float64 autograd / modules)
  scalar_vs_simd                 the forced-scalar kernel vs the SIMD kernel (both f32)
  consistency                    two f32 routes through the same kernel (batch vs loop,
                                 graph row vs forward, permuted keys)
  fixture                        committed JSON fixtures vs today's output (native or wasm,
                                 any ISA: the JSON carries these numbers for the JS tests)

Why these numbers: inputs are ~N(0, 1), so logits q.k/sqrt(d) are O(1) and
every output is a convex combination of O(1) values. f32 accumulation over
d <= 128 and n <= 10 000 keys with an online softmax loses a few ulps per
step. Measured worst |diff| over the whole suite (AVX2 build): SDPA
forward 1.2e-6, weights 1.2e-7, backward 7e-8, scalar vs AVX2 7.8e-7;
multi-head forward 3.3e-7, backward 2.4e-7. The bounds below sit about 5-10x
above that (other ISAs and the wasm build round differently) and far below
what a real bug does (a wrong scale, a dropped key or a missing bias moves
outputs by 1e-2 or more). Fixtures are read by the wasm build in Node and
the browser, so they get the loosest entry.

Pure Python (no numpy) so the numpy-hidden run can use it too.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

try:  # numpy only speeds up the comparison; the pure path below is the same check
    import numpy as _np
except ImportError:
    _np = None

TABLE_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "tolerances.json"

#: (mechanism, path) -> (rtol, atol), from the one table every runtime's tests read.
TOLERANCES: dict[tuple[str, str], tuple[float, float]] = {
    tuple(key.split("/")): (row["rtol"], row["atol"])
    for key, row in json.loads(TABLE_FILE.read_text())["tolerances"].items()
}


def tolerance(mechanism: str, path: str) -> tuple[float, float]:
    try:
        return TOLERANCES[(mechanism, path)]
    except KeyError:
        raise KeyError(f"no tolerance for ({mechanism!r}, {path!r}); add it to {TABLE_FILE.name}") from None


def flatten(x) -> tuple[list[float], tuple[int, ...]]:
    """Any supported array-like (numpy, memoryview, array.array, nested lists, scalars)
    -> (flat list of floats, shape)."""
    if hasattr(x, "detach"):  # torch tensor
        x = x.detach().cpu().double().numpy()
    if isinstance(x, memoryview) or type(x).__name__ == "FloatArray":
        flat, _ = flatten(x.tolist()) if x.ndim else ([float(x.tolist())], ())
        return flat, tuple(x.shape)
    if hasattr(x, "tolist") and hasattr(x, "reshape"):  # numpy array
        return [float(v) for v in x.reshape(-1).tolist()], tuple(x.shape)
    if isinstance(x, (int, float)):
        return [float(x)], ()
    items = list(x)
    if not items:
        return [], (0,)
    if isinstance(items[0], (int, float)):
        return [float(v) for v in items], (len(items),)
    flat: list[float] = []
    inner_shape = None
    for row in items:
        row_flat, row_shape = flatten(row)
        if inner_shape is None:
            inner_shape = row_shape
        elif row_shape != inner_shape:
            raise AssertionError(f"ragged array: rows of shape {inner_shape} and {row_shape}")
        flat.extend(row_flat)
    return flat, (len(items),) + tuple(inner_shape or ())


def assert_close(actual, expected, key: tuple[str, str], *, what: str = "") -> None:
    """Assert shape equality, finiteness and |a - e| <= atol + rtol * |e| elementwise."""
    rtol, atol = tolerance(*key)
    if _np is not None:
        _assert_close_numpy(actual, expected, rtol, atol, key, what)
        return
    a, a_shape = flatten(actual)
    e, e_shape = flatten(expected)
    label = f"{what} [{key[0]}/{key[1]} rtol={rtol:g} atol={atol:g}]"
    assert a_shape == e_shape, f"{label}: shape {a_shape} != expected {e_shape}"
    worst_i, worst_excess = -1, 0.0
    for i, (av, ev) in enumerate(zip(a, e)):
        if not math.isfinite(av):
            raise AssertionError(f"{label}: non-finite value {av} at flat index {i}")
        excess = abs(av - ev) - (atol + rtol * abs(ev))
        if excess > worst_excess:
            worst_i, worst_excess = i, excess
    if worst_i >= 0:
        av, ev = a[worst_i], e[worst_i]
        raise AssertionError(
            f"{label}: flat index {worst_i} of shape {a_shape}: got {av!r}, expected {ev!r}, "
            f"|diff|={abs(av - ev):.3g}"
        )


def _assert_close_numpy(actual, expected, rtol, atol, key, what) -> None:
    def as64(x):
        if hasattr(x, "detach"):
            x = x.detach().cpu().double().numpy()
        if isinstance(x, memoryview):
            x = x.tolist() if x.format not in ("f", "d") else _np.asarray(x)
        return _np.asarray(x, dtype=_np.float64)

    a, e = as64(actual), as64(expected)
    label = f"{what} [{key[0]}/{key[1]} rtol={rtol:g} atol={atol:g}]"
    assert a.shape == e.shape, f"{label}: shape {a.shape} != expected {e.shape}"
    if not _np.all(_np.isfinite(a)):
        bad = tuple(int(i) for i in _np.argwhere(~_np.isfinite(a))[0])
        raise AssertionError(f"{label}: non-finite value {a[bad]} at index {bad}")
    excess = _np.abs(a - e) - (atol + rtol * _np.abs(e))
    if a.size and excess.max() > 0:
        i = _np.unravel_index(int(_np.argmax(excess)), a.shape)
        raise AssertionError(
            f"{label}: index {tuple(int(v) for v in i)} of shape {a.shape}: got {a[i]!r}, "
            f"expected {e[i]!r}, |diff|={abs(a[i] - e[i]):.3g}, "
            f"{int((excess > 0).sum())} of {a.size} elements out of tolerance"
        )
