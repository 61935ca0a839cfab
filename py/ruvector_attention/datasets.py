"""Synthetic HNSW-like layered neighbour graphs, without numpy.

The visualizer and the end-to-end tests need the *same* graph natively and
inside Pyodide (where numpy is absent), so everything here is plain Python
floats and ``array.array`` buffers, driven by ``random.Random(seed)``; the
neighbour search runs in the kernel's scalar build (``_kernel.PORTABLE``).

Shape legend: N nodes, D vector dim, E directed edges (sum of list lengths).

How the graph is made (HNSW, Malkov & Yashunin 2016, arXiv:1603.09320):

* vectors: a mixture of Gaussian-like clusters (real embeddings are clustered);
* level of each node: ``floor(-ln(U) * mL)`` with ``mL = 1 / ln(M)``, so a node
  reaches layer ``l`` with probability ``M**-l``;
* layer 0: every node links to its ``2*M`` nearest nodes; layer ``l >= 1``:
  every node of level ``>= l`` links to its ``M`` nearest nodes of level ``>= l``
  (the long-range links HNSW searches through);
* the neighbour list of a node is the union over its layers, nearest first
  (ties broken by index), and ``edge_layers`` records the highest layer each
  link exists on.

Determinism: only ``random()`` draws, ``+ - * /``, comparisons, ``math.dist``
(cluster centres) and the kernel's float64 squared distances, summed in index
order with no FMA, are used. ``log``/``cos`` (Box-Muller, ``-ln U``) are avoided
because glibc and musl (Pyodide) may round them differently in the last bit.
"""

from __future__ import annotations

import math
import random
from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import _kernel
from .errors import InternalError, InvalidConfigError, OutOfBoundsError
from .exports import exported

if TYPE_CHECKING:
    from ._typing import ArrayLike, IndexLike

__all__ = ["LayeredGraph", "hnsw_graph", "knn_graph"]

MAX_LEVEL = 16           # a node above layer 16 has probability M**-16: never in practice
MAX_NODES = 100_000      # the upper layers' search is quadratic in their size
MAX_DIM = 4096
CLUSTER_SPREAD = 0.35    # per-coordinate std of a cluster around its centre (centres in [-1, 1]^D)
# The sum of 4 uniforms minus 2 has variance 4/12; times sqrt(3) it has variance 1: a
# Gaussian-like draw with only + and * (see "Determinism").
_IRWIN_HALL_SCALE = 1.7320508075688772
CLUSTERS_PROBED = 2    # layer-0 candidates: own cluster + the nearest other (recall of exact kNN >= 0.98 at D=16)


@dataclass(frozen=True)
class LayeredGraph:
    """A neighbour graph in CSR form with an HNSW layer per node.

    Attributes:
        vectors: ``array('f')`` of length ``N*D``, row-major (node ``i`` is
            ``vectors[i*D:(i+1)*D]``).
        dim: ``D``.
        indptr: ``array('q')`` of length ``N+1``; the neighbours of ``i`` are
            ``indices[indptr[i]:indptr[i+1]]``, nearest first.
        indices: ``array('q')`` of length ``E``.
        layers: ``array('q')`` of length ``N``, the HNSW level of each node.
        edge_layers: ``array('q')`` of length ``E``, the highest layer each link is on.
        seed: the seed it was made from (``None`` for user data).
    """

    vectors: array
    dim: int
    indptr: array
    indices: array
    layers: array
    edge_layers: array
    seed: int | None = None

    @property
    def num_nodes(self) -> int:
        return len(self.indptr) - 1

    @property
    def num_edges(self) -> int:
        return len(self.indices)

    def vector(self, i: int) -> array:
        """Node ``i``'s vector, shape ``(D,)``."""
        self._check_node(i)
        return self.vectors[i * self.dim:(i + 1) * self.dim]

    def neighbours(self, i: int) -> list[int]:
        """Node ``i``'s neighbour list, nearest first."""
        self._check_node(i)
        return list(self.indices[self.indptr[i]:self.indptr[i + 1]])

    def neighbour_vectors(self, i: int) -> array:
        """The vectors of ``neighbours(i)`` stacked row-major, shape ``(k*D,)``."""
        out = array("f")
        for j in self.neighbours(i):
            out.extend(self.vectors[j * self.dim:(j + 1) * self.dim])
        return out

    def _check_node(self, i: int) -> None:
        if not isinstance(i, int) or not 0 <= i < self.num_nodes:
            raise OutOfBoundsError(f"node {i!r} is not in 0..{self.num_nodes - 1}",
                                   index=i, length=self.num_nodes)


