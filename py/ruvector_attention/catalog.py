"""The machine-readable list of mechanisms and their config fields, read by the
TypeScript API (``rt.mechanisms()``) and the visualizer, so a new mechanism appears
there without JS changes."""

import dataclasses

from .core.base import MECHANISMS

_KIND_NAMES = {int: "int", float: "float", bool: "bool", str: "str"}


def mechanism_catalog():
    """One dict per mechanism: ``name``, ``summary`` (first docstring line), ``family``
    (sub-package), ``complexity``, ``methods`` and ``params`` (name, type, default,
    low / high bounds with openness, optional, doc), in constructor order."""
    entries = []
    for name, cls in MECHANISMS.items():
        params = []
        for f in dataclasses.fields(cls.Config):
            m = f.metadata
            params.append({
                "name": f.name, "type": _KIND_NAMES.get(m.get("kind"), "str"),
                "default": f.default, "low": m.get("low"), "high": m.get("high"),
                "lowOpen": m.get("low_open", False), "highOpen": m.get("high_open", False),
                "optional": m.get("optional", False), "doc": m.get("doc", ""),
            })
        methods = [n for n in ("forward", "attention_weights", "head_attention_weights",
                               "head_output", "forward_batch", "forward_graph", "backward")
                   if callable(getattr(cls, n, None))]
        entries.append({
            "name": name, "family": cls.__module__.split(".")[-2],
            "summary": (cls.__doc__ or "").strip().splitlines()[0],
            "complexity": cls.complexity.value, "methods": methods, "params": params,
        })
    return entries
