"""The executor options and the window: validation, ``max_in_flight``, chunk sizes, the
``MapExecutor`` protocol, ``executor=`` used once (never again inside a worker), loky, an
asynchronous Dask Client, and stopping: Ctrl-C and asyncio cancel leave the cluster idle."""

from __future__ import annotations

import _thread
import asyncio
import concurrent.futures as cf
import pickle
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import loky
import pytest
from distributed import Client, LocalCluster

from executor_graphs import pipeline
from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, MapExecutor, SyncRunner
from hypergraph_runners.executors._protocol import Options
from hypergraph_runners.executors._window import Window
from hypergraph_types import InvalidInputError, MapItemEndEvent, RunStatus


class Counting:
    """A ``MapExecutor`` over a thread pool that records what the runner asks of it."""

    crosses_processes = False
    slots = 2

    def __init__(self, pool: cf.ThreadPoolExecutor) -> None:
        self.pool = pool
        self.lock = threading.Lock()
        self.outstanding = 0
        self.peak = 0
        self.sizes: list[int] = []
        self.released: list[Any] = []

    def share(self, blob: bytes) -> Any:
        raise AssertionError("nothing is shared for an in-process executor")

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> cf.Future[Any]:
        with self.lock:
            self.outstanding += 1
            self.peak = max(self.peak, self.outstanding)
            self.sizes.append(len(args[2]))
        future = self.pool.submit(fn, *args)
        future.add_done_callback(self._done)
        return future

    def _done(self, _: Any) -> None:
        with self.lock:
            self.outstanding -= 1

    def cancel(self, futures: Sequence[cf.Future[Any]]) -> None:
        for f in futures:
            f.cancel()

    def release(self, handle: Any) -> None:
        self.released.append(handle)

    def lost(self, error: BaseException) -> bool:
        return False


def test_counting_executor_is_a_map_executor(thread_pool: Any) -> None:
    assert isinstance(Counting(thread_pool), MapExecutor)


@pytest.mark.parametrize("runner_kind", ["sync", "async"])
def test_window_and_fixed_chunks(thread_pool: Any, runner_kind: str) -> None:
    counting = Counting(thread_pool)
    options = {"executor": counting, "chunksize": 3, "max_in_flight": 2}
    values = {"x": list(range(20)), "k": 1}
    if runner_kind == "sync":
        results = SyncRunner(**options).map(pipeline(), values, map_over="x")
    else:
        results = asyncio.run(AsyncRunner(**options).map(pipeline(), values, map_over="x"))
    assert results["c"] == [f"v{x + 1}" for x in range(20)]
    assert counting.sizes == [3] * 6 + [2]
    assert counting.peak <= 2


def test_auto_chunks_probe_then_follow_the_measured_item_time() -> None:
    opts = Options(Counting.__new__(Counting), None, None)  # type: ignore[arg-type]
    fan = Window({"x": list(range(100_000))}, "zip", 100_000, opts, 2, False, [None] * 100_000,
                 False)  # fmt: skip
    first = fan.take(0)
    assert fan.window == 8
    assert [len(c.indices) for c in first] == [8] * 8
    fan.finished([], 0.0)
    fan._measured = (64, 64 * 0.001)  # 1 ms items: 50 per chunk (~50 ms of work)
    assert len(fan.take(0)[0].indices) == 50
    fan._measured = (64, 64 * 4e-6)  # 4 us items: capped at 1000
    assert len(fan.take(0)[0].indices) == 1000
    few = Window({"x": list(range(20))}, "zip", 20, opts, 2, False, [None] * 20, False)
    sizes: list[int] = []  # every worker gets shares, smaller towards the end
    while chunks := few.take(0):
        sizes += [len(c.indices) for c in chunks]
    assert sum(sizes) == 20
    assert sizes[0] == 3
    assert sizes == sorted(sizes, reverse=True)


