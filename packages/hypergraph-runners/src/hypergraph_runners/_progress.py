"""``RichProgressProcessor``: progress bars for runs and maps, or plain log lines (issue 8).

rich is an optional dependency (``pip install 'hypergraph-runtime[progress]'``) imported only
when a processor is made, so this module imports without it.

Rows: one for the top-level call (a map's items, or a run's finished nodes), then one per map
position inside it, indented under the row that contains it. A mapped GraphNode that runs once
per item of an outer map is one row (``rag[*].chunk``), whose total grows as each of its map
instances starts, so 10,000 outer items never make 10,000 bars.
"""

from __future__ import annotations

import math
import re
import sys
import time
from typing import Any, TextIO

from hypergraph_types import (
    AnyEvent,
    MapItemEndEvent,
    MapItemStartEvent,
    NodeEndEvent,
    NodeErrorEvent,
    NodeStartEvent,
    RunEndEvent,
    RunStartEvent,
)

from ._events import EventProcessor

__all__ = ["RichProgressProcessor"]

_INDEX = re.compile(r"\[\d+\]")
_EXTRA = "pip install 'hypergraph-runtime[progress]' (or 'hypergraph-runners[progress]')"


class _Row:
    """Counts for one bar: a map position (items) or the top-level run (nodes)."""

    __slots__ = (
        "current",
        "depth",
        "done",
        "failed",
        "label",
        "started",
        "status",
        "task",
        "total",
        "unit",
    )

    def __init__(self, label: str, depth: int, unit: str, total: int | None, started: float):
        self.label = label
        self.depth = depth
        self.unit = unit
        self.total = total
        self.done = 0
        self.failed = 0
        self.started = started
        self.status = ""  # the final status of the top-level call, once known
        self.current = ""  # the top-level run's latest node, while it runs
        self.task: Any = None  # the rich task id, in terminal mode


