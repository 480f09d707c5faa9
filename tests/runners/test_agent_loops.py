"""Agent-loop wiring at run time (issue 23), under both runners, flat, nested and mapped:
``emit``/``wait_for``, explicit edges with several producers, ``shared`` names and
entrypoints; and graphs without any of them keep their paths and results."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.shared.strategies import build, graph_specs

from hypergraph_graph import END, Graph, GraphNode, node, route
from hypergraph_runners import SyncRunner
from hypergraph_runners._plan import plan_of
from hypergraph_types import GraphConfigError, MissingInputError, RunStatus

Run = Callable[..., Any]
SHAPES = ("flat", "nested", "mapped")


def shaped(graph: Graph, shape: str, mapped_input: str, **renames: str) -> Graph:
    """The graph itself, inside a parent, or inside a parent mapped over ``mapped_input``;
    ``renames`` rename the nested graph's outputs (so a loop's value does not feed it again)."""
    if shape == "flat":
        return graph
    gn: GraphNode = graph.as_node(name="inner").rename_outputs(**renames)
    if shape == "mapped":
        gn = gn.map_over(mapped_input)
    return Graph([gn], name="outer")


def unshape(values: dict[str, Any], shape: str, name: str) -> Any:
    """The value as the flat graph reports it (a mapped parent holds a one-item list)."""
    value = values[name]
    return value[0] if shape == "mapped" else value


# -- the chat loop: flat with shared names, and the nested form it needed before ---------


def user_turn(messages: list[str], user_inputs: list[str]) -> list[str]:
    turn = sum(1 for m in messages if m.startswith("user:"))
    return [*messages, f"user: {user_inputs[turn]}"]


def model(messages: list[str]) -> str:  # a scripted model: it answers the last message
    return f"assistant: re {messages[-1].split(': ', 1)[1]}"


def respond(messages: list[str], reply: str) -> list[str]:
    return [*messages, reply]


def turns_done(messages: list[str], max_turns: int) -> bool:
    return sum(1 for m in messages if m.startswith("assistant:")) >= max_turns


add_user = node(user_turn, output_name="messages").with_name("add_user")
call_model = node(model, output_name="reply").with_name("call_model")
add_response = node(respond, output_name="messages").with_name("add_response")


@route(targets=["add_user", END])
def should_continue(messages: list[str], max_turns: int = 2) -> object:
    return END if turns_done(messages, max_turns) else "add_user"


def flat_chat() -> Graph:
    return Graph(
        [add_user, call_model, add_response, should_continue],
        shared=["messages"],
        edges=[(add_user, call_model), (add_response, should_continue)],
        entrypoint="add_user",
        name="chat",
    )


@route(targets=["turn", END])
def next_turn(messages: list[str], max_turns: int = 2) -> object:
    return END if turns_done(messages, max_turns) else "turn"


def nested_chat() -> Graph:
    """Before shared names: one turn as a nested graph, each write under its own name."""
    turn = Graph(
        [
            add_user.rename_outputs(messages="with_user"),
            call_model.rename_inputs(messages="with_user"),
            add_response.rename_inputs(messages="with_user").rename_outputs(messages="updated"),
        ],
        name="turn",
    )
    return Graph([next_turn, turn.as_node().rename_outputs(updated="messages")], name="chat")


INPUTS = ["hi", "tell me more", "bye", "unused"]


@pytest.mark.parametrize("max_turns", [1, 3])
def test_a_flat_chat_loop_gives_the_messages_of_the_nested_version(
    run: Run, max_turns: int
) -> None:
    values = {"messages": [], "user_inputs": INPUTS, "max_turns": max_turns}
    flat = run(flat_chat(), values)
    nested = run(nested_chat(), values)
    assert flat.status is RunStatus.COMPLETED and nested.status is RunStatus.COMPLETED
    assert flat["messages"] == nested["messages"]
    assert len(flat["messages"]) == 2 * max_turns
    assert flat["messages"][:2] == ["user: hi", "assistant: re hi"]


@pytest.mark.parametrize("shape", SHAPES)
def test_the_chat_loop_runs_nested_and_mapped(run: Run, shape: str) -> None:
    inputs = [INPUTS] if shape == "mapped" else INPUTS
    result = run(
        shaped(flat_chat(), shape, "user_inputs"),
        {"messages": ["system: be brief"], "user_inputs": inputs, "max_turns": 2},
    )
    assert result.status is RunStatus.COMPLETED, result.error
    assert unshape(result.values, shape, "messages") == [
        "system: be brief",
        "user: hi",
        "assistant: re hi",
        "user: tell me more",
        "assistant: re tell me more",
    ]


@pytest.mark.parametrize("explicit", [False, True])
@pytest.mark.parametrize("mapped", [False, True])
def test_a_nested_chat_loop_feeds_a_reader_in_the_parent(
    run: Run, mapped: bool, explicit: bool
) -> None:
    """The nested loop reads the caller's initial messages and its reader waits for the
    loop's final write (it never reads the initial value)."""
    seen: list[Any] = []

    @node(output_name="summary")
    def summarize(messages: list[Any]) -> int:
        seen.append(messages)
        return len(messages)

    conversation = flat_chat().as_node(name="conversation")
    if mapped:
        conversation = conversation.map_over("user_inputs")
    parent = Graph([summarize, conversation])
    if explicit:
        parent = Graph([summarize, conversation], edges=[(conversation, summarize)])
    assert parent.inputs.required == ("messages", "user_inputs")
    inputs = [INPUTS, INPUTS[1:]] if mapped else INPUTS
    result = run(parent, {"messages": ["system: hi"], "user_inputs": inputs, "max_turns": 1})
    assert result.status is RunStatus.COMPLETED, result.error
    expected = ["system: hi", "user: hi", "assistant: re hi"]
    if mapped:
        second = ["system: hi", "user: tell me more", "assistant: re tell me more"]
        assert result["messages"] == [expected, second]
        assert seen == [[expected, second]] and result["summary"] == 2
    else:
        assert result["messages"] == expected
        assert seen == [expected] and result["summary"] == 3


