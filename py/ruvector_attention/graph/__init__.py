"""Graph-aware mechanisms (spec FR-004) and the per-key ``GraphMetadata``."""

from .. import csr as convert
from ..csr import bfs_distances, clustering, degree, pagerank, structural_features
from ..metadata import GraphMetadata
from .cross_space import CrossSpaceAttention, Fusion
from .edge_index import csr_from_edge_index
from .hnsw_aware import HNSWAwareAttention
from .rope import GraphRoPE
from .structural import StructuralAttention

__all__ = ["GraphMetadata", "GraphRoPE", "HNSWAwareAttention", "CrossSpaceAttention", "Fusion",
           "StructuralAttention", "convert", "bfs_distances", "clustering", "degree", "pagerank",
           "structural_features", "csr_from_edge_index"]
