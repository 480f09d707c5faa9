"""Run-time messages stay short and keep their error type whatever a value's ``repr`` does
(issue 13 case 11), under both runners: a value whose ``repr`` is 5 MB long, and one whose
``repr`` raises. The construction twin is ``tests/graph/test_message_values.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hypergraph_graph import Graph, ifelse, node, route
from hypergraph_types import InvalidInputError, RunStatus
from support import HugeRepr, UnprintableRepr, assert_short_message

VALUES = [pytest.param(HugeRepr, id="5MB-repr"), pytest.param(UnprintableRepr, id="raising-repr")]


@node(output_name="y")
def double(x: int) -> int:
    return 2 * x


def gated(gate: Any) -> Graph:
    return Graph([gate, double])


@pytest.mark.parametrize("make", VALUES)
@pytest.mark.parametrize(
    ("decorate", "error", "fragment"),
    [
        (route(targets=["double"]), ValueError, "returned invalid target"),
        (route(targets=["double"], multi_target=True), TypeError, "multi_target=True but"),
        (ifelse("double", "other"), TypeError, "must return bool"),
    ],
    ids=["route", "multi-target", "ifelse"],
)
def test_an_invalid_decision_fails_the_gate_with_a_short_message(
    run: Callable[..., Any], make: type, decorate: Any, error: type, fragment: str
) -> None:
    value = make()

    def choose(x: int) -> object:
        return value

    gate = decorate(choose)
    nodes = [gate, double]
    if "other" in gate.targets:
        nodes.append(double.with_name("other").with_outputs(y="z"))
    result = run(Graph(nodes), x=1)
    assert result.status is RunStatus.FAILED
    assert result.failed_node == "choose"
    assert type(result.error) is error
    assert fragment in str(result.error)
    assert_short_message(result.error)


@pytest.mark.parametrize("make", VALUES)
@pytest.mark.parametrize(
    ("options", "error", "fragment"),
    [
        (lambda v: {"select": v}, TypeError, "select must be"),
        (lambda v: {"max_iterations": v}, TypeError, "max_iterations must be"),
        (lambda v: {"error_handling": v}, InvalidInputError, "Unknown error_handling"),
        (lambda v: {"event_processors": [v]}, TypeError, "has no on_event method"),
    ],
    ids=["select", "max_iterations", "error_handling", "event_processor"],
)
def test_a_bad_run_option_keeps_its_error_type_and_a_short_message(
    run: Callable[..., Any], make: type, options: Any, error: type, fragment: str
) -> None:
    with pytest.raises(error, match=fragment) as excinfo:
        run(Graph([double]), {"x": 1}, **options(make()))
    assert_short_message(excinfo.value)


@pytest.mark.parametrize("make", VALUES)
def test_a_non_str_values_key_is_a_type_error_with_a_short_message(
    run: Callable[..., Any], make: type
) -> None:
    with pytest.raises(TypeError, match="values keys must be str") as excinfo:
        run(Graph([double]), {"x": 1, make(): 2})
    assert_short_message(excinfo.value)


@pytest.mark.parametrize("make", VALUES)
@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (lambda v: {"map_over": v}, "map_over must be"),
        (lambda v: {"map_over": "x", "map_mode": v}, "map_mode must be"),
    ],
    ids=["map_over", "map_mode"],
)
def test_a_bad_map_option_is_a_type_error_with_a_short_message(
    run_map: Callable[..., Any], make: type, options: Any, fragment: str
) -> None:
    with pytest.raises(TypeError, match=fragment) as excinfo:
        run_map(Graph([double]), {"x": [1, 2]}, **options(make()))
    assert_short_message(excinfo.value)
