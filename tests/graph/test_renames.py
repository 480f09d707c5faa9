"""Renaming nodes: with_name / with_inputs / with_outputs, rename batches, rename history,
RenameError messages and rename_inputs= (SPEC NODE-01, NODE-02, NODE-06)."""

import hashlib

import pytest

from hypergraph_graph import FunctionNode, Graph, GraphNode, HyperNode, node
from hypergraph_types import RenameEntry, RenameError


def two(x, y=2):
    return x + y


def make_two() -> FunctionNode:
    return FunctionNode(two, output_name=("s", "t"))


def make_graph_node() -> GraphNode:
    @node(output_name="out")
    def inner(a, b):
        return a + b

    return Graph([inner], name="inner_graph").as_node()


# --- every with_* returns a new instance -------------------------------------------------


@pytest.mark.parametrize("factory", [make_two, make_graph_node], ids=["function", "graph"])
def test_with_methods_return_new_instances_even_without_change(factory) -> None:
    n = factory()
    copies = [n.with_name(n.name), n.with_inputs(), n.with_outputs(), n.with_inputs({})]
    for copy in copies:
        assert copy is not n
        assert type(copy) is type(n)
        assert copy.name == n.name
        assert copy.inputs == n.inputs
        assert copy.outputs == n.outputs


def test_with_methods_never_change_the_original() -> None:
    n = make_two()
    n.with_name("other")
    n.with_inputs(x="a")
    n.with_outputs(s="u")
    assert n.name == "two"
    assert n.inputs == ("x", "y")
    assert n.outputs == ("s", "t")
    assert n.defaults == {"y": 2}
    assert n._rename_history == []


def test_with_name() -> None:
    n = make_two().with_name("renamed")
    assert n.name == "renamed"
    assert n.inputs == ("x", "y")


def test_with_name_requires_a_str() -> None:
    with pytest.raises(TypeError, match="int"):
        make_two().with_name(3)  # type: ignore[arg-type]


def test_with_name_never_fails_on_content() -> None:
    n = make_two()
    for name in ("", "a.b", "not valid", "class", "END"):
        assert n.with_name(name).name == name


# --- batches, composition, mapping -------------------------------------------------------


def test_batch_swaps_inputs() -> None:
    n = make_two().with_inputs(x="y", y="x")
    assert n.inputs == ("y", "x")
    assert n.defaults == {"x": 2}  # the default belongs to parameter y, now fed by input x
    assert n.map_inputs_to_params({"y": 10, "x": 20}) == {"x": 10, "y": 20}


def test_batch_swaps_outputs() -> None:
    n = make_two().with_outputs(s="t", t="s")
    assert n.outputs == ("t", "s")


def test_successive_renames_compose() -> None:
    n = make_two().with_inputs(x="a").with_inputs(a="z")
    assert n.inputs == ("z", "y")
    assert n.map_inputs_to_params({"z": 1}) == {"x": 1}


def test_rename_to_itself_has_no_effect() -> None:
    n = make_two().with_inputs(x="x").with_outputs(s="s")
    assert n.inputs == ("x", "y")
    assert n.outputs == ("s", "t")
    assert n._rename_history == []


def test_positional_mapping() -> None:
    n = make_two().with_inputs({"x": "a", "y": "b"}).with_outputs({"s": "u"})
    assert n.inputs == ("a", "b")
    assert n.outputs == ("u", "t")


def test_input_literally_named_mapping_can_be_renamed_by_keyword() -> None:
    def f(mapping, other):
        return mapping

    n = FunctionNode(f, output_name="mapping").with_inputs(mapping="m")
    assert n.inputs == ("m", "other")
    assert n.with_outputs(mapping="out").outputs == ("out",)
    both = FunctionNode(f).with_inputs({"other": "o"}, mapping="m")
    assert both.inputs == ("m", "o")


def test_keywords_win_over_mapping() -> None:
    n = make_two().with_inputs({"x": "from_mapping", "y": "b"}, x="from_keyword")
    assert n.inputs == ("from_keyword", "b")


def test_non_mapping_positional_argument_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        make_two().with_inputs([("x", "a")])  # type: ignore[arg-type]


# --- RenameError messages ----------------------------------------------------------------


def test_unknown_input_key() -> None:
    with pytest.raises(RenameError) as info:
        make_two().with_inputs(k="z")
    text = str(info.value)
    assert "'k' not found" in text
    assert "Current inputs: ('x', 'y')" in text


def test_unknown_output_key() -> None:
    with pytest.raises(RenameError) as info:
        make_two().with_outputs(k="z")
    text = str(info.value)
    assert "'k' not found" in text
    assert "Current outputs: ('s', 't')" in text


def test_renamed_key_reports_the_full_chain() -> None:
    n = make_two().with_inputs(x="a").with_inputs(a="z")
    with pytest.raises(RenameError) as info:
        n.with_inputs(x="q")
    text = str(info.value)
    assert "'x' was renamed: x→a→z" in text
    assert "Current inputs: ('z', 'y')" in text


