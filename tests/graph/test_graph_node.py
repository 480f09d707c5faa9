"""GraphNode: naming, ports, defaults, types, hashing, map_over and runner overrides
(SPEC NODE-05, NODE-07)."""

import hashlib

import pytest

from hypergraph_graph import FunctionNode, Graph, GraphNode, HyperNode, node
from hypergraph_types import GraphConfigError, RunnerCapabilities


class FakeRunner:
    """Duck-typed runner: all a GraphNode may check is a RunnerCapabilities attribute."""

    capabilities = RunnerCapabilities()


@node(output_name="y")
def produce(a: int, b: int = 1) -> int:
    return a + b


@node(output_name="z")
def consume(y: int, c) -> int:
    return y + c


def inner_graph(name: str | None = "inner") -> Graph:
    return Graph([produce, consume], name=name)


# --- naming ------------------------------------------------------------------------------


def test_name_defaults_to_the_graph_name() -> None:
    gn = inner_graph().as_node()
    assert isinstance(gn, GraphNode)
    assert isinstance(gn, HyperNode)
    assert gn.name == "inner"


def test_explicit_name_wins() -> None:
    assert inner_graph().as_node(name="other").name == "other"
    assert inner_graph(None).as_node(name="other").name == "other"
    assert GraphNode(inner_graph(), name="direct").name == "direct"


def test_name_required() -> None:
    with pytest.raises(GraphConfigError) as info:
        inner_graph(None).as_node()
    text = str(info.value)
    assert text.startswith("GraphNode requires a name")
    assert "as_node(name=" in text
    assert "Graph(" in text


@pytest.mark.parametrize("char", [".", "/"])
def test_reserved_characters_in_name(char) -> None:
    with pytest.raises(GraphConfigError) as info:
        inner_graph().as_node(name=f"a{char}b")
    assert "Reserved characters" in str(info.value)
    assert repr(char) in str(info.value)


def test_names_need_not_be_identifiers() -> None:
    gn = inner_graph().as_node(name="my-inner-graph")
    assert gn.name == "my-inner-graph"
    assert Graph([gn]).nodes["my-inner-graph"] is gn


def test_graph_node_requires_a_graph() -> None:
    with pytest.raises(TypeError, match="FunctionNode"):
        GraphNode(produce, name="x")  # type: ignore[arg-type]


# --- ports -------------------------------------------------------------------------------


def test_inputs_are_inner_inputs_all_including_bound() -> None:
    @node(output_name="count")
    def counter(count, step=1):
        return count + step

    @node(output_name="w")
    def other(v, bound_one):
        return v

    g = Graph([counter, other], name="g").bind(bound_one=5)
    assert g.inputs.required == ("v",)
    assert g.inputs.optional == ("step", "bound_one")
    assert g.inputs.seeds == ("count",)
    gn = g.as_node()
    assert gn.inputs == ("v", "step", "bound_one", "count")
    assert gn.inputs == g.inputs.all


def test_outputs_are_all_inner_outputs() -> None:
    gn = inner_graph().as_node()
    assert gn.outputs == ("y", "z")  # including the intermediate y


def test_graph_is_the_same_object_in_every_copy() -> None:
    g = inner_graph()
    gn = g.as_node()
    assert gn.graph is g
    copies = [
        gn.with_name("x"),
        gn.with_inputs(a="q"),
        gn.with_outputs(z="r"),
        gn.map_over("a"),
        gn.with_runner(FakeRunner()),
    ]
    for copy in copies:
        assert copy is not gn
        assert copy.graph is g


def test_flags() -> None:
    gn = inner_graph().as_node()
    assert gn.is_async is False
    assert gn.is_generator is False
    assert gn.cache is False

    @node(output_name="r")
    async def slow(x):
        return x

    async_gn = Graph([slow], name="a").as_node()
    assert async_gn.is_async is True
    deeper = Graph([async_gn], name="outer").as_node()
    assert deeper.is_async is True


# --- definition_hash ---------------------------------------------------------------------


def test_definition_hash_unmapped_is_the_inner_hash() -> None:
    g = inner_graph()
    assert g.as_node().definition_hash == g.definition_hash
    assert g.as_node(name="other").definition_hash == g.definition_hash
    assert g.as_node().with_inputs(a="q").definition_hash == g.definition_hash


def test_definition_hash_mapped_formula() -> None:
    g = inner_graph()
    inner = g.definition_hash
    mapped = g.as_node().map_over("a", "c")
    expected = hashlib.sha256(f"{inner}:map:zip:a,c".encode()).hexdigest()
    assert mapped.definition_hash == expected
    product = g.as_node().map_over("c", "a", mode="product")
    expected_product = hashlib.sha256(f"{inner}:map:product:c,a".encode()).hexdigest()
    assert product.definition_hash == expected_product


