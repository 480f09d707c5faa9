"""Gates at run time (issue 9), under both runners: decisions, loops, ``END``, fallback,
``multi_target``, invalid decisions, mutually exclusive producers, nesting, ``map``,
``max_iterations`` and ``ConflictError`` (ERR-04), in the core and through the public API.

Every test taking ``run`` / ``run_map`` runs once per runner (see ``conftest.py``). Node bodies
log to ``calls``; under ``AsyncRunner`` the nodes of one superstep run concurrently, so call
order is asserted only where the nodes run in different supersteps.
"""

import pytest

from hypergraph_graph import END, Graph, IfElseNode, RouteNode, ifelse, node, route
from hypergraph_runners._core import Execution, Scope
from hypergraph_runners._inputs import prepare
from hypergraph_runners._leaf import DECISION
from hypergraph_runners._plan import plan_of
from hypergraph_types import ConflictError, InfiniteLoopError, RunStatus

# --- building blocks ----------------------------------------------------------------------


def count_loop(calls: list, limit: int = 3) -> Graph:
    """The issue's loop: a gate in front of ``increment``, "increment until count >= limit"."""

    @node(output_name="count")
    def increment(count):
        calls.append(("increment", count))
        return count + 1

    @route(targets=["increment", END])
    def check(count, limit=limit):
        calls.append(("check", count))
        return "increment" if count < limit else END

    return Graph([increment, check])


def forever_loop(calls: list) -> Graph:
    """A gate loop that never converges: the gate always chooses ``increment``."""

    @node(output_name="count")
    def increment(count):
        calls.append("increment")
        return count + 1

    @route(targets=["increment", END])
    def check(count):
        calls.append("check")
        return "increment"

    return Graph([increment, check])


def two_targets(calls: list, *gates, only_a: bool = False) -> Graph:
    """``gates`` (functions of ``x``) in front of ``a(x) -> a_out`` and ``b(x) -> b_out``.

    A node no gate targets runs as usual, so with ``only_a`` the graph leaves ``b`` out.
    """

    @node(output_name="a_out")
    def a(x):
        calls.append("a")
        return f"a:{x}"

    @node(output_name="b_out")
    def b(x):
        calls.append("b")
        return f"b:{x}"

    return Graph([*gates, a] if only_a else [*gates, a, b])


def exclusive_replies(calls: list) -> Graph:
    """``loud`` (ifelse) chooses ``shout`` or ``whisper``; both produce ``reply``."""

    @ifelse("shout", "whisper")
    def loud(text: str) -> bool:
        calls.append("loud")
        return text.endswith("!")

    @node(output_name="reply")
    def shout(text: str) -> str:
        calls.append("shout")
        return text.upper()

    @node(output_name="reply")
    def whisper(text: str) -> str:
        calls.append("whisper")
        return text.lower()

    @node(output_name="length")
    def measure(reply: str) -> int:
        calls.append("measure")
        return len(reply)

    return Graph([loud, shout, whisper, measure], name="respond")


# --- a target runs only after a controlling gate decided for it -------------------------------


def test_target_runs_only_after_its_gate_decided(run, calls):
    @route(targets=["a", "b", END])
    def choose(x):
        calls.append("choose")
        return "b"

    result = run(two_targets(calls, choose), x=1)
    assert result.status is RunStatus.COMPLETED
    assert calls == ["choose", "b"]
    assert result.values == {"b_out": "b:1"}


def test_targets_never_run_without_a_decision(run, calls):
    @route(targets=["a", "b"])
    def choose(x):
        calls.append("choose")
        raise RuntimeError("no decision today")

    result = run(two_targets(calls, choose), x=1)
    assert result.status is RunStatus.FAILED
    assert result.failed_node == "choose"
    assert calls == ["choose"]


def test_nodes_outside_the_gate_run_as_usual(run, calls):
    @node(output_name="side")
    def side(x):
        calls.append("side")
        return x

    @route(targets=["a", END])
    def choose(x):
        calls.append("choose")
        return END

    graph = two_targets(calls, choose)  # 'b' is not a target of 'choose'
    result = run(Graph([*graph.nodes.values(), side]), x=1)
    assert sorted(calls) == ["b", "choose", "side"]
    assert result.values == {"b_out": "b:1", "side": 1}


