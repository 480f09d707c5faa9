"""Agent-loop wiring at construction (issue 23): ``emit``/``wait_for`` on nodes and gates,
``Graph(edges=, shared=, entrypoint=)``, ``with_entrypoint``, validation, the definition
hash, ``describe()`` and the Mermaid picture. Runs with the runners absent."""

from __future__ import annotations

from typing import Any

import pytest

from hypergraph_graph import END, FunctionNode, Graph, ifelse, node, route
from hypergraph_types import GraphConfigError

# -- a chat loop: several nodes read and write ``messages`` ------------------------------


@node(output_name="messages")
def add_user(messages: list[Any], user_inputs: list[str]) -> list[Any]:
    return [*messages, user_inputs[0]]


@node(output_name="reply")
def call_model(messages: list[Any]) -> str:
    return str(messages[-1])


@node(output_name="messages")
def add_response(messages: list[Any], reply: str) -> list[Any]:
    return [*messages, reply]


@route(targets=["add_user", END])
def should_continue(messages: list[Any], max_turns: int = 2) -> object:
    return END


def chat(**options: Any) -> Graph:
    return Graph(
        [add_user, call_model, add_response, should_continue],
        shared=["messages"],
        edges=[(add_user, call_model), (add_response, should_continue)],
        **options,
    )


# -- emit / wait_for on nodes ------------------------------------------------------------


def test_emit_is_an_output_but_not_a_data_output() -> None:
    @node(output_name="y", emit="y_done")
    def f(x: int) -> int:
        return x

    assert f.outputs == ("y", "y_done")
    assert f.data_outputs == ("y",)
    assert f.emit == ("y_done",)
    assert f.wait_for == ()


def test_wait_for_is_not_an_input() -> None:
    @node(output_name="y", wait_for=("a", "b"))
    def f(x: int) -> int:
        return x

    assert f.inputs == ("x",)
    assert f.wait_for == ("a", "b")


def test_function_node_and_gates_take_emit_and_wait_for() -> None:
    def body(x: int) -> int:
        return x

    fn = FunctionNode(body, output_name="y", emit=["e1", "e2"], wait_for="w")
    assert (fn.emit, fn.wait_for, fn.outputs) == (("e1", "e2"), ("w",), ("y", "e1", "e2"))

    @route(targets=["a", END], emit="decided", wait_for="ready")
    def r(x: int) -> object:
        return END

    @ifelse("a", END, emit="checked")
    def c(x: int) -> bool:
        return True

    assert (r.outputs, r.data_outputs, r.wait_for) == (("decided",), (), ("ready",))
    assert (c.outputs, c.data_outputs) == (("checked",), ())


def test_a_node_without_options_has_no_ordering_ports() -> None:
    @node(output_name="y")
    def f(x: int) -> int:
        return x

    assert (f.emit, f.wait_for, f.data_outputs) == ((), (), ("y",))


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"output_name": "y", "emit": "y"}, "is also an output_name"),
        ({"output_name": "y", "wait_for": "x"}, "is also a parameter"),
        ({"emit": "a.b"}, "Invalid emit name"),
        ({"wait_for": "a/b"}, "Invalid wait_for name"),
        ({"emit": ("a", "a")}, "twice"),
    ],
)
def test_invalid_emit_or_wait_for_is_a_config_error(options: dict[str, Any], text: str) -> None:
    def f(x: int) -> int:
        return x

    with pytest.raises(GraphConfigError, match=text) as info:
        FunctionNode(f, **options)
    assert "How to fix" in str(info.value)


def test_emit_of_the_wrong_type_is_a_type_error() -> None:
    def f(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="emit must be a str"):
        FunctionNode(f, emit=3)  # type: ignore[arg-type]


def test_renaming_an_emit_renames_it_everywhere() -> None:
    @node(output_name="y", emit="done")
    def f(x: int) -> int:
        return x

    g = f.rename_outputs(done="finished")
    assert (g.outputs, g.emit, g.data_outputs) == (("y", "finished"), ("finished",), ("y",))
    assert f.emit == ("done",)


def test_wait_for_naming_nothing_is_a_config_error_with_did_you_mean() -> None:
    @node(output_name="a", emit="fetched")
    def fetch(q: str) -> str:
        return q

    @node(output_name="b", wait_for="fetchd")
    def read(x: str) -> str:
        return x

    with pytest.raises(GraphConfigError, match="waits for 'fetchd'") as info:
        Graph([fetch, read])
    assert "Did you mean 'fetched'" in str(info.value)
    assert "How to fix" in str(info.value)


