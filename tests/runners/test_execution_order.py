"""Which nodes run, in what order, and with which input values (SPEC RUN-05, §4.2 ... §4.4,
§4.7 call convention, §7 item 3)."""

import pytest

from hypergraph_graph import FunctionNode, Graph, node
from hypergraph_types import RunStatus

# -- order and supersteps (RUN-05, §4.4) -----------------------------------------------------


def order_graph(calls: list[str]) -> Graph:
    @node(output_name="b")
    def nb(a):
        calls.append("nb")
        return a

    @node(output_name="a")
    def na(x):
        calls.append("na")
        return x

    @node(output_name="c")
    def nc(x):
        calls.append("nc")
        return x

    return Graph([nb, na, nc])


def test_sync_runner_calls_nodes_superstep_by_superstep_in_node_order(calls):
    from hypergraph_runners import SyncRunner

    result = SyncRunner().run(order_graph(calls), {"x": 1})
    assert calls == ["na", "nc", "nb"]
    assert result.values == {"b": 1, "a": 1, "c": 1}


def test_consumer_runs_after_its_producer(run, calls):
    result = run(order_graph(calls), {"x": 1})
    assert sorted(calls) == ["na", "nb", "nc"]
    assert calls.index("na") < calls.index("nb")
    assert result.status is RunStatus.COMPLETED


def test_sync_order_follows_node_order_not_definition_order(calls):
    from hypergraph_runners import SyncRunner

    @node(output_name="p")
    def first(x):
        calls.append("first")
        return x

    @node(output_name="q")
    def second(x):
        calls.append("second")
        return x

    SyncRunner().run(Graph([second, first]), {"x": 0})
    assert calls == ["second", "first"]


def test_nodes_of_one_superstep_see_a_snapshot(run):
    """A two-node loop: both run on the seeds first, neither sees the other's new output."""
    seen: dict[str, list[int]] = {"fa": [], "fb": []}

    @node(output_name="a")
    def fa(b):
        seen["fa"].append(b)
        return 5

    @node(output_name="b")
    def fb(a):
        seen["fb"].append(a)
        return 5

    result = run(Graph([fa, fb]), {"a": 10, "b": 20})
    assert result.status is RunStatus.COMPLETED
    # First superstep: both on the seeds (fb does not see fa's a=5 although fa ran first
    # under SyncRunner). Second: both re-run on the new values. Then nothing changes.
    assert seen == {"fa": [20, 5], "fb": [10, 5]}
    assert result.values == {"a": 5, "b": 5}


def test_later_sibling_in_a_superstep_does_not_see_earlier_sibling_output(calls):
    """Under SyncRunner siblings run one after another, yet read the superstep's snapshot."""
    from hypergraph_runners import SyncRunner

    seen = []

    @node(output_name="count")
    def bump(count):
        calls.append("bump")
        return min(count + 1, 2)

    @node(output_name="echo")
    def watch(count):
        seen.append(count)
        return count

    SyncRunner().run(Graph([bump, watch]), {"count": 0})
    # watch runs in the same supersteps as bump and always sees the value bump consumed.
    assert seen == [0, 1, 2]
    assert calls == ["bump"] * 3


def diamond_chain(calls: list[str]) -> Graph:
    @node(output_name="l")
    def left(x):
        calls.append("left")
        return x + 1

    @node(output_name="r")
    def right(x):
        calls.append("right")
        return x * 10

    @node(output_name="j")
    def join(l, r):  # noqa: E741
        calls.append("join")
        return l + r

    @node
    def side_effect(j):
        calls.append("side_effect")

    def make_step(i: int) -> FunctionNode:
        def step(v):
            calls.append(f"c{i}")
            return v + 1

        src = "j" if i == 0 else f"c{i - 1}"
        return FunctionNode(step, name=f"c{i}", output_name=f"c{i}").with_inputs(v=src)

    chain = [make_step(i) for i in range(8)]
    return Graph([*reversed(chain), join, side_effect, right, left])


