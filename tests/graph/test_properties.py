"""Property tests for the graph algorithms: edge inference, input classification, cycles,
rename round-trips and hash invariance, each checked against an independent naive model
(SPEC GRAPH-02, GRAPH-03, GRAPH-04, GRAPH-08, GRAPH-09, NODE-01, §1.3)."""

import importlib.util
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hypergraph_graph import FunctionNode, Graph, HyperNode

HAS_NETWORKX = importlib.util.find_spec("networkx") is not None


class SpecNode(HyperNode):
    """A node described only by its ports; externals listed in ``defaults`` have one."""

    def __init__(self, name: str, inputs, outputs, defaults: Mapping[str, Any] = ()) -> None:
        self.name = name
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self._defaults = dict(defaults)
        self._rename_history = []

    def has_default_for(self, param: str) -> bool:
        return param in self._defaults

    def get_default_for(self, param: str) -> Any:
        return self._defaults[param]


EXTERNALS = [f"e{i}" for i in range(4)]


@st.composite
def graph_specs(draw, *, acyclic: bool):
    """Nodes ``n0..nk`` with outputs ``o<i>_<j>``; inputs drawn from outputs and externals.

    With ``acyclic`` a node only consumes outputs of earlier nodes, so the graph is a DAG.
    """
    count = draw(st.integers(min_value=0, max_value=7))
    outputs = [
        [f"o{i}_{j}" for j in range(draw(st.integers(min_value=0, max_value=2)))]
        for i in range(count)
    ]
    with_default = set(draw(st.lists(st.sampled_from(EXTERNALS), unique=True)))
    nodes = []
    for i in range(count):
        visible = [o for j, outs in enumerate(outputs) if not acyclic or j < i for o in outs]
        pool = visible + EXTERNALS
        inputs = draw(st.lists(st.sampled_from(pool), unique=True, max_size=5)) if pool else []
        defaults = {p: 0 for p in inputs if p in with_default}
        nodes.append(SpecNode(f"n{i}", inputs, outputs[i], defaults))
    if not acyclic:
        nodes = draw(st.permutations(nodes))
    return nodes


# --- the independent model ----------------------------------------------------------------


def model(nodes):
    producer = {o: n.name for n in nodes for o in n.outputs}
    edges = [(producer[p], n.name, p) for n in nodes for p in n.inputs if p in producer]
    succ = {n.name: set() for n in nodes}
    for u, v, _ in edges:
        succ[u].add(v)
    reach = {}
    for start in succ:  # reach[a] = nodes reachable from a by one or more edges
        seen, frontier = set(), list(succ[start])
        while frontier:
            v = frontier.pop()
            if v not in seen:
                seen.add(v)
                frontier.extend(succ[v])
        reach[start] = seen

    def same_component(a, b):
        return a == b or (b in reach[a] and a in reach[b])

    cyclic = {n.name for n in nodes if n.name in reach[n.name]}
    consumers = {}
    for n in nodes:
        for p in n.inputs:
            consumers.setdefault(p, []).append(n)
    required, optional, seeds, seen_names = [], [], [], set()
    for n in nodes:
        for p in n.inputs:
            if p in seen_names:
                continue
            seen_names.add(p)
            if p in producer:
                if any(same_component(c.name, producer[p]) for c in consumers[p]):
                    seeds.append(p)
            elif any(c.has_default_for(p) for c in consumers[p]):
                optional.append(p)
            else:
                required.append(p)
    has_outgoing = {u for u, _, _ in edges}
    return {
        "edges": edges,
        "required": tuple(required),
        "optional": tuple(optional),
        "seeds": tuple(seeds),
        "outputs": tuple(o for n in nodes for o in n.outputs),
        "leaf_outputs": tuple(o for n in nodes if n.name not in has_outgoing for o in n.outputs),
        "has_cycles": bool(cyclic),
    }


