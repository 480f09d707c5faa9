"""GraphState (TYPE-05): versions follow the sameness rule (§4.5); copy() semantics."""

from __future__ import annotations

import math
from typing import Any

import pytest

from hypergraph_types import GraphState, NodeExecution


class RaisingEq:
    """``==`` raises, like comparing against a broken proxy."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no comparison")

    __hash__ = object.__hash__


class Ambiguous:
    """Truth value raises, like a multi-element NumPy array."""

    def __bool__(self) -> bool:
        raise ValueError("truth value is ambiguous")


class ArrayLike:
    """``==`` returns an object that cannot be converted with ``bool()``."""

    def __init__(self, data: list[int]) -> None:
        self.data = data

    def __eq__(self, other: object) -> Any:
        return Ambiguous()

    __hash__ = object.__hash__


class TruthyEq:
    """``==`` returns a truthy non-bool; ``bool()`` of it decides sameness."""

    def __init__(self, result: object) -> None:
        self.result = result

    def __eq__(self, other: object) -> Any:
        return self.result

    __hash__ = object.__hash__


def written(*values: object) -> GraphState:
    state = GraphState()
    for value in values:
        state.update_value("x", value)
    return state


# --- versions ----------------------------------------------------------------------------


def test_new_name_gets_version_one() -> None:
    state = GraphState()
    state.update_value("x", 10)
    assert state.get_version("x") == 1
    assert state.values == {"x": 10}
    assert state.versions == {"x": 1}


def test_new_name_gets_version_one_even_for_none() -> None:
    assert written(None).get_version("x") == 1


def test_get_version_is_zero_for_unknown_name() -> None:
    state = written(1)
    assert state.get_version("never") == 0
    assert GraphState().get_version("x") == 0
    assert "never" not in state.versions


def test_different_values_bump_version_each_time() -> None:
    state = written(1, 2, 3, 1)
    assert state.get_version("x") == 4
    assert state.values["x"] == 1


def test_names_are_versioned_independently() -> None:
    state = GraphState()
    state.update_value("a", 1)
    state.update_value("b", 1)
    state.update_value("a", 2)
    assert (state.get_version("a"), state.get_version("b")) == (2, 1)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(10**20, int("1" + "0" * 20), id="equal-big-ints"),
        pytest.param(1, 1.0, id="int-float"),
        pytest.param(True, 1, id="bool-int"),
        pytest.param("".join(["a", "b"]), "".join(["a", "b"]), id="equal-strs"),
        pytest.param([1, 2], [1, 2], id="equal-lists"),
        pytest.param({"k": [1]}, {"k": [1]}, id="equal-dicts"),
        pytest.param((1, (2, [3])), (1, (2, [3])), id="equal-tuples"),
        pytest.param(TruthyEq("yes"), object(), id="eq-returns-truthy-str"),
        pytest.param(TruthyEq([0]), object(), id="eq-returns-truthy-list"),
    ],
)
def test_equal_value_keeps_version(old: object, new: object) -> None:
    assert old is not new
    assert written(old, new).get_version("x") == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(1, 2, id="ints"),
        pytest.param(1, "1", id="int-str"),
        pytest.param([1, 2], [2, 1], id="lists"),
        pytest.param(None, 0, id="none-zero"),
        pytest.param(0, None, id="zero-none"),
        pytest.param(TruthyEq(0), object(), id="eq-returns-0"),
        pytest.param(TruthyEq(""), object(), id="eq-returns-empty-str"),
        pytest.param(TruthyEq(None), object(), id="eq-returns-none"),
    ],
)
def test_unequal_value_bumps_version(old: object, new: object) -> None:
    assert written(old, new).get_version("x") == 2


@pytest.mark.parametrize(
    "value",
    [RaisingEq(), ArrayLike([1, 2]), float("nan"), [1, 2], {"k": 1}],
    ids=lambda v: type(v).__name__,
)
def test_same_object_keeps_version(value: object) -> None:
    state = written(value, value, value)
    assert state.get_version("x") == 1
    assert state.values["x"] is value


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (RaisingEq(), RaisingEq()),
        (RaisingEq(), 1),
        (1, RaisingEq()),
        (ArrayLike([1, 2]), ArrayLike([1, 2])),
        (ArrayLike([1, 2]), 1),
        (1, ArrayLike([1, 2])),
    ],
    ids=lambda v: type(v).__name__,
)
def test_comparison_that_raises_counts_as_not_same(old: object, new: object) -> None:
    state = written(old, new)
    assert state.get_version("x") == 2
    assert state.values["x"] is new


def test_distinct_nan_objects_are_not_same() -> None:
    a, b = float("nan"), float("nan")
    assert a is not b and math.isnan(a) and math.isnan(b)
    assert written(a, b).get_version("x") == 2


def test_update_value_always_stores_the_new_object() -> None:
    old, new = [1, 2], [1, 2]
    state = written(old, new)
    assert state.get_version("x") == 1
    assert state.values["x"] is new


# --- construction ------------------------------------------------------------------------


def test_defaults_are_empty_dicts() -> None:
    state = GraphState()
    assert state.values == {}
    assert state.versions == {}
    assert state.node_executions == {}


def test_default_dicts_are_not_shared_between_instances() -> None:
    a, b = GraphState(), GraphState()
    a.update_value("x", 1)
    a.node_executions["n"] = NodeExecution("n", {}, {})
    assert b.values == {}
    assert b.versions == {}
    assert b.node_executions == {}
    assert GraphState().values == {}


def test_positional_construction() -> None:
    record = NodeExecution("n", {"x": 1}, {"y": 2})
    state = GraphState({"x": 5}, {"x": 3}, {"n": record})
    assert state.values == {"x": 5}
    assert state.get_version("x") == 3
    assert state.node_executions == {"n": record}
    state.update_value("x", 6)
    assert state.get_version("x") == 4


# --- copy --------------------------------------------------------------------------------


def populated() -> GraphState:
    state = GraphState()
    state.update_value("x", [1, 2])
    state.update_value("y", {"k": "v"})
    state.node_executions["n"] = NodeExecution("n", {"x": 1}, {"y": state.values["y"]})
    return state


def test_copy_is_equal() -> None:
    state = populated()
    assert state.copy() == state


def test_copy_has_new_dicts() -> None:
    state = populated()
    clone = state.copy()
    assert clone.values is not state.values
    assert clone.versions is not state.versions
    assert clone.node_executions is not state.node_executions


def test_copy_has_new_node_execution_records_with_copied_dicts() -> None:
    state = populated()
    clone = state.copy()
    original, copied = state.node_executions["n"], clone.node_executions["n"]
    assert copied is not original
    assert copied == original
    assert copied.input_versions is not original.input_versions
    assert copied.outputs is not original.outputs


def test_copy_shares_the_values_themselves() -> None:
    state = populated()
    clone = state.copy()
    assert clone.values["x"] is state.values["x"]
    assert clone.values["y"] is state.values["y"]
    assert clone.node_executions["n"].outputs["y"] is state.node_executions["n"].outputs["y"]


def test_changes_to_copy_do_not_reach_original() -> None:
    state = populated()
    clone = state.copy()
    clone.update_value("x", "new")
    clone.update_value("z", 1)
    clone.node_executions["n"].input_versions["x"] = 99
    clone.node_executions["n"].outputs["extra"] = 1
    clone.node_executions["m"] = NodeExecution("m", {}, {})
    assert state == populated()
    assert state.get_version("x") == 1
    assert state.get_version("z") == 0


def test_changes_to_original_do_not_reach_copy() -> None:
    state = populated()
    clone = state.copy()
    state.update_value("x", "new")
    state.node_executions["n"].input_versions["x"] = 99
    assert clone == populated()


def test_copy_of_empty_state() -> None:
    state = GraphState()
    clone = state.copy()
    clone.update_value("x", 1)
    assert state == GraphState()
