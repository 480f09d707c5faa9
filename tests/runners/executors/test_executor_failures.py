"""What survives an item's exception across a process, and failures of the map itself:
unpicklable exceptions, outputs and graphs, a worker that dies; how the job (graph and
broadcast values) travels to worker processes: pickled once, loaded once per process."""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import threading
import traceback
from collections.abc import Iterator
from typing import Any

import dask
import pytest
from distributed import Client, LocalCluster

from executor_graphs import (
    dies_once,
    echo_graph,
    load_logging,
    pid_graph,
    pipeline,
    poison,
    process_pool_of,
    raising,
    returns_lock,
)
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import RemoteError, RunStatus, WorkerLostError
from support import hypergraph_notes

CROSSING = ("processes", "dask-processes")


@pytest.fixture(params=CROSSING)
def crossing(request: pytest.FixtureRequest) -> Any:
    name = {"processes": "process_pool", "dask-processes": "dask_process_client"}
    return request.getfixturevalue(name[request.param])


def map_on(runner_kind: str, executor: Any, graph: Any, **kwargs: Any) -> Any:
    """``runner.map(graph, map_over="x", **kwargs)`` on ``executor`` under either runner
    (``kwargs`` may hold runner options: ``chunksize``, ``max_in_flight``)."""
    options = {k: kwargs.pop(k) for k in ("chunksize", "max_in_flight") if k in kwargs}
    if runner_kind == "sync":
        return SyncRunner(executor=executor, **options).map(graph, map_over="x", **kwargs)
    runner = AsyncRunner(executor=executor, **options)
    return asyncio.run(runner.map(graph, map_over="x", **kwargs))


def exceptions() -> dict[str, Any]:
    """Exception classes defined here, pickled by value (a test module is not importable)."""

    class Tagged(Exception):
        pass

    class Quota(Exception):
        def __init__(self, msg: str, retry_after: int) -> None:
            super().__init__(msg)
            self.retry_after = retry_after

    class Locked(Exception):
        def __init__(self) -> None:
            super().__init__("holds a lock")
            self.lock = threading.Lock()

    return {"Tagged": Tagged, "Quota": Quota, "Locked": Locked}


def test_crossing_keeps_type_attributes_notes_chain_and_traceback(
    crossing: Any, runner_kind: str
) -> None:
    kinds = exceptions()

    def make(x: int) -> BaseException | None:
        if x == 1:
            err = kinds["Tagged"]("tagged")
            err.code = 42
            err.add_note("user note")
            try:
                try:
                    raise KeyError("inner")
                except KeyError as inner:
                    raise err from inner
            except Exception as e:
                return e
        if x == 2:
            return kinds["Quota"]("slow down", retry_after=5)
        if x == 3:
            try:
                1 / 0
            except ZeroDivisionError:
                try:
                    raise RuntimeError("while handling")
                except RuntimeError as e:
                    return e
        return None

    # Under AsyncRunner the node is an async def: the worker runs its items on a loop.
    graph = raising(make, is_async=runner_kind == "async")
    results = map_on(runner_kind, crossing, graph, x=[0, 1, 2, 3], chunksize=2)
    assert [r.status for r in results] == [RunStatus.COMPLETED] + [RunStatus.FAILED] * 3
    tagged = results[1].error
    assert type(tagged).__name__ == "Tagged"
    assert isinstance(tagged, kinds["Tagged"])  # cloudpickle gives back the very class
    assert tagged.code == 42  # type: ignore[union-attr]
    assert tagged.__notes__[0] == "user note"  # type: ignore[union-attr]
    (note,) = hypergraph_notes(tagged)  # type: ignore[arg-type]
    assert "node 'boom' failed (map item 1" in note
    assert isinstance(tagged.__cause__, KeyError)  # type: ignore[union-attr]
    assert tagged.__context__ is tagged.__cause__  # type: ignore[union-attr]
    frames = traceback.extract_tb(tagged.__traceback__)  # type: ignore[union-attr]
    assert "boom" in [f.name for f in frames]  # the node's own frame, rebuilt
    quota = results[2].error
    assert isinstance(quota, kinds["Quota"])
    assert quota.retry_after == 5
    assert str(quota) == "slow down"
    handled = results[3].error
    assert isinstance(handled, RuntimeError)
    assert isinstance(handled.__context__, ZeroDivisionError)
    assert handled.__cause__ is None
    assert not handled.__suppress_context__


