"""Every public signature is annotated, and the annotations resolve (typing.get_type_hints
with the TYPE_CHECKING names); the package ships py.typed (test_floats.py)."""

import importlib
import inspect
import pkgutil
import typing

import pytest
import ruvector_attention as ra

pytestmark = pytest.mark.nonumpy

PRIVATE_HELPERS = {"validation", "cli", "catalog"}  # internal plumbing, not the user API


def public_modules():
    for info in pkgutil.walk_packages(ra.__path__, "ruvector_attention."):
        parts = info.name.split(".")[1:]
        if any(p.startswith(("_", "lib")) for p in parts) or parts[0] in PRIVATE_HELPERS | {"bench", "torch"}:
            continue
        if parts[-1] in {"mha_backward", "edge_backward", "cross_backward", "self_loops", "inputs"}:
            continue
        yield importlib.import_module(info.name)


def public_callables():
    seen = set()
    for mod in public_modules():
        for name, obj in vars(mod).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != mod.__name__:
                continue
            if inspect.isfunction(obj):
                yield f"{mod.__name__}.{name}", obj
            elif inspect.isclass(obj) and not issubclass(obj, BaseException) and obj not in seen:
                seen.add(obj)
                for m, fn in vars(obj).items():
                    if isinstance(fn, property):
                        fn = fn.fget
                    if inspect.isfunction(fn) and (not m.startswith("_") or m == "__init__"):
                        yield f"{mod.__name__}.{name}.{m}", fn


def test_every_public_signature_is_annotated():
    missing = []
    for where, fn in public_callables():
        sig = inspect.signature(fn)
        for p in sig.parameters.values():
            if p.name in ("self", "cls"):
                continue
            if p.annotation is inspect.Parameter.empty:
                missing.append(f"{where}({p.name})")
        if sig.return_annotation is inspect.Signature.empty:
            missing.append(f"{where} -> ?")
    assert not missing, f"{len(missing)} unannotated: {missing[:20]}"


def test_annotations_resolve():
    np = pytest.importorskip("numpy")
    import numpy.typing  # noqa: F401  (the aliases name numpy.typing.ArrayLike)
    from ruvector_attention import _typing

    for _where, fn in public_callables():
        scope = dict(vars(_typing))
        scope.update(vars(inspect.getmodule(fn)))
        scope.update({"Any": typing.Any, "Mapping": typing.Mapping, "Gradients": ra.Gradients,
                      "Attention": ra.Attention, "numpy": np, "FloatArray": ra.FloatArray,
                      "SparseMask": ra.SparseMask})
        typing.get_type_hints(fn, globalns=scope)  # raises on a name that does not exist
