"""Graphs the picture tests draw (importable as ``picture_graphs``): one per shape of graph.

Shared by the Mermaid golden files (tests/graph/test_mermaid.py) and the browser test
(tests/graph/test_visualize.py). Only ``hypergraph_graph`` is imported.
"""

from __future__ import annotations

from hypergraph_graph import END, Graph, ifelse, node, route

__all__ = ["GRAPHS"]


@node(output_name="cleaned")
def clean(text: str) -> str:
    return text.strip()


@node(output_name="n_words")
def count(cleaned: str) -> int:
    return len(cleaned.split())


@node(output_name="summary")
def summarise(cleaned: str, n_words: int, limit: int = 10) -> str:
    return cleaned[:limit] if n_words > limit else cleaned


def flat() -> Graph:
    return Graph([clean, count, summarise], name="flat")


@ifelse(when_true="shout", when_false=END)
def is_short(n_words: int) -> bool:
    return n_words < 3


@node(output_name="loud")
def shout(cleaned: str) -> str:
    return cleaned.upper()


@route(targets=["shout", "whisper", END], fallback="whisper")
def tone(loud: str) -> object:
    return None


@node(output_name="quiet")
def whisper(cleaned: str) -> str:
    return cleaned.lower()


def gated() -> Graph:
    return Graph([clean, count, is_short, shout, tone, whisper], name="gated")


@node(output_name="tokens")
def tokenize(text: str) -> list[str]:
    return text.split()


@node(output_name="report")
def report(summary: str, tokens: list[str]) -> str:
    return f"{summary} ({len(tokens)})"


def nested() -> Graph:
    inner = Graph([clean, count, summarise], name="summarize")
    return Graph([tokenize, inner.as_node(), report], name="nested")


@node(output_name="total")
def total(summary: list[str]) -> int:
    return len(summary)


def mapped() -> Graph:
    inner = Graph([clean, count, summarise], name="per_text")
    return Graph([inner.as_node().map_over("text"), total], name="mapped")


def renamed() -> Graph:
    inner = Graph([clean, count], name="words")
    words = inner.as_node(name="wc").with_inputs(text="raw").with_outputs(n_words="size")
    short = summarise.with_name("shorten").with_inputs(n_words="size").with_outputs(summary="short")
    return Graph([words, short], name="renamed")


@route(targets=["increment", END])
def check(count: int, limit: int = 3) -> object:
    return "increment" if count < limit else END


@node(output_name="count")
def increment(count: int) -> int:
    return count + 1


@node(output_name="history")
def remember(history: list[int], count: int) -> list[int]:
    return [*history, count]


def cyclic() -> Graph:
    return Graph([check, increment, remember], name="cyclic")


def empty() -> Graph:
    return Graph([], name="empty")


GRAPHS = {
    "empty": empty,
    "flat": flat,
    "gated": gated,
    "nested": nested,
    "mapped": mapped,
    "renamed": renamed,
    "cyclic": cyclic,
}
