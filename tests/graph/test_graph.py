"""Graph construction and its derived properties: node order, edges, inputs, outputs, bind /
unbind, definition_hash and the networkx view (SPEC GRAPH-01 ... GRAPH-09 except GRAPH-07)."""

import hashlib
import re
import sys
import tomllib
from pathlib import Path

import pytest

from hypergraph_graph import FunctionNode, Graph, GraphNode, node
from hypergraph_types import GraphConfigError, InputSpec

PACKAGES = Path(__file__).resolve().parents[2] / "packages"


@node(output_name="y")
def f(x):
    return x


@node(output_name="z")
def g(y):
    return y


@node(output_name="count")
def counter(count):
    return count + 1


def ring() -> list[FunctionNode]:
    @node(output_name="a")
    def node_a(c):
        return c

    @node(output_name="b")
    def node_b(a):
        return a

    @node(output_name="c")
    def node_c(b):
        return b

    return [node_a, node_b, node_c]


# --- construction (GRAPH-01) -------------------------------------------------------------


def test_nodes_are_kept_in_order_as_the_same_objects() -> None:
    graph = Graph([g, f])
    assert list(graph.nodes) == ["g", "f"]
    assert graph.nodes["f"] is f
    assert graph.nodes["g"] is g


class CountingIterable:
    def __init__(self, items):
        self.items = items
        self.iterations = 0

    def __iter__(self):
        self.iterations += 1
        return iter(self.items)


def test_any_iterable_is_consumed_once() -> None:
    source = CountingIterable([f, g])
    graph = Graph(source)
    assert source.iterations == 1
    assert list(graph.nodes) == ["f", "g"]


def test_generator_and_tuple_and_dict_values() -> None:
    assert list(Graph(n for n in [f, g]).nodes) == ["f", "g"]
    assert list(Graph((g, f)).nodes) == ["g", "f"]
    assert list(Graph({"first": f, "second": g}.values()).nodes) == ["f", "g"]


def test_empty_graph_is_valid() -> None:
    graph = Graph([])
    assert graph.nodes == {}
    assert graph.inputs == InputSpec((), (), (), {})
    assert graph.outputs == ()
    assert graph.leaf_outputs == ()
    assert graph.has_cycles is False
    assert graph.has_async_nodes is False
    assert graph.name is None
    assert graph.definition_hash == hashlib.sha256(b"#").hexdigest()


def test_name_and_strict_types() -> None:
    graph = Graph([f], name="pipeline", strict_types=False)
    assert graph.name == "pipeline"
    assert graph.strict_types is False
    assert Graph([]).strict_types is False


@pytest.mark.parametrize(
    "attribute",
    [
        "name",
        "nodes",
        "inputs",
        "outputs",
        "leaf_outputs",
        "has_cycles",
        "has_async_nodes",
        "strict_types",
        "definition_hash",
    ],
)
def test_properties_are_read_only(attribute) -> None:
    graph = Graph([f, g], name="p")
    before = getattr(graph, attribute)
    with pytest.raises(AttributeError):
        setattr(graph, attribute, None)
    assert getattr(graph, attribute) == before


def test_nodes_is_a_new_dict_each_access() -> None:
    graph = Graph([f, g])
    first = graph.nodes
    assert first is not graph.nodes
    first.clear()
    assert list(graph.nodes) == ["f", "g"]


def test_nodes_compat_attribute() -> None:
    graph = Graph([g, f])
    assert list(graph._nodes) == ["g", "f"]
    assert graph._nodes["f"] is f


# --- edges (GRAPH-02) via networkx -------------------------------------------------------


def edge_set(graph: Graph) -> dict[tuple[str, str], tuple[str, ...]]:
    nx_graph = graph.to_networkx()
    return {(u, v): data["value_names"] for u, v, data in nx_graph.edges(data=True)}