def test_a_parent_loop_around_a_nested_chat_loop_reads_the_initial_value_first(run: Run) -> None:
    """In a cycle with the nested loop, its reader starts from the initial value (like a
    seed) instead of waiting for a write that only comes after it decides."""
    conversation = flat_chat().as_node(name="conversation")

    @route(targets=["conversation", END])
    def again(messages: list[str]) -> object:
        return "conversation" if len(messages) < 4 else END

    result = run(
        Graph([conversation, again]),
        {"messages": [], "user_inputs": INPUTS, "max_turns": 1},
    )
    assert result.status is RunStatus.COMPLETED, result.error
    assert result["messages"] == ["user: hi", "assistant: re hi", "user: tell me more",
                                  "assistant: re tell me more"]  # fmt: skip


def test_runner_map_runs_the_chat_loop_per_item(run_map: Run) -> None:
    results = run_map(
        flat_chat(),
        {"messages": [], "user_inputs": [["a", "b"], ["c", "d"]], "max_turns": 1},
        map_over="user_inputs",
    )
    assert [r["messages"] for r in results] == [
        ["user: a", "assistant: re a"],
        ["user: c", "assistant: re c"],
    ]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_shared_name_needs_an_initial_value(run: Run, shape: str) -> None:
    inputs = [INPUTS] if shape == "mapped" else INPUTS
    with pytest.raises(MissingInputError, match="messages"):
        run(shaped(flat_chat(), shape, "user_inputs"), {"user_inputs": inputs})


def test_a_bound_shared_name_is_the_initial_value(run: Run) -> None:
    result = run(flat_chat().bind(messages=["system: hi"]), {"user_inputs": INPUTS, "max_turns": 1})
    assert result["messages"] == ["system: hi", "user: hi", "assistant: re hi"]


# -- emit / wait_for: a stale read in a cycle, fixed ------------------------------------


def tool(messages: list[str]) -> list[str]:
    return [*messages, f"tool: result for {messages[-1].split(': ', 1)[1]}"]


