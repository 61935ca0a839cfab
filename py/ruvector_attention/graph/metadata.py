"""Per-key graph metadata (spec §4.6): what graph-aware mechanisms know about each
neighbour besides its vector.

Shapes: N keys, S structural features per key.
"""

import dataclasses

from .. import _arrays
from ..errors import DimensionMismatchError, UnsupportedError


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

    def validate(self, n):
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
        layers = list(self.hnsw_layers.tolist() if hasattr(self.hnsw_layers, "tolist")
                      else self.hnsw_layers)
        if len(layers) != n:
            raise DimensionMismatchError(
                f"metadata.hnsw_layers has {len(layers)} entries, expected {n}: one per key",
                expected=n, actual=len(layers))
        for i, layer in enumerate(layers):
            if isinstance(layer, bool) or not isinstance(layer, int) and not float(layer).is_integer():
                raise UnsupportedError(f"metadata.hnsw_layers[{i}] = {layer!r} is not an integer")
            if layer < 0:
                raise DimensionMismatchError(f"metadata.hnsw_layers[{i}] = {layer} is negative")
        return dataclasses.replace(self, hnsw_layers=[int(x) for x in layers])
