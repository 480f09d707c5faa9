"""Dot notation in ``values``: addressing inputs of nested graphs (SPEC NEST-05, §4.2, §4.3,
§6.5 step 4)."""

from __future__ import annotations

import asyncio
import warnings

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import (
    GraphConfigError,
    InvalidInputError,
    MissingInputError,
    RunResult,
    RunStatus,
    UnknownInputError,
)
from support import Calls

RUNNERS = ["sync", "async"]
MODES = ["continue", "raise"]


def run(kind: str, graph: Graph, values=None, **kwargs) -> RunResult:
    """``run`` under either runner; the AsyncRunner call gets a fresh loop and a deadline."""
    if kind == "sync":
        return SyncRunner().run(graph, values, **kwargs)
    return asyncio.run(asyncio.wait_for(AsyncRunner().run(graph, values, **kwargs), 30))


def run_map(kind: str, graph: Graph, values=None, **kwargs) -> list[RunResult]:
    if kind == "sync":
        return SyncRunner().map(graph, values, **kwargs)
    return asyncio.run(asyncio.wait_for(AsyncRunner().map(graph, values, **kwargs), 30))


def rag_graph(calls: Calls | None = None) -> Graph:
    """``retrieve(query, top_k=5) -> docs``, ``answer(docs) -> answer`` named ``rag``."""

    @node(output_name="docs")
    def retrieve(query, top_k=5):
        if calls is not None:
            calls.add((query, top_k))
        return [f"{query}{i}" for i in range(top_k)]

    @node(output_name="answer")
    def answer(docs):
        return len(docs)

    return Graph([retrieve, answer], name="rag")


@node(output_name="shout")
def shout(query):
    return query.upper()


@node(output_name="plain")
def plain(answer):
    return answer


def deep_graph(calls: Calls | None = None) -> Graph:
    """Three levels: outer > a > b, where b computes ``y = x * k``."""

    @node(output_name="y")
    def mul(x, k=1):
        if calls is not None:
            calls.add((x, k))
        return x * k

    b = Graph([mul], name="b").as_node()
    a = Graph([b], name="a").as_node()
    return Graph([a])


# --- addressing works -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize("key", ["rag.top_k", "rag/top_k"])
def test_address_a_nested_input(kind, key) -> None:
    r = run(kind, Graph([rag_graph().as_node()]), {"query": "q", key: 2})
    assert r.status is RunStatus.COMPLETED
    assert r["docs"] == ["q0", "q1"]
    assert r["answer"] == 2
    assert r["rag"]["docs"] == ["q0", "q1"]


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize("key", ["a.b.k", "a/b/k", "a/b.k", "a.b/k"])
def test_address_two_levels_down(kind, key) -> None:
    r = run(kind, deep_graph(), {"x": 3, key: 7})
    assert r["y"] == 21
    assert r["a"]["b"]["y"] == 21


@pytest.mark.parametrize("kind", RUNNERS)
def test_deep_address_wins_over_the_outer_value(kind) -> None:
    calls = Calls()
    r = run(kind, deep_graph(calls), {"x": 1, "a.b.x": 4, "a.k": 5})
    assert r["y"] == 20
    assert calls.items == [(4, 5)]


@pytest.mark.parametrize("kind", RUNNERS)
def test_address_a_required_input_two_levels_down(kind) -> None:
    r = run(kind, deep_graph(), {"a.b.x": 4, "a.k": 5})
    assert r["y"] == 20


@pytest.mark.parametrize("kind", RUNNERS)
def test_spec_example(kind) -> None:
    @node(output_name="cleaned")
    def clean(text):
        return text.strip().lower()

    @node(output_name=("words", "count"))
    def split(cleaned):
        words = cleaned.split()
        return words, len(words)

    @node(output_name="summary")
    def summarize(words):
        return " ".join(words)

    inner = Graph([clean, split], name="prep")
    outer = Graph([inner.as_node(), summarize])
    r = run(kind, outer, {"prep.text": "a b"})
    assert r["prep"].status is RunStatus.COMPLETED
    assert r["prep"]["count"] == r["count"] == 2


