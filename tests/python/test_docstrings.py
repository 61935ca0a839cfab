"""Every docstring example in the package runs (STYLE habit 6: one example per
public class, executed by the test-suite)."""

import doctest
import importlib
import importlib.util
import pkgutil

import pytest
import ruvector_attention

# Python modules only: the kernel library (libruvector_kernel.so) also looks like an
# extension module to pkgutil.
MODULES = sorted(m.name for m in pkgutil.walk_packages(ruvector_attention.__path__, "ruvector_attention.")
                 if not m.name.endswith("__main__")
                 and importlib.util.find_spec(m.name).origin.endswith(".py"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_core_mechanisms_have_examples():
    for cls in (ruvector_attention.ScaledDotProductAttention, ruvector_attention.MultiHeadAttention):
        assert ">>>" in (cls.__doc__ or ""), f"{cls.__name__} has no runnable example"
