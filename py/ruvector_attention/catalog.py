"""The catalogue: the export manifest (``exports``) as plain data. The TypeScript
runtime builds every class, method, property and function of the JS API from it at
run time (``manifest()``, camel-cased by ``_bridge.catalog``), the visualizer builds its
forms from the mechanisms' fields, and a test checks the public ``.d.ts`` against it.

A method, property or function is ``{"name", "args", "options", "returns", "mutates"}``;
``args`` / ``options`` are ``[{"name", "kind", "optional"}]`` (positional, then the
keywords of the trailing options object); kinds are listed in ``kinds``.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
from typing import TYPE_CHECKING

from . import exports

if TYPE_CHECKING:
    from typing import Any

_KIND_NAMES = {int: "int", float: "float", bool: "bool", str: "str"}


def _plain(value):
    return value.value if isinstance(value, enum.Enum) else value


def _required(cls):
    """Constructor parameters without a default (dim, num_heads, ...)."""
    params = inspect.signature(cls.__init__).parameters.values()
    return {p.name for p in params if p.default is inspect.Parameter.empty and p.name != "self"
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def _field(f, required):
    m, kind = f.metadata, f.metadata.get("kind")
    is_enum = isinstance(kind, type) and issubclass(kind, enum.Enum)
    out = {"name": f.name, "type": "enum" if is_enum else _KIND_NAMES.get(kind, "str"),
           "required": f.name in required, "nullable": bool(m.get("optional")),
           "default": _plain(f.default), "doc": m.get("doc", "")}
    if m.get("low") is not None:
        out["min"] = m["low"]
        if m.get("low_open"):
            out["minExclusive"] = True
    if m.get("high") is not None:
        out["max"] = m["high"]
        if m.get("high_open"):
            out["maxExclusive"] = True
    if is_enum:
        out["choices"] = [str(e.value) for e in kind]
    return out


def _family(cls):
    parts = cls.__module__.split(".")
    return parts[1] if parts[0] == "ruvector_attention" and len(parts) > 2 else parts[-1]


def _summary(obj):
    return ((obj.__doc__ or "").strip().splitlines() or [""])[0]


def _members(cls):
    """(methods, properties) of cls as catalogue entries."""
    methods, properties = [], []
    for name, spec in exports.members(cls).items():
        entry = {"name": name, "args": spec["args"], "options": spec["options"],
                 "returns": spec["returns"], "mutates": spec["mutates"]}
        (properties if spec["property"] else methods).append(entry)
    return methods, properties


def _class_entry(cls):
    methods, properties = _members(cls)
    return {"name": cls.__name__, "family": _family(cls), "summary": _summary(cls),
            "constructor": exports.constructor(cls), "signatures": methods,
            "properties": properties, "methods": [m["name"] for m in methods]}


def mechanism_catalog() -> Any:
    """One dict per mechanism: ``name``, ``family`` (sub-package), ``summary`` (first
    docstring line), ``complexity``, ``methods`` (exported method names),
    ``signatures`` / ``properties`` (their declarations), ``constructor`` and
    ``fields`` in constructor order (name, type, required, nullable, default — for a
    required field a sensible starting value —, min / max with ``minExclusive`` /
    ``maxExclusive``, choices, doc)."""
    entries = []
    for cls in exports.MECHANISMS.values():
        required = _required(cls)
        entries.append({**_class_entry(cls), "complexity": cls.complexity.value,
                        "fields": [_field(f, required) for f in dataclasses.fields(cls.Config)]})
    return entries


def object_catalog():
    """One dict per stateful object: as ``mechanism_catalog`` without the attention
    parts (its ``constructor`` is its exported ``__init__``)."""
    return [_class_entry(cls) for cls in exports.OBJECTS.values()]


def function_catalog():
    """One dict per exported module function: ``name`` ("sub-package.function"),
    ``summary`` and its declaration."""
    out = []
    for name, fn in exports.FUNCTIONS.items():
        spec = fn.__export__
        out.append({"name": name, "summary": _summary(fn), "args": spec["args"],
                    "options": spec["options"], "returns": spec["returns"]})
    return out


def manifest():
    """Everything JS needs: mechanisms, objects, functions and the kinds."""
    return {"mechanisms": mechanism_catalog(), "objects": object_catalog(),
            "functions": function_catalog(),
            "kinds": {"arguments": exports.ARGUMENT_KINDS, "results": exports.RESULT_KINDS,
                      "metadata": exports.METADATA_FIELDS}}