@pytest.mark.parametrize("kind", RUNNERS)
def test_graph_node_names_need_not_be_identifiers(kind) -> None:
    gn = rag_graph().as_node(name="my-rag")
    r = run(kind, Graph([gn]), {"query": "z", "my-rag.top_k": 1})
    assert r["docs"] == ["z0"]
    assert r["my-rag"]["answer"] == 1


@pytest.mark.parametrize("kind", RUNNERS)
def test_address_uses_inner_names_not_renamed_ports(kind) -> None:
    gn = rag_graph().as_node().with_inputs(top_k="k", query="question")
    r = run(kind, Graph([gn]), {"question": "q", "rag.top_k": 3, "k": 99})
    assert r["docs"] == ["q0", "q1", "q2"]
    with pytest.raises(UnknownInputError):
        run(kind, Graph([gn]), {"question": "q", "rag.k": 3})


# --- precedence and visibility (NEST-05 items 6, 7) ----------------------------------------------


@pytest.mark.parametrize("kind", RUNNERS)
def test_addressed_value_wins_over_the_parent_value(kind) -> None:
    calls = Calls()
    r = run(
        kind,
        Graph([rag_graph(calls).as_node()]),
        {"query": "q", "top_k": 9, "rag.top_k": 2, "rag.query": "inner"},
    )
    assert calls.items == [("inner", 2)]
    assert r["docs"] == ["inner0", "inner1"]


@pytest.mark.parametrize("kind", RUNNERS)
def test_addressed_value_wins_over_a_produced_parent_value(kind) -> None:
    @node(output_name="query")
    def make_query(seed):
        return f"made-{seed}"

    calls = Calls()
    outer = Graph([make_query, rag_graph(calls).as_node(), shout])
    r = run(kind, outer, {"seed": 1, "rag.query": "addressed"})
    assert calls.items == [("addressed", 5)]
    assert r["shout"] == "MADE-1"  # the parent's own consumer still sees the parent's value
    assert r["query"] == "made-1"


@pytest.mark.parametrize("kind", RUNNERS)
def test_addressed_values_do_not_enter_the_parent_state(kind) -> None:
    r = run(kind, Graph([rag_graph().as_node()]), {"query": "q", "rag.top_k": 2})
    assert set(r.values) == {"docs", "answer", "rag"}
    assert "rag.top_k" not in r
    assert "top_k" not in r
    with pytest.warns(UserWarning, match="Requested outputs not found") as caught:
        r = run(
            kind,
            Graph([rag_graph().as_node()]),
            {"query": "q", "top_k": 9, "rag.top_k": 2},
            select=["docs", "top_k", "rag.top_k", "rag/top_k"],
        )
    # the parent's own value for top_k is a provided input and can be selected; the address not
    assert r.values == {"docs": ["q0", "q1"], "top_k": 9}
    assert len([w for w in caught if "Requested outputs not found" in str(w.message)]) == 1


@pytest.mark.parametrize("kind", RUNNERS)
def test_outer_input_behind_an_address_counts_as_supplied(kind) -> None:
    r = run(kind, Graph([rag_graph().as_node()]), {"rag.query": "q"})
    assert r["docs"] == [f"q{i}" for i in range(5)]


@pytest.mark.parametrize("kind", RUNNERS)
def test_outer_input_behind_an_address_stays_required_for_other_consumers(kind) -> None:
    calls = Calls()
    outer = Graph([rag_graph(calls).as_node(), shout])
    with pytest.raises(MissingInputError) as info:
        run(kind, outer, {"rag.query": "q"})
    assert info.value.missing == ["query"]
    assert len(calls) == 0
    r = run(kind, outer, {"rag.query": "inner", "query": "outer"})
    assert r["shout"] == "OUTER"
    assert calls.items == [("inner", 5)]


