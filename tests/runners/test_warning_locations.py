"""Every warning Hypergraph emits points at the user's line (issue 13 case 15).

Under SyncRunner that is the ``runner.run(...)`` / ``runner.map(...)`` line; under AsyncRunner
the ``await runner.run(...)`` line, also when the warning comes from a map item running in a
worker task or from a processor called in a worker thread; for ``iter`` the ``async for`` line.
Graph-building warnings: tests/graph/test_warning_locations.py.
"""

from __future__ import annotations

import asyncio
import sys
import warnings
from typing import Any

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, EventProcessor, SyncRunner
from hypergraph_types import AnyEvent, NodeStartEvent


def here() -> int:
    """The line number of the caller."""
    return sys._getframe(1).f_lineno


def call(kind: str, method: str, graph: Graph, values: dict[str, Any], **kw: Any) -> int:
    """Run ``runner.<method>(...)`` on one line of this file; return that line."""
    if kind == "sync":
        line = here() + 1
        getattr(SyncRunner(), method)(graph, values, **kw)
        return line

    async def main() -> int:
        line = here() + 1
        await getattr(AsyncRunner(), method)(graph, values, **kw)
        return line

    return asyncio.run(main())


def iterate(graph: Graph, values: dict[str, Any], **kw: Any) -> int:
    async def main() -> int:
        line = here() + 1
        async for _ in AsyncRunner().iter(graph, values, **kw):
            pass
        return line

    return asyncio.run(main())


def check(record: Any, line: int, n: int = 1) -> None:
    assert len(record) >= n
    assert [(w.filename, w.lineno) for w in record] == [(__file__, line)] * len(record)


@node(output_name="y")
def double(x: int) -> int:
    return 2 * x


@node(output_name="z")
def inc(y: int) -> int:
    return y + 1


def chain() -> Graph:
    return Graph([double, inc])


class Broken(EventProcessor):
    def on_event(self, event: AnyEvent) -> None:
        if isinstance(event, NodeStartEvent):
            raise RuntimeError("processor bug")


# -- select -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["run", "map"])
def test_select_warning_points_at_the_call(runner_kind: str, method: str) -> None:
    values: dict[str, Any] = {"x": [1, 2, 3, 4]} if method == "map" else {"x": 1}
    extra = {"map_over": "x"} if method == "map" else {}
    with pytest.warns(UserWarning, match="Requested outputs not found") as record:
        line = call(runner_kind, method, chain(), values, select=["nope"], **extra)
    check(record, line)


def test_select_warning_of_iter_points_at_the_async_for() -> None:
    with pytest.warns(UserWarning, match="Requested outputs not found") as record:
        line = iterate(chain(), {"x": 1}, select=["nope"])
    check(record, line)


def test_select_warning_of_a_coroutine_given_to_asyncio_run_points_at_asyncio_run() -> None:
    with pytest.warns(UserWarning, match="Requested outputs not found") as record:
        line = here() + 1
        asyncio.run(AsyncRunner().run(chain(), {"x": 1}, select=["nope"]))
    check(record, line)


# -- bypass -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["run", "map"])
def test_bypass_warning_points_at_the_call(runner_kind: str, method: str) -> None:
    values: dict[str, Any] = {"y": [1, 2]} if method == "map" else {"y": 1}
    extra = {"map_over": "y"} if method == "map" else {}
    with pytest.warns(UserWarning, match="internal names") as record:
        line = call(runner_kind, method, chain(), values, **extra)
    check(record, line)


def test_bypass_warning_of_iter_points_at_the_async_for() -> None:
    with pytest.warns(UserWarning, match="internal names") as record:
        line = iterate(chain(), {"y": 1})
    check(record, line)


# -- raising event processors -----------------------------------------------------------------


@pytest.mark.parametrize("method", ["run", "map"])
def test_processor_warning_points_at_the_call(runner_kind: str, method: str) -> None:
    values: dict[str, Any] = {"x": [1, 2, 3]} if method == "map" else {"x": 1}
    extra = {"map_over": "x"} if method == "map" else {}
    with pytest.warns(RuntimeWarning, match="processor bug") as record:
        line = call(runner_kind, method, chain(), values, event_processors=[Broken()], **extra)
    check(record, line, n=2)


def test_processor_warning_from_a_worker_threads_sync_subtree() -> None:
    """AsyncRunner runs a SyncRunner subtree in a worker thread: its events come from there."""
    graph = Graph([chain().as_node(name="inner", runner=SyncRunner())])
    with pytest.warns(RuntimeWarning, match="processor bug") as record:
        line = call("async", "run", graph, {"x": 1}, event_processors=[Broken()])
    check(record, line, n=3)


@pytest.mark.parametrize("in_loop", [False, True])
def test_processor_warning_from_a_private_loops_async_subtree(in_loop: bool) -> None:
    """SyncRunner runs an async subtree on a private loop (in a helper thread when a loop
    already runs here, as in Jupyter)."""

    @node(output_name="w")
    async def later(z: int) -> int:
        return z

    graph = Graph([Graph([double, inc, later], name="inner").as_node()])

    async def in_a_loop() -> int:
        line = here() + 1
        SyncRunner().run(graph, {"x": 1}, event_processors=[Broken()])
        return line

    with pytest.warns(RuntimeWarning, match="processor bug") as record:
        if in_loop:
            line = asyncio.run(in_a_loop())
        else:
            line = call("sync", "run", graph, {"x": 1}, event_processors=[Broken()])
    check(record, line, n=4)


def test_processor_warning_of_iter_points_at_the_async_for() -> None:
    with pytest.warns(RuntimeWarning, match="processor bug") as record:
        line = iterate(chain(), {"x": 1}, event_processors=[Broken()])
    check(record, line, n=2)


def test_warnings_are_errors_where_the_user_asks() -> None:
    """A ``module`` filter matches the user's module, as for ``warnings.warn``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.filterwarnings("error", module=__name__.replace(".", r"\."))
        with pytest.raises(UserWarning, match="Requested outputs not found"):
            SyncRunner().run(chain(), {"x": 1}, select=["nope"])