# --- loops: the decision is cleared when the gate is about to re-run ---------------------------


def test_increment_until_count_reaches_three_ends_at_three(run, calls):
    result = run(count_loop(calls), count=0)
    assert result.status is RunStatus.COMPLETED
    assert result["count"] == 3
    assert calls == [
        ("check", 0),
        ("increment", 0),
        ("check", 1),
        ("increment", 1),
        ("check", 2),
        ("increment", 2),
        ("check", 3),
    ]


def test_loop_that_starts_at_its_limit_never_runs_the_target(run, calls):
    result = run(count_loop(calls), count=5)
    assert result["count"] == 5
    assert calls == [("check", 5)]


def test_loop_limit_from_default_binding_or_values(run, calls):
    graph = count_loop(calls)
    assert run(graph, count=0)["count"] == 3
    assert run(graph.bind(limit=5), count=0)["count"] == 5
    assert run(graph, count=0, limit=1)["count"] == 1


def test_gate_with_renamed_inputs_drives_the_loop(run, calls):
    @node(output_name="n")
    def step(n):
        calls.append("step")
        return n + 2

    @route(targets=["step", END], rename_inputs={"count": "n"})
    def check(count, limit=5):
        return "step" if count < limit else END

    result = run(Graph([step, check]), n=0)
    assert result["n"] == 6
    assert calls == ["step"] * 3

    renamed = Graph([step.with_inputs(n="m").with_outputs(n="m"), check.with_inputs(n="m")])
    assert run(renamed, m=1)["m"] == 5


def test_producers_chosen_in_turn_by_a_loop_write_one_value(run, calls):
    """Two mutually exclusive producers of ``count`` take turns inside one loop: one gate
    switching producers never runs both at once, so the shared value never conflicts."""

    @node(output_name="count")
    def big(count):
        calls.append(("big", count))
        return count + 3

    @node(output_name="count")
    def small(count):
        calls.append(("small", count))
        return count + 1

    @route(targets=["big", "small", END])
    def choose(count):
        if count >= 8:
            return END
        return "big" if count % 2 == 0 else "small"

    result = run(Graph([choose, big, small]), count=0)
    assert result.status is RunStatus.COMPLETED
    assert result["count"] == 8
    assert calls == [("big", 0), ("small", 3), ("big", 4), ("small", 7)]


# --- a decision stays in force until the gate runs again -------------------------------------


def test_decision_waits_for_the_targets_inputs(run, calls):
    """The gate decides in superstep 1; its target's input arrives in superstep 3."""

    @node(output_name="y1")
    def first(x):
        return x + 1

    @node(output_name="y")
    def second(y1):
        calls.append("second")
        return y1 + 1

    @node(output_name="z")
    def target(y):
        calls.append("target")
        return y * 10

    @route(targets=["target", END])
    def choose(x):
        calls.append("choose")
        return "target"

    result = run(Graph([choose, first, second, target]), x=1)
    assert result.values == {"y1": 2, "y": 3, "z": 30}
    assert calls == ["choose", "second", "target"]


def test_target_reruns_on_new_inputs_while_the_decision_is_in_force(run, calls):
    """The gate runs once; its target follows every change of its input."""

    @node(output_name="v")
    def step(v):
        return min(v + 1, 3)

    @node(output_name="w")
    def target(v):
        calls.append(("target", v))
        return v

    @route(targets=["target", END])
    def choose(x):
        calls.append("choose")
        return "target"

    result = run(Graph([choose, step, target]), x=0, v=0)
    assert result["w"] == 3
    assert calls.count("choose") == 1
    assert [c for c in calls if c != "choose"] == [("target", 1), ("target", 2), ("target", 3)]


