"""Gates at the structure layer (issue 9): ``END``, ``route``/``RouteNode``, ``ifelse``/
``IfElseNode``, ``GateNode``, and how a ``Graph`` validates and analyses them (GRAPH-07 with
mutually exclusive producers, GRAPH-08 ``has_cycles``, seeds, GRAPH-09, the networkx view).

Only ``hypergraph_graph`` and ``hypergraph_types`` are imported: these tests pass with only the
graph package installed. Run-time rules live in ``tests/runners/test_gates.py``.
"""

import warnings

import pytest

from hypergraph_graph import (
    END,
    FunctionNode,
    GateNode,
    Graph,
    GraphNode,
    IfElseNode,
    RouteNode,
    ifelse,
    node,
    route,
)
from hypergraph_types import GraphConfigError, RenameError

# --- small building blocks ----------------------------------------------------------------


def pick(x):
    return "a"


def is_big(x):
    return x > 10


async def async_pick(x):
    return "a"


def generator_pick(x):
    yield "a"


async def async_generator_pick(x):
    yield "a"


@node(output_name="a_out")
def a(x):
    return x


@node(output_name="b_out")
def b(x):
    return x


@node(output_name="out")
def left(x):
    return "left"


@node(output_name="out")
def right(x):
    return "right"


@node(output_name="out")
def third(x):
    return "third"


@node(output_name="count")
def increment(count):
    return count + 1


@route(targets=["increment", END])
def check(count, limit=3):
    return "increment" if count < limit else END


# --- END ----------------------------------------------------------------------------------


def test_end_is_a_sentinel_class_named_end():
    assert isinstance(END, type)
    assert repr(END) == "END"
    assert str(END) == "END"
    assert f"{END}" == "END"


def test_end_is_not_the_string_end():
    assert END != "END"
    assert "END" != END
    assert END == END
    assert END is END
    assert len({END, "END"}) == 2


def test_end_cannot_be_instantiated():
    with pytest.raises(TypeError, match="END"):
        END()


# --- route / RouteNode ----------------------------------------------------------------------


def test_route_decorator_builds_a_route_node_with_no_outputs():
    @route(targets=["a", "b", END])
    def choose(x: int, limit: int = 3) -> object:
        return "a" if x < limit else END

    assert isinstance(choose, RouteNode)
    assert isinstance(choose, GateNode)
    assert isinstance(choose, FunctionNode)
    assert choose.name == "choose"
    assert choose.targets == ["a", "b", END]  # a list, as in v1.3
    assert choose.descriptions == {}
    assert choose.multi_target is False
    assert choose.fallback is None
    assert choose.outputs == ()
    assert choose.inputs == ("x", "limit")
    # The function stays callable, like a FunctionNode's.
    assert choose(1) == "a"
    assert choose(5) is END


def test_route_node_class_matches_the_decorator():
    by_class = RouteNode(pick, ["a", END], fallback="a", name="chooser", rename_inputs={"x": "q"})
    by_decorator = route(["a", END], fallback="a", name="chooser", rename_inputs={"x": "q"})(pick)
    for gate in (by_class, by_decorator):
        assert gate.name == "chooser"
        assert gate.targets == ["a", END]
        assert gate.fallback == "a"
        assert gate.inputs == ("q",)
        assert gate.outputs == ()


def test_route_targets_list_drops_duplicates_in_order():
    gate = RouteNode(pick, ["b", "a", "b", END, "a", END])
    assert gate.targets == ["b", "a", END]


def test_route_targets_tuple_is_accepted():
    assert RouteNode(pick, ("a", "b")).targets == ["a", "b"]


def test_route_targets_dict_keeps_descriptions():
    gate = RouteNode(pick, {"a": "retrieve more", "b": "answer now", END: "give up"})
    assert gate.targets == ["a", "b", END]
    assert gate.descriptions == {"a": "retrieve more", "b": "answer now", END: "give up"}


def test_multi_target_and_fallback_are_kept():
    multi = RouteNode(pick, ["a", "b"], multi_target=True)
    assert multi.multi_target is True
    assert multi.fallback is None
    single = RouteNode(pick, ["a", "b"], fallback="b")
    assert single.multi_target is False
    assert single.fallback == "b"