def test_unpicklable_exception_becomes_remote_error(crossing: Any, runner_kind: str) -> None:
    locked = exceptions()["Locked"]
    graph = raising(lambda x: locked() if x == 1 else None, is_async=runner_kind == "async")
    results = map_on(runner_kind, crossing, graph, x=[0, 1, 2])
    assert [r.status for r in results] == [RunStatus.COMPLETED, RunStatus.FAILED,
                                           RunStatus.COMPLETED]  # fmt: skip
    error = results[1].error
    assert isinstance(error, RemoteError)
    assert error.type_name.endswith("Locked")
    assert error.message == "holds a lock"
    assert ", in boom" in error.traceback_text  # the node's frame, as the worker printed it
    assert any("node 'boom' failed (map item 1" in n for n in error.notes)
    assert any("node 'boom' failed (map item 1" in n for n in hypergraph_notes(error))


def test_an_unpicklable_output_fails_only_its_item(crossing: Any, runner_kind: str) -> None:
    results = map_on(runner_kind, crossing, returns_lock(2), x=[0, 1, 2, 3], chunksize=4)
    assert [r.status for r in results] == [RunStatus.COMPLETED, RunStatus.COMPLETED,
                                           RunStatus.FAILED, RunStatus.COMPLETED]  # fmt: skip
    assert isinstance(results[2].error, TypeError)
    assert "outputs that cannot be pickled: 'y'" in str(results[2].error)
    assert results[3]["y"] == 3


@pytest.mark.parametrize("runner_kind", ["sync", "async"])
def test_an_unpicklable_mapped_value_fails_only_its_item(crossing: Any, runner_kind: str) -> None:
    runner: Any = (SyncRunner if runner_kind == "sync" else AsyncRunner)(executor=crossing)
    out = runner.map(pid_graph(), x=[1, threading.Lock(), 3], map_over="x")
    results = asyncio.run(out) if runner_kind == "async" else out
    assert [r.status for r in results] == [RunStatus.COMPLETED, RunStatus.FAILED,
                                           RunStatus.COMPLETED]  # fmt: skip
    text = str(results[1].error)
    assert isinstance(results[1].error, TypeError)
    assert "Map item 1 cannot be sent" in text
    assert "'x' (lock)" in text


def test_an_unpicklable_graph_is_refused_before_anything_runs(
    crossing: Any, runner_kind: str
) -> None:
    with pytest.raises(TypeError, match="not picklable") as info:
        map_on(runner_kind, crossing, pipeline(), x=[1, 2], k=threading.Lock())
    text = str(info.value)
    assert "value 'k' (lock)" in text
    assert "How to fix:" in text


def test_threads_keep_identity(thread_pool: Any, dask_client: Any, runner_kind: str) -> None:
    big = object()
    err = ValueError("same")

    def make(x: int) -> BaseException | None:
        return err if x == 1 else None

    for executor in (thread_pool, dask_client):
        results = map_on(runner_kind, executor, raising(make), x=[0, 1])
        assert results[1].error is err
    from hypergraph_graph import Graph, node

    @node(output_name="same")
    def same(x: int, shared: object) -> bool:
        return shared is big

    results = map_on(runner_kind, thread_pool, Graph([same]), x=[0, 1], shared=big)
    assert results["same"] == [True, True]


@pytest.fixture(scope="module")
def fragile_cluster() -> Iterator[Client]:
    """A process cluster of this module's: a worker death must not leak into other tests.

    A chunk is tried twice (one retry). The tests keep one chunk in flight, so the only
    task on a dying worker is the chunk that kills it (Dask counts every task that was on a
    dead worker as suspect).
    """
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.mark.timeout(120)
@pytest.mark.parametrize("runner_kind", ["sync", "async"])
def test_a_chunk_that_kills_its_worker_fails_only_its_items(
    fragile_cluster: Client, runner_kind: str
) -> None:
    graph = poison(13)
    values = {"x": list(range(40))}
    if runner_kind == "sync":
        runner: Any = SyncRunner(executor=fragile_cluster, chunksize=10, max_in_flight=1)
        results = runner.map(graph, values, map_over="x")
    else:
        runner = AsyncRunner(executor=fragile_cluster, chunksize=10, max_in_flight=1)
        results = asyncio.run(runner.map(graph, values, map_over="x"))
    failed = [i for i, r in enumerate(results) if r.status is RunStatus.FAILED]
    assert failed == list(range(10, 20))
    error = results[13].error
    assert isinstance(error, WorkerLostError)
    assert (error.first, error.last) == (10, 19)
    assert type(error.__cause__).__name__ == "KilledWorker"
    assert "map item 13 was not completed" in str(error)
    assert [r["y"] for r in results if r.completed] == [
        2 * x for x in range(40) if not 10 <= x < 20
    ]


