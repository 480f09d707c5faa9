"""The execution core driven directly: conflicting writes (ERR-04) and versions (§4.5).

Graphs of this release cannot make two nodes write one name (GRAPH-07), so ``ConflictError``
is tested where SPEC ERR-04 says to: by handing the core's ``commit`` two finished nodes that
write the same name.
"""

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners._core import Execution, Scope
from hypergraph_runners._inputs import prepare
from hypergraph_runners._plan import plan_of
from hypergraph_types import ConflictError, HypergraphError


def two_nodes() -> Graph:
    """``a(x) -> y`` and ``b(x) -> z``: both ready in the first superstep."""

    @node(output_name="y")
    def a(x):
        return x

    @node(output_name="z")
    def b(x):
        return x

    return Graph([a, b])


def chain() -> Graph:
    """``a(x) -> y``, ``b(y) -> z``."""

    @node(output_name="y")
    def a(x):
        return x

    @node(output_name="z")
    def b(y):
        return y

    return Graph([a, b])


def execution(graph: Graph, values: dict) -> Execution:
    plan = plan_of(graph)
    return Execution(graph, plan, prepare(graph, values), 1000, Scope("", "run-0", None), "run-0")


def first_superstep(ex: Execution):
    batch = ex.next_superstep()
    return [(p, *ex.inputs_of(p)) for p in batch]


class Unequal:
    """Compares unequal to everything, itself included only by identity."""

    def __eq__(self, other):
        return False

    __hash__ = object.__hash__


class Exploding:
    def __eq__(self, other):
        raise RuntimeError("cannot compare")

    __hash__ = object.__hash__


# -- ConflictError ---------------------------------------------------------------------------


def test_two_different_writes_to_one_name_conflict_and_nothing_is_applied():
    ex = execution(two_nodes(), {"x": 1})
    (pa, _, va), (pb, _, vb) = first_superstep(ex)
    before_values = dict(ex.state.values)
    before_versions = dict(ex.state.versions)

    with pytest.raises(ConflictError) as excinfo:
        ex.commit([(pa, {"y": 1, "v": "from a"}, va), (pb, {"z": 2, "v": "from b"}, vb)])
    err = excinfo.value
    assert isinstance(err, HypergraphError) and isinstance(err, RuntimeError)
    assert err.value_name == "v"
    assert err.producers == ("a", "b")
    text = str(err)
    assert "'v'" in text
    assert "'a'" in text and "'b'" in text
    assert "How to fix" in text
    # None of the superstep's outputs were applied.
    assert ex.state.values == before_values
    assert ex.state.versions == before_versions
    assert ex.state.node_executions == {}


@pytest.mark.parametrize(
    ("first", "second"),
    [(1, 1), (1, 1.0), ([1, 2], [1, 2]), ({"k": (1,)}, {"k": (1,)}), ("s", "s")],
    ids=["same-int", "int-float", "equal-lists", "equal-dicts", "same-str"],
)
def test_equal_writes_are_not_a_conflict(first, second):
    ex = execution(two_nodes(), {"x": 1})
    (pa, _, va), (pb, _, vb) = first_superstep(ex)
    ex.commit([(pa, {"y": 1, "v": first}, va), (pb, {"z": 2, "v": second}, vb)])
    assert ex.state.values["v"] == first
    assert ex.state.versions["v"] == 1
    assert ex.state.values["y"] == 1 and ex.state.values["z"] == 2
    assert set(ex.state.node_executions) == {"a", "b"}


def test_the_same_object_written_twice_is_not_a_conflict():
    ex = execution(two_nodes(), {"x": 1})
    (pa, _, va), (pb, _, vb) = first_superstep(ex)
    obj = Unequal()
    ex.commit([(pa, {"v": obj}, va), (pb, {"v": obj}, vb)])
    assert ex.state.values["v"] is obj


@pytest.mark.parametrize("cls", [Unequal, Exploding])
def test_values_that_are_not_the_same_conflict(cls):
    ex = execution(two_nodes(), {"x": 1})
    (pa, _, va), (pb, _, vb) = first_superstep(ex)
    with pytest.raises(ConflictError) as excinfo:
        ex.commit([(pa, {"v": cls()}, va), (pb, {"v": cls()}, vb)])
    assert excinfo.value.value_name == "v"
    assert "v" not in ex.state.values