def described_edges(graph: Graph) -> list[tuple[str, str, str]]:
    lines = graph.describe().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Edges ("))
    edges = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        arrow, value = line.strip().rsplit(" (", 1)
        u, v = arrow.split(" -> ")
        edges.append((u, v, value[:-1]))
    return edges


def check_against_model(nodes) -> None:
    graph = Graph(nodes)
    expected = model(nodes)
    assert graph.inputs.required == expected["required"]
    assert graph.inputs.optional == expected["optional"]
    assert graph.inputs.seeds == expected["seeds"]
    assert graph.outputs == expected["outputs"]
    assert graph.leaf_outputs == expected["leaf_outputs"]
    assert graph.has_cycles is expected["has_cycles"]
    assert described_edges(graph) == expected["edges"]


@given(graph_specs(acyclic=True))
def test_dag_structure_matches_the_model(nodes) -> None:
    check_against_model(nodes)
    graph = Graph(nodes)
    assert graph.has_cycles is False
    assert graph.inputs.seeds == ()


@given(graph_specs(acyclic=False))
def test_cyclic_structure_matches_the_model(nodes) -> None:
    check_against_model(nodes)


@pytest.mark.skipif(not HAS_NETWORKX, reason="networkx not installed")
@given(graph_specs(acyclic=False))
def test_networkx_edges_match_the_model(nodes) -> None:
    graph = Graph(nodes)
    expected: dict[tuple[str, str], list[str]] = {}
    for u, v, value in model(nodes)["edges"]:
        expected.setdefault((u, v), []).append(value)
    nx_graph = graph.to_networkx()
    assert list(nx_graph.nodes) == [n.name for n in nodes]
    actual = {(u, v): list(d["value_names"]) for u, v, d in nx_graph.edges(data=True)}
    assert actual == expected
    for u, v, data in nx_graph.edges(data=True):
        assert data["value_name"] == data["value_names"][0]


@given(graph_specs(acyclic=False), st.data())
def test_bind_moves_inputs_to_optional(nodes, data) -> None:
    graph = Graph(nodes)
    candidates = list(graph.inputs.required + graph.inputs.optional)
    chosen = data.draw(
        st.lists(st.sampled_from(candidates), unique=True) if candidates else st.just([])
    )
    bound = graph.bind(**{name: None for name in chosen})
    assert bound.inputs.bound == dict.fromkeys(chosen)
    assert set(bound.inputs.optional) == set(graph.inputs.optional) | set(chosen)
    assert bound.inputs.required == tuple(n for n in graph.inputs.required if n not in chosen)
    assert bound.inputs.seeds == graph.inputs.seeds
    assert bound.unbind(*chosen).inputs == graph.inputs


@given(graph_specs(acyclic=False), st.data())
def test_definition_hash_is_invariant_under_node_order(nodes, data) -> None:
    shuffled = data.draw(st.permutations(nodes))
    assert Graph(shuffled).definition_hash == Graph(nodes).definition_hash
    assert Graph(shuffled, name="other").definition_hash == Graph(nodes).definition_hash


# --- rename round-trips -------------------------------------------------------------------

POOL = [f"n{i}" for i in range(8)]


def make_function(params, with_default):
    args = ", ".join(f"{p}=0" if p in with_default else p for p in params)
    namespace: dict[str, Any] = {}
    exec(
        f"def made(*, {args}):\n    return 0\n" if params else "def made():\n    return 0\n",
        namespace,
    )
    return namespace["made"]


@st.composite
def rename_cases(draw):
    names = draw(st.lists(st.sampled_from(POOL), unique=True, min_size=1, max_size=5))
    renamed = draw(st.lists(st.sampled_from(names), unique=True, min_size=1))
    kept = [n for n in names if n not in renamed]
    free = [n for n in POOL if n not in kept]  # new names may reuse renamed ones (swaps)
    targets = draw(st.permutations(free))[: len(renamed)]
    with_default = set(draw(st.lists(st.sampled_from(names), unique=True)))
    return names, dict(zip(renamed, targets)), with_default


@given(rename_cases())
def test_input_rename_round_trip(case) -> None:
    names, mapping, with_default = case
    original = FunctionNode(make_function(names, with_default), output_name="out")
    renamed = original.with_inputs(mapping)
    assert renamed.inputs == tuple(mapping.get(n, n) for n in names)
    assert renamed.map_inputs_to_params(dict.fromkeys(renamed.inputs, 1)) == dict.fromkeys(names, 1)
    back = renamed.with_inputs({new: old for old, new in mapping.items()})
    assert back.inputs == original.inputs
    assert back.defaults == original.defaults
    assert back.map_inputs_to_params(dict.fromkeys(names, 1)) == dict.fromkeys(names, 1)
    assert back.outputs == original.outputs


@given(rename_cases())
def test_output_rename_round_trip(case) -> None:
    names, mapping, _ = case
    original = FunctionNode(make_function([], set()), output_name=tuple(names))
    renamed = original.with_outputs(**mapping)
    assert renamed.outputs == tuple(mapping.get(n, n) for n in names)
    back = renamed.with_outputs(**{new: old for old, new in mapping.items()})
    assert back.outputs == original.outputs
    assert back.inputs == original.inputs


@given(rename_cases())
def test_graph_node_rename_round_trip(case) -> None:
    names, mapping, with_default = case
    inner = FunctionNode(make_function(names, with_default), output_name="out")
    gn = Graph([inner], name="inner").as_node()
    renamed = gn.with_inputs(mapping)
    back = renamed.with_inputs({new: old for old, new in mapping.items()})
    assert back.inputs == gn.inputs
    for name in gn.inputs:
        assert back.has_default_for(name) == gn.has_default_for(name)
    assert back.map_inputs_to_params(dict.fromkeys(gn.inputs, 1)) == dict.fromkeys(gn.inputs, 1)


# --- scale: everything is iterative (SPEC §1.3) -------------------------------------------

CHAIN = 10_000


def step(x):
    return x + 1


def chain_nodes(length: int, *, ring: bool = False) -> list[FunctionNode]:
    base = FunctionNode(step, output_name="v")
    nodes = []
    for i in range(length):
        source = f"v{(i - 1) % length}" if ring else f"v{i - 1}" if i else "start"
        nodes.append(base.with_name(f"n{i}").with_inputs(x=source).with_outputs(v=f"v{i}"))
    return nodes


def test_ten_thousand_node_chain_builds() -> None:
    graph = Graph(chain_nodes(CHAIN))
    assert graph.inputs.required == ("start",)
    assert graph.inputs.seeds == ()
    assert graph.has_cycles is False
    assert graph.leaf_outputs == (f"v{CHAIN - 1}",)
    assert len(graph.outputs) == CHAIN
    assert len(graph.definition_hash) == 64
    assert graph.describe().count(" -> ") >= CHAIN - 1
    assert graph.bind(start=0).inputs.optional == ("start",)


def test_ten_thousand_node_ring_builds() -> None:
    graph = Graph(chain_nodes(CHAIN, ring=True))
    assert graph.has_cycles is True
    assert graph.inputs.required == ()
    assert len(graph.inputs.seeds) == CHAIN
    assert graph.inputs.seeds[:2] == (f"v{CHAIN - 1}", "v0")
    assert graph.leaf_outputs == ()
