"""Sparse and efficient attention (spec FR-003): flash (exact, tiled), linear
(FAVOR+ / relu / elu+1), local + global over graph neighbourhoods, and the
sparsity patterns every mechanism's ``mask=`` accepts."""

from . import patterns
from .flash import FlashAttention
from .linear import LinearAttention, PreparedKeys
from .local_global import LocalGlobalAttention
from .patterns import SparseMask

__all__ = ["FlashAttention", "LinearAttention", "LocalGlobalAttention", "PreparedKeys", "SparseMask", "patterns"]