@pytest.mark.parametrize(
    ("targets", "kwargs", "fragment"),
    [
        ([], {}, "targets is empty"),
        ({}, {}, "targets is empty"),
        (["a", "END"], {}, "the string 'END' is not a target"),
        ({"END": "stop"}, {}, "the string 'END' is not a target"),
        (
            ["a", "b"],
            {"fallback": "a", "multi_target": True},
            "cannot have both fallback and multi_target",
        ),
    ],
    ids=["empty-list", "empty-dict", "END-string", "END-string-dict", "fallback+multi"],
)
def test_route_configuration_errors_are_value_errors(targets, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment) as excinfo:
        RouteNode(pick, targets, **kwargs)
    assert isinstance(excinfo.value, GraphConfigError)
    assert "How to fix" in str(excinfo.value)
    # The decorator checks the same things.
    with pytest.raises(GraphConfigError, match=fragment):
        route(targets, **kwargs)(pick)


def test_a_fallback_that_is_not_listed_joins_the_targets():
    # v1.3 compatibility (issue 13 case 16): no error, the fallback becomes a target.
    gate = RouteNode(pick, ["a"], fallback="default")
    assert gate.targets == ["a", "default"]
    assert gate.fallback == "default"
    assert RouteNode(pick, ["a"], fallback=END).targets == ["a", END]
    assert RouteNode(pick, ["a", "b"], fallback="a").targets == ["a", "b"]  # listed once

    @node(output_name="d_out")
    def default(x):
        return x

    graph = Graph([route(targets=["a"], fallback="default")(pick), a, default])
    assert graph.nodes["pick"].targets == ["a", "default"]


def test_targets_are_copied_with_the_gate():
    gate = RouteNode(pick, ["a", END])
    renamed = gate.with_name("other")
    assert renamed.targets == gate.targets
    assert renamed.targets is not gate.targets


@pytest.mark.parametrize(
    ("build", "error", "phrase"),
    [
        (lambda: route(["a"])(async_pick), TypeError, "cannot be async"),
        (lambda: route(["a"])(async_generator_pick), TypeError, "cannot be async"),
        (lambda: route(["a"])(generator_pick), TypeError, "cannot be a generator"),
        (lambda: ifelse("a", "b")(generator_pick), TypeError, "cannot be a generator"),
        (lambda: route([])(pick), GraphConfigError, "at least one target"),
        (lambda: route(["a", "END"])(pick), GraphConfigError, "'END' as a string target"),
        (
            lambda: route(["a"], fallback="a", multi_target=True)(pick),
            GraphConfigError,
            "cannot have both fallback and multi_target",
        ),
        (lambda: Graph([RouteNode(pick, ["pick", END])]), GraphConfigError, "cannot target itself"),
    ],
    ids=[
        "async",
        "async-gen",
        "gen",
        "ifelse-gen",
        "empty",
        "END-string",
        "fallback+multi",
        "self",
    ],
)
def test_v1_3_messages_keep_their_phrases_in_the_recipe(build, error, phrase):
    """Code written for the original v1.3 gates matches on these phrases (issue 13 case 16)."""
    with pytest.raises(error) as excinfo:
        build()
    text = str(excinfo.value)
    assert phrase in text
    assert "How to fix" in text


@pytest.mark.parametrize(
    "func", [async_pick, generator_pick, async_generator_pick], ids=["async", "gen", "async-gen"]
)
def test_route_function_must_be_plain_sync(func):
    with pytest.raises(TypeError, match="must be a plain sync function"):
        route(["a", END])(func)
    with pytest.raises(TypeError, match="must be a plain sync function"):
        RouteNode(func, ["a", END])


@pytest.mark.parametrize(
    ("targets", "kwargs"),
    [("ab", {}), (["a", 1], {}), (["a"], {"multi_target": "yes"})],
    ids=["targets-str", "target-not-str", "multi_target-not-bool"],
)
def test_route_wrong_argument_types_are_type_errors(targets, kwargs):
    with pytest.raises(TypeError):
        RouteNode(pick, targets, **kwargs)


@pytest.mark.parametrize("target", [1, ["b"]], ids=["int", "unhashable-list"])
def test_a_target_that_is_not_a_name_gets_the_gates_message(target):
    with pytest.raises(TypeError, match="targets must be node names"):
        RouteNode(pick, ["a", target])


# --- ifelse / IfElseNode --------------------------------------------------------------------


def test_ifelse_decorator_builds_an_ifelse_node():
    @ifelse("a", END)
    def big(x: int) -> bool:
        return x > 10

    assert isinstance(big, IfElseNode)
    assert isinstance(big, GateNode)
    assert big.when_true == "a"
    assert big.when_false is END
    assert big.targets == ["a", END]
    assert big.multi_target is False
    assert big.outputs == ()
    assert big.inputs == ("x",)


