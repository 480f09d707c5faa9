"""``def`` nodes under AsyncRunner: one thread trip per run of sync work, not one per node.

A chain of ``def`` nodes runs in the thread its first node went to; the items of a map over a
graph of ``def`` nodes run whole in worker threads, chunks of them per trip. These tests count
trips (never time) and check that failures, fan-outs, cancellation and limits behave as when
every node made its own trip.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from hypergraph_graph import END, FunctionNode, Graph, node, route
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import RunStatus
from support import Calls


def chain(n: int, fail_at: int | None = None, log: Calls | None = None) -> Graph:
    def make(i: int) -> FunctionNode:
        def body(v: int) -> int:
            if log is not None:
                log.add((i, threading.current_thread().name))
            if i == fail_at:
                raise ValueError(f"node {i}")
            return v + 1

        return FunctionNode(body, name=f"f{i}", output_name=f"x{i + 1}").with_inputs(v=f"x{i}")

    return Graph([make(i) for i in range(n)])


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every loop-to-thread trip the AsyncRunner makes (the function sent to the thread), from
    every module that makes them: the driver, the fan-out's chunks, ``in_thread_limited``."""
    import hypergraph_runners._async as async_module
    import hypergraph_runners._fanout as fanout_module
    import hypergraph_runners._tasks as tasks_module

    sent: list[Any] = []
    real = tasks_module.in_thread

    async def counting(ctx: Any, fn: Any, *args: Any) -> Any:
        sent.append(fn)
        return await real(ctx, fn, *args)

    for module in (async_module, fanout_module, tasks_module):
        if hasattr(module, "in_thread"):
            monkeypatch.setattr(module, "in_thread", counting)
    return sent


@pytest.mark.parametrize("n", [1, 10, 200])
def test_a_chain_of_def_nodes_is_one_trip(trips: list[Any], n: int) -> None:
    log = Calls()
    r = asyncio.run(AsyncRunner().run(chain(n, log=log), {"x0": 0}))
    assert r[f"x{n}"] == n
    assert len(trips) == 1
    assert len({name for _, name in log.items}) == 1  # every node ran in the same thread


def test_a_failure_inside_a_chain_is_the_runs_failure(trips: list[Any]) -> None:
    graph = chain(6, fail_at=3)
    r = asyncio.run(AsyncRunner().run(graph, {"x0": 0}))
    reference = SyncRunner().run(graph, {"x0": 0})
    assert r.status is reference.status is RunStatus.FAILED
    assert r.failed_node == reference.failed_node == "f3"
    assert r.values == reference.values == {"x1": 1, "x2": 2, "x3": 3}
    assert str(r.error) == "node 3"
    assert len(trips) == 1
    with pytest.raises(ValueError, match="node 3"):
        asyncio.run(AsyncRunner().run(graph, {"x0": 0}, error_handling="raise"))


def test_a_fan_out_returns_to_the_loop_so_branches_run_concurrently(trips: list[Any]) -> None:
    barrier = threading.Barrier(2, timeout=5)

    @node(output_name="a")
    def start(x: int) -> int:
        return x

    @node(output_name="b")
    def left(a: int) -> int:
        barrier.wait()  # only passes if right runs at the same time
        return a + 1

    @node(output_name="c")
    def right(a: int) -> int:
        barrier.wait()
        return a + 2

    @node(output_name="d")
    def join(b: int, c: int) -> int:
        return b + c

    r = asyncio.run(AsyncRunner().run(Graph([start, left, right, join]), {"x": 1}))
    assert r["d"] == 5
    # start (1 trip), left and right (1 each); join follows the branch that finished last
    # if the loop had applied the other one by then, else it is a trip of its own.
    assert 3 <= len(trips) <= 4


