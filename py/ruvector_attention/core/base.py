"""What every mechanism shares: validated frozen configs, the ``Attention`` base class
(parameters, state_dict, save/load, train/eval). The registry (``MECHANISMS``,
``register``) lives in ``exports``."""

from __future__ import annotations

import dataclasses
import enum
import json
from array import array
from typing import TYPE_CHECKING

from .. import _arrays, _kernel
from .._version import __version__
from ..errors import DimensionMismatchError, InternalError, InvalidConfigError, UnsupportedError
from ..exports import MECHANISMS, exported, register  # noqa: F401  (re-exported for the families)
from ..io import load_file_with_metadata, save_file
from ..numerics import FLOAT32_BYTES, FLOAT32_MAX, FLOAT32_MIN_NORMAL, MAX_PARAMETERS, MAX_SEED, MAX_SIZE

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from .._typing import Array, PathLike

# safetensors metadata keys of a saved mechanism
_META_CLASS = "ruvector_attention.mechanism"
_META_CONFIG = "ruvector_attention.config"
_META_VERSION = "ruvector_attention.version"


class Complexity(enum.Enum):
    LINEAR = "O(n)"
    LINEARITHMIC = "O(n log n)"
    QUADRATIC = "O(n^2)"


@dataclasses.dataclass(frozen=True)
class Gradients:
    """Result of ``backward``: gradients w.r.t. the inputs, and ``params`` keyed by
    the ``state_dict()`` names."""

    query: object
    keys: object
    values: object
    params: dict


def option(default: Any, kind: Any, *, low: Any = None, high: Any = None, low_open: Any = False, high_open: Any = False,
           optional: Any = False, doc: Any = "") -> Any:
    """A config field with its type and bounds; ``validate`` enforces them and the
    catalogue (``mechanism_catalog``) publishes them. An int field without ``high`` is a
    size, bounded by ``numerics.MAX_SIZE``."""
    if kind is int and high is None:
        high = MAX_SIZE
    meta = {"kind": kind, "low": low, "high": high, "low_open": low_open,
            "high_open": high_open, "optional": optional, "doc": doc}
    return dataclasses.field(default=default, metadata=meta)


def seed_option(doc: str) -> Any:
    """The ``seed`` of a mechanism's random initialisation or draws (0 .. MAX_SEED)."""
    return option(0, int, low=0, high=MAX_SEED, doc=doc)


def temperature_option() -> Any:
    """The softmax temperature T > 0 every mechanism that divides its scores shares."""
    return option(1.0, float, low=0.0, low_open=True, doc="softmax temperature T")


def scale_option() -> Any:
    """The optional score scale s > 0 (default 1/sqrt(dim), as torch SDPA)."""
    return option(None, float, low=0.0, low_open=True, optional=True,
                  doc="score scale; default 1/sqrt(dim)")


def choice(value: Any) -> Any:
    """A discrete option as its config value: an enum member becomes its string value
    (configs store the plain string, so they are JSON as saved and as JS sends them)."""
    return value.value if isinstance(value, enum.Enum) else value


def validate(config: Any) -> Any:
    """Check every field against its ``option`` metadata; the error names the field."""
    cls = type(config).__name__
    for f in dataclasses.fields(config):
        m, v = f.metadata, getattr(config, f.name)
        if v is None and m.get("optional"):
            continue
        kind = m.get("kind")
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            choices = [e.value for e in kind]
            if not isinstance(v, str) or v not in choices:
                raise InvalidConfigError(f"{cls}.{f.name} must be one of {choices}, got {v!r}",
                                         field=f.name)
            continue
        if kind is int and (isinstance(v, bool) or not isinstance(v, int)):
            raise InvalidConfigError(f"{cls}.{f.name} must be an int, got {v!r}", field=f.name)
        if kind is float:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise InvalidConfigError(f"{cls}.{f.name} must be a number, got {v!r}",
                                         field=f.name)
            if v != v or v in (float("inf"), float("-inf")):
                raise InvalidConfigError(f"{cls}.{f.name} must be finite, got {v!r}", field=f.name)
            if abs(v) > FLOAT32_MAX or 0 < abs(v) < FLOAT32_MIN_NORMAL:
                raise InvalidConfigError(f"{cls}.{f.name} = {v!r} does not fit a float32 (|x| in "
                                         f"[{FLOAT32_MIN_NORMAL:.4g}, {FLOAT32_MAX:.4g}] or 0)",
                                         field=f.name)
        if kind is bool and not isinstance(v, bool):
            raise InvalidConfigError(f"{cls}.{f.name} must be True or False, got {v!r}",
                                     field=f.name)
        low, high = m.get("low"), m.get("high")
        if low is not None and (v < low or (m["low_open"] and v == low)):
            rel = ">" if m["low_open"] else ">="
            raise InvalidConfigError(f"{cls}.{f.name} must be {rel} {low}, got {v!r}", field=f.name)
        if high is not None and (v > high or (m["high_open"] and v == high)):
            rel = "<" if m["high_open"] else "<="
            raise InvalidConfigError(f"{cls}.{f.name} must be {rel} {high}, got {v!r}",
                                     field=f.name)