def test_a_new_decision_reruns_the_target_even_with_unchanged_inputs(run, calls):
    """Each decision activates its target once more (activation counters), even when the
    target's own inputs are the same as at its last run."""

    @route(targets=["work", END])
    def choose(v):
        calls.append(("choose", v))
        return "work"

    @node(output_name="w")
    def work(x):
        calls.append("work")
        return x

    # v changes from 0 to 1 in superstep 3, after 'work' ran: 'choose' runs again.
    @node(output_name="k1")
    def tick1(x):
        return x

    @node(output_name="k2")
    def tick2(k1):
        return k1

    @node(output_name="v")
    def bump(v, k2):
        return 1

    result = run(Graph([choose, work, tick1, tick2, bump]), x=7, v=0)
    assert result["w"] == 7
    assert calls == [("choose", 0), "work", ("choose", 1), "work"]


def test_decision_of_a_blocked_gate_stays_in_force(run, calls):
    @route(targets=["inner", END])
    def outer(a):
        calls.append(("outer", a))
        return "inner" if a == 0 else END

    @route(targets=["target", END])
    def inner(a):
        calls.append(("inner", a))
        return "target"

    @node(output_name="out")
    def target(x):
        calls.append("target")
        return x

    @node(output_name="k")
    def tick(x):
        return x

    @node(output_name="a")
    def bump(a, k):
        return 1  # a: 0 -> 1 in superstep 2

    # 1: outer(0) -> inner.  2: inner(0) -> target; a becomes 1.
    # 3: outer re-runs (so inner, ready by its new input, is not covered and does not run) and
    #    chooses END. inner never ran again: its decision for 'target' should still stand.
    result = run(Graph([outer, inner, target, tick, bump]), x=5, a=0)
    assert calls[:2] == [("outer", 0), ("inner", 0)]
    # outer(1) and target share superstep 3: under AsyncRunner they run in two threads at once,
    # so their order is not defined.
    assert sorted(calls[2:], key=str) == [("outer", 1), "target"]
    assert result["out"] == 5


# --- END, None and fallback ------------------------------------------------------------------


def test_end_blocks_every_target_of_the_gate(run, calls):
    @route(targets=["a", "b", END])
    def choose(x):
        calls.append("choose")
        return END

    result = run(two_targets(calls, choose), x=1)
    assert result.status is RunStatus.COMPLETED
    assert calls == ["choose"]
    assert result.values == {}


def test_ifelse_with_an_end_branch(run, calls):
    @ifelse("a", END)
    def big(x):
        calls.append("big")
        return x > 10

    graph = two_targets(calls, big, only_a=True)
    assert run(graph, x=20).values == {"a_out": "a:20"}
    assert run(graph, x=1).values == {}
    assert calls == ["big", "a", "big"]


def test_end_from_one_gate_does_not_veto_another_gates_decision(run, calls):
    """END means "this gate activates nothing"; another gate's decision still counts."""

    @route(targets=["a", END])
    def stop(x):
        calls.append("stop")
        return END

    @route(targets=["a", END])
    def go(x):
        calls.append("go")
        return "a"

    result = run(two_targets(calls, stop, go, only_a=True), x=1)
    assert result.values == {"a_out": "a:1"}
    assert sorted(calls) == ["a", "go", "stop"]


def test_end_fails_a_route_that_does_not_list_it(run, calls):
    """v1.3 compatibility (issue 13 case 16): END is a valid decision only where it is a target."""

    @route(targets=["a"])
    def choose(x):
        calls.append("choose")
        return END

    result = run(two_targets(calls, choose, only_a=True), x=1)
    assert result.status is RunStatus.FAILED
    assert result.failed_node == "choose"
    assert type(result.error) is ValueError
    assert "Gate 'choose' returned invalid target END" in str(result.error)
    assert "add END to the route's targets" in str(result.error)
    assert calls == ["choose"]


def test_a_fallback_that_is_not_listed_runs_on_none(run, calls):
    """v1.3: ``@route(targets=["a"], fallback="b")`` adds ``b`` to the targets, no error."""

    @route(targets=["a"], fallback="b")
    def choose(x):
        calls.append("choose")
        return None

    result = run(two_targets(calls, choose), x=1)
    assert result.status is RunStatus.COMPLETED
    assert result.values == {"b_out": "b:1"}
    assert calls == ["choose", "b"]


