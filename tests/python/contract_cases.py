"""The inputs of the registry-wide contract (test_contract.py and the shared
fixture tests/fixtures/contract.json that Node and Chromium replay).

Every mechanism is built from its catalogue entry (``ra.mechanism_catalog()``):
each required field takes the catalogue's starting value, except the widths
(int fields named ``*dim``) which are set to WIDTH so the cases stay small and
still straddle the 4- and 8-wide SIMD tails. Nothing here names a mechanism
except GRAPH_ROW_REFERENCE: the few whose ``forward_graph`` rows are
documented against another per-row method than ``forward``.

Pure Python (no numpy), so the numpy-hidden run uses the same cases.
"""

from __future__ import annotations

import random

import ruvector_attention as ra

WIDTH = 12  # divisible by the catalogue's 4 heads; 12 = 8 + 4 leaves a SIMD tail
NUM_KEYS = 7
SEED = 2026
CATALOG = {entry["name"]: entry for entry in ra.mechanism_catalog()}
NAMES = sorted(ra.MECHANISMS)

# A 6-node CSR: nodes 1 and 4 are isolated; repeated neighbours and a self loop are legal.
GRAPH_INDPTR = [0, 2, 2, 5, 6, 6, 9]
GRAPH_INDICES = [1, 3, 0, 4, 5, 2, 0, 5, 1]
ISOLATED = (1, 4)


def config_kwargs(name, **overrides):
    """Constructor keywords of ``name`` from its catalogue entry (see the module doc)."""
    kwargs = {}
    for f in CATALOG[name]["fields"]:
        if f["required"]:
            kwargs[f["name"]] = WIDTH if f["type"] == "int" and f["name"].endswith("dim") else f["default"]
        if f["name"] == "input_mode":  # the shared Gaussian and bait inputs are Euclidean features
            kwargs["input_mode"] = "euclidean"
    kwargs.update(overrides)
    return kwargs


def field_names(name):
    return {f["name"] for f in CATALOG[name]["fields"]}


def build(name, **overrides):
    return ra.MECHANISMS[name](**config_kwargs(name, **overrides))


def has(name, method):
    """Whether the catalogue lists ``method`` for ``name`` (entries: names or {"name": ...})."""
    return any((m if isinstance(m, str) else m.get("name")) == method for m in CATALOG[name]["methods"])


def rows(count, width, seed, scale=0.3):
    """``count`` seeded rows of ``width`` Gaussian floats (exactly float32 values)."""
    rng = random.Random(seed)
    from array import array
    flat = array("f", [rng.gauss(0.0, scale) for _ in range(count * width)]).tolist()
    return [flat[i * width:(i + 1) * width] for i in range(count)]


def inputs(mech, seed=SEED, n=NUM_KEYS):
    """(query (D,), keys (n, D), values (n, D)) as lists, D = the mechanism's width."""
    d = mech.hidden_dim
    return rows(1, d, seed)[0], rows(n, d, seed + 1), rows(n, d, seed + 2)


def bait_inputs(mech, logit=100.0, n=NUM_KEYS):
    """Inputs whose raw scores q.k / sqrt(D) sit near ``logit`` (±100: overflow bait)."""
    d = mech.hidden_dim
    q = [1.0] * d
    keys = [[(logit + 0.5 * j) / d ** 0.5] * d for j in range(n)]
    return q, keys, rows(n, d, SEED + 3)


def graph_features(mech, seed=SEED + 4):
    return rows(len(GRAPH_INDPTR) - 1, mech.hidden_dim, seed)


def neighbours(i):
    return GRAPH_INDICES[GRAPH_INDPTR[i]:GRAPH_INDPTR[i + 1]]


def structural_features(count):
    return rows(count, 3, SEED + 5, scale=1.0)


def graph_call(name, mech, features):
    """``forward_graph`` with what the mechanism needs beyond the CSR (documented per mechanism)."""
    kwargs = {}
    if name == "CrossSpaceAttention":  # the latent CSR: the same graph
        kwargs = dict(latent_indptr=GRAPH_INDPTR, latent_indices=GRAPH_INDICES)
    elif name == "StructuralAttention":
        kwargs = dict(metadata=ra.GraphMetadata(structural_features=structural_features(len(features))))
    return mech.forward_graph(features, GRAPH_INDPTR, GRAPH_INDICES, **kwargs)


def graph_row_reference(name, mech, features, i):
    """What row i of ``graph_call`` must equal, from the per-query API."""
    nb = neighbours(i)
    keys = [features[j] for j in nb]
    if name == "GraphRoPE":  # every CSR edge is one hop
        return mech.forward_with_metadata(features[i], keys, keys, ra.GraphMetadata(distances=[1.0] * len(nb)))
    if name == "StructuralAttention":
        s = structural_features(len(features))
        return mech.forward_with_metadata(features[i], keys, keys,
                                          ra.GraphMetadata(structural_features=[s[j] for j in nb]))
    return mech.forward(features[i], keys, keys)