def test_to_networkx_nodes_and_edge_attributes() -> None:
    pytest.importorskip("networkx")

    @node(output_name=("p", "q"))
    def two_out(x):
        return x, x

    @node(output_name="r")
    def two_in(q, other, p):
        return q

    graph = Graph([two_out, two_in, counter])
    nx_graph = graph.to_networkx()
    assert list(nx_graph.nodes) == ["two_out", "two_in", "counter"]
    assert nx_graph.nodes["two_out"]["hypernode"] is two_out
    assert nx_graph.nodes["counter"]["hypernode"] is counter
    data = nx_graph.edges["two_out", "two_in"]
    assert data["edge_type"] == "data"
    assert data["value_names"] == ("q", "p")  # the consumer's input order
    assert data["value_name"] == "q"
    assert nx_graph.edges["counter", "counter"]["value_names"] == ("count",)
    assert nx_graph.number_of_edges() == 2


def test_edges_follow_names() -> None:
    pytest.importorskip("networkx")
    assert edge_set(Graph([f, g])) == {("f", "g"): ("y",)}
    assert edge_set(Graph([g, f])) == {("f", "g"): ("y",)}
    assert edge_set(Graph([f, g.with_inputs(y="other")])) == {}
    assert edge_set(Graph(ring())) == {
        ("node_c", "node_a"): ("c",),
        ("node_a", "node_b"): ("a",),
        ("node_b", "node_c"): ("b",),
    }


def test_to_networkx_builds_a_new_graph_each_call_and_nx_graph_caches() -> None:
    pytest.importorskip("networkx")
    graph = Graph([f, g])
    assert graph.to_networkx() is not graph.to_networkx()
    assert graph.nx_graph is graph.nx_graph
    assert graph._nx_graph is graph.nx_graph
    assert set(graph.nx_graph.edges) == {("f", "g")}


def test_networkx_missing_raises_import_error(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "networkx", None)
    graph = Graph([f, g])
    with pytest.raises(ImportError, match=r"hypergraph-graph\[networkx\]"):
        graph.to_networkx()
    with pytest.raises(ImportError, match=r"hypergraph-graph\[networkx\]"):
        graph.nx_graph


def test_networkx_install_hint_names_extras_that_exist(monkeypatch) -> None:
    # The hint must be a command that works: each 'dist[extra]' it names is declared in that
    # distribution's pyproject.toml ("hypergraph" is an import name, not a distribution).
    monkeypatch.setitem(sys.modules, "networkx", None)
    with pytest.raises(ImportError) as excinfo:
        Graph([f, g]).to_networkx()
    named = re.findall(r"'([\w-]+)\[(\w+)\]'", str(excinfo.value))
    assert named, str(excinfo.value)
    assert "How to fix:" in str(excinfo.value)
    for dist, extra in named:
        pyproject = PACKAGES / dist / "pyproject.toml"
        assert pyproject.is_file(), f"{dist} is not one of our distributions"
        extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
        assert extra in extras, (dist, extra)


# --- inputs (GRAPH-03) -------------------------------------------------------------------


def test_inputs_all_required() -> None:
    @node(output_name="r")
    def fn(a, b, c):
        return a

    spec = Graph([fn]).inputs
    assert spec.required == ("a", "b", "c")
    assert spec.optional == ()
    assert spec.seeds == ()
    assert spec.bound == {}


def test_inputs_with_defaults_are_optional() -> None:
    @node(output_name="r")
    def fn(a, b=1, c=2):
        return a

    spec = Graph([fn]).inputs
    assert spec.required == ("a",)
    assert spec.optional == ("b", "c")
    assert spec.seeds == ()


def test_self_loop_gives_a_seed() -> None:
    spec = Graph([counter]).inputs
    assert spec.seeds == ("count",)
    assert spec.required == ()
    assert spec.optional == ()


def test_ring_seeds_in_first_occurrence_order() -> None:
    graph = Graph(ring())
    assert graph.inputs.seeds == ("c", "a", "b")
    assert graph.inputs.required == ()
    assert graph.has_cycles is True


def test_seeds_ignore_defaults() -> None:
    @node(output_name="count")
    def loop(count=0, limit=3):
        return min(count + 1, limit)

    spec = Graph([loop]).inputs
    assert spec.seeds == ("count",)
    assert spec.optional == ("limit",)
    assert spec.required == ()


def test_edge_fed_parameter_with_default_is_not_an_input() -> None:
    @node(output_name="z")
    def consumer(y=5, w=1):
        return y

    spec = Graph([f, consumer]).inputs
    assert spec.required == ("x",)
    assert spec.optional == ("w",)
    assert "y" not in spec.all