def on(runner: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    out = getattr(runner, method)(*args, **kwargs)
    return asyncio.run(out) if isinstance(runner, AsyncRunner) else out


@pytest.mark.parametrize("runner_kind", ["sync", "async"])
@pytest.mark.parametrize("inner_runner", [SyncRunner, AsyncRunner])
def test_an_executor_is_used_once_never_inside_a_worker(
    thread_pool: Any, runner_kind: str, inner_runner: Any
) -> None:
    # The nested maps run inside the outer items' chunks: locally, whichever runner drives
    # them there (an AsyncRunner's chunk runs a SyncRunner's nested graph in a pool thread).
    counting = Counting(thread_pool)
    inner = pipeline().as_node(name="inner", runner=inner_runner(executor=counting))
    graph = Graph([inner.map_over("x")])
    runner = (SyncRunner if runner_kind == "sync" else AsyncRunner)(executor=counting, chunksize=5)
    results = on(runner, "map", graph, {"x": [[1, 2], [3]] * 5, "k": 1}, map_over="x")
    assert results["c"] == [["v2", "v3"], ["v4"]] * 5
    assert counting.sizes == [5, 5]  # the outer items only; the nested maps ran locally


@pytest.mark.parametrize("runner_kind", ["sync", "async"])
@pytest.mark.parametrize("inner_runner", [SyncRunner, AsyncRunner])
def test_a_graph_node_with_its_own_executor_runner_sends_only_its_items(
    thread_pool: Any, runner_kind: str, inner_runner: Any
) -> None:
    # docs/scaling-out.md: inner.as_node(runner=SyncRunner(executor=client)) sends that one
    # nested map to the executor, whatever runs the outer graph (which has no executor).
    counting = Counting(thread_pool)
    inner = pipeline().as_node(name="inner", runner=inner_runner(executor=counting, chunksize=2))
    graph = Graph([inner.map_over("x")])
    outer = SyncRunner() if runner_kind == "sync" else AsyncRunner()
    result = on(outer, "run", graph, {"x": list(range(6)), "k": 2})
    assert result["c"] == [f"v{(x + 1) * 2}" for x in range(6)]
    assert counting.sizes == [2, 2, 2]


def async_pipeline() -> Graph:
    @node(output_name="c")
    async def label(x: int, k: int) -> str:
        return f"v{(x + 1) * k}"

    return Graph([label])


def test_a_sync_runner_sends_a_mapped_async_graph_node_to_its_executor(thread_pool: Any) -> None:
    # SyncRunner hands an async inner graph to an AsyncRunner: its items still take the
    # SyncRunner's executor (the outermost fan-out), run there by the AsyncRunner's driver.
    counting = Counting(thread_pool)
    graph = Graph([async_pipeline().as_node(name="inner").map_over("x")])
    result = SyncRunner(executor=counting, chunksize=2).run(graph, {"x": list(range(6)), "k": 2})
    assert result["c"] == [f"v{(x + 1) * 2}" for x in range(6)]
    assert counting.sizes == [2, 2, 2]


def test_a_run_started_by_a_node_inside_a_chunk_stays_local(thread_pool: Any) -> None:
    # An async node in a chunk calls SyncRunner().run itself; that run's AsyncRunner-driven
    # nested map runs on a helper thread's loop (this one is busy): still inside the chunk.
    counting = Counting(thread_pool)
    inner = pipeline().as_node(name="inner", runner=AsyncRunner(executor=counting))
    nested = Graph([inner.map_over("x")])

    @node(output_name="c")
    async def via_sync(x: list[int]) -> list[str]:
        return SyncRunner().run(nested, {"x": x, "k": 1})["c"]  # type: ignore[no-any-return]

    runner = AsyncRunner(executor=counting, chunksize=2)
    results = asyncio.run(runner.map(Graph([via_sync]), x=[[1, 2], [3], [4]], map_over="x"))
    assert results["c"] == [["v2", "v3"], ["v4"], ["v5"]]
    assert counting.sizes == [2, 1]


@pytest.mark.parametrize("runner_kind", ["sync", "async"])
def test_run_sends_the_outermost_mapped_graph_node_to_the_executor(
    thread_pool: Any, runner_kind: str
) -> None:
    # run(): the first mapped GraphNode on the way down takes the executor, even inside a
    # GraphNode that is not mapped; its own items' nested maps stay in their chunks.
    counting = Counting(thread_pool)
    leaf = pipeline().as_node(name="leaf").map_over("x")
    items = Graph([leaf], name="items").as_node(name="items").map_over("x")
    top = Graph([Graph([items], name="middle").as_node(name="middle")])
    runner = (SyncRunner if runner_kind == "sync" else AsyncRunner)(executor=counting, chunksize=2)
    result = on(runner, "run", top, {"x": [[1, 2], [3], [4], [5, 6, 7]], "k": 1})
    assert result["c"] == [["v2", "v3"], ["v4"], ["v5"], ["v6", "v7", "v8"]]
    assert counting.sizes == [2, 2]


def test_a_runner_pickles_without_its_executor(thread_pool: Any) -> None:
    runner = SyncRunner(executor=thread_pool, chunksize=10)
    clone = pickle.loads(pickle.dumps(runner))
    assert clone._executor is None
    assert clone.map(pipeline(), x=[1], k=1, map_over="x")["c"] == ["v2"]


@pytest.mark.parametrize(
    ("options", "error", "text"),
    [
        ({"executor": 42}, TypeError, "which is not an executor"),
        ({"executor": None, "chunksize": 0}, InvalidInputError, "chunksize must be >= 1"),
        ({"executor": None, "chunksize": "big"}, TypeError, "chunksize must be 'auto' or an int"),
        ({"executor": None, "max_in_flight": 0}, InvalidInputError, "max_in_flight must be >= 1"),
    ],
)
@pytest.mark.parametrize("runner", [SyncRunner, AsyncRunner])
def test_options_are_checked(runner: Any, options: Any, error: Any, text: str) -> None:
    with pytest.raises(error, match=text) as info:
        runner(**options)
    assert "How to fix:" in str(info.value)


class NoSlots:
    """A would-be ``MapExecutor`` that forgot ``slots``."""

    crosses_processes = False
    share = submit = cancel = release = lost = staticmethod(lambda *args: None)


@pytest.mark.parametrize("runner", [SyncRunner, AsyncRunner])
def test_an_incomplete_map_executor_is_refused_at_construction(runner: Any) -> None:
    with pytest.raises(TypeError, match="which is not an executor") as info:
        runner(executor=NoSlots())
    assert "crosses_processes, slots" in str(info.value)
    assert "How to fix:" in str(info.value)


def test_loky_executor(runner_kind: str) -> None:
    pool = loky.get_reusable_executor(max_workers=2)
    runner: Any = SyncRunner(executor=pool) if runner_kind == "sync" else AsyncRunner(executor=pool)
    out = runner.map(pipeline(fail_on=6), x=list(range(10)), k=2, map_over="x")
    results = asyncio.run(out) if runner_kind == "async" else out
    assert [r.status for r in results].count(RunStatus.FAILED) == 1
    assert isinstance(results[2].error, ValueError)
    assert [results[0]["c"], results[1]["c"]] == ["v2", "v4"]


async def test_asynchronous_dask_client(dask_process_cluster: LocalCluster) -> None:
    async with Client(dask_process_cluster.scheduler_address, asynchronous=True) as client:
        with pytest.raises(InvalidInputError, match="asynchronous Dask Client"):
            SyncRunner(executor=client)
        runner = AsyncRunner(executor=client, chunksize=4)
        results = await runner.map(pipeline(fail_on=6), x=list(range(10)), k=2, map_over="x")
        assert [results[0]["c"], results[1]["c"]] == ["v2", "v4"]
        assert isinstance(results[2].error, ValueError)
        outer = Graph([pipeline(fail_on=8).as_node(name="inner").map_over("x")])
        result = await runner.run(outer, {"x": [0, 1, 2], "k": 2})
        assert result["c"] == ["v2", "v4", "v6"]
        result = await runner.run(outer, {"x": list(range(6)), "k": 2})
        assert result.failed_node == "inner[3].label"

        def on_another_loop() -> None:
            asyncio.run(runner.map(pipeline(), x=[1], k=1, map_over="x"))

        with pytest.raises(InvalidInputError, match="bound to another event loop") as info:
            await asyncio.to_thread(on_another_loop)
        assert "How to fix:" in str(info.value)


# -- stopping ------------------------------------------------------------------------------


def slow_graph(log: Path) -> Graph:
    """Items of 20 ms that append their ``x`` to ``log`` as they start (from any process)."""
    path = str(log)

    @node(output_name="y")
    def slow(x: int) -> int:
        with open(path, "a") as f:
            f.write(f"{x}\n")
        time.sleep(0.02)
        return x

    return Graph([slow])


def started(log: Path) -> int:
    return len(log.read_text().split()) if log.exists() else 0


def wait_idle(cluster: LocalCluster) -> None:
    """The scheduler forgets every task (polled: the cancel reaches it asynchronously)."""
    deadline = time.monotonic() + 10
    while cluster.scheduler.tasks and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not cluster.scheduler.tasks


class Interrupt:
    """Ctrl-C, delivered to the main thread as the first item comes back."""

    def on_event(self, event: Any) -> None:
        if isinstance(event, MapItemEndEvent):
            _thread.interrupt_main()


def stoppable(where: str, request: pytest.FixtureRequest) -> tuple[Any, Callable[[], None]]:
    """An executor, and a wait until it has nothing left to run."""
    if where == "threads":
        pool = request.getfixturevalue("thread_pool")
        return pool, lambda: pool.submit(int).result()  # FIFO: what was queued is settled
    suffix = "_process" if where == "dask-processes" else ""
    cluster = request.getfixturevalue(f"dask{suffix}_cluster")
    return request.getfixturevalue(f"dask{suffix}_client"), lambda: wait_idle(cluster)


# 100 chunks of one item outstanding on 2 workers: the 98 queued ones never start. (In this
# process a chunk also finds its job gone once the map is over; worker processes cache the
# job, so there only the cancel keeps them from running.)
@pytest.mark.parametrize("where", ["threads", "dask", "dask-processes"])
@pytest.mark.parametrize("runner_kind", ["sync", "async"])
def test_ctrl_c_cancels_the_outstanding_chunks(
    where: str, runner_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    log = tmp_path / "started"
    executor, wait_until_idle = stoppable(where, request)
    kind = SyncRunner if runner_kind == "sync" else AsyncRunner
    runner = kind(executor=executor, chunksize=1, max_in_flight=100)
    with pytest.raises(KeyboardInterrupt):  # asyncio.run turns Ctrl-C into a cancel, then this
        on(runner, "map", slow_graph(log), x=list(range(300)), map_over="x",
           event_processors=[Interrupt()])  # fmt: skip
    wait_until_idle()
    assert started(log) < 50  # what was running at the interrupt, not the 100 in flight


@pytest.mark.parametrize(
    "where", ["threads", "dask", "dask-processes", "dask-processes-asynchronous"]
)
def test_asyncio_cancel_cancels_the_outstanding_chunks(
    where: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    log = tmp_path / "started"
    executor, wait_until_idle = stoppable(where.replace("-asynchronous", ""), request)

    async def cancel_a_map(client: Any) -> None:
        first = asyncio.Event()

        class Signal:
            def on_event(self, event: Any) -> None:
                if isinstance(event, MapItemEndEvent):
                    first.set()

        runner = AsyncRunner(executor=client, chunksize=1, max_in_flight=100)
        task = asyncio.create_task(
            runner.map(
                slow_graph(log), x=list(range(300)), map_over="x", event_processors=[Signal()]
            )
        )
        await asyncio.wait_for(first.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    async def main() -> None:
        if not where.endswith("-asynchronous"):
            return await cancel_a_map(executor)
        address = request.getfixturevalue("dask_process_cluster").scheduler_address
        async with Client(address, asynchronous=True) as client:
            await cancel_a_map(client)

    asyncio.run(main())
    wait_until_idle()
    assert started(log) < 50


def test_a_worker_with_another_version_refuses_the_job() -> None:
    from hypergraph_runners.executors._job import Job, Ticket, job_bytes, run_chunk

    blob = job_bytes(Job(pipeline(), {"k": 1}, max_iterations=10,
                         stop_on_failure=False))  # fmt: skip
    other = b"hypergraph-runners 0.0.1\n" + blob[blob.index(b"\n") + 1 :]
    ticket = Ticket("not-cached-here")
    ticket.pid = -1  # as if the caller were another process
    with pytest.raises(RuntimeError, match=r"the caller runs 0\.0\.1") as info:
        run_chunk(ticket, other, [0], b"")
    assert "How to fix:" in str(info.value)


@pytest.mark.parametrize("runner_kind", ["sync", "async"])
def test_raise_mode_submits_nothing_after_a_failure(thread_pool: Any, runner_kind: str) -> None:
    counting = Counting(thread_pool)
    runner: Any = (SyncRunner if runner_kind == "sync" else AsyncRunner)(
        executor=counting, chunksize=1, max_in_flight=2
    )
    with pytest.raises(ValueError, match="cannot label 4"):
        out = runner.map(pipeline(fail_on=4), x=list(range(100)), k=1, map_over="x",
                         error_handling="raise")  # fmt: skip
        if runner_kind == "async":
            asyncio.run(out)
    # Item 3 failed: the chunks in flight then, and none of the 96 after them.
    assert len(counting.sizes) <= 3 + 2 + 1


def test_max_concurrency_holds_inside_each_chunk(thread_pool: Any) -> None:
    # Same runner semantics on the worker: one chunk of 12 async items under
    # max_concurrency=3 runs them concurrently, never more than 3 at once.
    lock = threading.Lock()
    running, peak = [0], [0]

    @node(output_name="y")
    async def held(x: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        await asyncio.sleep(0.01)
        with lock:
            running[0] -= 1
        return x

    runner = AsyncRunner(executor=Counting(thread_pool), chunksize=12)
    out = runner.map(Graph([held]), x=list(range(12)), map_over="x", max_concurrency=3)
    results = asyncio.run(out)
    assert results["y"] == list(range(12))
    assert peak[0] == 3


@pytest.mark.parametrize("runner_kind", ["sync", "async"])
def test_a_checkpointed_map_runs_its_items_here(thread_pool: Any, runner_kind: str) -> None:
    from hypergraph_runners.checkpoint import MemoryCheckpointer

    counting = Counting(thread_pool)
    kind = SyncRunner if runner_kind == "sync" else AsyncRunner
    runner = kind(executor=counting, checkpointer=MemoryCheckpointer())
    results = on(runner, "map", pipeline(), x=[1, 2, 3], k=1, map_over="x", workflow_id="w")
    assert results["c"] == ["v2", "v3", "v4"]
    outer = Graph([pipeline().as_node(name="inner").map_over("x")])
    result = on(runner, "run", outer, {"x": [1, 2], "k": 1}, workflow_id="nested")
    assert result["c"] == ["v2", "v3"]
    assert counting.sizes == []  # the journal records items run in this process