def test_every_node_of_a_dag_runs_exactly_once(run, calls):
    result = run(diamond_chain(calls), {"x": 1})
    assert result.status is RunStatus.COMPLETED
    assert sorted(calls) == sorted(
        ["left", "right", "join", "side_effect", *[f"c{i}" for i in range(8)]]
    )
    assert len(calls) == len(set(calls))
    assert result["j"] == 2 + 10
    assert result["c7"] == 12 + 8


# -- input resolution (§4.3) -----------------------------------------------------------------


def default_graph(seen: list[object]) -> Graph:
    @node(output_name="out")
    def f(x="default"):
        seen.append(x)
        return x

    return Graph([f])


def test_default_used_when_nothing_else(run):
    seen: list[object] = []
    assert run(default_graph(seen))["out"] == "default"


def test_bound_value_beats_default(run):
    seen: list[object] = []
    assert run(default_graph(seen).bind(x="bound"))["out"] == "bound"


def test_provided_value_beats_bound_value_and_default(run):
    seen: list[object] = []
    graph = default_graph(seen)
    assert run(graph.bind(x="bound"), {"x": "given"})["out"] == "given"
    assert run(graph, {"x": "given"})["out"] == "given"
    assert seen == ["given", "given"]


def test_provided_none_is_a_value(run):
    seen: list[object] = []
    assert run(default_graph(seen).bind(x="bound"), {"x": None})["out"] is None


def test_bound_none_beats_default(run):
    seen: list[object] = []
    assert run(default_graph(seen).bind(x=None))["out"] is None


def test_provided_value_is_passed_by_reference(run):
    seen: list[object] = []
    obj = ["mutable"]
    result = run(default_graph(seen), {"x": obj})
    assert seen[0] is obj
    assert result["out"] is obj


def test_bound_value_is_passed_by_reference(run):
    seen: list[object] = []
    obj = {"k": [1]}
    result = run(default_graph(seen).bind(x=obj))
    assert seen[0] is obj
    assert result["out"] is obj


def test_produced_value_is_passed_by_reference(run):
    made = []
    seen = []

    @node(output_name="obj")
    def make():
        made.append(object())
        return made[-1]

    @node(output_name="same")
    def use(obj):
        seen.append(obj)
        return obj is made[-1]

    result = run(Graph([make, use]))
    assert result["same"] is True
    assert seen[0] is made[0]
    assert result["obj"] is made[0]


def test_default_is_the_declared_object_and_a_mutable_default_is_shared(run):
    @node(output_name="collected")
    def collect(item, acc=[]):  # the shared default is the point
        acc.append(item)
        return acc

    declared = collect.defaults["acc"]
    first = run(Graph([collect]), {"item": 1})
    second = run(Graph([collect]), {"item": 2})
    assert first["collected"] is declared
    assert second["collected"] is declared
    assert declared == [1, 2]


def test_edge_fed_input_waits_for_its_producer_despite_a_default(run):
    """§7 item 3: a default never makes an edge-fed parameter ready early."""
    seen = []

    @node(output_name="z")
    def consumer(y=100):
        seen.append(y)
        return y

    @node(output_name="y")
    def producer(x):
        return x * 2

    result = run(Graph([consumer, producer]), {"x": 4})
    assert seen == [8]
    assert result["z"] == 8


def test_edge_fed_input_of_a_longer_chain_waits_despite_a_default(run):
    seen = []

    @node(output_name="b")
    def late(a=-1):
        seen.append(a)
        return a

    @node(output_name="m")
    def mid(x):
        return x + 1

    @node(output_name="a")
    def early(m):
        return m + 1

    result = run(Graph([late, mid, early]), {"x": 0})
    assert seen == [2]
    assert result["b"] == 2


# -- call convention (§4.7) ------------------------------------------------------------------


def test_positional_only_parameters_are_passed_positionally(run):
    def pair(a, b, /):
        return (a, b)

    graph = Graph([FunctionNode(pair, output_name="out")])
    assert run(graph, {"a": 1, "b": 2})["out"] == (1, 2)