def test_renamed_output_key_reports_its_chain() -> None:
    n = make_two().with_outputs(s="u")
    with pytest.raises(RenameError) as info:
        n.with_outputs(s="v")
    assert "'s' was renamed: s→u" in str(info.value)
    assert "Current outputs: ('u', 't')" in str(info.value)


def test_chains_only_follow_renames_of_the_same_kind() -> None:
    n = make_two().with_outputs(s="x")  # an output renamed to the input's name
    with pytest.raises(RenameError) as info:
        n.with_outputs(s="q")
    assert "'s' was renamed: s→x" in str(info.value)
    n2 = make_two().with_inputs(x="q")
    with pytest.raises(RenameError) as info2:
        n2.with_outputs(x="r")
    assert "'x' not found" in str(info2.value)


def test_every_unknown_key_is_reported() -> None:
    n = make_two().with_inputs(x="a")
    with pytest.raises(RenameError) as info:
        n.with_inputs(x="b", nope="c")
    text = str(info.value)
    assert "'x' was renamed: x→a" in text
    assert "'nope' not found" in text


@pytest.mark.parametrize(
    ("kind", "renames", "duplicate"),
    [
        ("inputs", {"x": "y"}, "y"),
        ("outputs", {"s": "t"}, "t"),
        ("inputs", {"x": "z", "y": "z"}, "z"),
    ],
)
def test_rename_that_duplicates_a_name_is_rejected(kind, renames, duplicate) -> None:
    n = make_two()
    method = n.with_inputs if kind == "inputs" else n.with_outputs
    with pytest.raises(RenameError) as info:
        method(**renames)
    text = str(info.value)
    assert f"'{duplicate}'" in text
    assert "'two'" in text


def test_rename_error_str_is_its_message() -> None:
    err = RenameError("some message")
    assert str(err) == "some message"


# --- rename history ----------------------------------------------------------------------


def test_history_entries_share_a_batch_id_per_call() -> None:
    n = make_two().with_inputs(x="a", y="b").with_outputs(s="u")
    history = n._rename_history
    assert [(e.kind, e.old, e.new) for e in history] == [
        ("inputs", "x", "a"),
        ("inputs", "y", "b"),
        ("outputs", "s", "u"),
    ]
    assert history[0].batch_id == history[1].batch_id
    assert isinstance(history[0].batch_id, int)
    assert isinstance(history[2].batch_id, int)
    assert history[2].batch_id > history[0].batch_id


def test_batch_ids_increase_across_nodes() -> None:
    first = make_two().with_inputs(x="a")._rename_history[-1].batch_id
    second = make_graph_node().with_inputs(a="c")._rename_history[-1].batch_id
    assert second > first


def test_with_name_appends_a_name_entry_only_when_it_changes() -> None:
    n = make_two().with_name("two")
    assert n._rename_history == []
    n = n.with_name("renamed")
    assert n._rename_history == [RenameEntry("name", "two", "renamed")]
    assert n._rename_history[0].batch_id is None


def test_copies_own_an_independent_history() -> None:
    base = make_two().with_inputs(x="a")
    left = base.with_inputs(a="b")
    right = base.with_name("right")
    assert len(base._rename_history) == 1
    assert [e.new for e in left._rename_history] == ["a", "b"]
    assert [e.new for e in right._rename_history] == ["a", "right"]


# --- rename_inputs= on node() / FunctionNode ---------------------------------------------


def xy(x, y):
    return x


def no_params():
    return 1


def test_rename_inputs_applies_as_one_batch() -> None:
    n = node(rename_inputs={"x": "y", "y": "x"})(xy)
    assert n.inputs == ("y", "x")
    assert n.map_inputs_to_params({"y": 1, "x": 2}) == {"x": 1, "y": 2}
    assert len({e.batch_id for e in n._rename_history}) == 1


def test_rename_inputs_unknown_key_message() -> None:
    with pytest.raises(RenameError) as info:
        node(xy, rename_inputs={"z": "q"})
    assert "Cannot rename unknown inputs: 'z'. Valid inputs: 'x', 'y'." in str(info.value)


def test_rename_inputs_lists_all_unknown_keys() -> None:
    with pytest.raises(RenameError) as info:
        FunctionNode(xy, rename_inputs={"z": "q", "x": "a", "w": "b"})
    assert "Cannot rename unknown inputs: 'z', 'w'. Valid inputs: 'x', 'y'." in str(info.value)


def test_rename_inputs_without_parameters_lists_none() -> None:
    with pytest.raises(RenameError) as info:
        node(no_params, rename_inputs={"z": "q"})
    assert "Cannot rename unknown inputs: 'z'. Valid inputs: (none)." in str(info.value)