@exported(returns="record", num_nodes="int", dim="int", m="int", num_clusters="int", seed="int",
          as_options=("num_nodes", "dim"))
def hnsw_graph(num_nodes: int = 2000, dim: int = 32, *, m: int = 8,
               num_clusters: int | None = None, seed: int = 0) -> LayeredGraph:
    """A seeded synthetic HNSW-like layered neighbour graph.

    Args:
        num_nodes: N, at least ``2*m + 1`` (default 2000).
        dim: D (default 32).
        m: HNSW's M: ``2*m`` links per node on layer 0, ``m`` on upper layers (default 8).
        num_clusters: clusters the vectors are drawn around (default ``~sqrt(N)``).
        seed: the same seed gives the same graph natively and in Pyodide.

    Example:
        >>> g = hnsw_graph(300, 16, seed=1)
        >>> g.num_nodes, g.dim, len(g.neighbours(0)) >= 16
        (300, 16, True)
    """
    _check_int("m", m, 2, 64)
    _check_int("num_nodes", num_nodes, 2 * m + 1, MAX_NODES)
    _check_int("dim", dim, 1, MAX_DIM)
    _check_int("seed", seed, 0, 2**63 - 1)
    if num_clusters is None:
        num_clusters = max(1, round(math.sqrt(num_nodes)))
    _check_int("num_clusters", num_clusters, 1, num_nodes)

    rng = random.Random(seed)
    centres = [[2.0 * rng.random() - 1.0 for _ in range(dim)] for _ in range(num_clusters)]
    cluster_of = [rng.randrange(num_clusters) for _ in range(num_nodes)]
    vectors = array("f")
    rand, scale = rng.random, CLUSTER_SPREAD * _IRWIN_HALL_SCALE
    for c in cluster_of:
        # centre + spread * Irwin-Hall(4) noise, inlined: this loop is a third of the time in Pyodide
        vectors.extend([x + scale * (rand() + rand() + rand() + rand() - 2.0) for x in centres[c]])
    levels = [_hnsw_level(rng.random(), m) for _ in range(num_nodes)]

    members: list[list[int]] = [[] for _ in range(num_clusters)]
    for i, c in enumerate(cluster_of):
        members[c].append(i)
    probe = _nearest_clusters(centres, CLUSTERS_PROBED)

    # node -> {neighbour: (top layer of the link, distance)}
    links: list[dict[int, tuple[int, float]]] = [{} for _ in range(num_nodes)]
    for c in range(num_clusters):
        # The candidates of every node of cluster c are the same: gather them once.
        candidates = sorted(j for p in probe[c] for j in members[p])
        if len(candidates) <= 2 * m:  # tiny clusters: fall back to every node
            candidates = list(range(num_nodes))
        for i, nearest in _nearest(vectors, dim, members[c], candidates, 2 * m):
            for d, j in nearest:
                links[i][j] = (0, d)
    for layer in range(1, max(levels) + 1):
        upper = [i for i in range(num_nodes) if levels[i] >= layer]
        if len(upper) < 2:
            break
        for i, nearest in _nearest(vectors, dim, upper, upper, m):
            for d, j in nearest:
                links[i][j] = (layer, d)
    return _to_csr(vectors, dim, links, array("q", levels), seed)


