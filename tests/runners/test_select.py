"""Which values a result holds: ``select`` (SPEC §4.9, NEST-04 for nested results)."""

import warnings

import pytest

from hypergraph_graph import Graph, node
from hypergraph_types import RunResult, RunStatus


def pipeline() -> Graph:
    """``pre(a) -> x``, GraphNode ``inner`` (``double(x) -> doubled``), ``post -> final``."""

    @node(output_name="doubled")
    def double(x):
        return 2 * x

    inner = Graph([double], name="inner")

    @node(output_name="x")
    def pre(a):
        return a + 1

    @node(output_name="final")
    def post(doubled):
        return doubled + 100

    return Graph([pre, inner.as_node(), post])


def simple() -> Graph:
    @node(output_name=("y", "w"))
    def f(x):
        return x + 1, x - 1

    @node(output_name="z")
    def g(y):
        return y * 10

    return Graph([f, g])


def failing() -> Graph:
    @node(output_name="y")
    def ok(x):
        return x

    @node(output_name="z")
    def boom(y):
        raise ValueError("boom")

    return Graph([ok, boom])


def test_select_none_gives_outputs_in_node_order_then_nested_results(run):
    result = run(pipeline(), {"a": 1})
    assert list(result.values) == ["x", "doubled", "final", "inner"]
    assert result["x"] == 2 and result["doubled"] == 4 and result["final"] == 104
    nested = result["inner"]
    assert isinstance(nested, RunResult)
    assert nested.status is RunStatus.COMPLETED
    assert nested.values == {"doubled": 4}


def test_select_none_excludes_graph_inputs(run):
    result = run(simple(), {"x": 1})
    assert "x" not in result
    assert list(result.values) == ["y", "w", "z"]


def test_select_none_with_a_side_effect_node(run):
    @node
    def log(x):
        pass

    @node(output_name="y")
    def f(x):
        return x

    assert run(Graph([log, f]), {"x": 1}).values == {"y": 1}


def test_select_str_is_a_one_element_list(run):
    result = run(simple(), {"x": 1}, select="z")
    assert result.values == {"z": 20}


def test_select_list_keeps_the_listed_order(run):
    result = run(simple(), {"x": 1}, select=["z", "w", "y"])
    assert list(result.values) == ["z", "w", "y"]
    assert result.values == {"z": 20, "w": 0, "y": 2}


def test_select_tuple_is_accepted(run):
    assert run(simple(), {"x": 1}, select=("w",)).values == {"w": 0}


def test_select_intermediate_value(run):
    assert run(pipeline(), {"a": 1}, select=["x"]).values == {"x": 2}


def test_select_provided_input_returns_the_provided_object(run):
    payload = [1]

    @node(output_name="n")
    def size(items):
        return len(items)

    result = run(Graph([size]), {"items": payload}, select=["items", "n"])
    assert result["items"] is payload
    assert result.values == {"items": [1], "n": 1}


def test_select_graph_node_name_returns_nested_result(run):
    result = run(pipeline(), {"a": 1}, select=["inner"])
    assert list(result.values) == ["inner"]
    assert result["inner"].values == {"doubled": 4}


def test_select_empty_list_gives_empty_values(run):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run(simple(), {"x": 1}, select=[])
    assert result.status is RunStatus.COMPLETED
    assert result.values == {}


def test_select_missing_names_warns_once(run):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(simple(), {"x": 1}, select=["z", "nope", "yy"])
    user = [w for w in caught if issubclass(w.category, UserWarning)]
    assert len(user) == 1
    text = str(user[0].message)
    assert "Requested outputs not found:" in text
    assert "'nope'" in text and "'yy'" in text
    assert "Available outputs:" in text
    assert "Did you mean 'y'?" in text
    assert result.values == {"z": 20}


def test_select_missing_name_message_order(run):
    with pytest.warns(UserWarning) as record:
        run(simple(), {"x": 1}, select=["nope"])
    text = str(record[0].message)
    assert text.index("Requested outputs not found:") < text.index("'nope'")
    assert text.index("'nope'") < text.index("Available outputs:")


def test_select_only_missing_names_gives_empty_values(run):
    with pytest.warns(UserWarning, match="Requested outputs not found:"):
        result = run(simple(), {"x": 1}, select="nope")
    assert result.status is RunStatus.COMPLETED
    assert result.values == {}


def test_select_fully_available_emits_no_warning(run):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run(pipeline(), {"a": 1}, select=["final", "x", "inner", "a"])
    assert list(result.values) == ["final", "x", "inner", "a"]


def test_failed_run_filters_select_without_warning(run):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run(failing(), {"x": 1}, select=["z", "y", "nope"])
    assert result.status is RunStatus.FAILED
    assert result.values == {"y": 1}


def test_failed_run_select_none_holds_partial_values(run):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run(failing(), {"x": 1})
    assert result.values == {"y": 1}


def test_select_does_not_change_what_runs(run):
    calls = []

    @node(output_name="y")
    def f(x):
        calls.append("f")
        return x

    @node(output_name="z")
    def g(y):
        calls.append("g")
        return y

    result = run(Graph([f, g]), {"x": 1}, select=["y"])
    assert result.values == {"y": 1}
    assert sorted(calls) == ["f", "g"]
