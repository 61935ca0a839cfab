"""Per-key graph metadata (spec §4.6): what graph-aware mechanisms know about each
neighbour besides its vector.

Shapes: N keys, S structural features per key.
"""

from __future__ import annotations

import dataclasses
from array import array
from typing import TYPE_CHECKING

from . import _arrays
from .csr import bfs_distances, structural_features
from .errors import DimensionMismatchError, InvalidConfigError, OutOfBoundsError, UnsupportedError

if TYPE_CHECKING:
    from typing import Any

    from ._typing import ArrayLike, IndexLike


@dataclasses.dataclass(frozen=True)
class GraphMetadata:
    """Metadata for N keys, every field optional.

    Args:
        distances: (N,) graph (or latent) distance of each key from the query.
        hnsw_layers: (N,) highest HNSW layer of each key (ints >= 0).
        edge_weights: (N,) weight of the edge query -> key.
        structural_features: (N, S) per-key structural features (degree, PageRank, ...).

    ``validate(n)`` checks every given field against the number of keys and raises a
    ``DimensionMismatchError`` naming the field.

    Example:
        >>> from ruvector_attention import GraphMetadata
        >>> GraphMetadata(distances=[0.5, 1.0, 2.0], hnsw_layers=[2, 0, 1]).validate(3).hnsw_layers
        [2, 0, 1]
    """

    distances: object = None
    hnsw_layers: object = None
    edge_weights: object = None
    structural_features: object = None

    @classmethod
    def coerce(cls, metadata: Any) -> Any:
        """``metadata`` itself, or a GraphMetadata built from a dict (snake_case or the
        camelCase keys JavaScript sends); anything else -> InvalidConfigError."""
        if isinstance(metadata, cls):
            return metadata
        if not isinstance(metadata, dict):
            raise InvalidConfigError(f"metadata must be a GraphMetadata or a dict, got "
                                     f"{type(metadata).__name__}", field="metadata")
        fields = {_CAMEL.get(k, k): v for k, v in metadata.items()}
        unknown = sorted(set(fields) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise InvalidConfigError(f"metadata has unknown field(s) {unknown}", field="metadata")
        return cls(**fields)

    @classmethod
    def from_csr(cls, indptr: IndexLike, indices: IndexLike, source: int,
                 keys: ArrayLike | None = None, *, structural: Any = False) -> Any:
        """Metadata of the nodes ``keys`` (default: every node) as seen from node
        ``source`` of a CSR graph: BFS hop ``distances`` (unreachable -> -1) and, with
        ``structural=True``, [degree, PageRank, clustering] ``structural_features``.

        Example:
            >>> from ruvector_attention import GraphMetadata
            >>> m = GraphMetadata.from_csr([0, 1, 2, 2], [1, 2], 0, keys=[1, 2])
            >>> m.distances
            [1.0, 2.0]
        """
        hops = bfs_distances(indptr, indices, source, unreachable=-1.0)
        rows = range(len(hops)) if keys is None else [_node(k, len(hops)) for k in keys]
        distances = [hops[k] for k in rows]
        feats = None
        if structural:
            table = structural_features(indptr, indices)
            feats = [[float(table[k, c]) for c in range(3)] for k in rows]
        return cls(distances=distances, structural_features=feats)

    def validate(self, n: int) -> Any:
        """Return self with every given field checked against ``n`` keys; layers as a list of ints."""
        for name in ("distances", "edge_weights"):
            value = getattr(self, name)
            if value is not None:
                t = _arrays.f32(value, f"metadata.{name}")
                if t.shape != (n,):
                    raise DimensionMismatchError(
                        f"metadata.{name} has shape {tuple(t.shape)}, expected ({n},): one per key",
                        expected=n, actual=tuple(t.shape))
                _arrays.check_finite_tensor(t)
        if self.structural_features is not None:
            t = _arrays.f32(self.structural_features, "metadata.structural_features")
            if len(t.shape) != 2 or t.shape[0] != n:
                raise DimensionMismatchError(
                    f"metadata.structural_features has shape {tuple(t.shape)}, expected ({n}, S)",
                    expected=n, actual=tuple(t.shape))
            _arrays.check_finite_tensor(t)
        if self.hnsw_layers is None:
            return self
        layers = self.hnsw_layers.tolist() if hasattr(self.hnsw_layers, "tolist") else self.hnsw_layers
        if isinstance(layers, (str, bytes)) or not isinstance(layers, (list, tuple, array)):
            raise UnsupportedError(f"metadata.hnsw_layers must be a sequence of {n} integers, got "
                                   f"{type(layers).__name__}")
        layers = list(layers)
        if len(layers) != n:
            raise DimensionMismatchError(
                f"metadata.hnsw_layers has {len(layers)} entries, expected {n}: one per key",
                expected=n, actual=len(layers))
        for i, layer in enumerate(layers):
            if isinstance(layer, bool) or not isinstance(layer, (int, float)) or (
                    isinstance(layer, float) and not layer.is_integer()):
                raise UnsupportedError(f"metadata.hnsw_layers[{i}] = {layer!r} is not an integer")
            if layer < 0:
                raise DimensionMismatchError(f"metadata.hnsw_layers[{i}] = {layer} is negative")
        return dataclasses.replace(self, hnsw_layers=[int(x) for x in layers])


_CAMEL = {"hnswLayers": "hnsw_layers", "edgeWeights": "edge_weights",
          "structuralFeatures": "structural_features"}


def _node(k, num_nodes):
    if isinstance(k, bool) or not float(k).is_integer() or not 0 <= int(k) < num_nodes:
        raise OutOfBoundsError(f"keys entry {k!r} is not a node id in [0, {num_nodes})",
                               index=k, length=num_nodes)
    return int(k)
