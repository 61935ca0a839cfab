"""The error hierarchy (spec §4.2). Every error is an ``AttentionError`` and also a
builtin (``ValueError``, or ``IndexError`` for out-of-bounds), so ordinary Python
handling works. ``code`` is the name the TypeScript API reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


class AttentionError(Exception):
    """Base of every error this package raises on purpose."""

    code = "INTERNAL"


class DimensionMismatchError(AttentionError, ValueError):
    """An input's size does not fit the mechanism or another input."""

    code = "DIMENSION_MISMATCH"

    def __init__(self, message: Any, *, expected: Any = None, actual: Any = None) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class EmptyInputError(AttentionError, ValueError):
    """A set of keys (or another required input) is empty."""

    code = "EMPTY_INPUT"


class NumericalInstabilityError(AttentionError, ValueError):
    """A NaN / inf input, or scores that overflow float32."""

    code = "NUMERICAL_INSTABILITY"


class InvalidConfigError(AttentionError, ValueError):
    """A constructor argument is out of its allowed range; ``field`` names it."""

    code = "INVALID_CONFIG"

    def __init__(self, message: Any, *, field: Any = None) -> None:
        super().__init__(message)
        self.field = field


class OutOfBoundsError(AttentionError, IndexError):
    """An index (head, neighbour, layer) is outside its range."""

    code = "OUT_OF_BOUNDS"

    def __init__(self, message: Any, *, index: Any = None, length: Any = None) -> None:
        super().__init__(message)
        self.index = index
        self.length = length


class UnsupportedError(AttentionError, ValueError):
    """The mechanism does not support this operation or argument."""

    code = "UNSUPPORTED"


class InternalError(AttentionError, RuntimeError):
    """A bug in this package (please report it)."""

    code = "INTERNAL"
