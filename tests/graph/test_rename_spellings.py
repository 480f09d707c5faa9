"""``rename_inputs`` / ``rename_outputs`` / ``with_name`` are the primary spellings; the v1.3
``with_inputs`` / ``with_outputs`` are the same functions under their old names (issue 15)."""

from __future__ import annotations

import pytest

from hypergraph_graph import FunctionNode, Graph, GraphNode, HyperNode, IfElseNode, node
from hypergraph_types import GraphConfigError, RenameError


def two(x, y=2):
    return x + y


def make_two() -> FunctionNode:
    return FunctionNode(two, output_name=("s", "t"))


@pytest.mark.parametrize("node_class", [HyperNode, FunctionNode, GraphNode, IfElseNode])
def test_aliases_are_the_same_functions(node_class: type[HyperNode]) -> None:
    assert node_class.with_inputs is node_class.rename_inputs
    assert node_class.with_outputs is node_class.rename_outputs


def test_rename_inputs_and_outputs_match_the_aliases() -> None:
    new = make_two().rename_inputs(x="a").rename_outputs({"s": "u"}).with_name("renamed")
    old = make_two().with_inputs(x="a").with_outputs({"s": "u"}).with_name("renamed")
    assert (new.name, new.inputs, new.outputs) == ("renamed", ("a", "y"), ("u", "t"))
    assert (old.name, old.inputs, old.outputs) == (new.name, new.inputs, new.outputs)
    assert new.defaults == old.defaults == {"y": 2}
    assert [(e.kind, e.old, e.new) for e in new._rename_history] == [
        (e.kind, e.old, e.new) for e in old._rename_history
    ]


@pytest.mark.parametrize("method", ["rename_inputs", "with_inputs"])
def test_both_spellings_raise_the_same_rename_error(method: str) -> None:
    with pytest.raises(RenameError) as info:
        getattr(make_two(), method)(z="q")
    assert "Cannot rename inputs of node 'two': 'z' not found" in str(info.value)


@pytest.mark.parametrize("method", ["rename_outputs", "with_outputs"])
def test_type_errors_name_the_primary_spelling(method: str) -> None:
    with pytest.raises(TypeError, match=r"^rename_outputs\(\) expects a mapping"):
        getattr(make_two(), method)(["s"])
    with pytest.raises(TypeError, match=r"^rename_outputs\(\) expects str -> str renames"):
        getattr(make_two(), method)({"s": 1})


def test_validation_hints_name_the_primary_spelling() -> None:
    @node(output_name="r")
    def a(x):
        return x

    @node(output_name="r")
    def b(x):
        return x

    with pytest.raises(GraphConfigError, match=r"\.rename_outputs\(r='\.\.\.'\)"):
        Graph([a, b])
    with pytest.raises(GraphConfigError, match=r"\.rename_inputs\(\{'x-y': 'valid_name'\}\)"):
        Graph([a.rename_inputs(x="x-y")])