def test_mapped_hash_uses_inner_names_and_ignores_runner() -> None:
    g = inner_graph()
    mapped = g.as_node().map_over("a")
    renamed = g.as_node().with_inputs(a="items").map_over("items")
    assert renamed.definition_hash == mapped.definition_hash
    assert mapped.with_inputs(a="other").definition_hash == mapped.definition_hash
    assert mapped.with_runner(FakeRunner()).definition_hash == mapped.definition_hash
    assert g.as_node(runner=FakeRunner()).definition_hash == g.definition_hash


# --- defaults ----------------------------------------------------------------------------


def test_has_default_for() -> None:
    gn = inner_graph().bind(c=7).as_node()
    assert gn.has_default_for("b") is True  # consumer default
    assert gn.has_default_for("c") is True  # bound
    assert gn.has_default_for("a") is False
    assert gn.has_default_for("nope") is False
    assert gn.has_default_for("y") is False  # an output, not an input


def test_get_default_for() -> None:
    marker = object()
    gn = inner_graph().bind(c=marker).as_node()
    assert gn.get_default_for("b") == 1
    assert gn.get_default_for("c") is marker
    with pytest.raises(KeyError, match="'a'"):
        gn.get_default_for("a")
    with pytest.raises(KeyError, match="'nope'"):
        gn.get_default_for("nope")


def test_binding_beats_consumer_default() -> None:
    gn = inner_graph().bind(b=99).as_node()
    assert gn.get_default_for("b") == 99


def test_defaults_follow_renames() -> None:
    gn = inner_graph().as_node().with_inputs(b="bee")
    assert gn.has_default_for("bee") is True
    assert gn.get_default_for("bee") == 1
    assert gn.has_default_for("b") is False
    with pytest.raises(KeyError, match="'b'"):
        gn.get_default_for("b")


# --- types -------------------------------------------------------------------------------


def test_get_input_type_uses_the_first_inner_consumer_reporting_one() -> None:
    @node(output_name="o1")
    def untyped(x):
        return x

    @node(output_name="o2")
    def as_int(x: int) -> int:
        return x

    @node(output_name="o3")
    def as_str(x: str) -> str:
        return x

    gn = Graph([untyped, as_int, as_str], name="g").as_node()
    assert gn.get_input_type("x") is int
    assert gn.get_input_type("nope") is None
    assert gn.with_inputs(x="renamed").get_input_type("renamed") is int
    assert gn.with_inputs(x="renamed").get_input_type("x") is None
    flipped = Graph([untyped, as_str, as_int], name="g").as_node()
    assert flipped.get_input_type("x") is str


def test_get_input_type_none_when_no_consumer_reports_one() -> None:
    gn = inner_graph().as_node()
    assert gn.get_input_type("c") is None


def test_output_types() -> None:
    @node(output_name="untyped_out")
    def loose(z):
        return z

    gn = Graph([produce, consume, loose], name="g").as_node()
    assert gn.get_output_type("y") is int
    assert gn.get_output_type("untyped_out") is None
    assert gn.get_output_type("nope") is None
    # Every output is listed; an untyped one maps to None (NODE-05, issue 13 case 17).
    assert gn.output_annotation == {"y": int, "z": int, "untyped_out": None}


def test_output_types_follow_renamed_outputs() -> None:
    gn = inner_graph().as_node().with_outputs(y="why")
    assert gn.get_output_type("why") is int
    assert gn.get_output_type("y") is None
    assert gn.output_annotation == {"why": int, "z": int}


def test_mapped_output_types_are_lists() -> None:
    @node(output_name="untyped_out")
    def loose(z):
        return z

    gn = Graph([produce, consume, loose], name="g").as_node().map_over("a")
    assert gn.get_output_type("y") == list[int]
    assert gn.get_output_type("untyped_out") is list
    assert gn.get_output_type("nope") is None
    assert gn.output_annotation == {"y": list[int], "z": list[int], "untyped_out": list}


# --- map_over ----------------------------------------------------------------------------


def test_map_over_returns_a_new_mapped_node() -> None:
    gn = inner_graph().as_node()
    mapped = gn.map_over("a", "c")
    assert mapped is not gn
    assert mapped.map_config == (["a", "c"], "zip")
    assert mapped._map_over == ["a", "c"]
    assert mapped._map_mode == "zip"
    assert gn.map_config is None
    assert gn._map_over is None
    assert gn._map_mode == "zip"
    assert mapped.inputs == gn.inputs
    assert mapped.outputs == gn.outputs