def test_wait_for_makes_ordering_edges_from_emitters_and_producers() -> None:
    @node(output_name="a", emit="fetched")
    def fetch(q: str) -> str:
        return q

    @node(output_name="c", wait_for=("fetched", "a"))
    def read(x: str) -> str:
        return x

    g = Graph([fetch, read])
    s = g._structure
    assert s.edges == ()
    assert s.ordering_edges == (("fetch", "read", "fetched"), ("fetch", "read", "a"))
    assert g.inputs.required == ("q", "x")
    assert g.outputs == ("a", "fetched", "c")
    assert not g.has_cycles


def test_a_graph_node_exposes_inner_emits_and_a_parent_may_wait_for_the_renamed_port() -> None:
    @node(output_name="a", emit="inner_done")
    def work(q: str) -> str:
        return q

    inner = Graph([work], name="inner")
    gn = inner.as_node().rename_outputs(inner_done="worked")
    assert gn.emit == ("worked",)
    assert gn.data_outputs == ("a",)

    @node(output_name="z", wait_for="worked")
    def after(y: int) -> int:
        return y

    g = Graph([gn, after])
    assert g._structure.ordering_edges == (("inner", "after", "worked"),)
    with pytest.raises(GraphConfigError, match="waits for 'inner_done'"):
        Graph([gn, after.__class__(after.func, output_name="z", wait_for="inner_done")])


# -- explicit edges ----------------------------------------------------------------------


@node(output_name="x")
def make_x(seed: int) -> int:
    return seed


@node(output_name="x")
def other_x(seed: int) -> int:
    return seed + 1


@node(output_name="y")
def use_x(x: int) -> int:
    return x


@node(output_name="z")
def use_x_too(x: int) -> int:
    return x


def test_explicit_edges_replace_inference_and_allow_several_producers() -> None:
    g = Graph(
        [make_x, other_x, use_x, use_x_too],
        edges=[(make_x, use_x), ("other_x", "use_x_too", "x")],
    )
    assert g._structure.edges == (("make_x", "use_x", "x"), ("other_x", "use_x_too", "x"))
    assert g.inputs.required == ("seed",)
    assert g.outputs == ("x", "y", "z")


def test_an_edge_with_nothing_in_common_orders_only() -> None:
    with pytest.raises(GraphConfigError, match="Input 'x' of node 'use_x_too' has no edge"):
        Graph([make_x, use_x, use_x_too], edges=[(make_x, use_x)])
    h = Graph(
        [make_x, use_x, use_x_too], edges=[(make_x, use_x), (make_x, use_x_too), (use_x, use_x_too)]
    )
    assert h._structure.ordering_edges == (("use_x", "use_x_too", "use_x/completed"),)


@pytest.mark.parametrize(
    ("edges", "text"),
    [
        ([(make_x, "use_xx")], "unknown node 'use_xx'"),
        ([(make_x, use_x, "q")], "carries 'q'"),
        ([(make_x, use_x, ["x", "q"])], "carries 'q'"),
    ],
)
def test_bad_explicit_edges_are_config_errors(edges: list[Any], text: str) -> None:
    with pytest.raises(GraphConfigError, match=text) as info:
        Graph([make_x, use_x], edges=edges)
    assert "How to fix" in str(info.value)
    if "use_xx" in text:
        assert "Did you mean 'use_x'" in str(info.value)


def test_edges_of_the_wrong_shape_are_type_errors() -> None:
    with pytest.raises(TypeError, match="Each edge"):
        Graph([make_x, use_x], edges=[(make_x,)])
    with pytest.raises(TypeError, match="must be a node or a node name"):
        Graph([make_x, use_x], edges=[(make_x, 3)])


# -- shared ------------------------------------------------------------------------------


def test_shared_names_infer_no_edge_and_are_required() -> None:
    g = chat(entrypoint="add_user")
    s = g._structure
    assert s.edges == (("call_model", "add_response", "reply"),)
    assert [e[:2] for e in s.ordering_edges] == [
        ("add_user", "call_model"),
        ("add_response", "should_continue"),
    ]
    assert g.inputs.required == ("messages", "user_inputs")
    assert g.inputs.seeds == ()
    assert g.shared == ("messages",)
    assert g.has_cycles


def test_a_shared_name_can_be_bound_like_any_required_input() -> None:
    g = chat(entrypoint="add_user").bind(messages=["system: hi"])
    assert g.inputs.required == ("user_inputs",)
    assert g.inputs.bound == {"messages": ["system: hi"]}
    with pytest.raises(GraphConfigError, match="Cannot bind 'reply': output of node"):
        g.bind(reply="x")