@pytest.mark.parametrize("kind", RUNNERS)
def test_addressed_port_with_renamed_outer_input_counts_as_supplied(kind) -> None:
    gn = rag_graph().as_node().with_inputs(query="question")
    r = run(kind, Graph([gn]), {"rag.query": "q", "rag.top_k": 1})
    assert r["docs"] == ["q0"]


@pytest.mark.parametrize("kind", RUNNERS)
def test_address_of_an_internal_inner_name_bypasses_its_producer(kind) -> None:
    calls = Calls()
    with warnings.catch_warnings():
        # whether a nested bypass warns is not specified here; only the effect is
        warnings.simplefilter("ignore", UserWarning)
        r = run(kind, Graph([rag_graph(calls).as_node()]), {"query": "q", "rag.docs": ["d"]})
    assert r["answer"] == 1
    assert r["docs"] == ["d"]
    assert len(calls) == 0


# --- mapped GraphNodes (NEST-05 item 8) -----------------------------------------------------------


def mapped_graph(calls: Calls | None = None) -> Graph:
    @node(output_name="out")
    def combine(x, k=10):
        if calls is not None:
            calls.add((x, k))
        return x * k

    return Graph([Graph([combine], name="inner").as_node().map_over("x")])


@pytest.mark.parametrize("kind", RUNNERS)
def test_address_to_a_mapped_input_replaces_the_sequence(kind) -> None:
    r = run(kind, mapped_graph(), {"x": [1, 2, 3], "inner.x": [5, 6]})
    assert r["out"] == [50, 60]
    assert len(r["inner"]) == 2


@pytest.mark.parametrize("kind", RUNNERS)
def test_address_to_a_mapped_input_without_the_outer_value(kind) -> None:
    r = run(kind, mapped_graph(), {"inner/x": [7]})
    assert r["out"] == [70]


@pytest.mark.parametrize("kind", RUNNERS)
def test_address_to_an_unmapped_input_of_a_mapped_node_goes_to_every_item(kind) -> None:
    calls = Calls()
    shared = [3]

    @node(output_name="out")
    def combine(x, k):
        calls.add(k)
        return x * k[0]

    outer = Graph([Graph([combine], name="inner").as_node().map_over("x")])
    r = run(kind, outer, {"x": [1, 2], "k": [100], "inner.k": shared})
    assert r["out"] == [3, 6]
    assert len(calls) == 2
    assert all(k is shared for k in calls.items)


@pytest.mark.parametrize("kind", RUNNERS)
def test_address_below_a_mapped_node_reaches_every_item(kind) -> None:
    @node(output_name="y")
    def mul(x, k=1):
        return x * k

    b = Graph([mul], name="b").as_node()
    a = Graph([b], name="a").as_node().map_over("x")
    r = run(kind, Graph([a]), {"x": [1, 2], "a.b.k": 10})
    assert r["y"] == [10, 20]


@pytest.mark.parametrize("kind", RUNNERS)
def test_runner_map_passes_addresses_to_every_item(kind) -> None:
    seen = Calls()
    shared = {"n": 2}

    @node(output_name="docs")
    def retrieve(query, top_k):
        seen.add(top_k)
        return [query] * top_k["n"]

    outer = Graph([Graph([retrieve], name="rag").as_node()])
    results = run_map(
        kind, outer, {"query": ["a", "b", "c"], "rag.top_k": shared}, map_over="query"
    )
    assert [r["docs"] for r in results] == [["a", "a"], ["b", "b"], ["c", "c"]]
    assert len(seen) == 3
    assert all(s is shared for s in seen.items)


# --- validation (§6.5 step 4), before anything runs -----------------------------------------------