def direct_plan(dim: int, value_dim: int, out_length: Any, kernel: str, args: Any) -> Any:
    """A plan for js/src/direct.ts: JS calls ``kernel`` itself for ``forward`` when the
    query has ``dim`` values, the n >= 1 keys ``dim`` columns, the n values ``value_dim``
    (None: any width dv >= 1) and the mask n entries; the output has ``out_length`` values
    (None: dv). ``args`` as ``_kernel.call_plan``'s, with the placeholders "query",
    "keys", "values", "mask", "n", "dv", "out" and {"scratch": floats}. Python stays the
    validator: every other call, and any call whose kernel status is not OK, comes here."""
    return {"dim": dim, "valueDim": value_dim, "outLength": out_length,
            **_kernel.call_plan(kernel, args)}


class Attention:
    """Base of every mechanism. Subclasses set ``Config`` (a frozen dataclass) and
    create their parameters with ``_add_param``."""

    Config = None
    complexity = Complexity.QUADRATIC
    supports_variable_length = True

    def __init__(self, config: Any) -> None:
        validate(config)
        self._config = config
        self._params = {}  # name -> (array('f'), shape)
        self._training = False

    # -- configuration ----------------------------------------------------------------
    @exported(returns="json")
    def config(self) -> Any:
        """The frozen, validated configuration dataclass."""
        return self._config

    @property
    def hidden_dim(self) -> int:
        return self._config.dim

    @exported(returns="bool")
    @property
    def training(self) -> bool:
        """Whether the mechanism is in training mode (dropout active where configured)."""
        return self._training

    @training.setter
    def training(self, mode: bool) -> None:
        self._training = bool(mode)

    @exported(mutates=True)
    def train(self, mode: bool = True) -> Attention:
        """Training mode (dropout active where configured); returns self, like torch."""
        self.training = mode
        return self

    @exported(mutates=True)
    def eval(self) -> Attention:
        return self.train(False)

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in dataclasses.asdict(self._config).items())
        return f"{type(self).__name__}({fields})"

    # -- parameters -------------------------------------------------------------------
    def _reserve_parameters(self, count):
        """Refuse, before drawing any value, parameters above ``numerics.MAX_PARAMETERS``."""
        if count > MAX_PARAMETERS:
            raise InvalidConfigError(
                f"{type(self).__name__}: {count} parameters ({count * FLOAT32_BYTES / 2**30:.3g} GiB) "
                f"exceed the limit of {MAX_PARAMETERS}; use smaller sizes")

    def _add_param(self, name, shape, values):
        buf = array("f", values)
        size = 1
        for s in shape:
            size *= s
        if len(buf) != size:
            raise InternalError(f"parameter {name}: {len(buf)} values for shape {shape}")
        self._params[name] = (buf, tuple(shape))

    def _ptr(self, name, offset=0):
        """Address of parameter ``name`` (0 if the mechanism has none by that name)."""
        if name not in self._params:
            return 0
        return self._params[name][0].buffer_info()[0] + offset * FLOAT32_BYTES

    @exported(returns="state")
    def state_dict(self) -> dict[str, Array]:
        """Copies of the parameters: numpy arrays when numpy is installed, else shaped
        float32 memoryviews. Names follow PyTorch / PyG where they define the same layer."""
        out = {}
        for name, (buf, shape) in self._params.items():
            owner, ptr = _arrays.output(shape, _arrays.np is not None)
            _kernel.copy_bytes(ptr, buf.buffer_info()[0], len(buf) * FLOAT32_BYTES)
            out[name] = _arrays.result(owner, shape)
        return out

    @exported(mutates=True)
    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Load parameters (any array kind, torch tensors included). Names and shapes
        must match ``state_dict()`` exactly."""
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise InvalidConfigError(f"{type(self).__name__}.load_state_dict takes a dict of "
                                     f"arrays, got {type(state_dict).__name__}", field="state_dict")
        missing = sorted(set(self._params) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(self._params))
        for name in missing + unexpected:
            self._disagreeing_option(name, None)
        if missing or unexpected:
            raise InvalidConfigError(f"{type(self).__name__}.load_state_dict: missing keys "
                                     f"{missing}, unexpected keys {unexpected}", field="state_dict")
        staged = {}
        for name, (_, shape) in self._params.items():
            t = _arrays.f32(state_dict[name], name)
            if tuple(t.shape) != shape:
                self._disagreeing_option(name, tuple(t.shape))
                raise DimensionMismatchError(f"{name} has shape {tuple(t.shape)}, expected {shape}",
                                             expected=shape, actual=tuple(t.shape))
            _arrays.check_finite(_kernel.K, [t])
            staged[name] = _arrays.as_floats(t)
        for name, values in staged.items():
            self._params[name] = (values, self._params[name][1])

    def _disagreeing_option(self, name, shape):
        """Raise InvalidConfigError naming the config option a state dict disagrees with:
        parameter ``name`` is missing / unexpected (shape None) or has ``shape``. The base
        knows no option; mechanisms whose options shape their parameters override it."""

    def _option_error(self, name, shape, option):
        value = getattr(self._config, option)
        found = "is missing or unexpected" if shape is None else f"has shape {shape}"
        raise InvalidConfigError(f"{type(self).__name__}.load_state_dict: {name} {found}, so "
                                 f"the weights were made with another {option} than this "
                                 f"mechanism's {option}={value!r}", field=option)

    def parameter_names(self) -> list[str]:
        return list(self._params)

    # -- persistence ------------------------------------------------------------------
    def save(self, path: PathLike) -> None:
        """Write the parameters as safetensors, with the class and config in the metadata
        (``ra.save(mechanism, path)`` is this method)."""
        save_file(self.state_dict(), path, {
            _META_CLASS: type(self).__name__,
            _META_CONFIG: json.dumps(dataclasses.asdict(self.config()),
                                     default=lambda v: v.value),  # enums by their value
            _META_VERSION: __version__})

    @classmethod
    def load(cls, path: PathLike) -> Attention:
        """Rebuild a mechanism saved with ``save`` (its class is read from the file;
        ``ra.load(path)`` is ``Attention.load``)."""
        tensors, metadata = load_file_with_metadata(path)
        name = metadata.get(_META_CLASS)
        if name not in MECHANISMS:
            raise UnsupportedError(
                f"{path} does not name a known mechanism in its metadata (found {name!r}), as "
                "a file written by torch or safetensors does not: build the mechanism with the "
                "layer's options and load the weights into it, e.g. "
                f"mech = ra.MultiHeadAttention(dim, num_heads); "
                f"mech.load_state_dict(ra.io.load_file({str(path)!r}))")
        mech = _rebuild(MECHANISMS[name], metadata.get(_META_CONFIG, ""), path)
        mech.load_state_dict(tensors)
        if cls is not Attention and not isinstance(mech, cls):
            raise UnsupportedError(f"{path} holds a {type(mech).__name__}, not a {cls.__name__}")
        return mech

    def _no_edge_features(self, edge_features):
        if edge_features is not None:
            raise UnsupportedError(f"{type(self).__name__} does not use edge features")


def _rebuild(cls, config_json, path):
    """The mechanism a saved config describes; a corrupt config is a typed error."""
    try:
        config = json.loads(config_json)
    except (ValueError, RecursionError):
        raise UnsupportedError(f"{path}: the {_META_CONFIG} metadata is not JSON") from None
    if not isinstance(config, dict):
        raise UnsupportedError(f"{path}: the {_META_CONFIG} metadata is not a JSON object")
    known = {f.name for f in dataclasses.fields(cls.Config)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise InvalidConfigError(f"{path}: the config has keys {unknown} that {cls.__name__} does "
                                 f"not take (its fields: {sorted(known)})", field=unknown[0])
    try:
        return cls(**config)
    except TypeError as e:  # a required field missing
        raise InvalidConfigError(f"{path}: the config does not build a {cls.__name__}: {e}") from None