def test_several_producers_of_a_name_still_fail_without_shared_or_edges() -> None:
    with pytest.raises(GraphConfigError, match="Multiple nodes produce 'messages'") as info:
        Graph([add_user, call_model, add_response])
    # The producers read 'messages' too: a loop's state, so the fix names the option for it.
    assert "declare it shared: Graph([...], shared=['messages'])" in str(info.value)


def test_producers_that_do_not_read_the_name_get_no_shared_hint() -> None:
    @node(output_name="total")
    def add(x: int) -> int:
        return x + 1

    @node(output_name="total")
    def double(x: int) -> int:
        return 2 * x

    with pytest.raises(GraphConfigError, match="Multiple nodes produce 'total'") as info:
        Graph([add, double])
    assert "shared" not in str(info.value)


def test_shared_without_ordering_names_the_unconnected_groups() -> None:
    with pytest.raises(GraphConfigError, match="2 unconnected groups") as info:
        Graph([add_user, call_model, add_response, should_continue], shared=["messages"])
    text = str(info.value)
    assert "group 1: 'add_user', 'should_continue'" in text
    assert "group 2: 'call_model', 'add_response'" in text
    assert "How to fix" in text and "edges=" in text


def test_a_node_apart_from_the_shared_names_is_not_a_disconnection() -> None:
    """Only groups the shared names split are an error: a node that would stand apart even
    with edges inferred for the shared names is as legal as in any graph."""

    @node(output_name="greeting")
    def greet(name: str) -> str:
        return name

    g = Graph(
        [add_user, call_model, add_response, should_continue, greet],
        shared=["messages"],
        edges=[(add_user, call_model), (add_response, should_continue)],
    )
    assert "greet" in g.nodes
    with pytest.raises(GraphConfigError, match="2 unconnected groups") as info:
        Graph([add_user, call_model, add_response, should_continue, greet], shared=["messages"])
    assert "greet" not in str(info.value)


# -- entrypoints -------------------------------------------------------------------------


@node(output_name="b")
def first(a: int) -> int:
    return a


@node(output_name="c")
def second(b: int) -> int:
    return b


@node(output_name="d")
def third(c: int) -> int:
    return c


def test_entrypoint_leaves_out_upstream_nodes_whose_outputs_become_inputs() -> None:
    g = Graph([first, second, third], entrypoint="second")
    assert g.entrypoints_config == ("second",)
    assert g.inputs.required == ("b",)
    assert g.outputs == ("c", "d")
    assert list(g.nodes) == ["first", "second", "third"]  # still part of the graph
    assert "upstream, never run: first" in g.describe()


def test_with_entrypoint_returns_a_new_graph() -> None:
    g = Graph([first, second, third])
    h = g.with_entrypoint("third")
    assert g.entrypoints_config is None and g.inputs.required == ("a",)
    assert h.entrypoints_config == ("third",) and h.inputs.required == ("c",)
    assert h.with_entrypoint().entrypoints_config is None
    assert h.with_entrypoint().definition_hash == g.definition_hash
    with pytest.raises(GraphConfigError, match="Unknown entrypoint 'thrid'") as info:
        g.with_entrypoint("thrid")
    assert "Did you mean 'third'" in str(info.value)


@node(output_name="x")
def ring_x(y: int) -> int:
    return y + 1


@node(output_name="y")
def ring_y(x: int) -> int:
    return x * 2


def test_in_a_cycle_only_the_entrypoint_needs_its_values() -> None:
    g = Graph([ring_x, ring_y])
    assert g.inputs.seeds == ("y", "x")
    assert Graph([ring_x, ring_y], entrypoint="ring_y").inputs.seeds == ("x",)
    assert Graph([ring_x, ring_y], entrypoint="ring_x").inputs.seeds == ("y",)


# -- hash, describe, pictures, networkx --------------------------------------------------


def test_the_definition_hash_covers_every_option() -> None:
    base = chat()
    hashes = {
        base.definition_hash,
        chat(entrypoint="add_user").definition_hash,
        chat(entrypoint="call_model").definition_hash,
        Graph(
            [add_user, call_model, add_response, should_continue],
            shared=["messages"],
            edges=[
                (add_user, call_model),
                (add_response, should_continue),
                (add_user, add_response),
            ],
        ).definition_hash,
    }
    assert len(hashes) == 4
    assert chat().definition_hash == base.definition_hash

    @node(output_name="y")
    def f(x: int) -> int:
        return x

    g = FunctionNode(f.func, output_name="y", emit="done")  # same source: only the emit differs
    assert g.definition_hash == f.definition_hash
    assert Graph([f]).definition_hash != Graph([g]).definition_hash
    waits = FunctionNode(f.func, name="w", output_name="z", wait_for=("done", "y"))
    waits_reordered = FunctionNode(f.func, name="w", output_name="z", wait_for=("y", "done"))
    waits_less = FunctionNode(f.func, name="w", output_name="z", wait_for="done")
    assert Graph([g, waits]).definition_hash != Graph([g, waits_less]).definition_hash
    # the order of names that are sets to the runner does not change the hash
    assert Graph([g, waits]).definition_hash == Graph([g, waits_reordered]).definition_hash
    two = Graph([first, second, third], entrypoint=["second", "third"])
    assert two.definition_hash == two.with_entrypoint("third", "second").definition_hash
    assert two.definition_hash != two.with_entrypoint("second").definition_hash


