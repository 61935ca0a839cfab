"""The export manifest (exports.py) and the catalogue built from it: declarations are
checked when they are made, overrides keep or re-declare them, and the catalogue lists
exactly what is declared."""

import dataclasses

import pytest
import ruvector_attention as ra
from ruvector_attention import catalog, exports
from ruvector_attention.metadata import GraphMetadata


def test_registry_is_the_exports_one():
    assert ra.MECHANISMS is exports.MECHANISMS
    assert ra.MECHANISMS["ScaledDotProductAttention"] is ra.ScaledDotProductAttention


def test_a_declaration_names_kinds_that_exist_and_parameters_that_exist():
    with pytest.raises(TypeError, match="unknown result kind"):
        exports.exported(returns="tensor")
    with pytest.raises(TypeError, match="unknown kind"):
        exports.exported(x="tensor")
    with pytest.raises(TypeError, match="names no parameter"):
        exports.exported(nope="int")(lambda self, query: None)
    with pytest.raises(TypeError, match="say the kind of parameter 'alpha'"):
        exports.exported()(lambda self, alpha: None)
    with pytest.raises(TypeError, match=r"\*args"):
        exports.exported()(lambda self, *args: None)


def test_kinds_default_by_parameter_name_and_keyword_only_become_options():
    spec = exports.spec_of(ra.ScaledDotProductAttention, "forward")
    assert [(p["name"], p["kind"], p["optional"]) for p in spec["args"]] == [
        ("query", "vector", False), ("keys", "rows", False), ("values", "rows", False)]
    assert [(p["name"], p["kind"]) for p in spec["options"]] == [("mask", "mask")]
    assert exports.spec_of(ra.MultiHeadAttention, "forward_batch")["args"][1]["kind"] == "sets"
    assert exports.spec_of(ra.ScaledDotProductAttention, "save") is None  # not exported


def test_an_override_inherits_the_declaration_or_must_redeclare():
    class Same(ra.ScaledDotProductAttention):
        def forward(self, query, keys, values, *, mask=None):
            return super().forward(query, keys, values, mask=mask)

    assert exports.spec_of(Same, "forward") == exports.spec_of(ra.ScaledDotProductAttention, "forward")

    class Other(ra.ScaledDotProductAttention):
        def forward(self, query, keys, values, *, mask=None, bias=None):
            return super().forward(query, keys, values, mask=mask)

    with pytest.raises(TypeError, match="declare it with @exported"):
        exports.spec_of(Other, "forward")


def test_stateful_objects_need_an_exported_constructor():
    class NoInit:
        def __init__(self, dim):
            self.dim = dim

    with pytest.raises(TypeError, match="must be @exported"):
        exports.stateful(NoInit)


def test_module_functions_are_listed_by_js_namespace():
    assert exports.FUNCTIONS["geometric.exp_map"] is ra.geometric.exp_map
    assert exports.FUNCTIONS["graph.bfs_distances"] is ra.graph.bfs_distances
    assert exports.FUNCTIONS["datasets.hnsw_graph"] is ra.datasets.hnsw_graph
    hnsw = next(f for f in catalog.function_catalog() if f["name"] == "datasets.hnsw_graph")
    assert hnsw["args"] == [] and [o["name"] for o in hnsw["options"]][:2] == ["num_nodes", "dim"]


def test_the_metadata_kind_has_exactly_graph_metadatas_fields():
    assert sorted(exports.METADATA_FIELDS) == sorted(f.name for f in dataclasses.fields(GraphMetadata))


def test_the_catalogue_lists_exactly_the_declared_members():
    for entry in catalog.mechanism_catalog():
        cls = ra.MECHANISMS[entry["name"]]
        declared = exports.members(cls)
        assert entry["methods"] == [n for n, s in declared.items() if not s["property"]]
        assert [p["name"] for p in entry["properties"]] == [n for n, s in declared.items() if s["property"]]
        assert [o["name"] for o in entry["constructor"]["options"]] == [f["name"] for f in entry["fields"]]
    manifest = catalog.manifest()
    assert set(manifest["kinds"]["arguments"]) == set(exports.ARGUMENT_KINDS)
    assert manifest["objects"] == catalog.object_catalog()


def test_registration_bumps_the_revision():
    before = exports.revision()

    @exports.register
    class RevisionProbeAttention(ra.ScaledDotProductAttention):
        """A throwaway registration."""

    try:
        assert exports.revision() == before + 1
        assert any(e["name"] == "RevisionProbeAttention" for e in catalog.mechanism_catalog())
    finally:
        del exports.MECHANISMS["RevisionProbeAttention"]