def test_none_selects_the_fallback(run, calls):
    @route(targets=["a", "b"], fallback="b")
    def choose(x):
        calls.append("choose")
        return None

    result = run(two_targets(calls, choose), x=1)
    assert result.values == {"b_out": "b:1"}
    assert calls == ["choose", "b"]


def test_none_without_fallback_runs_nothing(run, calls):
    @route(targets=["a", "b"])
    def choose(x):
        calls.append("choose")
        return None

    result = run(two_targets(calls, choose), x=1)
    assert result.status is RunStatus.COMPLETED
    assert calls == ["choose"]


def test_fallback_end_runs_nothing(run, calls):
    @route(targets=["a", END], fallback=END)
    def choose(x):
        calls.append("choose")
        return None

    assert run(two_targets(calls, choose, only_a=True), x=1).values == {}
    assert calls == ["choose"]


# --- multi_target ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (["a", "b"], {"a_out": "a:1", "b_out": "b:1"}),
        (["b"], {"b_out": "b:1"}),
        ([], {}),
        (("a", "b", "a"), {"a_out": "a:1", "b_out": "b:1"}),
        ([END, "a"], {"a_out": "a:1"}),
        (None, {}),
    ],
    ids=["both", "one", "empty", "tuple-with-duplicate", "END-in-list", "None"],
)
def test_multi_target_runs_every_chosen_target(run, calls, decision, expected):
    @route(targets=["a", "b", END], multi_target=True)
    def choose(x):
        calls.append("choose")
        return decision

    result = run(two_targets(calls, choose), x=1)
    assert result.status is RunStatus.COMPLETED
    assert result.values == expected
    assert calls[0] == "choose"
    assert sorted(calls[1:]) == sorted({k[0] for k in expected})


# --- invalid decisions fail the gate node -----------------------------------------------------


@pytest.mark.parametrize(
    ("multi_target", "decision", "error", "fragment"),
    [
        (False, "c", ValueError, "returned invalid target 'c', which is not one of its targets"),
        (False, 5, ValueError, "returned invalid target 5, which is not one of its targets"),
        (False, ["a"], TypeError, "multi_target=False but returned a list"),
        (False, ("a",), TypeError, "multi_target=False but returned a tuple"),
        (False, {"a"}, TypeError, "multi_target=False but returned a set"),
        (True, "a", TypeError, "multi_target=True but returned str"),
        (True, {"a"}, TypeError, "multi_target=True but returned set"),
        (True, ["a", "c"], ValueError, "returned invalid target 'c'"),
    ],
    ids=[
        "not-a-target",
        "not-a-name",
        "list-from-single",
        "tuple-from-single",
        "set-from-single",
        "str-from-multi",
        "set-from-multi",
        "unknown-in-list",
    ],
)
def test_invalid_decision_fails_the_gate(run, calls, multi_target, decision, error, fragment):
    @route(targets=["a", "b", END], multi_target=multi_target)
    def choose(x):
        calls.append("choose")
        return decision

    result = run(two_targets(calls, choose), x=1)
    assert result.status is RunStatus.FAILED
    assert result.failed_node == "choose"
    assert type(result.error) is error
    text = str(result.error)
    assert "Gate 'choose'" in text
    assert fragment in text
    assert "Valid targets: 'a', 'b', END" in text
    assert "How to fix" in text
    assert calls == ["choose"]  # no target ran
    notes = [n for n in result.error.__notes__ if n.startswith("hypergraph:")]
    assert len(notes) == 1 and "node 'choose' failed" in notes[0]


def test_invalid_decision_is_raised_with_error_handling_raise(run, calls):
    @route(targets=["a", "b"])
    def choose(x):
        return "c"

    with pytest.raises(ValueError, match="Gate 'choose' returned invalid target 'c'"):
        run(two_targets(calls, choose), x=1, error_handling="raise")
    assert calls == []


