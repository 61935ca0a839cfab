"""Self-loops as PyG's ``GATConv(add_self_loops=True)`` adds them (its default).

GATConv first removes every existing loop (i, i), then gives each node one loop; the
loop's edge features are the mean of the features of the node's incoming edges
(``fill_value='mean'``; zeros for a node without any). On a target-major CSR (row i
lists the sources j of the edges j -> i) that is: drop j == i from row i, append i.

Shapes: N nodes, E edges, Fe edge features; indptr (N+1,), indices (E,),
edge_features (E, Fe) -> indptr (N+1,), indices (E'), edge_features (E', Fe) with
E' = E - (loops removed) + N.
"""

from array import array

from .. import _arrays
from ..numerics import E_ARG, E_INDEX


def csr_status(ip, ix, num_nodes):
    """The kernels' check_csr over the whole CSR: E_ARG for a bad indptr, E_INDEX for an
    id outside [0, num_nodes), else 0 (raise_for_graph_status names the entry)."""
    indptr, indices = ip.owner, ix.owner
    if int(indptr[0]) != 0 or any(indptr[i + 1] < indptr[i] for i in range(num_nodes)):
        return E_ARG
    return E_INDEX if any(not 0 <= j < num_nodes for j in indices) else 0


def with_self_loops(ip, ix, E, num_nodes):
    """(indptr, indices, edge_features or None) Tensors of the looped CSR; ``ip``/``ix``
    are validated int64 Tensors, ``E`` a float32 (E, Fe) Tensor or None."""
    indptr, indices = ip.owner, ix.owner
    fe = E.shape[1] if E is not None else 0
    feats = _arrays.as_floats(E) if E is not None else None
    new_ip, new_ix, new_e = array("q", [0]), array("q"), array("f")
    for i in range(num_nodes):
        begin, end = int(indptr[i]), int(indptr[i + 1])
        mean, count = [0.0] * fe, 0
        for e in range(begin, end):
            j = int(indices[e])
            if j == i:
                continue
            new_ix.append(j)
            if fe:
                row = feats[e * fe:(e + 1) * fe]
                new_e.extend(row)
                mean = [m + v for m, v in zip(mean, row)]
                count += 1
        new_ix.append(i)
        if fe:
            new_e.extend([m / count for m in mean] if count else mean)
        new_ip.append(len(new_ix))
    loops_e = None
    if E is not None:
        loops_e = _arrays.Tensor(new_e.buffer_info()[0], (len(new_ix), fe), new_e, False, E.name)
    return (_arrays.Tensor(new_ip.buffer_info()[0], (len(new_ip),), new_ip, False, ip.name),
            _arrays.Tensor(new_ix.buffer_info()[0], (len(new_ix),), new_ix, False, ix.name),
            loops_e)
