"""``RichProgressProcessor``: plain lines on a non-terminal stream, bars on a rich terminal.

Skipped when rich (the ``progress`` extra) is not installed.
"""

from __future__ import annotations

import asyncio
import io
import re

import pytest

pytest.importorskip("rich")

from rich.console import Console

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, RichProgressProcessor, SyncRunner

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def leaf_graph() -> Graph:
    @node(output_name="y")
    def double(x: int) -> int:
        if x < 0:
            raise ValueError("negative")
        return 2 * x

    return Graph([double], name="leaf")


def outer_graph() -> Graph:
    """A graph whose GraphNode ``sub`` maps over ``x`` (3 items per call below)."""
    return Graph([leaf_graph().as_node(name="sub").map_over("x")], name="outer")


def plain(log_interval: float = 0) -> tuple[RichProgressProcessor, io.StringIO]:
    stream = io.StringIO()
    return RichProgressProcessor(stream=stream, log_interval=log_interval), stream


def test_map_on_a_non_terminal_stream_writes_plain_lines() -> None:
    progress, stream = plain()
    SyncRunner().map(leaf_graph(), {"x": [1, -1, 3]}, map_over="x", event_processors=[progress])
    lines = stream.getvalue().splitlines()
    assert "\x1b" not in stream.getvalue()
    assert lines[0] == "[hypergraph] leaf: started (3 items)"
    assert lines[1].startswith("[hypergraph] leaf: 1/3 items, ") and "ETA 0:00:0" in lines[1]
    assert lines[2].startswith("[hypergraph] leaf: 2/3 items, 1 failed · ")
    final = lines[-1]
    assert final.startswith("[hypergraph] leaf: 3/3 items, 1 failed · ")
    assert "items/s" in final and final.endswith("(failed)") and "finished in 0:00:00" in final


def test_nested_maps_are_indented_child_rows() -> None:
    progress, stream = plain()
    values = {"x": [[1, 2, 3], [4, 5, 6]]}
    SyncRunner().map(outer_graph(), values, map_over="x", event_processors=[progress])
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[hypergraph] outer: started (2 items)"
    final = lines[-2:]
    assert final[0].startswith("[hypergraph] outer: 2/2 items, ")
    # One row for every instance of the mapped GraphNode: 2 outer items x 3 inner items.
    assert final[1].startswith("[hypergraph]   sub: 6/6 items, ")
    assert any(line.startswith("[hypergraph]   sub: 3/6 items") for line in lines)


def test_doubly_nested_map_rows_use_star_for_item_indices() -> None:
    middle = Graph([outer_graph().as_node(name="mid").map_over("x")], name="top")
    progress, stream = plain()
    SyncRunner().run(middle, {"x": [[1, 2], [3]]}, event_processors=[progress])
    final = stream.getvalue().splitlines()[-3:]
    assert final[0].startswith("[hypergraph] top: ") and "nodes done" in final[0]
    assert final[1].startswith("[hypergraph]   mid: 2/2 items")
    assert final[2].startswith("[hypergraph]     mid[*].sub: 3/3 items")


def test_plain_lines_are_periodic() -> None:
    progress, stream = plain(log_interval=3600)
    SyncRunner().map(
        leaf_graph(), {"x": list(range(20))}, map_over="x", event_processors=[progress]
    )
    lines = stream.getvalue().splitlines()
    # The start line, then nothing until the final line: the run is over within an interval.
    assert len(lines) == 2
    assert lines[-1].startswith("[hypergraph] leaf: 20/20 items, ")


def test_a_single_run_counts_nodes() -> None:
    progress, stream = plain()
    SyncRunner().run(outer_graph(), {"x": [1, 2]}, event_processors=[progress])
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[hypergraph] outer: started"
    assert lines[-2].startswith("[hypergraph] outer: 3 nodes done, ")  # sub, sub[0].double, ...
    assert lines[-2].endswith("(completed)")


def test_one_processor_serves_several_calls() -> None:
    progress, stream = plain(log_interval=3600)
    runner = SyncRunner()
    runner.map(leaf_graph(), {"x": [1, 2]}, map_over="x", event_processors=[progress])
    runner.map(leaf_graph(), {"x": [1, 2, 3]}, map_over="x", event_processors=[progress])
    finals = [line for line in stream.getvalue().splitlines() if "finished in" in line]
    assert [f.split(",")[0] for f in finals] == [
        "[hypergraph] leaf: 2/2 items",
        "[hypergraph] leaf: 3/3 items",
    ]


def test_async_runner_with_progress() -> None:
    progress, stream = plain(log_interval=3600)
    values = {"x": [[1, 2], [3]]}
    asyncio.run(AsyncRunner().map(outer_graph(), values, map_over="x", event_processors=[progress]))
    final = stream.getvalue().splitlines()[-2:]
    assert final[0].startswith("[hypergraph] outer: 2/2 items")
    assert final[1].startswith("[hypergraph]   sub: 3/3 items")


def test_terminal_draws_bars_with_child_rows() -> None:
    console = Console(file=io.StringIO(), width=80, force_terminal=True)
    progress = RichProgressProcessor(console=console, refresh_interval=0)
    values = {"x": [[1, 2, 3], [4, 5, -6]]}  # a mapped GraphNode stops at a failed item
    SyncRunner().map(outer_graph(), values, map_over="x", event_processors=[progress])
    raw = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b[" in raw  # drawn as a live display, not as log lines
    assert "[hypergraph]" not in raw
    # The last frame, as a person sees it.
    frame = ANSI.sub("", raw).replace("\r", "\n").splitlines()
    last = [line for line in frame if line.strip()][-2:]
    assert last[0].startswith("outer") and "2/2" in last[0] and "1 failed" in last[0]
    assert last[1].startswith("  └ sub") and "6/6" in last[1] and "1 failed" in last[1]
    assert "━" in last[0]  # the bar
    assert all(len(line) <= 80 for line in frame)


def test_terminal_run_row_shows_the_current_node() -> None:
    console = Console(file=io.StringIO(), width=80, force_terminal=True)
    progress = RichProgressProcessor(console=console, refresh_interval=0)
    seen: list[str] = []

    @node(output_name="y")
    def first(x: int) -> int:
        seen.append(ANSI.sub("", console.file.getvalue()))  # type: ignore[attr-defined]
        return x

    SyncRunner().run(Graph([first], name="g"), {"x": 1}, event_processors=[progress])
    text = ANSI.sub("", console.file.getvalue())  # type: ignore[attr-defined]
    assert "1/?" in text or "1/" in text
    assert text.rstrip().splitlines()[-1].startswith("g ")