def test_defaults_and_annotations_follow_rename_inputs() -> None:
    def f(x: int, y: str = "d"):
        return x

    n = FunctionNode(f, rename_inputs={"y": "why"})
    assert n.inputs == ("x", "why")
    assert n.defaults == {"why": "d"}
    assert n.parameter_annotations == {"x": int, "why": str}
    assert n.get_input_type("why") is str


# --- GraphNode renames (NODE-06) ---------------------------------------------------------


def test_graph_node_renames_keep_the_graph() -> None:
    gn = make_graph_node()
    renamed = gn.with_inputs(a="alpha").with_outputs(out="result").with_name("renamed")
    assert renamed.graph is gn.graph
    assert renamed.inputs == ("alpha", "b")
    assert renamed.outputs == ("result",)
    assert renamed.name == "renamed"
    assert gn.inputs == ("a", "b")
    assert renamed.map_inputs_to_params({"alpha": 1, "b": 2}) == {"a": 1, "b": 2}
    assert renamed.map_outputs_from_original({"out": 3}) == {"result": 3}


def test_graph_node_rename_errors_follow_node_01() -> None:
    gn = make_graph_node().with_inputs(a="x")
    with pytest.raises(RenameError) as info:
        gn.with_inputs(a="y")
    assert "'a' was renamed: a→x" in str(info.value)
    assert "Current inputs: ('x', 'b')" in str(info.value)
    with pytest.raises(RenameError, match="'b'"):
        gn.with_inputs(x="b")
    with pytest.raises(RenameError, match="'missing' not found"):
        gn.with_outputs(missing="m")


def test_graph_node_with_inputs_rewrites_map_over_names() -> None:
    gn = make_graph_node().map_over("a", "b", mode="product")
    renamed = gn.with_inputs(a="items")
    assert renamed.map_config == (["items", "b"], "product")
    assert renamed._map_over == ["items", "b"]
    assert gn.map_config == (["a", "b"], "product")


def test_graph_node_renaming_an_unmapped_input_leaves_map_config() -> None:
    gn = make_graph_node().map_over("a")
    renamed = gn.with_inputs(b="other")
    assert renamed.map_config == (["a"], "zip")
    swapped = gn.with_inputs(a="b", b="a")
    assert swapped.map_config == (["b"], "zip")


def test_graph_node_swap_translates_both_ways() -> None:
    gn = make_graph_node().with_inputs(a="b", b="a")
    assert gn.inputs == ("b", "a")
    assert gn.map_inputs_to_params({"b": 1, "a": 2}) == {"a": 1, "b": 2}


def test_chain_follows_one_rename_per_batch() -> None:
    # {x: y, y: q} is applied at once: x became y; y -> q renamed the *other* input.
    n = make_two().with_inputs(x="y", y="q")
    assert n.inputs == ("y", "q")
    with pytest.raises(RenameError) as info:
        n.with_inputs(x="z")
    assert "'x' was renamed: x→y" in str(info.value)
    assert "x→y→q" not in str(info.value)
    later = n.with_inputs(y="w")
    with pytest.raises(RenameError) as info2:
        later.with_inputs(x="z")
    assert "'x' was renamed: x→y→w" in str(info2.value)


# --- HyperNode defaults and renames on a custom subclass (NODE-01) -----------------------


class PortsOnly(HyperNode):
    def __init__(self, name, inputs, outputs):
        self.name = name
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self._rename_history = []


def test_hyper_node_defaults() -> None:
    n = PortsOnly("custom", ("a", "b"), ("c",))
    text = "PortsOnly:custom:('a', 'b'):('c',)"
    assert n.definition_hash == hashlib.sha256(text.encode()).hexdigest()
    assert n.is_async is False
    assert n.is_generator is False
    assert n.cache is False
    assert n.has_default_for("a") is False
    with pytest.raises(KeyError, match="No default for 'a'"):
        n.get_default_for("a")
    assert n.get_input_type("a") is None
    assert n.get_output_type("c") is None
    values = {"a": 1, "z": 2}
    mapped = n.map_inputs_to_params(values)
    assert mapped == values
    assert mapped is not values


def test_hyper_node_subclass_gets_the_rename_machinery() -> None:
    n = PortsOnly("custom", ("a", "b"), ("c",))
    renamed = n.with_inputs(a="b", b="a").with_outputs(c="d").with_name("other")
    assert renamed is not n
    assert type(renamed) is PortsOnly
    assert (renamed.name, renamed.inputs, renamed.outputs) == ("other", ("b", "a"), ("d",))
    assert (n.name, n.inputs, n.outputs) == ("custom", ("a", "b"), ("c",))
    assert renamed.definition_hash != n.definition_hash  # the default hash covers ports


def test_hyper_node_cannot_be_instantiated() -> None:
    with pytest.raises(TypeError, match="How to fix"):
        HyperNode()
