"""Shared pytest setup for the Python test-suite.

RUVECTOR_HIDE_NUMPY=1 reproduces the Pyodide situation natively: numpy is
made unimportable *before* ruvector_attention is imported, so the package has
to work on array.array / memoryview / lists alone. build.sh runs
`RUVECTOR_HIDE_NUMPY=1 pytest -m nonumpy` for that subset; every test module
that needs numpy starts with `pytest.importorskip("numpy")`, so collection of
the whole tree still succeeds in the hidden run (those modules are skipped).
"""

from __future__ import annotations

import importlib.abc
import os
import sys
from pathlib import Path

import pytest

HIDE_NUMPY = os.environ.get("RUVECTOR_HIDE_NUMPY") == "1"

# Modules that pull numpy in with them; hiding numpy alone would leave these
# half-importable, so they are hidden too.
_HIDDEN_ROOTS = ("numpy", "torch", "safetensors.numpy", "safetensors.torch")


class _HideNumpyFinder(importlib.abc.MetaPathFinder):
    """A meta-path finder that makes `import numpy` (and numpy users) raise ImportError."""

    def find_spec(self, fullname, path=None, target=None):
        if any(fullname == root or fullname.startswith(root + ".") for root in _HIDDEN_ROOTS):
            raise ModuleNotFoundError(f"{fullname} is hidden by RUVECTOR_HIDE_NUMPY=1 (Pyodide-like run)")
        return None


if HIDE_NUMPY:
    # Anything imported earlier (by a plugin) would bypass the finder through
    # the sys.modules cache, so drop it; then put the finder first in line.
    for name in list(sys.modules):
        if any(name == root or name.startswith(root + ".") for root in _HIDDEN_ROOTS):
            del sys.modules[name]
    sys.meta_path.insert(0, _HideNumpyFinder())

# The tests import their helpers (reference.py, tolerances.py) as top-level modules.
sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"

try:  # hypothesis is a test dependency; keep its runs bounded and reproducible.
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "ruvector",
        max_examples=100,
        deadline=None,  # speed is measured by the benchmark, never by tests
        derandomize=True,  # explicit seeds: the same examples on every run
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.load_profile("ruvector")
except ImportError:  # pragma: no cover - hypothesis is installed by build.sh
    pass


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """In the numpy-hidden run, a test module that imports numpy at the top is skipped
    (it cannot run there) rather than reported as a collection error, so every module
    need not spell `pytest.importorskip("numpy")`. Not when the failing import goes
    through the package itself: ruvector_attention needing numpy is exactly the bug
    this run exists to catch."""
    outcome = yield
    report = outcome.get_result()
    if not (HIDE_NUMPY and report.failed):
        return
    text = str(report.longrepr)
    package_frame = f"ruvector_attention{os.sep}" in text
    if "is hidden by RUVECTOR_HIDE_NUMPY=1" in text and not package_frame:
        report.outcome = "skipped"
        report.longrepr = (str(collector.path), 0, "Skipped: needs numpy (hidden by RUVECTOR_HIDE_NUMPY=1)")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES_DIR


def pytest_report_header(config):
    return f"ruvector: numpy hidden = {HIDE_NUMPY}"