@pytest.mark.parametrize("value", [1, 0, None, "yes", 1.0], ids=repr)
def test_ifelse_must_return_a_real_bool(run, calls, value):
    @ifelse("a", "b")
    def decide(x):
        calls.append("decide")
        return value

    result = run(two_targets(calls, decide), x=1)
    assert result.status is RunStatus.FAILED
    assert result.failed_node == "decide"
    assert type(result.error) is TypeError
    assert "must return bool" in str(result.error)
    assert "Gate 'decide'" in str(result.error)
    assert calls == ["decide"]


@pytest.mark.parametrize(("value", "ran"), [(True, "a"), (False, "b")])
def test_ifelse_chooses_by_bool(run, calls, value, ran):
    @ifelse("a", "b")
    def decide(x):
        return value

    result = run(two_targets(calls, decide), x=1)
    assert calls == [ran]
    assert list(result.values) == [f"{ran}_out"]


# --- mutually exclusive producers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "producer", "reply"), [("Hi there!", "shout", "HI THERE!"), ("Hey", "whisper", "hey")]
)
def test_the_chosen_producer_writes_the_shared_output(run, calls, text, producer, reply):
    graph = exclusive_replies(calls)
    assert graph.outputs == ("reply", "length")
    result = run(graph, text=text)
    assert result.status is RunStatus.COMPLETED
    assert result.values == {"reply": reply, "length": len(reply)}
    assert calls == ["loud", producer, "measure"]


def test_supplying_the_shared_output_bypasses_every_producer(run, calls):
    with pytest.warns(UserWarning, match="'reply'"):
        result = run(exclusive_replies(calls), text="Hi!", reply="given")
    assert result["length"] == 5
    assert "shout" not in calls and "whisper" not in calls


def test_gate_chooses_a_gate(run, calls):
    @route(targets=["second", END])
    def first(x):
        calls.append("first")
        return "second"

    @ifelse("a", "b", name="second")
    def second_gate(x):
        calls.append("second")
        return x > 0

    assert run(two_targets(calls, first, second_gate), x=1).values == {"a_out": "a:1"}
    assert calls == ["first", "second", "a"]


# --- nesting and map ---------------------------------------------------------------------------


def test_gate_loop_inside_a_nested_graph(run, calls):
    loop = count_loop(calls)
    loop_node = Graph(list(loop.nodes.values()), name="loop").as_node().with_inputs(count="start")

    @node(output_name="doubled")
    def double(count):
        return count * 2

    outer = Graph([loop_node, double])
    assert outer.inputs.required == ("start",)
    result = run(outer, start=0)
    assert result.status is RunStatus.COMPLETED
    assert result["count"] == 3
    assert result["doubled"] == 6
    assert result["loop"]["count"] == 3


def test_exclusive_producers_inside_a_nested_graph(run, calls):
    outer = Graph([exclusive_replies(calls).as_node()])
    result = run(outer, text="ok!")
    assert result["reply"] == "OK!"
    assert result["respond"].values == {"reply": "OK!", "length": 3}


def test_gate_in_the_parent_chooses_a_nested_graph(run, calls):
    inner = exclusive_replies(calls).as_node()

    @route(targets=["respond", END])
    def worth_answering(text):
        calls.append("worth_answering")
        return "respond" if text else END

    graph = Graph([worth_answering, inner])
    assert run(graph, text="Yo!")["reply"] == "YO!"
    assert run(graph, text="").values == {}
    assert calls.count("loud") == 1


def test_gate_loop_inside_a_mapped_nested_graph(run, calls):
    loop = Graph(list(count_loop(calls).nodes.values()), name="loop")
    outer = Graph([loop.as_node().with_inputs(count="start").map_over("start")])
    result = run(outer, start=[0, 2, 5])
    assert result.status is RunStatus.COMPLETED
    assert result["count"] == [3, 3, 5]
    assert [r["count"] for r in result["loop"]] == [3, 3, 5]


