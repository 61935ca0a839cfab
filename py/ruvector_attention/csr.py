"""Graph helpers on CSR adjacency (row i lists the out-neighbours of node i): hop
distances, degree, PageRank, clustering coefficient, and the (N, 3) structural
feature matrix StructuralAttention uses. Pure Python (no numpy): O(N + E) each,
clustering O(sum of degree²).

Shapes: N nodes, E edges; indptr (N+1,), indices (E,).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from . import _arrays
from .errors import DimensionMismatchError, InvalidConfigError, OutOfBoundsError
from .exports import exported

if TYPE_CHECKING:
    from typing import Any

    from ._typing import Array, IndexLike

# PageRank: damping and stopping rule as networkx.pagerank (alpha, tol scaled by N, max_iter).
PAGERANK_DAMPING = 0.85
PAGERANK_TOL = 1e-6
PAGERANK_MAX_ITER = 100


def _rows(indptr, indices):
    """Validated CSR -> list of neighbour lists."""
    ip = [int(x) for x in (indptr.tolist() if hasattr(indptr, "tolist") else indptr)]
    ix = [int(x) for x in (indices.tolist() if hasattr(indices, "tolist") else indices)]
    if not ip or ip[0] != 0 or ip[-1] != len(ix):
        raise DimensionMismatchError(f"indptr must start at 0 and end at len(indices) = {len(ix)}",
                                     expected=len(ix), actual=ip[-1] if ip else None)
    n = len(ip) - 1
    rows = []
    for i in range(n):
        if ip[i + 1] < ip[i]:
            raise DimensionMismatchError(f"indptr must never decrease, but indptr[{i + 1}] = "
                                         f"{ip[i + 1]} < indptr[{i}] = {ip[i]}")
        row = ix[ip[i]:ip[i + 1]]
        for e, j in enumerate(row):
            if not 0 <= j < n:
                raise OutOfBoundsError(f"indices[{ip[i] + e}] = {j} is outside [0, {n})",
                                       index=j, length=n)
        rows.append(row)
    return rows


def csr_from_edges(num_nodes: int, edges: Any) -> Any:
    """(indptr, indices) lists from (src, dst) pairs, neighbours in input order."""
    buckets = [[] for _ in range(num_nodes)]
    for s, t in edges:
        if not (0 <= s < num_nodes and 0 <= t < num_nodes):
            raise OutOfBoundsError(f"edge ({s}, {t}) names a node outside [0, {num_nodes})",
                                   index=max(s, t), length=num_nodes)
        buckets[s].append(t)
    indptr, indices = [0], []
    for row in buckets:
        indices.extend(row)
        indptr.append(len(indices))
    return indptr, indices


def degree(indptr: IndexLike, indices: IndexLike | None = None) -> Any:
    """Out-degree of every node, (N,) ints (the row lengths)."""
    ip = [int(x) for x in (indptr.tolist() if hasattr(indptr, "tolist") else indptr)]
    return [ip[i + 1] - ip[i] for i in range(len(ip) - 1)]


@exported(returns="vector", source="int", unreachable="float", namespace="graph")
def bfs_distances(indptr: IndexLike, indices: IndexLike, source: int, *, unreachable: float = float("inf")) -> Any:
    """Hop distance from ``source`` to every node, (N,) floats; ``unreachable`` where
    no path exists (default inf: pass a finite value before using it as metadata)."""
    rows = _rows(indptr, indices)
    n = len(rows)
    if isinstance(source, bool) or not isinstance(source, int) or not 0 <= source < n:
        raise OutOfBoundsError(f"source = {source!r} is not a node id in [0, {n})",
                               index=source, length=n)
    dist = [None] * n
    dist[source] = 0
    queue = deque([source])
    while queue:
        u = queue.popleft()
        for v in rows[u]:
            if dist[v] is None:
                dist[v] = dist[u] + 1
                queue.append(v)
    return [float(x) if x is not None else unreachable for x in dist]


def pagerank(indptr: IndexLike, indices: IndexLike, *, damping: float = PAGERANK_DAMPING, tol: float = PAGERANK_TOL,
             max_iter: Any = PAGERANK_MAX_ITER) -> Any:
    """PageRank of every node, (N,) summing to 1 (networkx semantics: dangling nodes
    spread their rank uniformly; stops when the L1 change < N * tol)."""
    if not 0.0 < damping < 1.0:
        raise InvalidConfigError(f"damping must be in (0, 1), got {damping!r}", field="damping")
    rows = _rows(indptr, indices)
    n = len(rows)
    if n == 0:
        return []
    rank = [1.0 / n] * n
    for _ in range(max_iter):
        dangling = sum(rank[i] for i in range(n) if not rows[i])
        base = (1.0 - damping) / n + damping * dangling / n
        new = [base] * n
        for i, row in enumerate(rows):
            if row:
                share = damping * rank[i] / len(row)
                for j in row:
                    new[j] += share
        change = sum(abs(a - b) for a, b in zip(new, rank))
        rank = new
        if change < n * tol:
            break
    return rank


def clustering(indptr: IndexLike, indices: IndexLike) -> Any:
    """Local clustering coefficient of every node on the undirected simple graph the
    CSR describes (edges symmetrised, self loops ignored), (N,) floats in [0, 1]."""
    rows = _rows(indptr, indices)
    nbrs = [set() for _ in rows]
    for i, row in enumerate(rows):
        for j in row:
            if i != j:
                nbrs[i].add(j)
                nbrs[j].add(i)
    out = []
    for s in nbrs:
        k = len(s)
        if k < 2:
            out.append(0.0)
            continue
        links = sum(len(nbrs[u] & s) for u in s) / 2
        out.append(2.0 * links / (k * (k - 1)))
    return out


@exported(returns="matrix", namespace="graph")
def structural_features(indptr: IndexLike, indices: IndexLike) -> Array:
    """(N, 3) features [degree, PageRank, clustering coefficient] per node, as a
    float32 memoryview (numpy array when numpy is installed)."""
    deg = degree(indptr)
    pr, cc = pagerank(indptr, indices), clustering(indptr, indices)
    n = len(deg)
    out, _ = _arrays.output((n, 3), _arrays.np is not None)
    flat = out.reshape(-1) if _arrays.np is not None else out
    for i in range(n):
        flat[3 * i], flat[3 * i + 1], flat[3 * i + 2] = deg[i], pr[i], cc[i]
    return _arrays.result(out, (n, 3))