def test_ifelse_node_class_matches_the_decorator():
    by_class = IfElseNode(is_big, "a", "b", name="size", rename_inputs={"x": "n"})
    by_decorator = ifelse("a", "b", name="size", rename_inputs={"x": "n"})(is_big)
    for gate in (by_class, by_decorator):
        assert (gate.name, gate.when_true, gate.when_false) == ("size", "a", "b")
        assert gate.inputs == ("n",)


@pytest.mark.parametrize(
    ("when_true", "when_false", "fragment"),
    [
        ("a", "a", "are the same target"),
        (END, END, "are the same target"),
        ("END", "a", "the string 'END' is not a target"),
        ("a", "END", "the string 'END' is not a target"),
    ],
    ids=["same", "both-END", "END-string-true", "END-string-false"],
)
def test_ifelse_configuration_errors_are_value_errors(when_true, when_false, fragment):
    with pytest.raises(ValueError, match=fragment) as excinfo:
        IfElseNode(is_big, when_true, when_false)
    assert isinstance(excinfo.value, GraphConfigError)
    with pytest.raises(GraphConfigError, match=fragment):
        ifelse(when_true, when_false)(is_big)


@pytest.mark.parametrize("func", [async_pick, generator_pick], ids=["async", "gen"])
def test_ifelse_function_must_be_plain_sync(func):
    with pytest.raises(TypeError, match="must be a plain sync function"):
        ifelse("a", "b")(func)


def test_gate_repr_names_function_and_targets():
    assert repr(RouteNode(pick, ["a", END])) == "RouteNode(pick, targets=['a', END])"
    assert repr(IfElseNode(is_big, "a", END, name="size")) == (
        "IfElseNode(is_big as 'size', targets=['a', END])"
    )


# --- gates are nodes: renames, bindings, defaults --------------------------------------------


def test_gate_creation_does_not_warn_about_its_unused_return_value():
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        @route(targets=["a", END])
        def choose(x: int) -> str:
            return "a"

        @ifelse("a", "b")
        def decide(x: int) -> bool:
            return True

    assert choose.outputs == () and decide.outputs == ()


def test_with_inputs_renames_a_gate_and_keeps_its_routing():
    gate = RouteNode(pick, {"a": "go", END: "stop"}, fallback="a")
    renamed = gate.with_inputs(x="query")
    assert type(renamed) is RouteNode
    assert renamed is not gate
    assert renamed.inputs == ("query",)
    assert gate.inputs == ("x",)
    assert renamed.targets == ["a", END]
    assert renamed.descriptions == {"a": "go", END: "stop"}
    assert renamed.fallback == "a"

    branch = IfElseNode(is_big, "a", "b").with_inputs(x="n").with_name("size")
    assert type(branch) is IfElseNode
    assert (branch.name, branch.inputs) == ("size", ("n",))
    assert (branch.when_true, branch.when_false) == ("a", "b")


def test_rename_inputs_argument_renames_gate_inputs():
    @route(targets=["a", END], rename_inputs={"query": "question"})
    def choose(query, limit=2):
        return "a"

    assert choose.inputs == ("question", "limit")
    assert choose.has_default_for("limit")
    assert choose.get_default_for("limit") == 2
    assert not choose.has_default_for("question")


def test_a_gate_has_no_outputs_to_rename():
    with pytest.raises(RenameError, match="not found"):
        RouteNode(pick, ["a"]).with_outputs(x="y")


def test_gate_inputs_are_graph_inputs_and_can_be_bound():
    graph = Graph([check, increment])
    assert graph.inputs.seeds == ("count",)
    assert graph.inputs.optional == ("limit",)
    bound = graph.bind(limit=5)
    assert bound.inputs.bound == {"limit": 5}
    assert graph.inputs.bound == {}


def test_renamed_gate_input_joins_the_graph_under_its_new_name():
    gate = RouteNode(pick, ["a", END]).with_inputs(x="question")
    graph = Graph([gate, a])
    assert graph.inputs.required == ("question", "x")


def test_inconsistent_defaults_between_a_gate_and_a_node_are_reported():
    @route(targets=["use_limit", END])
    def choose(limit=1):
        return END

    @node(output_name="y")
    def use_limit(limit=2):
        return limit

    with pytest.raises(GraphConfigError, match="Inconsistent defaults for 'limit'"):
        Graph([choose, use_limit])


# --- Graph validation: targets ---------------------------------------------------------------


