"""``runner.map`` and mapped GraphNodes on executors agree with the local runners.

Each test runs on every kind of executor (threads, a process pool, an in-process and a
process Dask cluster) under both runners: same values, statuses, order, error types and
notes as without an executor.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from executor_graphs import pipeline
from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import MapItemEndEvent, MapItemStartEvent, RunStatus
from support import hypergraph_notes


def runner_of(kind: str, **options: Any) -> Any:
    return SyncRunner(**options) if kind == "sync" else AsyncRunner(**options)


def call(runner: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    out = getattr(runner, method)(*args, **kwargs)
    return asyncio.run(out) if isinstance(runner, AsyncRunner) else out


def summary(results: Any) -> list[tuple[str, Any, str | None]]:
    return [(r.status.name, r.values, type(r.error).__name__ if r.error else None) for r in results]


@pytest.mark.parametrize("chunksize", ["auto", 7])
def test_map_matches_the_local_runner(executor: Any, runner_kind: str, chunksize: Any) -> None:
    graph = pipeline(fail_on=30)  # item 9: (9 + 1) * 3
    values = {"x": list(range(60)), "k": 3}
    local = call(runner_of(runner_kind), "map", graph, values, map_over="x")
    remote = call(
        runner_of(runner_kind, executor=executor, chunksize=chunksize),
        "map", graph, values, map_over="x",
    )  # fmt: skip
    assert summary(remote) == summary(local)
    assert remote.status is RunStatus.PARTIAL
    failed = remote[9]
    assert isinstance(failed.error, ValueError)
    assert str(failed.error) == "cannot label 30"
    (note,) = hypergraph_notes(failed.error)
    assert "node 'label' failed (map item 9" in note
    assert failed.failed_node == "label"
    assert [r.run_id for r in remote] == [r.run_id for r in remote if r.run_id]  # all set
    assert len({r.run_id for r in remote}) == 60


def test_product_mode_in_item_order(executor: Any, runner_kind: str) -> None:
    graph = pipeline()
    values = {"x": [1, 2, 3], "k": [10, 20]}
    remote = call(
        runner_of(runner_kind, executor=executor, chunksize=4),
        "map", graph, values, map_over=["x", "k"], map_mode="product",
    )  # fmt: skip
    assert remote["c"] == ["v20", "v40", "v30", "v60", "v40", "v80"]


def test_raise_mode_raises_the_lowest_failure(executor: Any, runner_kind: str) -> None:
    graph = pipeline(fail_on=30)
    runner = runner_of(runner_kind, executor=executor, chunksize=5)
    with pytest.raises(ValueError, match="cannot label 30") as info:
        call(runner, "map", graph, {"x": list(range(40)), "k": 3}, map_over="x",
             error_handling="raise")  # fmt: skip
    assert "map item 9" in hypergraph_notes(info.value)[0]


def test_empty_map(executor: Any, runner_kind: str) -> None:
    remote = call(runner_of(runner_kind, executor=executor), "map", pipeline(), {"x": [], "k": 1},
                  map_over="x")  # fmt: skip
    assert list(remote) == []


def test_mapped_graph_node_runs_on_the_executor(executor: Any, runner_kind: str) -> None:
    inner = pipeline(fail_on=None)

    @node(output_name="total")
    def total(c: list[str]) -> int:
        return sum(len(s) for s in c)

    outer = Graph([inner.as_node(name="inner").map_over("x"), total])
    runner = runner_of(runner_kind, executor=executor, chunksize=3)
    result = call(runner, "run", outer, {"x": list(range(10)), "k": 2})
    assert result.status is RunStatus.COMPLETED
    assert result["c"] == [f"v{(x + 1) * 2}" for x in range(10)]
    assert result["total"] == sum(len(f"v{(x + 1) * 2}") for x in range(10))


def test_mapped_graph_node_failure_names_the_item(executor: Any, runner_kind: str) -> None:
    outer = Graph([pipeline(fail_on=8).as_node(name="inner").map_over("x")])
    runner = runner_of(runner_kind, executor=executor, chunksize=2)
    result = call(runner, "run", outer, {"x": list(range(10)), "k": 2})
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, ValueError)
    assert result.failed_node == "inner[3].label"
    assert any("inner[3].label" in n for n in hypergraph_notes(result.error))


def test_sync_runner_maps_an_async_graph_node_on_the_executor(executor: Any) -> None:
    # A SyncRunner hands an async inner graph to an AsyncRunner; the items still run on the
    # executor (the workers drive them on an event loop), failures named as locally.
    @node(output_name="c")
    async def label(x: int, k: int) -> str:
        if x == 3:
            raise ValueError("cannot label 3")
        return f"v{x * k}"

    outer = Graph([Graph([label]).as_node(name="inner").map_over("x")])
    runner = SyncRunner(executor=executor, chunksize=2)
    assert runner.run(outer, {"x": [0, 1, 2], "k": 2})["c"] == ["v0", "v2", "v4"]
    result = runner.run(outer, {"x": list(range(6)), "k": 2})
    assert result.failed_node == "inner[3].label"
    assert isinstance(result.error, ValueError)
    assert any("inner[3].label" in n for n in hypergraph_notes(result.error))


class Items:
    def __init__(self) -> None:
        self.started: list[int] = []
        self.ended: list[tuple[int, str]] = []

    def on_event(self, event: Any) -> None:
        if isinstance(event, MapItemStartEvent):
            self.started.append(event.index)
        elif isinstance(event, MapItemEndEvent):
            self.ended.append((event.index, event.status))


def test_item_events_stream_back(executor: Any, runner_kind: str) -> None:
    items = Items()
    runner = runner_of(runner_kind, executor=executor, chunksize=4)
    call(runner, "map", pipeline(fail_on=30), {"x": list(range(20)), "k": 3}, map_over="x",
         event_processors=[items])  # fmt: skip
    assert sorted(items.started) == list(range(20))
    ended = dict(items.ended)
    assert len(ended) == 20
    assert ended[9] == "failed"
    assert all(s == "completed" for i, s in ended.items() if i != 9)


class Paths:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, int, int | str]] = []

    def on_event(self, event: Any) -> None:
        if isinstance(event, MapItemStartEvent):
            self.items.append(("start", event.path, event.index, event.total))
        elif isinstance(event, MapItemEndEvent):
            self.items.append(("end", event.path, event.index, event.status))


def test_mapped_graph_node_item_events_stream_back(executor: Any, runner_kind: str) -> None:
    # The items of a mapped GraphNode report as they do locally: same paths, indices, totals.
    outer = Graph([pipeline().as_node(name="inner").map_over("x")])
    local, remote = Paths(), Paths()
    values = {"x": list(range(6)), "k": 2}
    call(runner_of(runner_kind), "run", outer, values, event_processors=[local])
    runner = runner_of(runner_kind, executor=executor, chunksize=2)
    call(runner, "run", outer, values, event_processors=[remote])
    assert len(remote.items) == 12
    assert sorted(remote.items, key=str) == sorted(local.items, key=str)
    failing = Paths()
    outer = Graph([pipeline(fail_on=8).as_node(name="inner").map_over("x")])
    call(runner, "run", outer, values, event_processors=[failing])
    assert ("end", "inner", 3, "failed") in failing.items


def test_show_progress_advances_by_chunk(
    executor: Any, runner_kind: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    pytest.importorskip("rich")
    for variable in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(variable, raising=False)  # stderr is not a terminal: plain lines
    runner = runner_of(runner_kind, executor=executor, chunksize=5)
    results = call(runner, "map", pipeline(), {"x": list(range(20)), "k": 1}, map_over="x",
                   show_progress=True)  # fmt: skip
    assert results["c"] == [f"v{x + 1}" for x in range(20)]
    err = capsys.readouterr().err
    assert "[hypergraph] pipeline: started (20 items)" in err
    assert "pipeline: 20/20 items" in err and "(completed)" in err


def test_select_warning_comes_from_the_callers_line(executor: Any, runner_kind: str) -> None:
    runner = runner_of(runner_kind, executor=executor, chunksize=2)
    with pytest.warns(UserWarning, match="Requested outputs not found: 'nope'") as caught:
        results = call(runner, "map", pipeline(), {"x": [1, 2, 3], "k": 1}, map_over="x",
                       select=["c", "nope"])  # fmt: skip
    assert len(caught) == 1
    assert caught[0].filename == __file__
    assert results["c"] == ["v2", "v3", "v4"]
