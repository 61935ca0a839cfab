"""The comparison helper itself fails when it should (a checker that cannot fail
would make every test built on it meaningless)."""

import math
from array import array

import pytest
import tolerances as T

pytestmark = pytest.mark.nonumpy

KEY = ("sdpa", "forward")
RTOL, ATOL = T.tolerance(*KEY)


@pytest.mark.parametrize("use_numpy", [True, False])
def test_assert_close_accepts_within_and_rejects_beyond_tolerance(monkeypatch, use_numpy):
    if not use_numpy:
        monkeypatch.setattr(T, "_np", None)  # exercise the pure-Python path
    elif T._np is None:
        pytest.skip("numpy hidden")
    base = [1.0, -2.0, 0.0]
    T.assert_close([1.0 + 0.9 * (ATOL + RTOL), -2.0, 0.0], base, KEY)
    with pytest.raises(AssertionError, match="index"):
        T.assert_close([1.0 + 2 * (ATOL + RTOL), -2.0, 0.0], base, KEY)
    with pytest.raises(AssertionError, match="shape"):
        T.assert_close([1.0, -2.0], base, KEY)
    with pytest.raises(AssertionError, match="shape"):
        T.assert_close([[1.0, -2.0, 0.0]], base, KEY)
    with pytest.raises(AssertionError, match="non-finite"):
        T.assert_close([math.nan, -2.0, 0.0], base, KEY)
    shaped = memoryview(array("f", [1.0, 2.0, 3.0, 4.0])).cast("B").cast("f", (2, 2))
    T.assert_close(shaped, [[1.0, 2.0], [3.0, 4.0]], KEY)
    with pytest.raises(AssertionError):
        T.assert_close(shaped, [[1.0, 2.0], [3.0, 4.5]], KEY)


def test_unknown_tolerance_key_is_an_error():
    with pytest.raises(KeyError, match="no tolerance"):
        T.tolerance("sdpa", "nonsense")