def test_unknown_target_is_reported_with_did_you_mean():
    @node(output_name="docs")
    def fetch(query):
        return [query]

    @route(targets=["fech", END])
    def choose(query):
        return "fech"

    with pytest.raises(GraphConfigError) as excinfo:
        Graph([choose, fetch])
    text = str(excinfo.value)
    assert "Gate 'choose' targets unknown node 'fech'" in text
    assert "Did you mean 'fetch'?" in text
    assert "How to fix" in text


def test_end_is_always_a_valid_target():
    graph = Graph([RouteNode(pick, ["a", END]), a])
    assert list(graph.nodes) == ["pick", "a"]


def test_a_gate_cannot_target_itself():
    gate = RouteNode(pick, ["again", END], name="again")
    with pytest.raises(GraphConfigError, match="Gate 'again' cannot target itself"):
        Graph([gate])
    with pytest.raises(GraphConfigError, match="cannot target itself"):
        Graph([IfElseNode(is_big, "loop", "a", name="loop"), a])


def test_target_problems_are_reported_together():
    with pytest.raises(GraphConfigError) as excinfo:
        Graph([RouteNode(pick, ["pick", "nowhere"]), a])
    text = str(excinfo.value)
    assert text.startswith("2 problems found")
    assert "cannot target itself" in text
    assert "targets unknown node 'nowhere'" in text


def test_a_node_named_end_is_reserved():
    with pytest.raises(GraphConfigError, match="reserved"):
        Graph([a.with_name("END")])


# --- Graph validation: mutually exclusive producers (GRAPH-07) ------------------------------


def test_several_producers_without_a_gate_are_rejected():
    with pytest.raises(GraphConfigError) as excinfo:
        Graph([left, right])
    assert "Multiple nodes produce 'out'" in str(excinfo.value)
    assert "'left', 'right'" in str(excinfo.value)


@pytest.mark.parametrize(
    "gate",
    [
        RouteNode(pick, ["left", "right"], name="choose"),
        RouteNode(pick, ["left", "right", END], fallback="left", name="choose"),
        IfElseNode(is_big, "left", "right", name="choose"),
    ],
    ids=["route", "route-with-END-and-fallback", "ifelse"],
)
def test_producers_chosen_by_one_single_target_gate_are_allowed(gate):
    graph = Graph([gate, left, right])
    assert graph.outputs == ("out",)  # listed once
    assert graph.leaf_outputs == ("out",)


def test_shared_output_is_listed_once_among_other_outputs():
    @node(output_name="summary")
    def summarise(out):
        return out

    graph = Graph([IfElseNode(is_big, "left", "right", name="choose"), left, right, summarise])
    assert graph.outputs == ("out", "summary")
    assert graph.inputs.required == ("x",)


def test_producers_chosen_by_a_multi_target_route_are_rejected():
    gate = RouteNode(lambda x: ["left"], ["left", "right"], multi_target=True, name="both")
    with pytest.raises(GraphConfigError, match="Multiple nodes produce 'out'"):
        Graph([gate, left, right])


def test_producers_chosen_by_two_different_gates_are_rejected():
    g1 = RouteNode(pick, ["left", END], name="g1")
    g2 = RouteNode(pick, ["right", END], name="g2")
    with pytest.raises(GraphConfigError, match="Multiple nodes produce 'out'"):
        Graph([g1, g2, left, right])


def test_one_gate_must_choose_among_all_the_producers():
    gate = RouteNode(pick, ["left", "right", END], name="choose")
    with pytest.raises(GraphConfigError) as excinfo:
        Graph([gate, left, right, third])
    assert "Multiple nodes produce 'out'" in str(excinfo.value)
    assert "'left', 'right', 'third'" in str(excinfo.value)


def test_a_producer_outside_the_graph_does_not_count_as_chosen():
    # The gate names 'left' and 'right', but 'right' is not in the graph at all.
    gate = RouteNode(pick, ["left", "right"], name="choose")
    with pytest.raises(GraphConfigError, match="targets unknown node 'right'"):
        Graph([gate, left])


def test_shared_output_of_a_nested_graph_is_listed_once():
    inner = Graph([IfElseNode(is_big, "left", "right", name="choose"), left, right], name="inner")
    gn = inner.as_node()
    assert isinstance(gn, GraphNode)
    assert gn.outputs == ("out",)
    assert Graph([gn]).outputs == ("out",)


# --- cycles and seeds ------------------------------------------------------------------------


