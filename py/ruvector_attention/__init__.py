"""ruvector-attention: attention mechanisms for graph / HNSW latent spaces.

Every mechanism runs its hot loops in one C SIMD kernel (native, or WebAssembly
inside Pyodide); numpy is optional. See docs/mechanisms.md for the guide.
"""

from . import datasets, exports
from ._floats import FloatArray
from ._kernel import kernel_info
from ._parallel import get_num_threads, set_num_threads
from ._version import __version__
from .catalog import function_catalog, mechanism_catalog, object_catalog
from .core import MECHANISMS, Attention, Complexity, Gradients, MultiHeadAttention, ScaledDotProductAttention
from .errors import (
                   AttentionError,
                   DimensionMismatchError,
                   EmptyInputError,
                   InternalError,
                   InvalidConfigError,
                   NumericalInstabilityError,
                   OutOfBoundsError,
                   UnsupportedError,
)
from .geometric import (
                   EdgeFeaturedAttention,
                   HyperbolicAttention,
                   ManifoldAttention,
                   MixedCurvatureAttention,
)
from .graph import CrossSpaceAttention, GraphRoPE, HNSWAwareAttention, StructuralAttention
from .metadata import GraphMetadata
from .sparse import FlashAttention, LinearAttention, LocalGlobalAttention, SparseMask

__all__ = [
    "__version__", "FloatArray", "kernel_info", "get_num_threads", "set_num_threads", "mechanism_catalog",
    "object_catalog", "function_catalog", "exports", "datasets",
    "MECHANISMS", "Attention", "Complexity", "Gradients",
    "ScaledDotProductAttention", "MultiHeadAttention", "GraphMetadata",
    "AttentionError", "DimensionMismatchError", "EmptyInputError", "InternalError",
    "InvalidConfigError", "NumericalInstabilityError", "OutOfBoundsError", "UnsupportedError",
    "save", "load",
    "GraphRoPE", "HNSWAwareAttention", "CrossSpaceAttention", "StructuralAttention",
    "HyperbolicAttention", "ManifoldAttention", "MixedCurvatureAttention", "EdgeFeaturedAttention",
    "FlashAttention", "LinearAttention", "LocalGlobalAttention", "SparseMask",
]

# ra.save(mechanism, path) / ra.load(path): the mechanism's own save and Attention.load
save, load = Attention.save, Attention.load
