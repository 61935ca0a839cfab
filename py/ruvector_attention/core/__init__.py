"""Core mechanisms (spec FR-001): scaled dot-product and multi-head attention."""

from .base import MECHANISMS, Attention, Complexity, Gradients
from .mha import MultiHeadAttention, MultiHeadConfig
from .sdpa import ScaledDotProductAttention, ScaledDotProductConfig

__all__ = ["MECHANISMS", "Attention", "Complexity", "Gradients", "MultiHeadAttention",
           "MultiHeadConfig", "ScaledDotProductAttention", "ScaledDotProductConfig"]