def test_the_definition_hash_covers_shared_names() -> None:
    @node(output_name="messages")
    def write(messages: list[Any], extra: list[Any]) -> list[Any]:
        return [*messages, *extra]

    @node(output_name="extra")
    def more(messages: list[Any]) -> list[Any]:
        return messages[-1:]

    plain = Graph([write, more], edges=[(write, more), (more, write), (write, write)])
    shared = Graph([write, more], edges=[(write, more)], shared=["messages"])
    assert plain.definition_hash != shared.definition_hash


def test_describe_lists_ordering_edges_shared_names_and_entrypoints() -> None:
    text = chat(entrypoint="add_user").describe()
    assert "Ordering edges (2):" in text
    assert "  add_user -> call_model (after)" in text
    assert "Shared: messages" in text
    assert "Entrypoints: add_user" in text


def test_mermaid_draws_ordering_edges_dashed_and_notes_shared_names() -> None:
    @node(output_name="a", emit="fetched")
    def fetch(q: str) -> str:
        return q

    @node(output_name="c", wait_for="fetched")
    def read(x: str) -> str:
        return x

    text = str(Graph([fetch, read]).to_mermaid())
    assert "fetch -.->|fetched| read" in text
    assert "fetched (emit)" in text
    chat_text = str(chat(entrypoint="add_user").to_mermaid())
    assert "add_user -.->|after| call_model" in chat_text
    assert "%% Shared (several writers, no edge): messages" in chat_text
    assert "messages: list[Any] (shared)" in chat_text


def test_networkx_marks_ordering_edges() -> None:
    pytest.importorskip("networkx")
    g = chat(entrypoint="add_user").to_networkx()
    assert g.edges["add_user", "call_model"]["edge_type"] == "ordering"
    assert g.edges["call_model", "add_response"]["edge_type"] == "data"


def test_a_nested_graph_with_shared_names_does_not_feed_itself() -> None:
    gn = chat(entrypoint="add_user").as_node(name="chat")
    assert gn.shared_ports == ("messages",)
    parent = Graph([gn])
    assert parent._structure.edges == ()
    assert not parent.has_cycles
    assert parent.inputs.required == ("messages", "user_inputs")
    assert gn.rename_outputs(messages="history").shared_ports == ()
    assert Graph([gn.rename_outputs(messages="history")]).inputs.seeds == ()


def test_a_nested_loop_with_a_reader_in_the_parent_still_needs_the_initial_value() -> None:
    @node(output_name="summary")
    def summarize(messages: list[Any]) -> int:
        return len(messages)

    gn = chat(entrypoint="add_user").as_node(name="chat")
    parent = Graph([summarize, gn])
    assert parent._structure.edges == (("chat", "summarize", "messages"),)
    assert parent.inputs.required == ("messages", "user_inputs")
    assert not parent.has_cycles


def test_a_nested_loop_needs_no_edge_to_itself_under_explicit_edges() -> None:
    @node(output_name="summary")
    def summarize(messages: list[Any]) -> int:
        return len(messages)

    gn = chat(entrypoint="add_user").as_node(name="chat")
    parent = Graph([gn, summarize], edges=[(gn, summarize)])
    assert parent._structure.edges == (("chat", "summarize", "messages"),)
    assert parent.inputs.required == ("messages", "user_inputs")


def test_an_unfed_input_suggests_an_edge_from_another_producer() -> None:
    @node(output_name="x")
    def reset(x: int) -> int:
        return 0

    with pytest.raises(GraphConfigError, match="Input 'x' of node 'reset' has no edge") as info:
        Graph([reset, make_x, use_x], edges=[(make_x, use_x)])
    assert "add ('make_x', 'reset', 'x') to edges" in str(info.value)


def test_an_unknown_shared_name_is_a_config_error_with_did_you_mean() -> None:
    with pytest.raises(GraphConfigError, match="Shared name 'mesages'") as info:
        Graph([add_user, call_model], shared=["mesages"], edges=[(add_user, call_model)])
    assert "Did you mean 'messages'" in str(info.value)