def test_exclusive_producers_inside_a_mapped_nested_graph(run, calls):
    outer = Graph([exclusive_replies(calls).as_node().map_over("text")])
    result = run(outer, text=["a!", "B", "c"])
    assert result["reply"] == ["A!", "b", "c"]
    assert result["length"] == [2, 1, 1]


def test_runner_map_over_a_gate_graph(run_map, calls):
    results = run_map(count_loop(calls), count=[0, 1, 4], map_over="count")
    assert [r["count"] for r in results] == [3, 3, 4]
    assert all(r.status is RunStatus.COMPLETED for r in results)


# --- cycles and max_iterations -------------------------------------------------------------------


def test_every_superstep_of_a_gate_loop_counts_against_the_budget(run, calls):
    """The count loop runs 7 cyclic supersteps (check, increment, ..., check): the gate is
    cyclic through its control edge, so its supersteps count too."""
    graph = count_loop(calls)
    assert run(graph, count=0, max_iterations=7)["count"] == 3
    result = run(graph, count=0, max_iterations=6)
    assert result.status is RunStatus.FAILED
    assert type(result.error) is InfiniteLoopError
    assert result.error.max_iterations == 6
    assert result.failed_node is None


@pytest.mark.parametrize("budget", [1, 2, 5, 10])
def test_gate_loop_that_never_converges_stops_at_exactly_max_iterations(run, calls, budget):
    result = run(forever_loop(calls), count=0, max_iterations=budget)
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, InfiniteLoopError)
    assert result.error.max_iterations == budget
    assert f"max_iterations={budget}" in str(result.error)
    # Supersteps alternate: check, increment, check, ... exactly `budget` of them ran.
    assert len(calls) == budget
    assert calls.count("check") == (budget + 1) // 2
    assert result.values.get("count", 0) == budget // 2
    assert result.error.nodes == (("increment",) if budget % 2 else ("check",))


def test_gate_loop_that_never_converges_inside_a_mapped_graph(run, calls):
    loop = Graph(list(forever_loop(calls).nodes.values()), name="loop")
    outer = Graph([loop.as_node().with_inputs(count="start").map_over("start")])
    result = run(outer, start=[0, 1], max_iterations=4)
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, InfiniteLoopError)
    assert result.error.max_iterations == 4


def test_acyclic_graph_with_a_gate_does_not_use_the_budget(run, calls):
    @route(targets=["a", "b"], multi_target=True)
    def choose(x):
        return ["a", "b"]

    result = run(two_targets(calls, choose), x=1, max_iterations=1)
    assert result.status is RunStatus.COMPLETED


def test_control_only_cycle_without_a_seed_runs_nothing(run, calls):
    """Control edges do not create seeds: here the gate waits for 'y' and 'produce' waits for
    the gate, so nothing is ready and the run completes empty."""

    @node(output_name="y")
    def produce(x):
        calls.append("produce")
        return x

    @route(targets=["produce", END])
    def again(y):
        calls.append("again")
        return END

    graph = Graph([again, produce])
    assert graph.has_cycles and graph.inputs.seeds == ()
    result = run(graph, x=1)
    assert result.status is RunStatus.COMPLETED
    assert result.values == {}
    assert calls == []


# --- ConflictError (ERR-04) ----------------------------------------------------------------------


def producers(calls: list, second_value: str = "right") -> tuple:
    @node(output_name="out")
    def left(x):
        calls.append("left")
        return "left"

    @node(output_name="out")
    def right(x):
        calls.append("right")
        return second_value

    return left, right


def execution(graph: Graph, values: dict) -> Execution:
    plan = plan_of(graph)
    return Execution(graph, plan, prepare(graph, values), 1000, Scope("", "run-0", None), "run-0")


def core_with_exclusive_producers() -> tuple[Execution, dict]:
    left, right = producers([])
    choose = IfElseNode(lambda x: True, "left", "right", name="choose")
    ex = execution(Graph([choose, left, right]), {"x": 1})
    return ex, ex.plan.by_name