def test_control_edges_close_cycles():
    @node(output_name="y")
    def produce(x):
        return x

    @route(targets=["produce", END])
    def again(y):
        return END

    assert not Graph([produce]).has_cycles
    graph = Graph([again, produce])
    # Data: produce -> again (y); control: again -> produce. Together a cycle.
    assert graph.has_cycles


def test_a_gate_in_front_of_an_acyclic_graph_adds_no_cycle():
    graph = Graph([RouteNode(pick, ["a", "b", END]), a, b])
    assert not graph.has_cycles


def test_control_edges_do_not_create_seeds():
    @node(output_name="y")
    def produce(x):
        return x

    @route(targets=["produce", END])
    def again(y):
        return END

    graph = Graph([again, produce])
    # 'y' closes a cycle only through the control edge, so it is not a seed.
    assert graph.inputs.seeds == ()
    assert graph.inputs.required == ("x",)


def test_the_count_loop_has_the_seeds_of_its_data_cycle():
    assert Graph([check, increment]).inputs.seeds == Graph([increment]).inputs.seeds == ("count",)
    assert Graph([check, increment]).has_cycles


# --- definition_hash (GRAPH-09) ---------------------------------------------------------------


def choose_target(x):
    return "a"


def gate_graph(gate) -> Graph:
    return Graph([gate, a, b])


def test_definition_hash_is_stable_for_identical_gates():
    one = gate_graph(RouteNode(choose_target, ["a", END]))
    two = gate_graph(RouteNode(choose_target, ["a", END]))
    assert one.definition_hash == two.definition_hash


def test_definition_hash_changes_when_a_gates_targets_change():
    to_a = gate_graph(RouteNode(choose_target, ["a", END]))
    to_b = gate_graph(RouteNode(choose_target, ["b", END]))
    to_both = gate_graph(RouteNode(choose_target, ["a", "b"]))
    hashes = {to_a.definition_hash, to_b.definition_hash, to_both.definition_hash}
    assert len(hashes) == 3


def test_definition_hash_without_gates_is_unchanged_by_the_gate_feature():
    import hashlib

    graph = Graph([a, b])
    node_part = "|".join(f"{n}:{graph.nodes[n].definition_hash}" for n in sorted(graph.nodes))
    expected = hashlib.sha256(f"{node_part}#".encode()).hexdigest()
    assert graph.definition_hash == expected


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (IfElseNode(choose_target, "a", "b"), IfElseNode(choose_target, "b", "a")),
        (
            RouteNode(choose_target, ["a", "b"], fallback="a"),
            RouteNode(choose_target, ["a", "b"], fallback="b"),
        ),
        (
            RouteNode(choose_target, ["a", "b"]),
            RouteNode(choose_target, ["a", "b"], multi_target=True),
        ),
        (RouteNode(choose_target, ["a", END]), RouteNode(choose_target, ["a"])),
        (RouteNode(choose_target, ["a", "b"]), RouteNode(choose_target, ["b", "a"])),
        (IfElseNode(choose_target, "a", "b"), RouteNode(choose_target, ["a", "b"])),
    ],
    ids=["ifelse-branches-swapped", "fallback", "multi_target", "END", "order", "kind"],
)
def test_definition_hash_changes_when_the_routing_changes(first, second):
    """Same function, same control edges, different routing: a different graph (GRAPH-09)."""
    assert gate_graph(first).definition_hash != gate_graph(second).definition_hash


# --- networkx view -------------------------------------------------------------------------


def test_to_networkx_has_control_edges():
    pytest.importorskip("networkx")
    nx_graph = Graph([check, increment]).to_networkx()
    assert set(nx_graph.nodes) == {"check", "increment"}
    control = nx_graph.edges["check", "increment"]
    assert control["edge_type"] == "control"
    assert control["value_name"] is None
    assert control["value_names"] == ()
    data = nx_graph.edges["increment", "check"]
    assert data["edge_type"] == "data"
    assert data["value_name"] == "count"
    # END is not a vertex.
    assert "END" not in nx_graph.nodes


def test_to_networkx_control_edge_per_target():
    pytest.importorskip("networkx")
    nx_graph = gate_graph(RouteNode(choose_target, ["a", "b", END])).to_networkx()
    control = sorted(
        (u, v) for u, v, data in nx_graph.edges(data=True) if data["edge_type"] == "control"
    )
    assert control == [("choose_target", "a"), ("choose_target", "b")]


def test_gate_node_base_cannot_be_instantiated() -> None:
    def decide(x: int) -> bool:
        return x > 0

    with pytest.raises(TypeError, match="RouteNode"):
        GateNode(decide)