def test_input_positions_follow_first_occurrence() -> None:
    @node(output_name="o1")
    def first(b, a=1):
        return b

    @node(output_name="o3")
    def third(e, a=1):
        return e

    spec = Graph([first, third]).inputs
    assert spec.required == ("b", "e")
    assert spec.optional == ("a",)
    assert spec.all == ("b", "e", "a")


def test_a_default_in_any_consumer_of_a_consistent_group_makes_it_optional() -> None:
    @node(output_name="o1")
    def one(k=1):
        return k

    @node(output_name="o2")
    def other(k=1):
        return k

    assert Graph([one, other]).inputs.optional == ("k",)


def test_mixed_classification_and_all() -> None:
    @node(output_name="count")
    def step(count, limit=10, scale=None):
        return count

    @node(output_name="report")
    def report(count, title):
        return title

    spec = Graph([step, report]).inputs
    assert spec.required == ("title",)
    assert spec.optional == ("limit", "scale")
    assert spec.seeds == ("count",)
    assert spec.all == ("title", "limit", "scale", "count")


def test_cycle_downstream_consumer_is_not_a_seed() -> None:
    @node(output_name="count")
    def loop(count):
        return count

    @node(output_name="final")
    def after(count):
        return count

    graph = Graph([loop, after])
    assert graph.inputs.seeds == ("count",)
    assert graph.has_cycles is True


def test_value_feeding_back_into_its_producer_from_downstream_is_a_seed() -> None:
    @node(output_name="y")
    def head(x, z):
        return x

    @node(output_name="z")
    def tail(y):
        return y

    spec = Graph([head, tail]).inputs
    assert spec.required == ("x",)
    assert spec.seeds == ("z", "y")


def test_inputs_is_the_same_object_every_access() -> None:
    graph = Graph([f, g])
    assert graph.inputs is graph.inputs
    assert graph.bind(x=1).inputs is not graph.inputs


def test_graph_node_consumer_default_makes_input_optional() -> None:
    @node(output_name="r")
    def inner(k=3):
        return k

    gn = Graph([inner], name="inner_graph").as_node()
    spec = Graph([gn]).inputs
    assert spec.optional == ("k",)
    assert Graph([gn.with_inputs(k="kk")]).inputs.optional == ("kk",)


# --- outputs, leaf_outputs, has_async_nodes (GRAPH-04, GRAPH-08) --------------------------


def test_outputs_in_node_order_each_once() -> None:
    @node(output_name=("p", "q"))
    def pq(x):
        return x, x

    @node(output_name="r")
    def r(p, q):
        return p

    @node
    def side_effect(r):
        return None

    graph = Graph([r, side_effect, pq])
    assert graph.outputs == ("r", "p", "q")
    assert len(set(graph.outputs)) == len(graph.outputs)


def test_leaf_outputs() -> None:
    @node(output_name=("p", "q"))
    def pq(x):
        return x, x

    @node(output_name="r")
    def uses_p(p):
        return p

    graph = Graph([pq, uses_p])
    assert graph.leaf_outputs == ("r",)  # pq feeds uses_p, so neither p nor q is a leaf
    assert Graph([f, g]).leaf_outputs == ("z",)
    assert Graph([f]).leaf_outputs == ("y",)


def test_self_edge_counts_as_outgoing_for_leaf_outputs() -> None:
    @node(output_name="final")
    def other(x):
        return x

    graph = Graph([counter, other])
    assert graph.leaf_outputs == ("final",)
    assert Graph([counter]).leaf_outputs == ()


def test_has_cycles() -> None:
    assert Graph([f, g]).has_cycles is False
    assert Graph([counter]).has_cycles is True
    assert Graph(ring()).has_cycles is True
    assert Graph([]).has_cycles is False


def test_has_async_nodes_is_recursive() -> None:
    @node(output_name="r")
    async def fetch(x):
        return x

    assert Graph([f, g]).has_async_nodes is False
    assert Graph([f, fetch]).has_async_nodes is True
    inner = Graph([fetch], name="inner").as_node()
    middle = Graph([inner], name="middle").as_node()
    assert Graph([f, middle]).has_async_nodes is True
    sync_inner = Graph([g], name="sync_inner").as_node()
    assert Graph([f, sync_inner]).has_async_nodes is False