def tool_loop(fixed: bool) -> Graph:
    """user -> tool and model -> respond -> gate -> user; the model should read the tool's
    result. ``fixed``: the model waits for the tool's emit; otherwise it only runs after the
    user turn, in the same superstep as the tool, and reads the messages before the tool's."""
    run_tool = node(tool, output_name="messages", emit="tool_done" if fixed else None)
    ask = node(model, output_name="reply", wait_for="tool_done" if fixed else None)
    edges: list[Any] = [(add_user, run_tool), (add_response, should_continue)]
    if not fixed:
        edges.append((add_user, ask))
    return Graph(
        [add_user, run_tool, ask, add_response, should_continue],
        shared=["messages"],
        edges=edges,
        entrypoint="add_user",
    )


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fixed", [True, False])
def test_emit_and_wait_for_fix_a_stale_read_in_a_cycle(run: Run, shape: str, fixed: bool) -> None:
    inputs = [INPUTS] if shape == "mapped" else INPUTS
    result = run(
        shaped(tool_loop(fixed), shape, "user_inputs"),
        {"messages": [], "user_inputs": inputs, "max_turns": 2},
    )
    assert result.status is RunStatus.COMPLETED, result.error
    messages = unshape(result.values, shape, "messages")
    replies = [m for m in messages if m.startswith("assistant:")]
    if fixed:
        assert replies == ["assistant: re result for hi", "assistant: re result for tell me more"]
    else:  # the stale read: the model saw the user's message, not the tool's result
        assert replies == ["assistant: re hi", "assistant: re tell me more"]
    assert "tool_done" not in result.values


@node(output_name="a", emit="fetched")
def fetch(q: str) -> str:
    return q.upper()


@pytest.mark.parametrize("shape", SHAPES)
def test_a_waiter_runs_after_its_emitter_even_when_listed_first(run: Run, shape: str) -> None:
    order: list[str] = []

    @node(output_name="c", wait_for="fetched")
    def read(x: str) -> str:
        order.append("read")
        return x

    @node(output_name="a", emit="fetched")
    def fetch_logged(q: str) -> str:
        order.append("fetch")
        return q

    g = shaped(Graph([read, fetch_logged]), shape, "q")
    result = run(g, {"q": ["x"] if shape == "mapped" else "x", "x": "y"})
    assert result.status is RunStatus.COMPLETED, result.error
    assert order == ["fetch", "read"]
    assert (unshape(result.values, shape, "c"), unshape(result.values, shape, "a")) == ("y", "x")
    assert "fetched" not in result.values


def test_emits_are_never_values(run: Run) -> None:
    result = run(Graph([fetch]), {"q": "x"})
    assert result.values == {"a": "X"}
    with pytest.warns(UserWarning, match="Requested outputs not found: 'fetched'") as warned:
        selected = run(Graph([fetch]), {"q": "x"}, select=["a", "fetched"])
    assert "'fetched' is an emit: it orders nodes and carries no value" in str(warned[0].message)
    assert selected.values == {"a": "X"}


def test_a_waiter_whose_emitter_never_runs_never_runs(run: Run) -> None:
    @route(targets=["fetch", END])
    def gate(q: str) -> object:
        return END

    @node(output_name="c", wait_for="fetched")
    def read(x: str) -> str:
        return x

    result = run(Graph([gate, fetch, read]), {"q": "x", "x": "y"})
    assert result.status is RunStatus.COMPLETED
    assert result.values == {}


@pytest.mark.parametrize("mapped", [False, True])
def test_a_parent_waits_for_a_nested_graph_emit(run: Run, mapped: bool) -> None:
    order: list[str] = []

    @node(output_name="a", emit="inner_done")
    def work(q: str) -> str:
        order.append("work")
        return q

    @node(output_name="z", wait_for="worked")
    def after(y: int) -> int:
        order.append("after")
        return y

    inner = Graph([work], name="inner").as_node().rename_outputs(inner_done="worked")
    if mapped:
        inner = inner.map_over("q")
    result = run(Graph([after, inner]), {"q": ["x", "w"] if mapped else "x", "y": 1})
    assert order == (["work", "work", "after"] if mapped else ["work", "after"])
    assert result.values["z"] == 1 and "worked" not in result.values


def test_a_waiter_runs_once_per_completion_of_its_emitter(run: Run) -> None:
    runs: list[int] = []

    @node(output_name="count", emit="ticked")
    def tick(count: int) -> int:
        return min(count + 1, 3)

    @node(wait_for="ticked")
    def watch(limit: int) -> None:
        runs.append(limit)

    result = run(Graph([tick, watch]), {"count": 0, "limit": 7})
    assert result["count"] == 3
    # tick runs for count 0, 1, 2 and once more at 3 (its output no longer changes)
    assert runs == [7, 7, 7, 7]