def test_core_conflict_between_exclusive_producers_in_one_superstep():
    ex, by_name = core_with_exclusive_producers()
    (gate,) = ex.next_superstep()
    assert gate.name == "choose"
    ex.commit([(gate, {DECISION: ("left",)}, ex.inputs_of(gate)[1])])
    before = (dict(ex.state.values), dict(ex.state.versions))

    pl, pr = by_name["left"], by_name["right"]
    with pytest.raises(ConflictError) as excinfo:
        ex.commit(
            [
                (pl, {"out": "left"}, ex.inputs_of(pl)[1]),
                (pr, {"out": "right"}, ex.inputs_of(pr)[1]),
            ]
        )
    err = excinfo.value
    assert err.value_name == "out"
    assert err.producers == ("left", "right")
    assert "'out'" in str(err) and "'left'" in str(err) and "'right'" in str(err)
    assert "How to fix" in str(err)
    # Nothing of the superstep was applied.
    assert (ex.state.values, ex.state.versions) == before


def test_core_equal_writes_of_exclusive_producers_are_not_a_conflict():
    ex, by_name = core_with_exclusive_producers()
    pl, pr = by_name["left"], by_name["right"]
    ex.commit([(pl, {"out": [1]}, (1,)), (pr, {"out": [1]}, (1,))])
    assert ex.state.values["out"] == [1]
    assert ex.state.versions["out"] == 1


def test_core_gate_decisions_never_conflict():
    left, right = producers([])
    g1 = RouteNode(lambda x: "left", ["left", "right"], name="g1")
    g2 = RouteNode(lambda x: "right", ["left", "right"], name="g2")
    ex = execution(Graph([g1, g2, left, right]), {"x": 1})
    batch = ex.next_superstep()
    assert [p.name for p in batch] == ["g1", "g2"]
    ex.commit([(p, {DECISION: (t,)}, (1,)) for p, t in zip(batch, ["left", "right"])])
    assert ex.decisions == {
        ex.plan.by_name["g1"].index: frozenset({ex.plan.by_name["left"].index}),
        ex.plan.by_name["g2"].index: frozenset({ex.plan.by_name["right"].index}),
    }
    # Both producers are now decided for and run together in the next superstep.
    assert [p.name for p in ex.next_superstep()] == ["left", "right"]


def test_public_path_two_gates_activate_two_producers_in_one_superstep(run, calls):
    """Validation allows it (both producers are targets of one single-target gate), yet a second
    gate can activate the other producer in the same superstep: ConflictError is reachable."""
    left, right = producers(calls)

    @route(targets=["left", "right"])
    def g1(x):
        return "left"

    @route(targets=["left", "right"])
    def g2(x):
        return "right"

    result = run(Graph([g1, g2, left, right]), x=1)
    assert result.status is RunStatus.FAILED
    assert type(result.error) is ConflictError
    assert result.error.value_name == "out"
    assert result.error.producers == ("left", "right")
    assert result.failed_node is None
    assert "out" not in result.values
    assert sorted(calls) == ["left", "right"]
    notes = [n for n in result.error.__notes__ if n.startswith("hypergraph:")]
    assert len(notes) == 1 and "graph '<root>' failed" in notes[0]


def test_public_path_ifelse_and_a_second_route(run, calls):
    left, right = producers(calls)

    @ifelse("left", "right")
    def choose(x):
        return False  # right

    @route(targets=["left", END])
    def also(x):
        return "left"

    result = run(Graph([choose, also, left, right]), x=1)
    assert type(result.error) is ConflictError
    assert result.error.producers == ("left", "right")


def test_public_path_equal_writes_from_two_gates_are_not_a_conflict(run, calls):
    left, right = producers(calls, second_value="left")

    @route(targets=["left", "right"])
    def g1(x):
        return "left"

    @route(targets=["left", "right"])
    def g2(x):
        return "right"

    result = run(Graph([g1, g2, left, right]), x=1)
    assert result.status is RunStatus.COMPLETED
    assert result["out"] == "left"
    assert sorted(calls) == ["left", "right"]
