"""The machine-readable list of mechanisms and their config fields, read by the
TypeScript API (``rt.mechanisms()``, which camel-cases the names) and the
visualizer, so a new mechanism appears there without JS changes."""

from __future__ import annotations

import dataclasses
import enum
import inspect
from typing import TYPE_CHECKING

from .core.base import MECHANISMS

if TYPE_CHECKING:
    from typing import Any

_KIND_NAMES = {int: "int", float: "float", bool: "bool", str: "str"}
# Public methods a mechanism may have; the catalogue lists those it does have.
PUBLIC_METHODS = ("forward", "attention_weights", "head_attention_weights", "head_output",
                  "forward_batch", "forward_graph", "backward", "forward_with_edges",
                  "attention_mask", "apply_rotation", "forward_with_metadata", "get_routing")


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


def mechanism_catalog() -> Any:
    """One dict per mechanism: ``name``, ``family`` (sub-package), ``summary`` (first
    docstring line), ``complexity``, ``methods`` and ``fields`` in constructor order
    (name, type, required, nullable, default — for a required field a sensible
    starting value —, min / max with ``minExclusive`` / ``maxExclusive``, choices, doc)."""
    entries = []
    for name, cls in MECHANISMS.items():
        required = _required(cls)
        entries.append({
            "name": name, "family": cls.__module__.split(".")[-2],
            "summary": (cls.__doc__ or "").strip().splitlines()[0],
            "complexity": cls.complexity.value,
            "methods": [m for m in PUBLIC_METHODS if callable(getattr(cls, m, None))],
            "fields": [_field(f, required) for f in dataclasses.fields(cls.Config)],
        })
    return entries