def test_async_nodes_and_nested_graphs_still_go_through_the_loop(trips: list[Any]) -> None:
    @node(output_name="a")
    def one(x: int) -> int:
        return x + 1

    @node(output_name="b")
    async def two(a: int) -> int:
        return a * 2

    @node(output_name="c")
    def three(b: int) -> int:
        return b + 1

    inner = Graph([three], name="inner").as_node()

    @node(output_name="d")
    def four(c: int) -> int:
        return c * 10

    r = asyncio.run(AsyncRunner().run(Graph([one, two, inner, four]), {"x": 1}))
    assert r["d"] == 50
    assert len(trips) == 3  # one, three (inside the nested run), four


class Held:
    """A node body waits here: ``hold()`` signals ``entered`` and waits for ``release``."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def hold(self) -> None:
        self.entered.set()
        self.release.wait(10)


def cancel_while_held(graph: Graph, values: dict[str, Any], held: Held) -> None:
    """Start a run, cancel it while a node is held in its thread, then let that node finish:
    the run must raise ``CancelledError`` (what ran is left in the caller's log)."""

    async def main() -> None:
        task = asyncio.create_task(AsyncRunner().run(graph, values))
        await asyncio.to_thread(held.entered.wait, 10)
        task.cancel()
        await asyncio.sleep(0.05)
        held.release.set()  # the held node finishes; nothing after it may start
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_a_cancelled_chain_stops_at_the_next_node_boundary() -> None:
    held = Held()
    log = Calls()

    @node(output_name="a")
    def first(x: int) -> int:
        log.add("first")
        held.hold()
        return x

    @node(output_name="b")
    def second(a: int) -> int:
        log.add("second")
        return a

    cancel_while_held(Graph([first, second]), {"x": 1}, held)
    assert log.items == ["first"]  # first finished; the chain did not go on to second


def test_events_keep_one_node_per_trip_and_their_order(trips: list[Any]) -> None:
    from hypergraph_runners import EventProcessor

    seen: list[str] = []

    class Names(EventProcessor):
        def on_event(self, event: Any) -> None:
            name = getattr(event, "node_name", None)
            if name is not None:
                seen.append(f"{type(event).__name__}:{name}")

    r = asyncio.run(AsyncRunner().run(chain(3), {"x0": 0}, event_processors=[Names()]))
    assert r["x3"] == 3
    starts_and_ends = [s for s in seen if s.startswith(("NodeStart", "NodeEnd"))]
    assert starts_and_ends == [
        f"{kind}Event:f{i}" for i in range(3) for kind in ("NodeStart", "NodeEnd")
    ]
    assert len(trips) == 3


# --- map -----------------------------------------------------------------------------------------


@node(output_name="a")
def add(x: int) -> int:
    return x + 1


@node(output_name="b")
def double(a: int) -> int:
    if a == 13:
        raise ValueError("thirteen")
    return a * 2


def test_map_items_of_def_nodes_run_whole_in_few_trips(trips: list[Any]) -> None:
    graph = Graph([add, double])
    n = 500
    results = asyncio.run(AsyncRunner().map(graph, {"x": list(range(n))}, map_over="x"))
    reference = SyncRunner().map(graph, {"x": list(range(n))}, map_over="x")
    assert [r.status for r in results] == [r.status for r in reference]
    assert [r.values for r in results] == [r.values for r in reference]
    assert [r.failed_node for r in results] == [r.failed_node for r in reference]
    assert results[12].status is RunStatus.FAILED
    assert 1 <= len(trips) < n  # at most one per item; chunks make it fewer


def test_map_raise_mode_stops_at_the_first_failed_item(trips: list[Any]) -> None:
    graph = Graph([add, double])
    with pytest.raises(ValueError, match="thirteen"):
        asyncio.run(
            AsyncRunner().map(graph, {"x": list(range(200))}, map_over="x", error_handling="raise")
        )


@pytest.mark.parametrize("limit", [1, 3])
def test_mapped_graph_node_of_def_nodes_runs_whole_items(trips: list[Any], limit: int) -> None:
    inner = Graph([add], name="inner").as_node().map_over("x")

    @node(output_name="total")
    def total(a: list[int]) -> int:
        return sum(a)

    n = 300
    r = asyncio.run(
        AsyncRunner().run(Graph([inner, total]), {"x": list(range(n))}, max_concurrency=limit)
    )
    assert r["total"] == sum(range(1, n + 1))
    assert len(r["inner"]) == n
    assert 1 <= len(trips) < n


# --- supersteps: cycles, gates, checkpointed runs ------------------------------------------------


def counter_loop(log: Calls | None = None, fail_at: int | None = None) -> Graph:
    """A loop of ``def`` nodes closed by a route gate: one node per superstep."""

    @node(output_name="count")
    def step(count: int) -> int:
        if log is not None:
            log.add((count, threading.current_thread().name))
        if count == fail_at:
            raise ValueError(f"count {count}")
        return count + 1

    @route(targets=["step", END])
    def again(count: int, limit: int) -> str:
        return "step" if count < limit else END

    return Graph([step, again])


@pytest.mark.parametrize("limit", [None, 1, 2])
def test_a_loop_of_def_supersteps_is_one_trip(trips: list[Any], limit: int | None) -> None:
    log = Calls()
    reference = SyncRunner().run(counter_loop(), {"count": 0, "limit": 50})
    graph = counter_loop(log)
    r = asyncio.run(AsyncRunner().run(graph, {"count": 0, "limit": 50}, max_concurrency=limit))
    assert r.status is RunStatus.COMPLETED and r.values == reference.values == {"count": 50}
    assert len(trips) == 1
    assert len({name for _, name in log.items}) == 1


def test_a_failure_inside_a_loop_is_the_runs_failure(trips: list[Any]) -> None:
    graph = counter_loop(fail_at=7)
    values = {"count": 0, "limit": 50}
    r = asyncio.run(AsyncRunner().run(graph, values))
    reference = SyncRunner().run(graph, values)
    assert r.status is reference.status is RunStatus.FAILED
    assert r.failed_node == reference.failed_node == "step"
    assert r.values == reference.values == {"count": 7}
    assert len(trips) == 1
    with pytest.raises(ValueError, match="count 7"):
        asyncio.run(AsyncRunner().run(graph, values, error_handling="raise"))


def test_an_async_node_in_a_loop_ends_the_trip_before_it(trips: list[Any]) -> None:
    looks = Calls()

    @node(output_name="count")
    def step(seen: int) -> int:
        return seen + 1

    @node(output_name="seen")
    async def look(count: int) -> int:
        looks.add(count)
        return count

    @route(targets=["step", END])
    def again(seen: int) -> str:
        return "step" if seen < 5 else END

    graph = Graph([step, look, again], entrypoint="step")
    r = asyncio.run(AsyncRunner().run(graph, {"seen": 0}))
    inline = asyncio.run(AsyncRunner(sync_nodes="inline").run(graph, {"seen": 0}))
    assert r.values == inline.values and r["seen"] == 5
    assert looks.items == [1, 2, 3, 4, 5] * 2
    # `step`, then per lap: `look` on the loop, one trip for `again` and the `step` after it
    assert len(trips) == 1 + 5


def test_a_checkpointed_chain_is_one_trip(trips: list[Any], tmp_path: Any) -> None:
    from hypergraph_runners.checkpoint import SqliteCheckpointer

    cp = SqliteCheckpointer(tmp_path / "runs.db")
    try:
        r = asyncio.run(AsyncRunner(checkpointer=cp).run(chain(20), {"x0": 0}, workflow_id="w"))
        assert r["x20"] == 20
        assert len(trips) == 1
        assert len(cp.steps("w")) == 20  # still one committed superstep per node
    finally:
        cp.close()


def test_a_cancelled_loop_stops_at_the_next_superstep_boundary() -> None:
    held = Held()
    log = Calls()

    @node(output_name="count")
    def step(count: int) -> int:
        log.add(count)
        if count == 3:
            held.hold()
        return count + 1

    @route(targets=["step", END])
    def again(count: int) -> str:
        return "step" if count < 100 else END

    cancel_while_held(Graph([step, again]), {"count": 0}, held)
    assert log.items == [0, 1, 2, 3]