# -- explicit edges with several producers ------------------------------------------------


@node(output_name="x")
def make_x(seed: int) -> int:
    return seed


@node(output_name="x")
def other_x(seed: int) -> int:
    return seed + 100


@node(output_name="y")
def use_x(x: int) -> int:
    return x


@node(output_name="z")
def use_x_too(x: int) -> int:
    return x


@pytest.mark.parametrize("shape", SHAPES)
def test_each_consumer_reads_its_declared_source(run: Run, shape: str) -> None:
    g = Graph(
        [make_x, other_x, use_x, use_x_too],
        edges=[(make_x, use_x), (other_x, use_x_too, "x")],
    )
    result = run(shaped(g, shape, "seed"), {"seed": [1] if shape == "mapped" else 1})
    assert result.status is RunStatus.COMPLETED, result.error
    values = result.values
    assert (unshape(values, shape, "y"), unshape(values, shape, "z")) == (1, 101)
    assert unshape(values, shape, "x") == 101  # the last committed write, in node order


@pytest.mark.parametrize("with_other_reader", [False, True])
def test_a_consumer_of_several_declared_sources_reads_the_last_write(
    run: Run, with_other_reader: bool
) -> None:
    """Both sources write in one superstep: no ConflictError (several producers are legal
    with explicit edges), the consumer reads the last write in node order, whether or not
    another consumer reads only one of them."""
    nodes = [make_x, other_x, use_x]
    edges: list[Any] = [(make_x, use_x), (other_x, use_x)]
    if with_other_reader:
        nodes.append(use_x_too)
        edges.append((make_x, use_x_too))
    result = run(Graph(nodes, edges=edges), {"seed": 1})
    assert result.status is RunStatus.COMPLETED, result.error
    assert (result["x"], result["y"]) == (101, 101)
    if with_other_reader:
        assert result["z"] == 1


# -- entrypoints --------------------------------------------------------------------------


def chain(calls: list[str]) -> Graph:
    @node(output_name="b")
    def first(a: int) -> int:
        calls.append("first")
        return a

    @node(output_name="c")
    def second(b: int) -> int:
        calls.append("second")
        return b + 1

    @node(output_name="d")
    def third(c: int) -> int:
        calls.append("third")
        return c * 2

    return Graph([first, second, third])


@pytest.mark.parametrize("shape", SHAPES)
def test_nodes_upstream_of_the_entrypoint_never_run(run: Run, shape: str) -> None:
    calls: list[str] = []
    g = chain(calls).with_entrypoint("second")
    result = run(shaped(g, shape, "b"), {"b": [5] if shape == "mapped" else 5})
    assert result.status is RunStatus.COMPLETED, result.error
    assert unshape(result.values, shape, "d") == 12
    assert calls == ["second", "third"]


def test_upstream_nodes_do_not_run_even_when_their_inputs_are_given(run: Run) -> None:
    calls: list[str] = []
    result = run(chain(calls).with_entrypoint("second"), {"a": 1, "b": 5})
    assert calls == ["second", "third"]
    assert result.values == {"c": 6, "d": 12}


def test_selecting_what_only_upstream_nodes_produce_is_a_config_error(
    run: Run, run_map: Run
) -> None:
    g = chain([]).with_entrypoint("second")
    with pytest.raises(GraphConfigError, match="Cannot select 'b'") as info:
        run(g, {"b": 5}, select=["b", "d"])
    assert "'first'" in str(info.value) and "How to fix" in str(info.value)
    with pytest.raises(GraphConfigError, match="Cannot select 'b'"):
        run_map(g, {"b": [5, 6]}, map_over="b", select=["b", "d"])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("entry", ["ring_x", "ring_y"])
