"""Inputs named like a run option (issue 13 case 12; the rule: docs/runners.md).

A keyword argument named like an option of the method always sets the option, so such an input
can only be given in ``values``. Missing from there, it is an error naming the clash when the
graph needs it or when the option was passed as a keyword; the error says to use ``values``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hypergraph_graph import FunctionNode, Graph
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import InvalidInputError, MissingInputError, RunStatus

RUN_OPTIONS = ["select", "max_iterations", "error_handling", "event_processors", "show_progress"]
OPTIONS = {
    ("sync", "run"): RUN_OPTIONS,
    ("async", "run"): [*RUN_OPTIONS, "max_concurrency"],
    ("sync", "map"): [*RUN_OPTIONS, "map_over", "map_mode"],
    ("async", "map"): [*RUN_OPTIONS, "max_concurrency", "map_over", "map_mode"],
}
CASES = [(kind, method, name) for (kind, method), names in OPTIONS.items() for name in names]


def call(kind: str, method: str, graph: Graph, values: dict[str, Any], **kw: Any) -> Any:
    if method == "map":
        kw.setdefault("map_over", "x")
    runner = SyncRunner() if kind == "sync" else AsyncRunner()
    outcome = getattr(runner, method)(graph, values, **kw)
    return outcome if kind == "sync" else asyncio.run(outcome)


def graph_with_input(name: str, default: bool = False) -> Graph:
    """``y = x + <name>``; the input ``name`` is required unless ``default``."""

    def add(x: int, v: int) -> int:
        return x + v

    def add_default(x: int, v: int = 100) -> int:
        return x + v

    body = add_default if default else add
    return Graph([FunctionNode(body, output_name="y").with_inputs(v=name)])


def values_for(method: str, **more: Any) -> dict[str, Any]:
    return {"x": [1, 2] if method == "map" else 1, **more}


def ys(method: str, outcome: Any) -> list[int]:
    results = outcome if method == "map" else [outcome]
    assert all(r.status is RunStatus.COMPLETED for r in results)
    return [r["y"] for r in results]


def check_message(text: str, kind: str, method: str, name: str) -> None:
    runner = "SyncRunner" if kind == "sync" else "AsyncRunner"
    assert f"input '{name}', which is also an option of {runner}.{method}()" in text
    assert (
        f"How to fix: pass the input in values, e.g. {runner}().{method}(graph, {{'{name}': ...}})"
        in text
    )
    assert "as keyword arguments" not in text  # never the hint to do what was just done


#: A value each option accepts (passing it must still not be taken for the input).
OPTION_VALUES = {
    "select": ["y"],
    "max_iterations": 5,
    "error_handling": "raise",
    "event_processors": [],
    "show_progress": True,
    "max_concurrency": 2,
    "map_over": "x",
    "map_mode": "product",
}


@pytest.mark.parametrize("value", ["meant for the input", "valid for the option"])
@pytest.mark.parametrize(("kind", "method", "name"), CASES)
def test_keyword_named_like_an_option_is_an_error_naming_values(
    kind: str, method: str, name: str, value: str
) -> None:
    """Whatever the value, before anything runs, while the input is not in ``values``."""
    graph = graph_with_input(name)
    given = 7 if value == "meant for the input" else OPTION_VALUES[name]
    with pytest.raises(InvalidInputError) as info:
        call(kind, method, graph, values_for(method), **{name: given})
    check_message(str(info.value), kind, method, name)
    assert f"{name}= was passed as a keyword" in str(info.value)


MISSING = [case for case in CASES if case[2] != "map_over"]  # map_over is always passed


@pytest.mark.parametrize(("kind", "method", "name"), MISSING)
def test_missing_input_named_like_an_option_says_to_use_values(
    kind: str, method: str, name: str
) -> None:
    with pytest.raises(MissingInputError) as info:
        call(kind, method, graph_with_input(name), values_for(method))
    assert info.value.missing == [name]
    check_message(str(info.value), kind, method, name)


@pytest.mark.parametrize(("kind", "method", "name"), CASES)
def test_the_input_in_values_and_the_option_as_keyword_both_work(
    kind: str, method: str, name: str
) -> None:
    if name == "show_progress":
        pytest.importorskip("rich")
    graph = graph_with_input(name)
    values = values_for(method, **{name: 10})
    if name != "map_over":
        assert ys(method, call(kind, method, graph, values)) in ([11], [11, 12])
    outcome = call(kind, method, graph, values, **{name: OPTION_VALUES[name]})
    assert ys(method, outcome) in ([11], [11, 12])


@pytest.mark.parametrize(("kind", "method"), list(OPTIONS))
def test_an_optional_input_named_like_an_option_keeps_its_default(kind: str, method: str) -> None:
    graph = graph_with_input("max_iterations", default=True)
    assert ys(method, call(kind, method, graph, values_for(method))) in ([101], [101, 102])
    with pytest.raises(InvalidInputError, match="max_iterations= was passed as a keyword"):
        call(kind, method, graph, values_for(method), max_iterations=3)


def test_a_name_that_is_not_an_option_of_this_runner_is_an_input() -> None:
    """``max_concurrency`` is an option of AsyncRunner only: SyncRunner takes it as an input."""
    result = SyncRunner().run(graph_with_input("max_concurrency"), x=1, max_concurrency=4)
    assert result["y"] == 5
