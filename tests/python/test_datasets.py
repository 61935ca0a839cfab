"""The synthetic HNSW-like graph (ruvector_attention.datasets): structure, determinism, errors.

Pure Python on purpose (marked nonumpy): the generator must work where numpy is
absent (Pyodide). The nearest-neighbour reference below sums squared
differences itself instead of reusing the module's math.dist.
"""

from __future__ import annotations

import math
from array import array

import pytest
from ruvector_attention import datasets
from ruvector_attention.errors import InvalidConfigError, OutOfBoundsError

pytestmark = pytest.mark.nonumpy


def _sq_dist(a, b) -> float:
    return sum((x - y) * (x - y) for x, y in zip(a, b))


def _rows(g):
    return [tuple(g.vector(i)) for i in range(g.num_nodes)]


def _exact_knn(rows, i, k, among=None):
    among = range(len(rows)) if among is None else among
    return sorted((j for j in among if j != i), key=lambda j: (_sq_dist(rows[i], rows[j]), j))[:k]


@pytest.fixture(scope="module")
def graph():
    return datasets.hnsw_graph(600, 16, m=6, seed=3)


def test_same_seed_same_graph_other_seed_other_graph():
    a = datasets.hnsw_graph(300, 16, seed=7)
    b = datasets.hnsw_graph(300, 16, seed=7)
    c = datasets.hnsw_graph(300, 16, seed=8)
    assert a == b
    assert a.vectors != c.vectors and a.indices != c.indices


def test_csr_is_well_formed(graph):
    n, d = graph.num_nodes, graph.dim
    assert (n, d) == (600, 16)
    assert len(graph.vectors) == n * d and len(graph.layers) == n
    assert graph.indptr[0] == 0 and graph.indptr[-1] == graph.num_edges == len(graph.edge_layers)
    for i in range(n):
        nbrs = graph.neighbours(i)
        assert graph.indptr[i] <= graph.indptr[i + 1]
        assert i not in nbrs, "no self loops"
        assert len(set(nbrs)) == len(nbrs), "no duplicate links"
        assert all(0 <= j < n for j in nbrs)
        assert len(nbrs) >= 2 * 6, "every node has its 2*M layer-0 links"


def test_lists_are_nearest_first(graph):
    rows = _rows(graph)
    for i in range(graph.num_nodes):
        dists = [_sq_dist(rows[i], rows[j]) for j in graph.neighbours(i)]
        assert dists == sorted(dists)


def test_layer0_links_match_exact_knn(graph):
    # Candidates come from nearby clusters only (HNSW is approximate too); recall stays high.
    rows, k = _rows(graph), 12
    hits = 0
    for i in range(0, graph.num_nodes, 5):
        hits += len(set(_exact_knn(rows, i, k)) & set(graph.neighbours(i)))
    assert hits / (k * len(range(0, graph.num_nodes, 5))) >= 0.97


def _edge_layers(g, i):
    return list(g.edge_layers[g.indptr[i]:g.indptr[i + 1]])


def test_upper_layer_links_join_nodes_of_that_level(graph):
    assert max(graph.layers) >= 1, "600 nodes with M=6 reach layer 1"
    for i in range(graph.num_nodes):
        for j, layer in zip(graph.neighbours(i), _edge_layers(graph, i)):
            assert graph.layers[i] >= layer and graph.layers[j] >= layer


def test_upper_layer_lists_are_exact_knn_among_that_level(graph):
    rows = _rows(graph)
    upper = [i for i in range(graph.num_nodes) if graph.layers[i] >= 1]
    for i in upper:
        expected = set(_exact_knn(rows, i, 6, among=upper))
        assert expected <= set(graph.neighbours(i))