@exported(returns="record", vectors="vector", dim="int", k="int", layers="json")
def knn_graph(vectors: ArrayLike, dim: int, *, k: int = 16, layers: IndexLike | None = None) -> LayeredGraph:
    """An exact k-nearest-neighbour graph over user vectors (for data without edges).

    Args:
        vectors: a flat float sequence or buffer of length ``N*D``, row-major.
        dim: D.
        k: neighbours per node (capped at ``N-1``; default 16).
        layers: optional HNSW level per node (default all 0).
    """
    vectors = _flat_f32(vectors, dim)
    n = len(vectors) // dim
    if n < 2:
        raise InvalidConfigError(f"knn_graph needs at least 2 vectors, got {n}", field="vectors")
    _check_int("k", k, 1, MAX_NODES)
    k = min(k, n - 1)
    levels = _layers(layers, n)
    everyone = list(range(n))
    links = [{j: (0, d) for d, j in nearest} for _, nearest in _nearest(vectors, dim, everyone, everyone, k)]
    return _to_csr(vectors, dim, links, levels, None)


def _hnsw_level(u: float, m: int) -> int:
    # floor(-ln(u) / ln(m)) == the number of l >= 1 with u < m**-l, computed without log.
    level, threshold = 0, 1.0 / m
    while u < threshold and level < MAX_LEVEL:
        level += 1
        threshold /= m
    return level


def _nearest(vectors: array, dim: int, queries: list[int], candidates: list[int], count: int):
    """(i, [(squared distance, j), ...]) for each i in ``queries``: the ``count``
    ``candidates`` (ascending ids) nearest to row i, nearest first, ties by id, i itself
    skipped. The kernel's scalar build (the same bits on every machine) does the search."""
    n, q, c = len(vectors) // dim, array("q", queries), array("q", candidates)
    ids, dist = array("q", bytes(8 * len(q) * count)), array("d", bytes(8 * len(q) * count))
    address = _kernel.buffer_address
    rc = _kernel.PORTABLE.nearest(address(vectors), n, dim, address(q), len(q), address(c), len(c),
                                  count, address(ids), address(dist))
    if rc:
        raise InternalError(f"neighbour search: kernel status {rc}")
    for t, i in enumerate(queries):
        row = range(t * count, (t + 1) * count)
        yield i, [(dist[p], ids[p]) for p in row if ids[p] >= 0]


def _nearest_clusters(centres, count: int) -> list[list[int]]:
    """For each cluster: itself and its ``count - 1`` nearest clusters."""
    idx = range(len(centres))
    return [[c] + [o for _, o in sorted((math.dist(centres[c], centres[o]), o)
                                        for o in idx if o != c)[:count - 1]] for c in idx]


def _to_csr(vectors, dim, links, levels, seed) -> LayeredGraph:
    indptr, indices, edge_layers = array("q", [0]), array("q"), array("q")
    for nbrs in links:
        # nearest first, ties by index
        for j, (layer, _) in sorted(nbrs.items(), key=lambda kv: (kv[1][1], kv[0])):
            indices.append(j)
            edge_layers.append(layer)
        indptr.append(len(indices))
    return LayeredGraph(vectors, dim, indptr, indices, levels, edge_layers, seed)


def _flat_f32(vectors, dim: int) -> array:
    _check_int("dim", dim, 1, MAX_DIM)
    try:
        flat = array("f", memoryview(vectors).cast("B").cast("f")) \
            if _is_f32_buffer(vectors) else array("f", (float(x) for x in vectors))
    except (TypeError, ValueError) as exc:
        raise InvalidConfigError(f"vectors must be a flat sequence of numbers: {exc}",
                                 field="vectors") from None
    if len(flat) == 0 or len(flat) % dim:
        raise InvalidConfigError(
            f"vectors has {len(flat)} values, not a positive multiple of dim={dim}", field="vectors")
    if not all(math.isfinite(x) for x in flat):
        raise InvalidConfigError("vectors contains NaN or infinity", field="vectors")
    return flat


def _is_f32_buffer(obj) -> bool:
    try:
        return memoryview(obj).format == "f"
    except TypeError:
        return False


def _layers(layers, n: int) -> array:
    if layers is None:
        return array("q", [0] * n)
    out = array("q", (int(x) for x in layers))
    if len(out) != n or any(not 0 <= x <= MAX_LEVEL for x in out):
        raise InvalidConfigError(f"layers must be {n} integers in 0..{MAX_LEVEL}", field="layers")
    return out


def _check_int(name: str, value, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidConfigError(f"{name} must be an integer in {lo}..{hi}, got {value!r}", field=name)