def test_distinct_nan_objects_conflict():
    ex = execution(two_nodes(), {"x": 1})
    (pa, _, va), (pb, _, vb) = first_superstep(ex)
    with pytest.raises(ConflictError):
        ex.commit([(pa, {"v": float("nan")}, va), (pb, {"v": float("nan")}, vb)])


def test_writes_to_different_names_do_not_conflict():
    ex = execution(two_nodes(), {"x": 1})
    (pa, _, va), (pb, _, vb) = first_superstep(ex)
    ex.commit([(pa, {"y": 1}, va), (pb, {"z": 2}, vb)])
    assert ex.state.values == {"x": 1, "y": 1, "z": 2}


# -- versions through the core ---------------------------------------------------------------


def test_first_superstep_and_initial_versions():
    ex = execution(chain(), {"x": 1})
    assert ex.state.values == {"x": 1}
    assert ex.state.versions == {"x": 1}
    batch = ex.next_superstep()
    assert [p.name for p in batch] == ["a"]


def loop() -> Graph:
    """``a(y, x) -> y`` feeding itself, and ``b(y) -> z`` downstream: both use versions."""

    @node(output_name="y")
    def a(y, x):
        return y

    @node(output_name="z")
    def b(y):
        return y

    return Graph([a, b])


def test_nodes_outside_cycles_run_once_without_version_bookkeeping():
    ex = execution(chain(), {"x": 1})
    ((pa, kwargs, va),) = first_superstep(ex)
    assert kwargs == {"x": 1}
    assert va == ()  # a node nothing upstream can re-trigger runs once: no versions kept
    ex.commit([(pa, {"y": [1]}, va)])
    assert ex.state.get_version("y") == 1
    execution_a = ex.state.node_executions["a"]
    assert execution_a.input_versions == {"x": 1}
    assert execution_a.outputs == {"y": [1]}
    assert [p.name for p in ex.next_superstep()] == ["b"]
    assert list(ex.next_superstep()) == []


def test_versions_are_bumped_only_when_the_value_changes():
    ex = execution(loop(), {"x": 1, "y": [0]})
    (pa, kwargs, va), (pb0, _, vb0) = first_superstep(ex)
    assert kwargs == {"x": 1, "y": [0]}
    assert va == (1, 1) and vb0 == (1,)

    ex.commit([(pa, {"y": [1]}, va), (pb0, {"z": [0]}, vb0)])
    assert ex.state.get_version("y") == 2
    execution_a = ex.state.node_executions["a"]
    assert execution_a.node_name == "a"
    assert execution_a.input_versions == {"y": 1, "x": 1}
    assert execution_a.outputs == {"y": [1]}

    batch = ex.next_superstep()
    assert [p.name for p in batch] == ["a", "b"]
    pa2, pb = batch
    va2, vb = ex.inputs_of(pa2)[1], ex.inputs_of(pb)[1]
    # An equal value (a new object) leaves the version alone, and nothing becomes ready.
    ex.commit([(pa2, {"y": [1]}, va2), (pb, {"z": [1]}, vb)])
    assert ex.state.get_version("y") == 2
    assert list(ex.next_superstep()) == []


def test_the_same_object_never_bumps_the_version():
    ex = execution(loop(), {"x": 1, "y": 0})  # `a` is on a cycle: it keeps versions
    (pa, _, va), _ = first_superstep(ex)
    obj = Unequal()
    ex.commit([(pa, {"y": obj}, va)])
    ex.commit([(pa, {"y": obj}, va)])
    assert ex.state.get_version("y") == 2  # 1 for the seed, +1 for the first new object


def test_unequal_objects_bump_the_version_each_time():
    ex = execution(loop(), {"x": 1, "y": 0})  # `a` is on a cycle: it keeps versions
    (pa, _, va), _ = first_superstep(ex)
    for expected in (2, 3, 4):
        ex.commit([(pa, {"y": Exploding()}, va)])
        assert ex.state.get_version("y") == expected


def test_unwritten_names_have_version_zero():
    ex = execution(chain(), {"x": 1})
    assert ex.state.get_version("z") == 0
    assert ex.state.get_version("never") == 0
