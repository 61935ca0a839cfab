"""ruvector-attention: attention mechanisms for graph / HNSW latent spaces.

Every mechanism runs its hot loops in one C SIMD kernel (native, or WebAssembly
inside Pyodide); numpy is optional. See docs/mechanisms.md for the guide.
"""

from ._floats import FloatArray
from ._kernel import kernel_info
from ._parallel import get_num_threads, set_num_threads
from ._version import __version__
from .catalog import mechanism_catalog
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
from .geometric import (  # issue 5
                   EdgeFeaturedAttention,
                   HyperbolicAttention,
                   ManifoldAttention,
                   MixedCurvatureAttention,  # issue 5
)
from .graph import CrossSpaceAttention, GraphRoPE, HNSWAwareAttention, StructuralAttention  # issue 7
from .metadata import GraphMetadata
from .sparse import FlashAttention, LinearAttention, LocalGlobalAttention, SparseMask  # issue 6

__all__ = [
    "__version__", "FloatArray", "kernel_info", "get_num_threads", "set_num_threads", "mechanism_catalog",
    "MECHANISMS", "Attention", "Complexity", "Gradients",
    "ScaledDotProductAttention", "MultiHeadAttention", "GraphMetadata",
    "AttentionError", "DimensionMismatchError", "EmptyInputError", "InternalError",
    "InvalidConfigError", "NumericalInstabilityError", "OutOfBoundsError", "UnsupportedError",
    "save", "load",
    "GraphRoPE", "HNSWAwareAttention", "CrossSpaceAttention", "StructuralAttention",  # issue 7
    "HyperbolicAttention", "ManifoldAttention", "MixedCurvatureAttention", "EdgeFeaturedAttention",  # issue 5
    "FlashAttention", "LinearAttention", "LocalGlobalAttention", "SparseMask",  # issue 6
]

# ra.save(mechanism, path) / ra.load(path): the mechanism's own save and Attention.load
save, load = Attention.save, Attention.load