@pytest.mark.timeout(120)
def test_a_worker_lost_once_is_retried_by_the_engine(
    fragile_cluster: Client, tmp_path: Any, runner_kind: str
) -> None:
    # At-least-once: the chunk runs again on a fresh worker and every item completes.
    graph = dies_once(str(tmp_path / "died"), 5)
    results = map_on(runner_kind, fragile_cluster, graph, x=list(range(12)), chunksize=4,
                     max_in_flight=1)  # fmt: skip
    assert results.status is RunStatus.COMPLETED
    assert results["y"] == [2 * x for x in range(12)]
    assert (tmp_path / "died").exists()


def test_a_broken_process_pool_fails_items_with_worker_lost(runner_kind: str) -> None:
    with process_pool_of(2) as pool:
        results = map_on(runner_kind, pool, poison(7), x=list(range(10)), chunksize=5,
                         max_in_flight=2)  # fmt: skip
    statuses = [r.status for r in results]
    assert statuses[5:] == [RunStatus.FAILED] * 5
    assert isinstance(results[7].error, WorkerLostError)
    assert isinstance(results[7].error.__cause__, cf.BrokenExecutor)


def test_the_job_is_pickled_once_and_loaded_once_per_worker_process(
    crossing: Any, runner_kind: str, tmp_path: Any
) -> None:
    # 20 chunks on 2 worker processes: the graph and its broadcast values are pickled once
    # by the caller and unpickled once in each worker process that ran a chunk.
    log = tmp_path / "loads"
    token = load_logging(str(log))
    results = map_on(runner_kind, crossing, echo_graph(), x=list(range(40)), token=token,
                     chunksize=2)  # fmt: skip
    assert results["y"] == list(range(40))
    assert type(token).dumps == 1
    pids = log.read_text().split()
    assert 1 <= len(pids) <= 2
    assert len(set(pids)) == len(pids), pids


def test_a_large_job_travels_once_per_worker(crossing: Any) -> None:
    # 5 MB of broadcast data: Dask scatters it (a task that big would warn); a process pool
    # gets it with the first chunks, then sends it to any process that asks for it.
    from hypergraph_graph import Graph, node

    @node(output_name="n")
    def size(x: int, blob: bytes) -> int:
        return len(blob) + x

    blob = b"x" * (5 * 2**20)
    runner = SyncRunner(executor=crossing, chunksize=2, max_in_flight=2)
    results = runner.map(Graph([size]), x=list(range(12)), blob=blob, map_over="x")
    assert results["n"] == [len(blob) + x for x in range(12)]


def test_nested_results_cross_with_their_errors(crossing: Any, runner_kind: str) -> None:
    # An item whose mapped GraphNode failed: its nested results travel with their errors.
    locked = exceptions()["Locked"]
    inner = raising(lambda x: locked() if x == 2 else None)
    from hypergraph_graph import Graph

    outer = Graph([inner.as_node(name="inner").map_over("x")])
    results = map_on(runner_kind, crossing, outer, x=[[1], [1, 2]])
    assert [r.status for r in results] == [RunStatus.COMPLETED, RunStatus.FAILED]
    assert isinstance(results[1].error, RemoteError)
    nested = results[1]["inner"]
    assert nested[0].status is RunStatus.COMPLETED
    assert isinstance(nested[1].error, RemoteError)
    assert nested[1].error.type_name.endswith("Locked")


def test_workers_that_cannot_load_the_graph_raise_with_a_hint(
    dask_process_client: Client, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, runner_kind: str
) -> None:
    # The node's module is importable here only: functions travel by reference to it.
    (tmp_path / "hg_only_on_the_caller.py").write_text("def same(x):\n    return x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    from hypergraph_graph import Graph, node

    # Absent now: monkeypatch removes the imported module again at the end of the test.
    monkeypatch.delitem(__import__("sys").modules, "hg_only_on_the_caller", raising=False)
    module = importlib.import_module("hg_only_on_the_caller")
    graph = Graph([node(output_name="y")(module.same)])
    with pytest.raises(ModuleNotFoundError) as info:
        map_on(runner_kind, dask_process_client, graph, x=[1, 2])
    notes = "\n".join(info.value.__notes__)
    assert "could not load the graph" in notes
    assert "How to fix:" in notes
