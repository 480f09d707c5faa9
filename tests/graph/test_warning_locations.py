"""Graph-building warnings point at the user's line building the node or the graph (issue 13
case 15; the runners' warnings: tests/runners/test_warning_locations.py)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from hypergraph_graph import FunctionNode, Graph, node


def here() -> int:
    """The line number of the caller."""
    return sys._getframe(1).f_lineno


def check(record: Any, line: int) -> None:
    assert len(record) == 1
    assert (record[0].filename, record[0].lineno) == (__file__, line)


@node(output_name="z")
def inc(y: int) -> int:
    return y + 1


def test_unused_return_warning_points_at_the_node_line() -> None:
    def produce(x: int) -> int:
        return x

    with pytest.warns(UserWarning, match="no output_name") as record:
        line = here() + 1
        FunctionNode(produce)
    check(record, line)


def test_unresolvable_hint_warning_points_at_the_graph_line() -> None:
    def produce(a: int) -> NoSuchType:  # type: ignore[name-defined]  # noqa: F821
        return a

    producer = FunctionNode(produce, output_name="v")
    with pytest.warns(UserWarning, match="Unresolvable type hint") as record:
        line = here() + 1
        Graph([producer, inc.with_inputs(y="v")], strict_types=True)
    check(record, line)
