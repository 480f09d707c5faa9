"""Construction messages stay short and keep their error type whatever a value's ``repr`` does
(issue 13 case 11): a value whose ``repr`` is 5 MB long, and one whose ``repr`` raises.

The run-time twin is ``tests/runners/test_message_values.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

import pytest

from hypergraph_graph import FunctionNode, Graph, RouteNode, node
from hypergraph_types import GraphConfigError
from support import HugeRepr, UnprintableRepr, assert_short_message

VALUES = [pytest.param(HugeRepr, id="5MB-repr"), pytest.param(UnprintableRepr, id="raising-repr")]


@pytest.mark.parametrize("make", VALUES)
def test_inconsistent_defaults_is_a_graph_config_error(make: type) -> None:
    first, second = make(), make()

    def left(x: Any = first) -> int:
        return 1

    def right(x: Any = second) -> int:
        return 2

    with pytest.raises(GraphConfigError, match="Inconsistent defaults for 'x'") as excinfo:
        Graph([FunctionNode(left, output_name="a"), FunctionNode(right, output_name="b")])
    assert_short_message(excinfo.value)
    assert "node 'left' has default" in str(excinfo.value)


@pytest.mark.parametrize("make", VALUES)
def test_a_non_node_item_is_a_type_error(make: type) -> None:
    @node(output_name="y")
    def f(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="Graph items must be nodes") as excinfo:
        Graph([f, make()])
    assert_short_message(excinfo.value)


@pytest.mark.parametrize("make", VALUES)
def test_a_non_str_gate_target_is_a_type_error(make: type) -> None:
    with pytest.raises(TypeError, match="targets must be node names") as excinfo:
        RouteNode(lambda x: "a", ["a", make()], name="choose")
    assert_short_message(excinfo.value)


@pytest.mark.parametrize("make", VALUES)
def test_a_bad_output_name_is_a_type_error(make: type) -> None:
    def f(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="output_name must be a str") as excinfo:
        FunctionNode(f, output_name=make())
    assert_short_message(excinfo.value)


@pytest.mark.parametrize("make", VALUES)
def test_a_bad_rename_is_a_type_error(make: type) -> None:
    @node(output_name="y")
    def f(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="expects str -> str renames") as excinfo:
        f.with_inputs({"x": make()})
    assert_short_message(excinfo.value)


@pytest.mark.parametrize("make", VALUES)
def test_a_bad_map_mode_is_a_graph_config_error(make: type) -> None:
    @node(output_name="y")
    def f(x: int) -> int:
        return x

    with pytest.raises(GraphConfigError, match="Unknown map mode") as excinfo:
        Graph([f], name="inner").as_node().map_over("x", mode=make())
    assert_short_message(excinfo.value)


@pytest.mark.parametrize("make", VALUES)
def test_a_type_mismatch_with_a_huge_annotation_is_a_graph_config_error(make: type) -> None:
    def produce():  # type: ignore[no-untyped-def]
        return 1

    # Set directly: this module's string annotations cannot see a local object.
    produce.__annotations__ = {"return": Annotated[int, make()]}

    def consume(y: str) -> str:
        return y

    with pytest.raises(GraphConfigError, match="Type mismatch on 'y'") as excinfo:
        Graph(
            [FunctionNode(produce, output_name="y"), FunctionNode(consume, output_name="z")],
            strict_types=True,
        )
    assert_short_message(excinfo.value)