def test_map_over_product_and_replacement() -> None:
    gn = inner_graph().as_node()
    product = gn.map_over("a", "b", mode="product")
    assert product.map_config == (["a", "b"], "product")
    assert product._map_mode == "product"
    replaced = product.map_over("c")
    assert replaced.map_config == (["c"], "zip")
    assert product.map_config == (["a", "b"], "product")


def test_map_over_needs_a_parameter() -> None:
    with pytest.raises(GraphConfigError, match="at least one parameter"):
        inner_graph().as_node().map_over()


def test_map_over_unknown_input() -> None:
    @node(output_name="r")
    def f(alpha, beta):
        return alpha

    gn = Graph([f], name="g").as_node()
    with pytest.raises(GraphConfigError) as info:
        gn.map_over("alpah")
    text = str(info.value)
    assert "is not an input" in text
    assert "'alpha', 'beta'" in text
    assert "Did you mean 'alpha'?" in text


def test_map_over_output_is_not_an_input() -> None:
    with pytest.raises(GraphConfigError, match="is not an input"):
        inner_graph().as_node().map_over("y")


def test_map_over_uses_current_names() -> None:
    gn = inner_graph().as_node().with_inputs(a="items")
    with pytest.raises(GraphConfigError, match="is not an input"):
        gn.map_over("a")
    assert gn.map_over("items").map_config == (["items"], "zip")


def test_map_over_repeated_name() -> None:
    with pytest.raises(GraphConfigError, match="listed twice"):
        inner_graph().as_node().map_over("a", "c", "a")


def test_map_over_unknown_mode() -> None:
    with pytest.raises(GraphConfigError) as info:
        inner_graph().as_node().map_over("a", mode="cartesian")  # type: ignore[arg-type]
    text = str(info.value)
    assert "Unknown map mode" in text
    assert "'zip'" in text
    assert "'product'" in text


# --- runner override ---------------------------------------------------------------------


def test_runner_override() -> None:
    runner = FakeRunner()
    g = inner_graph()
    assert g.as_node().runner is None
    gn = g.as_node(runner=runner)
    assert gn.runner is runner
    assert GraphNode(g, name="n", runner=runner).runner is runner
    other = FakeRunner()
    switched = gn.with_runner(other)
    assert switched is not gn
    assert switched.runner is other
    assert gn.runner is runner
    cleared = gn.with_runner(None)
    assert cleared.runner is None
    assert gn.runner is runner


class CapabilitiesOfWrongType:
    capabilities = "supports_cycles"


@pytest.mark.parametrize(
    ("bad", "type_name"),
    [(42, "int"), (object(), "object"), (CapabilitiesOfWrongType(), "CapabilitiesOfWrongType")],
)
def test_non_runner_is_a_type_error(bad, type_name) -> None:
    g = inner_graph()
    with pytest.raises(TypeError, match=type_name):
        g.as_node(runner=bad)
    with pytest.raises(TypeError, match=type_name):
        g.as_node().with_runner(bad)


def test_runner_survives_copies() -> None:
    runner = FakeRunner()
    gn = inner_graph().as_node(runner=runner)
    assert gn.with_name("x").runner is runner
    assert gn.map_over("a").runner is runner
    assert gn.with_inputs(a="q").runner is runner


# --- translations and repr ---------------------------------------------------------------


def test_map_outputs_from_original() -> None:
    gn = inner_graph().as_node().with_outputs(z="zed")
    assert gn.map_outputs_from_original({"z": 1, "y": 2, "other": 3}) == {
        "zed": 1,
        "y": 2,
        "other": 3,
    }


def test_map_inputs_to_params() -> None:
    gn = inner_graph().as_node().with_inputs(a="alpha")
    assert gn.map_inputs_to_params({"alpha": 1, "c": 2, "other": 3}) == {
        "a": 1,
        "c": 2,
        "other": 3,
    }


def test_repr() -> None:
    gn = inner_graph().as_node()
    assert repr(gn) == "GraphNode('inner', inputs=('a', 'c', 'b'), outputs=('y', 'z'))"
    mapped = gn.map_over("a", "c", mode="product")
    assert repr(mapped) == (
        "GraphNode('inner', inputs=('a', 'c', 'b'), outputs=('y', 'z'), "
        "map_over=['a', 'c'], mode='product')"
    )


def test_hyper_node_is_abstract() -> None:
    with pytest.raises(TypeError):
        HyperNode()


def test_function_node_is_not_a_graph_node() -> None:
    assert not isinstance(FunctionNode(lambda x: x), GraphNode)