@pytest.mark.parametrize("m", [2, 4, 8, 16])
def test_level_is_floor_of_minus_log_u_times_ml(m):
    # The log-free level equals HNSW's formula away from exact powers of 1/m.
    for step in range(1, 5000):
        u = step / 5000.0 * 0.999
        expected = math.floor(-math.log(u) / math.log(m))
        if abs(-math.log(u) / math.log(m) - round(-math.log(u) / math.log(m))) < 1e-9:
            continue
        assert datasets._hnsw_level(u, m) == expected, (u, m)


def test_level_histogram_is_geometric():
    g = datasets.hnsw_graph(4000, 4, m=4, seed=11)
    share_up = sum(1 for x in g.layers if x >= 1) / g.num_nodes
    # P(level >= 1) = 1/M = 0.25; 4000 draws: std ~0.007, so +-0.04 never fails by chance.
    assert abs(share_up - 0.25) < 0.04


def test_vectors_are_clustered_float32(graph):
    assert graph.vectors.typecode == "f"
    values = list(graph.vectors)
    mean = sum(values) / len(values)
    assert all(math.isfinite(v) for v in values) and abs(mean) < 0.5


def test_neighbour_vectors_stack_rows(graph):
    stacked = graph.neighbour_vectors(5)
    nbrs = graph.neighbours(5)
    assert len(stacked) == len(nbrs) * graph.dim
    assert stacked[graph.dim:2 * graph.dim] == graph.vector(nbrs[1])


def test_knn_graph_is_exact():
    g = datasets.hnsw_graph(120, 8, m=4, seed=2)
    k = datasets.knn_graph(g.vectors, 8, k=5)
    rows = _rows(g)
    for i in range(120):
        assert k.neighbours(i) == _exact_knn(rows, i, 5)
    assert list(k.layers) == [0] * 120 and k.seed is None


def test_knn_graph_accepts_lists_and_layers():
    k = datasets.knn_graph([0.0, 0.0, 1.0, 0.0, 5.0, 0.0], 2, k=9, layers=[0, 1, 0])
    assert k.neighbours(0) == [1, 2] and k.neighbours(2) == [1, 0]
    assert list(k.layers) == [0, 1, 0]


@pytest.mark.parametrize("kwargs, field", [
    ({"num_nodes": 10}, "num_nodes"),          # fewer than 2*M + 1
    ({"dim": 0}, "dim"),
    ({"dim": True}, "dim"),
    ({"m": 1}, "m"),
    ({"seed": -1}, "seed"),
    ({"num_nodes": 50, "num_clusters": 0}, "num_clusters"),
    ({"dim": 2.5}, "dim"),
])
def test_bad_config_names_the_field(kwargs, field):
    with pytest.raises(InvalidConfigError, match=field):
        datasets.hnsw_graph(**kwargs)


@pytest.mark.parametrize("vectors, dim, layers, message", [
    ([1.0, 2.0, 3.0], 2, None, "multiple of dim"),
    ([1.0, 2.0], 2, None, "at least 2"),
    ([1.0, float("nan"), 3.0, 4.0], 2, None, "NaN"),
    (["a", "b"], 1, None, "numbers"),
    ([1.0, 2.0, 3.0, 4.0], 2, [0], "layers"),
    ([1.0, 2.0, 3.0, 4.0], 2, [0, 99], "layers"),
])
def test_bad_user_vectors_give_typed_errors(vectors, dim, layers, message):
    with pytest.raises(InvalidConfigError, match=message):
        datasets.knn_graph(vectors, dim, layers=layers)


def test_node_out_of_range_is_out_of_bounds(graph):
    with pytest.raises(OutOfBoundsError):
        graph.neighbours(graph.num_nodes)
    with pytest.raises(IndexError):  # OutOfBoundsError is an IndexError too
        graph.vector(-1)


def test_knn_graph_takes_float32_buffers_without_copying_semantics():
    buf = array("f", [0.0, 0.0, 3.0, 4.0, 1.0, 1.0])
    g = datasets.knn_graph(memoryview(buf), 2, k=1)
    assert g.neighbours(0) == [2] and list(g.vectors) == list(buf)