def test_positional_only_parameters_with_defaults(run):
    def pair(a=1, b=2, /):
        return (a, b)

    graph = Graph([FunctionNode(pair, output_name="out")])
    assert run(graph)["out"] == (1, 2)
    assert run(graph, {"b": 20})["out"] == (1, 20)
    assert run(graph, {"a": 10})["out"] == (10, 2)


def test_renamed_positional_only_parameters(run):
    def pair(a, b, /):
        return (a, b)

    fn = FunctionNode(pair, output_name="out").with_inputs(a="first", b="second")
    assert run(Graph([fn]), {"first": "A", "second": "B"})["out"] == ("A", "B")


@pytest.mark.parametrize("extra", [[2, 3], (2, 3), [], ()])
def test_var_positional_takes_a_list_or_tuple(run, extra):
    def spread(a, *rest):
        return (a, rest)

    graph = Graph([FunctionNode(spread, output_name="out")])
    assert graph.inputs.required == ("a", "rest")
    assert run(graph, {"a": 1, "rest": extra})["out"] == (1, tuple(extra))


def test_ordinary_parameters_go_positionally_before_var_positional(run):
    def spread(a, b, *rest):
        return (a, b, rest)

    fn = FunctionNode(spread, output_name="out").with_inputs(a="x")
    assert run(Graph([fn]), {"x": 1, "b": 2, "rest": [3, 4]})["out"] == (1, 2, (3, 4))


def test_defaulted_parameter_before_var_positional_gets_its_default(run):
    def spread(a, b=2, *rest):
        return (a, b, rest)

    graph = Graph([FunctionNode(spread, output_name="out")])
    assert run(graph, {"a": 1, "rest": [3]})["out"] == (1, 2, (3,))
    assert run(graph, {"a": 1, "b": 20, "rest": ()})["out"] == (1, 20, ())


@pytest.mark.parametrize("bad", ["ab", {1, 2}, {"k": 1}, 5, None, iter([1, 2])])
def test_var_positional_value_not_a_list_or_tuple_fails_with_type_error(run, bad):
    called = []

    def spread(a, *rest):
        called.append(rest)
        return rest

    result = run(Graph([FunctionNode(spread, output_name="out")]), {"a": 1, "rest": bad})
    assert result.status is RunStatus.FAILED
    assert type(result.error) is TypeError
    assert result.failed_node == "spread"
    assert "rest" in str(result.error)
    assert called == []
    assert "out" not in result


def test_keyword_only_parameters_are_passed_by_keyword(run):
    def kwonly(a, *, k, m=3):
        return (a, k, m)

    graph = Graph([FunctionNode(kwonly, output_name="out")])
    assert run(graph, {"a": 1, "k": 2})["out"] == (1, 2, 3)
    assert run(graph, {"a": 1, "k": 2, "m": 4})["out"] == (1, 2, 4)


def test_var_keyword_parameter_is_one_input_under_its_own_name(run):
    def collect(**kw):
        return kw

    graph = Graph([FunctionNode(collect, output_name="out")])
    assert graph.inputs.required == ("kw",)
    payload = {"a": 1}
    out = run(graph, {"kw": payload})["out"]
    assert out == {"kw": payload}
    assert out["kw"] is payload


def test_every_parameter_kind_together(run):
    def everything(p, /, q, *args, k, d=4, **extra):
        return (p, q, args, k, d, extra)

    graph = Graph([FunctionNode(everything, output_name="out")])
    result = run(graph, {"p": 1, "q": 2, "args": (3,), "k": 5, "extra": 6})
    assert result["out"] == (1, 2, (3,), 5, 4, {"extra": 6})


def test_renamed_parameters_of_every_kind(run):
    def everything(p, /, q, *args, k, **extra):
        return (p, q, args, k, extra)

    fn = FunctionNode(everything, output_name="out").with_inputs(
        p="P", q="Q", args="ARGS", k="K", extra="EXTRA"
    )
    graph = Graph([fn])
    result = run(graph, {"P": 1, "Q": 2, "ARGS": [3], "K": 4, "EXTRA": 5})
    assert result["out"] == (1, 2, (3,), 4, {"extra": 5})