class RichProgressProcessor(EventProcessor):
    """Shows one progress bar per map (items done / failed, rate, ETA); nested maps as child rows.

    On a terminal the bars are drawn with rich; otherwise (a log file, CI) the processor writes
    one plain line per row every ``log_interval`` seconds, and a final line per row at the end.
    ``show_progress=True`` on ``run()`` / ``map()`` adds one with the defaults. A processor
    shows one call at a time; it may be reused for later calls.

    Args:
        console: A ``rich.console.Console`` to draw on. Default: one writing to ``stream``.
        stream: Where to write when no console is given. Default: ``sys.stderr``.
        log_interval: Seconds between plain log lines (non-terminal output only).
        refresh_interval: Seconds between redraws of the bars (terminal only).

    Raises:
        ImportError: rich is not installed (the ``progress`` extra).

    Example:
        >>> import io
        >>> progress = RichProgressProcessor(stream=io.StringIO(), log_interval=60)
    """

    def __init__(
        self,
        *,
        console: Any = None,
        stream: TextIO | None = None,
        log_interval: float = 10.0,
        refresh_interval: float = 0.1,
    ) -> None:
        try:
            from rich.console import Console
        except ImportError as exc:
            raise ImportError(
                "RichProgressProcessor (show_progress=True) needs the 'rich' package, which is "
                f"not installed. How to fix: {_EXTRA}"
            ) from exc
        self._console = console if console is not None else Console(file=stream or sys.stderr)
        self._live = bool(self._console.is_terminal)
        self._log_interval = log_interval
        self._refresh_interval = refresh_interval
        self._reset()

    def _reset(self) -> None:
        self._rows: dict[str, _Row] = {}  # by map position ("" for the top-level row)
        self._maps: dict[str, _Row] = {}  # open map instances: their span id -> their row
        self._root_span: str | None = None
        self._nodes: _Row | None = None  # the top-level row when it counts nodes (a run)
        self._progress: Any = None
        self._last_output = -math.inf  # bars: the first change is drawn at once

    # -- events ----------------------------------------------------------------------------

    def on_event(self, event: AnyEvent) -> None:
        # Most events are node events: test for them first, by exact type (cheapest).
        kind = type(event)
        if kind is NodeEndEvent or kind is NodeErrorEvent:
            assert isinstance(event, NodeEndEvent | NodeErrorEvent)
            if self._maps:
                self._maps.pop(event.span_id, None)  # a mapped GraphNode's instance is over
            nodes = self._nodes
            if nodes is not None and event.status == "completed":
                nodes.done += 1
                self._changed(event.timestamp)
        elif kind is NodeStartEvent:
            assert isinstance(event, NodeStartEvent)
            if self._nodes is not None:
                self._nodes.current = event.path
        elif kind is MapItemEndEvent:
            assert isinstance(event, MapItemEndEvent)
            row = self._maps.get(event.parent_span_id or "")
            if row is not None:
                if event.status == "completed":
                    row.done += 1
                elif event.status == "failed":
                    row.failed += 1
                self._changed(event.timestamp)
        elif kind is MapItemStartEvent:
            assert isinstance(event, MapItemStartEvent)
            if event.parent_span_id is not None and event.parent_span_id not in self._maps:
                self._map_instance(event)
        elif kind is RunStartEvent:
            assert isinstance(event, RunStartEvent)
            if event.parent_span_id is None:
                self._start(event)
        elif kind is RunEndEvent and event.span_id == self._root_span:
            assert isinstance(event, RunEndEvent)
            root = self._rows[""]
            root.status = event.status
            root.current = ""

    def _start(self, event: RunStartEvent) -> None:
        self._reset()
        self._root_span = event.span_id
        name = event.graph_name or ("map" if event.map_size is not None else "run")
        if event.map_size is not None:
            row = _Row(name, 0, "items", event.map_size, event.timestamp)
            self._maps[event.span_id] = row
        else:
            row = self._nodes = _Row(name, 0, "nodes", None, event.timestamp)
        self._add(row, "")
        if self._live:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}", markup=False),
                console=self._console,
                auto_refresh=False,  # redrawn from events: no refresh thread
            )
            self._progress.start()
            for r in self._rows.values():
                self._add_task(r)
        else:
            total = f" ({event.map_size} items)" if event.map_size is not None else ""
            self._write(f"[hypergraph] {name}: started{total}")
            self._last_output = time.monotonic()  # log lines: the first one an interval later

    def _map_instance(self, event: MapItemStartEvent) -> None:
        position = _INDEX.sub("[*]", event.path)
        row = self._rows.get(position)
        if row is None:
            row = _Row(position, 1 + position.count("[*]"), "items", 0, event.timestamp)
            self._add(row, position)
        row.total = (row.total or 0) + event.total
        assert event.parent_span_id is not None
        self._maps[event.parent_span_id] = row
        self._changed(event.timestamp)

    def _add(self, row: _Row, position: str) -> None:
        self._rows[position] = row
        if self._progress is not None:
            self._add_task(row)

    def _add_task(self, row: _Row) -> None:
        row.task = self._progress.add_task(_describe(row), total=row.total, stats="")

    # -- output ----------------------------------------------------------------------------

    def _changed(self, now: float) -> None:
        wall = time.monotonic()
        if self._progress is not None:
            if wall - self._last_output >= self._refresh_interval:
                self._last_output = wall
                self._draw(now)
        elif wall - self._last_output >= self._log_interval:
            self._last_output = wall
            for row in self._rows.values():
                self._write(_line(row, now, final=False))

    def _draw(self, now: float) -> None:
        for row in self._rows.values():
            self._progress.update(
                row.task,
                total=row.total,
                completed=row.done + row.failed,
                description=_describe(row),
                stats=_stats(row, now),
            )
        self._progress.refresh()

    def _write(self, line: str) -> None:
        file = self._console.file
        file.write(line + "\n")
        file.flush()

    def close(self) -> None:
        """Draw the final state: stop the bars, or write one last line per row."""
        now = time.monotonic()
        if self._progress is not None:
            self._draw(now)
            self._progress.stop()
        else:
            for row in self._rows.values():
                self._write(_line(row, now, final=True))
        self._reset()


def _describe(row: _Row) -> str:
    indent = "  " * row.depth + ("└ " if row.depth else "")
    return indent + row.label + (f" · {row.current}" if row.current else "")


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _stats(row: _Row, now: float) -> str:
    finished = row.done + row.failed
    elapsed = max(now - row.started, 1e-9)
    parts = [f"{row.failed} failed"] if row.failed else []
    rate = finished / elapsed
    parts.append(f"{rate:.1f} {row.unit}/s")
    if row.total and finished < row.total and rate > 0:
        parts.append(f"ETA {_clock((row.total - finished) / rate)}")
    return " · ".join(parts)


def _line(row: _Row, now: float, final: bool) -> str:
    if row.total is not None:
        count = f"{row.done + row.failed}/{row.total} {row.unit}"
    else:
        count = f"{row.done} {row.unit} done"
    text = f"[hypergraph] {'  ' * row.depth}{row.label}: {count}, {_stats(row, now)}"
    if final:
        status = f" ({row.status})" if row.status else ""
        text += f", finished in {_clock(now - row.started)}{status}"
    return text