# --- bind / unbind (GRAPH-05) -------------------------------------------------------------


@node(output_name="r")
def abc(a, b, c=3):
    return a


def test_bind_makes_inputs_optional_and_records_bindings() -> None:
    graph = Graph([abc])
    bound = graph.bind(b=2)
    assert bound is not graph
    assert bound.inputs.required == ("a",)
    assert bound.inputs.optional == ("b", "c")
    assert bound.inputs.bound == {"b": 2}
    assert graph.inputs.required == ("a", "b")
    assert graph.inputs.bound == {}


def test_bind_merges_and_later_values_win() -> None:
    graph = Graph([abc]).bind(b=1).bind(a=2, b=3)
    assert graph.inputs.bound == {"b": 3, "a": 2}
    assert list(graph.inputs.bound) == ["b", "a"]
    assert graph.inputs.required == ()


def test_bind_without_values_is_a_new_graph_with_the_same_bindings() -> None:
    graph = Graph([abc]).bind(a=1)
    again = graph.bind()
    assert again is not graph
    assert again.inputs.bound == {"a": 1}


def test_bind_none_is_distinct_from_unbind() -> None:
    graph = Graph([abc])
    bound = graph.bind(a=None)
    assert bound.inputs.bound == {"a": None}
    assert "a" in bound.inputs.optional
    unbound = bound.unbind("a")
    assert unbound.inputs.bound == {}
    assert unbound.inputs.required == ("a", "b")


def test_bound_objects_are_not_copied() -> None:
    value = [1, 2]
    graph = Graph([abc]).bind(a=value)
    assert graph.inputs.bound["a"] is value
    assert graph.bind(b=1).inputs.bound["a"] is value


def test_bound_dict_is_a_copy() -> None:
    graph = Graph([abc]).bind(a=1)
    graph.inputs.bound["b"] = 2
    assert graph.bind().inputs.bound == {"a": 1}


def test_unbind_returns_to_required_or_optional() -> None:
    graph = Graph([abc]).bind(a=1, c=5)
    assert graph.inputs.optional == ("a", "c")
    unbound = graph.unbind("a", "c", "not_bound", "nonexistent")
    assert unbound.inputs.required == ("a", "b")
    assert unbound.inputs.optional == ("c",)
    assert unbound.inputs.bound == {}
    partial = graph.unbind("c")
    assert partial.inputs.bound == {"a": 1}


def test_bind_shares_structure() -> None:
    graph = Graph([abc, f], name="shared", strict_types=False)
    bound = graph.bind(a=1)
    assert bound.nodes["abc"] is abc
    assert bound.definition_hash is graph.definition_hash
    assert bound.unbind("a").definition_hash is graph.definition_hash
    assert bound.name == "shared"
    assert bound.unbind("a").name == "shared"
    assert bound.strict_types is False


def test_bind_keeps_strict_types() -> None:
    @node(output_name="r")
    def typed(a: int) -> int:
        return a

    graph = Graph([typed], strict_types=True)
    assert graph.bind(a=1).strict_types is True
    assert graph.bind(a=1).unbind("a").strict_types is True


def test_bind_of_an_output_is_rejected() -> None:
    with pytest.raises(GraphConfigError) as info:
        Graph([f, g]).bind(y=1)
    assert "Cannot bind 'y': output of node 'f'" in str(info.value)


def test_bind_of_a_seed_says_it_is_a_seed_and_how_to_supply_it() -> None:
    # It used to say "bypass its producer", which is not what a seed is for.
    with pytest.raises(GraphConfigError) as info:
        Graph([counter]).bind(count=0)
    text = str(info.value)
    assert "Cannot bind 'count': it is a cycle seed, produced by node 'counter'" in text
    assert "bypass" not in text
    assert "How to fix: pass its starting value in run(values={'count': ...})" in text


def test_bind_of_a_non_input_is_rejected_with_did_you_mean() -> None:
    @node(output_name="r")
    def fn(alpha, beta=1):
        return alpha

    with pytest.raises(GraphConfigError) as info:
        Graph([fn]).bind(alpah=1)
    text = str(info.value)
    assert "Cannot bind 'alpah': not a graph input. Valid inputs: ('alpha', 'beta')" in text
    assert "Did you mean 'alpha'?" in text
    assert isinstance(info.value, ValueError)


