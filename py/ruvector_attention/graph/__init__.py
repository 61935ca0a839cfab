"""Graph-aware mechanisms (spec FR-004) and the per-key ``GraphMetadata``."""

from .metadata import GraphMetadata

__all__ = ["GraphMetadata"]
