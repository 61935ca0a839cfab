"""The export manifest: every class and function that crosses into JavaScript is
declared here once, and every other layer (the catalogue, the JS bridge, the worker,
the visualizer's forms, the type-drift test) iterates over this declaration.

* ``@register`` lists an attention mechanism in ``MECHANISMS``; ``@stateful`` lists any
  other class with state (an optimizer, a scheduler, a quantized tensor, ...) in
  ``OBJECTS``.
* ``@exported(returns=..., **kinds)`` declares one method, property or module function:
  the *kind* of each parameter (how JS encodes it) and of the result (how JS decodes
  it). A parameter's kind defaults to the one its name has in ``PARAMETER_KINDS``, so
  most declarations only name the result. Positional parameters are JS positional
  arguments (optional when they have a default); keyword-only ones are the fields of
  the trailing JS options object. A module function is listed in ``FUNCTIONS`` under
  ``"<sub-package>.<name>"`` (its JS namespace and name, camel-cased).
* ``mutates=True`` marks a method that changes the object's state (parameters, mode):
  JS then re-reads the object's properties and drops its kernel plan.

An override of an exported method inherits its declaration when the parameters are
the same; a different signature must be declared again (``spec_of`` refuses it).
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

#: name -> mechanism class, in registration order.
MECHANISMS = {}
#: name -> stateful (non-attention) class, in registration order.
OBJECTS = {}
#: "sub-package.function" -> exported module function.
FUNCTIONS = {}

#: Argument kinds: what JS accepts and how it reaches Python.
ARGUMENT_KINDS = {
    "vector": "one float32 vector (Float32Array or numbers)",
    "rows": "a set of rows: Float32Array[], number[][], { data, rows }, or a resident Matrix",
    "sets": "rows shared by every query, or one set of rows per query",
    "points": "one vector or rows of vectors",
    "scalars": "a number, or a vector of numbers (one per row)",
    "index": "whole numbers in int32 range (CSR indptr / indices)",
    "layers": "per-key integers (HNSW layers); non-integers reach Python, which names them",
    "mask": "a boolean / 0-1 key mask (Uint8Array, boolean[], number[]) or a Float32Array added to the scores",
    "metadata": "per-key graph metadata (GraphMetadata): an object of the fields in METADATA_FIELDS",
    "state": "parameters by name: { name: Float32Array | number[] }",
    "object": "an exported object (a handle) of this runtime",
    "int": "a whole number",
    "float": "a finite number",
    "bool": "true or false",
    "str": "a string",
    "json": "any JSON value (typed arrays become lists)",
}

#: Result kinds: what Python returns and what JS makes of it.
RESULT_KINDS = {
    "none": "nothing (undefined)",
    "vector": "Float32Array",
    "matrix": "Rows2D { data, rows, cols }",
    "points": "Float32Array for one point, Rows2D for rows",
    "scalars": "a number for one point, Float32Array for rows",
    "number": "a number",
    "bool": "true or false",
    "mask": "Uint8Array (1 = the key takes part)",
    "gradients": "Gradients { query, keys, values, params }",
    "state": "StateDict { name: Float32Array }",
    "json": "a plain JSON value (camelCase keys for dataclasses)",
    "record": "an object of the dataclass fields and properties, arrays as typed arrays",
    "handle": "a new exported object of this runtime",
}

#: The kind a parameter has when its declaration does not say (by parameter name).
PARAMETER_KINDS = {
    "query": "vector", "keys": "rows", "values": "rows", "queries": "rows",
    "grad_output": "vector", "features": "rows", "indptr": "index", "indices": "index",
    "mask": "mask", "key_padding_mask": "mask", "metadata": "metadata",
    "edge_features": "rows", "x": "points", "y": "points", "v": "points",
    "state_dict": "state", "mode": "bool", "hnsw_layers": "layers",
    "latent_indptr": "index", "latent_indices": "index", "query_distance": "float",
    "h": "vector", "graph_neighbors": "rows", "latent_neighbors": "rows",
    "embedding": "points", "distance": "scalars", "n": "int", "eps": "float", "k": "float",
    "points": "rows", "weights": "vector",
}

#: The fields of the "metadata" argument kind (GraphMetadata) and their kinds.
METADATA_FIELDS = {"distances": "vector", "hnsw_layers": "layers", "edge_weights": "vector",
                   "structural_features": "rows"}

_SPEC = "__export__"
_revision = [0]  # bumped by every registration: JS re-reads the catalogue when it changed


def revision() -> int:
    """How many registrations happened so far (the catalogue's version)."""
    return _revision[0]


def register(cls: type) -> type:
    """Class decorator: list an attention mechanism in ``MECHANISMS``."""
    MECHANISMS[cls.__name__] = cls
    _revision[0] += 1
    return cls


def stateful(cls: type) -> type:
    """Class decorator: list a stateful object (not an attention) in ``OBJECTS``; its
    ``__init__`` must be ``@exported`` (its parameters are the JS options)."""
    if not hasattr(cls.__init__, _SPEC):
        raise TypeError(f"{cls.__name__}.__init__ must be @exported to be a stateful export")
    OBJECTS[cls.__name__] = cls
    _revision[0] += 1
    return cls


def exported(returns: str = "none", *, mutates: bool = False, as_options: tuple[str, ...] = (),
             namespace: str | None = None, **kinds: str) -> Any:
    """Declare a method, property or module function (see the module docstring);
    ``as_options`` names positional parameters JS passes in its options object;
    ``namespace`` is a module function's JS namespace when it is not its sub-package
    (the Python sub-package that re-exports it)."""
    if returns not in RESULT_KINDS:
        raise TypeError(f"unknown result kind {returns!r}; kinds: {', '.join(RESULT_KINDS)}")
    for name, kind in kinds.items():
        if kind not in ARGUMENT_KINDS:
            raise TypeError(f"parameter {name}: unknown kind {kind!r}; kinds: {', '.join(ARGUMENT_KINDS)}")

    def declare(target):
        if isinstance(target, property):
            setattr(target.fget, _SPEC, {"returns": returns, "args": [], "options": [],
                                         "mutates": False, "property": True})
            return target
        spec = {"returns": returns, "mutates": mutates, "property": False,
                **_parameters(target, kinds, as_options)}
        setattr(target, _SPEC, spec)
        if "." not in target.__qualname__:  # a module function
            FUNCTIONS[f"{namespace or _namespace(target.__module__)}.{target.__name__}"] = target
            _revision[0] += 1
        return target
    return declare


def _namespace(module):
    parts = module.split(".")
    return parts[1] if parts[0] == "ruvector_attention" and len(parts) > 1 else parts[-1]


def _parameters(fn, kinds, as_options=()):
    """{"args": [...], "options": [...]}: each {"name", "kind", "optional"}."""
    params = list(inspect.signature(fn).parameters.values())
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    unknown = set(kinds) - {p.name for p in params}
    if unknown:
        raise TypeError(f"{fn.__qualname__}: @exported names no parameter {sorted(unknown)}")
    out = {"args": [], "options": []}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise TypeError(f"{fn.__qualname__}: parameter {p.name} cannot be exported "
                            "(*args, **kwargs and positional-only parameters have no JS form)")
        kind = kinds.get(p.name, PARAMETER_KINDS.get(p.name))
        if kind is None:
            raise TypeError(f"{fn.__qualname__}: say the kind of parameter {p.name!r} "
                            f"(@exported({p.name}=...))")
        entry = {"name": p.name, "kind": kind, "optional": p.default is not p.empty}
        keyword = p.kind == p.KEYWORD_ONLY or p.name in as_options
        out["options" if keyword else "args"].append(entry)
    return out


def spec_of(cls: type, name: str) -> dict[str, Any] | None:
    """The declaration of ``cls.name`` (inherited through same-signature overrides),
    or None when it is not exported."""
    attr = inspect.getattr_static(cls, name, None)
    fn = attr.fget if isinstance(attr, property) else attr
    if isinstance(fn, (staticmethod, classmethod)):
        return None
    spec = getattr(fn, _SPEC, None)
    if spec is not None or not callable(fn):
        return spec
    for base in cls.__mro__[1:]:
        inherited = getattr(vars(base).get(name), _SPEC, None)
        if inherited is not None:
            moved = [p["name"] for p in inherited["options"]]
            try:
                same = _parameters(fn, _kinds_of(inherited), moved) == {k: inherited[k] for k in ("args", "options")}
            except TypeError:  # a parameter the declaration does not know
                same = False
            if not same:
                raise TypeError(f"{cls.__name__}.{name} overrides an exported method with other "
                                "parameters: declare it with @exported")
            return inherited
    return None


def _kinds_of(spec):
    return {p["name"]: p["kind"] for p in spec["args"] + spec["options"]}


def members(cls: type) -> dict[str, Any]:
    """{name: declaration} of every exported method and property of ``cls``, in
    definition order (bases first)."""
    names = []
    for klass in reversed(cls.__mro__):
        names.extend(n for n in vars(klass) if not n.startswith("_") and n not in names)
    out = {}
    for name in names:
        spec = spec_of(cls, name)
        if spec is not None:
            out[name] = spec
    return out


def constructor(cls: type) -> dict[str, Any]:
    """The JS options of ``cls``: its ``@exported`` ``__init__``, or for a mechanism
    without one the fields of its ``Config`` dataclass (scalar kinds)."""
    spec = getattr(cls.__init__, _SPEC, None)
    if spec is not None:
        return spec
    required = {p.name for p in inspect.signature(cls.__init__).parameters.values()
                if p.default is p.empty and p.name != "self"}
    kind = {int: "int", float: "float", bool: "bool"}
    return {"returns": "handle", "mutates": False, "property": False, "args": [], "options": [
        {"name": f.name, "kind": kind.get(f.metadata.get("kind"), "json"),
         "optional": f.name not in required} for f in dataclasses.fields(cls.Config)]}


def lookup(name: str) -> type | None:
    """The exported class ``name`` (mechanism or object), or None."""
    return MECHANISMS.get(name) or OBJECTS.get(name)
