"""Graphs without the agent-loop options hash as before them (issue 23: none of ``emit``,
``wait_for``, ``edges``, ``shared``, ``entrypoint`` given = the v1.3 wiring and hash).

The expected digests were computed on main before those options existed; the functions are
defined here, so their source (part of each node's hash) is fixed with this file.
"""

from __future__ import annotations

import pytest

from hypergraph_graph import END, Graph, ifelse, node, route


@node(output_name="cleaned")
def clean(text: str) -> str:
    return text.strip()


@node(output_name=("words", "count"))
def split(cleaned: str) -> tuple[list[str], int]:
    words = cleaned.split()
    return words, len(words)


@node(output_name="count")
def increment(count: int) -> int:
    return count + 1


@route(targets=["increment", END])
def check(count: int) -> object:
    return "increment" if count < 3 else END


@ifelse("shout", END)
def loud(cleaned: str) -> bool:
    return cleaned.isupper()


@node(output_name="shouted")
def shout(cleaned: str) -> str:
    return cleaned + "!"


def chain() -> Graph:
    return Graph([clean, split])


def gate_loop() -> Graph:
    return Graph([check, increment])


def nested() -> Graph:
    inner = Graph([clean, split], name="inner")
    return Graph([inner.as_node().rename_inputs(text="raw"), loud, shout])


def mapped() -> Graph:
    inner = Graph([clean, split], name="inner")
    return Graph([inner.as_node().map_over("text")], name="outer")


EXPECTED = {
    "chain": (chain, "19c43c6350700c72f53ea956d593ec2677d040c5cdb156dee7a34c8f8e254214"),
    "gate_loop": (gate_loop, "60072f6996bb5c91e2bb4a92a7114e0f67fe24b161eb770215660f08a9ec211c"),
    "nested": (nested, "33da0816621fd0eb3ceaafd4cab49c82e8576ea7ac781f191b03d358a878b841"),
    "mapped": (mapped, "33deb2094bc0b92085f4fa55d6990f158601d8a93e4bb31dfb1d498098ca5109"),
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_definition_hash_of_graphs_without_the_new_options_is_unchanged(case: str) -> None:
    build, digest = EXPECTED[case]
    assert build().definition_hash == digest
