"""``Graph.to_mermaid()``: golden files per shape of graph, the diagram object, the options.

The golden files under ``tests/graph/golden/`` are the expected text; after an intended change
of the format, regenerate them with ``HYPERGRAPH_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hypergraph_graph import END, Graph, MermaidDiagram, ifelse, node
from picture_graphs import GRAPHS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("HYPERGRAPH_UPDATE_GOLDEN") == "1"

CASES = {
    "flat": ("flat", {}),
    "gated": ("gated", {}),
    "nested_collapsed": ("nested", {}),
    "nested_expanded": ("nested", {"depth": 1}),
    "mapped": ("mapped", {}),
    "mapped_expanded": ("mapped", {"depth": 1}),
    "renamed": ("renamed", {}),
    "renamed_expanded": ("renamed", {"depth": 1}),
    "cyclic": ("cyclic", {}),
    "flat_separate_outputs_lr": ("flat", {"separate_outputs": True, "direction": "LR"}),
    "flat_unsimplified_untyped": ("flat", {"simplify": False, "show_types": False}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_golden_file(case: str) -> None:
    graph_name, options = CASES[case]
    text = str(GRAPHS[graph_name]().to_mermaid(**options))
    path = GOLDEN / f"{case}.mmd"
    if UPDATE:
        path.write_text(text + "\n", encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}; run with HYPERGRAPH_UPDATE_GOLDEN=1"
    assert text + "\n" == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("graph_name", sorted(GRAPHS))
def test_output_is_deterministic(graph_name: str) -> None:
    first = GRAPHS[graph_name]().to_mermaid(depth=2)
    assert GRAPHS[graph_name]().to_mermaid(depth=2) == first


def test_sections_come_in_order() -> None:
    lines = str(GRAPHS["gated"]().to_mermaid()).splitlines()
    assert lines[0] == "flowchart TD"
    marks = [lines.index(f"    %% {s}") for s in ("Inputs", "Nodes", "Edges", "Styling")]
    assert marks == sorted(marks)


def test_diagram_object() -> None:
    diagram = GRAPHS["flat"]().to_mermaid()
    assert isinstance(diagram, MermaidDiagram)
    assert str(diagram) == diagram.source
    assert diagram.startswith("flowchart TD")
    assert "clean --> count" in diagram
    assert "clean --> summarise" not in diagram
    assert (
        repr(diagram)
        == f"<MermaidDiagram 'flowchart TD', {len(diagram.source.splitlines())} lines>"
    )
    bundle = diagram._repr_mimebundle_()
    assert bundle == {"text/vnd.mermaid": diagram.source, "text/plain": diagram.source}


def test_rule_is_as_long_as_the_longest_line() -> None:
    text = str(GRAPHS["flat"]().to_mermaid())
    assert 'summarise["summarise<br/>------------<br/>summary: str"]' in text
    assert 'count["count<br/>-------<br/>n_words"]' in str(
        GRAPHS["flat"]().to_mermaid(show_types=False)
    )


def test_simplify_keeps_control_cycle_and_gated_edges() -> None:
    @node(output_name="a")
    def first(x: int) -> int:
        return x

    @ifelse(when_true="second", when_false=END)
    def gate(a: int) -> bool:
        return True

    @node(output_name="b")
    def second(a: int) -> int:
        return a

    @node(output_name="c")
    def third(a: int, b: int) -> int:
        return a + b

    # first -> third is "implied" by first -> second -> third only if second always runs.
    text = str(Graph([first, gate, second, third]).to_mermaid())
    assert "first --> third" in text
    assert "gate -.->|True| second" in text
    assert "gate -.->|False| __end__" in text
    cyclic = str(GRAPHS["cyclic"]().to_mermaid())
    assert "increment --> increment" in cyclic
    assert "increment --> check" in cyclic


def test_collapsed_nested_graph_is_one_node_and_expanded_a_subgraph() -> None:
    collapsed = str(GRAPHS["nested"]().to_mermaid())
    assert 'summarize[["summarize<br/>' in collapsed
    assert "subgraph" not in collapsed
    expanded = str(GRAPHS["nested"]().to_mermaid(depth=1))
    assert 'subgraph summarize ["summarize"]' in expanded
    assert "input_text --> summarize__clean" in expanded


def test_two_levels_open_one_at_a_time() -> None:
    outer = Graph([GRAPHS["nested"]().as_node(name="inner")], name="outer")
    assert "subgraph" not in str(outer.to_mermaid(depth=0))
    one = str(outer.to_mermaid(depth=1))
    assert 'subgraph inner ["inner"]' in one and "inner__summarize[[" in one
    two = str(outer.to_mermaid(depth=2))
    assert 'subgraph inner__summarize ["summarize"]' in two
    assert "inner__summarize__clean --> inner__summarize__count" in two


def test_mermaid_keywords_are_not_used_as_ids() -> None:
    @node(output_name="y")
    def end(x: int) -> int:
        return x

    text = str(Graph([end]).to_mermaid())
    assert 'node_end["end<br/>' in text
    assert "input_x --> node_end" in text


def test_colors_override_a_class() -> None:
    text = str(GRAPHS["gated"]().to_mermaid(colors={"end": "fill:#000", "branch": "fill:#f00"}))
    assert "classDef endNode fill:#000" in text
    assert "classDef branch fill:#f00" in text
    assert "classDef function fill:#E8F0FE" in text


@pytest.mark.parametrize(
    ("options", "error", "fragments"),
    [
        pytest.param(
            {"depth": -1}, ValueError, ["depth must be an int >= 0", "How to fix"], id="depth"
        ),
        pytest.param(
            {"direction": "LRR"}, ValueError, ["'LRR'", "'LR'", "How to fix"], id="direction"
        ),
        pytest.param(
            {"colors": {"fuction": "x"}}, ValueError, ["'fuction'", "'function'"], id="colors"
        ),
        pytest.param(
            {"colors": ["function"]}, TypeError, ["colors must be a mapping"], id="colors-type"
        ),
    ],
)
def test_bad_options(
    options: dict[str, object], error: type[Exception], fragments: list[str]
) -> None:
    with pytest.raises(error) as info:
        GRAPHS["flat"]().to_mermaid(**options)  # type: ignore[arg-type]
    for fragment in fragments:
        assert fragment in str(info.value)


def test_empty_graph_has_every_section() -> None:
    lines = str(Graph([]).to_mermaid()).splitlines()
    assert lines[:5] == [
        "flowchart TD",
        "    %% Inputs",
        "    %% Nodes",
        "    %% Edges",
        "    %% Styling",
    ]
    assert not any(line.startswith("    class ") for line in lines)