def test_bind_of_a_dotted_name_is_rejected() -> None:
    @node(output_name="r")
    def inner(a):
        return a

    gn = Graph([inner], name="inner_graph").as_node()
    with pytest.raises(GraphConfigError, match="not a graph input"):
        Graph([gn]).bind(**{"inner_graph.a": 1})


def test_bind_checks_outputs_before_inputs() -> None:
    # 'y' is produced AND consumed: the output message wins.
    with pytest.raises(GraphConfigError, match="output of node 'f'"):
        Graph([f, g]).bind(y=1)


def test_failed_bind_leaves_the_graph_unchanged() -> None:
    graph = Graph([abc]).bind(a=1)
    with pytest.raises(GraphConfigError):
        graph.bind(b=2, nope=3)
    assert graph.inputs.bound == {"a": 1}


# --- definition_hash (GRAPH-09) -----------------------------------------------------------


def test_definition_hash_is_64_hex_and_cached() -> None:
    graph = Graph([f, g])
    h = graph.definition_hash
    assert len(h) == 64
    assert set(h) <= set("0123456789abcdef")
    assert graph.definition_hash is h


def test_definition_hash_formula() -> None:
    graph = Graph([g, f])
    nodes = f"f:{f.definition_hash}|g:{g.definition_hash}"
    expected = hashlib.sha256(f"{nodes}#f->g:y".encode()).hexdigest()
    assert graph.definition_hash == expected


def test_definition_hash_formula_with_several_edges() -> None:
    nodes = ring()
    graph = Graph(nodes)
    by_name = {n.name: n for n in nodes}
    node_part = "|".join(f"{name}:{by_name[name].definition_hash}" for name in sorted(by_name))
    edges = sorted(
        [("node_c", "node_a", "c"), ("node_a", "node_b", "a"), ("node_b", "node_c", "b")]
    )
    edge_part = "|".join(f"{u}->{v}:{value}" for u, v, value in edges)
    assert graph.definition_hash == hashlib.sha256(f"{node_part}#{edge_part}".encode()).hexdigest()


def test_definition_hash_independent_of_order_name_and_bindings() -> None:
    base = Graph([f, g]).definition_hash
    assert Graph([g, f]).definition_hash == base
    assert Graph([f, g], name="named").definition_hash == base
    assert Graph([f, g]).bind(x=1).definition_hash == base
    assert Graph([f, g]).definition_hash == base  # identical structures hash equal


def test_definition_hash_changes_with_wiring() -> None:
    base = Graph([f, g]).definition_hash
    assert Graph([f, g.with_inputs(y="w")]).definition_hash != base
    assert Graph([f]).definition_hash != base


def test_definition_hash_changes_with_node_name() -> None:
    base = Graph([f, g]).definition_hash
    assert Graph([f.with_name("f2"), g]).definition_hash != base


def test_definition_hash_changes_with_source() -> None:
    @node(output_name="z")
    def g_variant(y):
        return y * 2

    base = Graph([f, g]).definition_hash
    assert Graph([f, g_variant.with_name("g")]).definition_hash != base


# --- as_node (GRAPH-06) ------------------------------------------------------------------


def test_as_node_returns_a_graph_node_over_this_graph() -> None:
    graph = Graph([f, g], name="inner")
    gn = graph.as_node()
    assert isinstance(gn, GraphNode)
    assert gn.graph is graph
    assert gn.name == "inner"
    assert gn.inputs == ("x",)
    assert gn.outputs == ("y", "z")


# executors (map on other processes): a graph pickles without its compiled plans and lock
def _pickled_double(x: int) -> int:
    return 2 * x


def test_a_graph_pickles_without_its_scratch_state() -> None:
    import pickle

    from hypergraph_graph import Graph, node

    g = Graph([node(output_name="y")(_pickled_double)])
    digest = g.definition_hash
    g._structure.cache["plan"] = object()  # a compiled plan (unpicklable stand-in)
    clone = pickle.loads(pickle.dumps(g))
    assert list(clone.nodes) == list(g.nodes)
    assert clone._structure.cache == {}
    assert clone.definition_hash == digest
    assert clone._structure._hash_lock is not g._structure._hash_lock