def test_in_a_cycle_the_entrypoint_runs_first(run: Run, entry: str, shape: str) -> None:
    calls: list[str] = []

    @node(output_name="x")
    def ring_x(y: int) -> int:
        calls.append("ring_x")
        return min(y + 1, 3)

    @node(output_name="y")
    def ring_y(x: int) -> int:
        calls.append("ring_y")
        return x

    needed = "y" if entry == "ring_x" else "x"
    g = shaped(Graph([ring_x, ring_y], entrypoint=entry), shape, needed, x="out_x", y="out_y")
    assert g.inputs.all == (needed,)
    result = run(g, {needed: [0] if shape == "mapped" else 0})
    assert result.status is RunStatus.COMPLETED, result.error
    assert calls[0] == entry
    assert all(a != b for a, b in itertools.pairwise(calls))  # they alternate, one at a time
    names = ("x", "y") if shape == "flat" else ("out_x", "out_y")
    assert [unshape(result.values, shape, n) for n in names] == [3, 3]


# -- graphs without the options: today's paths ---------------------------------------------


@node(output_name="count")
def increment(count: int) -> int:
    return count + 1


@route(targets=["increment", END])
def check(count: int) -> object:
    return "increment" if count < 3 else END


def test_graphs_without_the_options_keep_their_paths_and_results(run: Run) -> None:
    acyclic = Graph([make_x, use_x])
    loop = Graph([check, increment])
    for g in (acyclic, loop):
        plan = plan_of(g)
        assert not plan.wired and not plan.waiters and not plan.unchecked
        assert not any(p.ordered for p in plan.nodes)
        assert all(p.watch == p.inputs for p in plan.nodes)
    assert plan_of(acyclic).all_once  # the fixed schedule (and dataflow under AsyncRunner)
    assert run(acyclic, {"seed": 2}).values == {"x": 2, "y": 2}
    assert run(loop, {"count": 0}).values == {"count": 3}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_gate_may_emit_and_a_node_may_wait_for_its_decision(run: Run, shape: str) -> None:
    decided: list[int] = []

    @node(output_name="count")
    def bump(count: int) -> int:
        return count + 1

    @route(targets=["bump", END], emit="decided")
    def more(count: int) -> object:
        return "bump" if count < 2 else END

    @node(wait_for="decided")
    def log(count: int) -> None:
        decided.append(count)

    g = shaped(Graph([more, bump, log]), shape, "count", count="final")
    result = run(g, {"count": [0] if shape == "mapped" else 0})
    assert result.status is RunStatus.COMPLETED, result.error
    assert unshape(result.values, shape, "count" if shape == "flat" else "final") == 2
    assert decided == [0, 1, 2]  # once per decision, each reading the count it decided on


@node(output_name="summary")
def count_messages(messages: list[str]) -> int:
    return len(messages)


@route(targets=["chat", END])
def chat_again(messages: list[str]) -> object:
    return "chat" if len(messages) < 6 else END  # with max_turns=2: two nested runs


@pytest.mark.parametrize("loop", ["chat", "tool_loop", "nested_with_reader", "loop_around_nested"])
def test_agent_loops_resume_from_any_superstep(loop: str) -> None:
    from tests.runners.test_resume_seam import check_every_crash_point

    graph = {
        "chat": flat_chat,
        "tool_loop": lambda: tool_loop(fixed=True),
        "nested_with_reader": lambda: Graph([count_messages, flat_chat().as_node()]),
        "loop_around_nested": lambda: Graph([flat_chat().as_node(), chat_again]),
    }[loop]()
    check_every_crash_point(graph, {"messages": [], "user_inputs": INPUTS, "max_turns": 2})


def test_declared_sources_resume_from_any_superstep() -> None:
    from tests.runners.test_resume_seam import check_every_crash_point

    @node(output_name="x")
    def late_x(y: int) -> int:
        return y + 1000

    g = Graph(
        [make_x, other_x, use_x, late_x, use_x_too],
        edges=[(make_x, use_x), (use_x, late_x), (other_x, use_x_too), (late_x, use_x_too)],
    )
    check_every_crash_point(g, {"seed": 1})
    result = SyncRunner().run(g, {"seed": 1})
    assert result["z"] == 1001  # late_x committed after other_x: its write is the latest


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_graphs_without_the_options_never_reach_the_wiring(data: st.DataObject) -> None:
    graph = build(data.draw(graph_specs()))
    plan = plan_of(graph)
    assert not graph._structure.wired and not plan.wired
    assert graph._structure.ordering_edges == () and graph.entrypoints_config is None
    assert not any(p.ordered or p.signals or p.waits for p in plan.nodes)