def outer_with_function_node(calls: Calls) -> Graph:
    @node(output_name="plain")
    def embed(answer):
        calls.add(answer)
        return answer

    return Graph([rag_graph(calls).as_node(), embed])


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize("error_handling", MODES)
@pytest.mark.parametrize("key", ["rag.", ".top_k", "rag..top_k", "rag//top_k", "rag./top_k", "/x"])
def test_malformed_address(kind, error_handling, key) -> None:
    calls = Calls()
    with pytest.raises(InvalidInputError) as info:
        run(
            kind,
            outer_with_function_node(calls),
            {"query": "q", key: 1},
            error_handling=error_handling,
        )
    assert not isinstance(info.value, UnknownInputError)
    assert repr(key) in str(info.value) or key in str(info.value)
    assert len(calls) == 0


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize(
    ("first", "second"),
    [("rag.top_k", "rag/top_k"), ("a.b.k", "a/b/k"), ("a/b.k", "a.b/k")],
)
def test_same_address_twice(kind, first, second) -> None:
    calls = Calls()
    graph = Graph([rag_graph(calls).as_node(), deep_graph(calls).nodes["a"]])
    with pytest.raises(InvalidInputError) as info:
        run(kind, graph, {"query": "q", "x": 1, first: 1, second: 2})
    text = str(info.value)
    assert first in text
    assert second in text
    assert len(calls) == 0


@pytest.mark.parametrize("kind", RUNNERS)
def test_unknown_head(kind) -> None:
    calls = Calls()
    with pytest.raises(UnknownInputError) as info:
        run(kind, outer_with_function_node(calls), {"query": "q", "rga.top_k": 1})
    text = str(info.value)
    assert "no graph node 'rga'" in text
    assert "Did you mean 'rag'?" in text
    assert "rga.top_k" in info.value.unknown
    assert len(calls) == 0


@pytest.mark.parametrize("kind", RUNNERS)
def test_unknown_head_deeper_down(kind) -> None:
    calls = Calls()
    with pytest.raises(UnknownInputError) as info:
        run(kind, deep_graph(calls), {"x": 1, "a.bb.k": 2})
    assert "no graph node 'bb'" in str(info.value)
    assert "Did you mean 'b'?" in str(info.value)
    assert len(calls) == 0


@pytest.mark.parametrize("kind", RUNNERS)
def test_head_that_is_not_a_graph_node(kind) -> None:
    calls = Calls()
    with pytest.raises(UnknownInputError) as info:
        run(kind, outer_with_function_node(calls), {"query": "q", "embed.answer": 1})
    assert "'embed' is not a graph node" in str(info.value)
    assert len(calls) == 0


@pytest.mark.parametrize("kind", RUNNERS)
def test_head_that_is_not_a_graph_node_deeper_down(kind) -> None:
    calls = Calls()
    with pytest.raises(UnknownInputError) as info:
        run(kind, deep_graph(calls), {"x": 1, "a.b.mul.k": 2})
    assert "'mul' is not a graph node" in str(info.value)
    assert len(calls) == 0


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize("key", ["rag.nope", "rag.top_kk"])
def test_unknown_inner_name_lists_the_inner_inputs(kind, key) -> None:
    calls = Calls()
    with pytest.raises(UnknownInputError) as info:
        run(kind, outer_with_function_node(calls), {"query": "q", key: 1})
    text = str(info.value)
    assert "'query'" in text
    assert "'top_k'" in text
    assert set(info.value.valid) >= {"query", "top_k"}
    assert len(calls) == 0


@pytest.mark.parametrize("kind", RUNNERS)
def test_unknown_inner_name_deeper_down(kind) -> None:
    calls = Calls()
    with pytest.raises(UnknownInputError) as info:
        run(kind, deep_graph(calls), {"x": 1, "a.b.kk": 2})
    assert "'k'" in str(info.value)
    assert "'x'" in str(info.value)
    assert len(calls) == 0


@pytest.mark.parametrize("kind", RUNNERS)
def test_address_errors_are_raised_before_map_items_run(kind) -> None:
    calls = Calls()
    with pytest.raises(UnknownInputError):
        run_map(
            kind,
            outer_with_function_node(calls),
            {"query": ["a", "b"], "rag.nope": 1},
            map_over="query",
        )
    assert len(calls) == 0


def test_addresses_cannot_be_bound() -> None:
    with pytest.raises(GraphConfigError):
        Graph([rag_graph().as_node()]).bind(**{"rag.top_k": 1})
