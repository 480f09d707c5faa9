"""One runner and one graph shared by many threads and event loops (RELIABILITY P11, F13, C1,
test plan §4.9).

``tests/runners/test_threads_and_loops.py`` already covers: SyncRunner + fresh graph over
8 threads x 50 runs of a flat graph; AsyncRunner reused over sequential ``asyncio.run`` calls
and then two threads with their own loops at ``max_concurrency=2`` (results only); 4 threads x
20 AsyncRunner runs; SyncRunner's cross-runner private loops from 4 threads; SyncRunner inside
a running loop. This file adds the full 8 x 200 size with nested graphs, generators and maps
racing to compile their plans, the same size for one AsyncRunner over 8 loops, and the proof
that two loops using one AsyncRunner each get their own limiter: per call the peak in flight
never exceeds the limit and reaches it, while both calls run at once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import MapResult, RunResult, RunStatus
from support import pool_threads, run_in_threads

THREADS = 8
RUNS = 200
DEADLINE = 10


def run_ids(result: RunResult) -> list[str]:
    """The result's run_id and those of every nested result inside it."""
    ids = [result.run_id]
    for value in result.values.values():
        if isinstance(value, RunResult):
            ids += run_ids(value)
        elif isinstance(value, list) and value and isinstance(value[0], RunResult):
            for item in value:
                ids += run_ids(item)
    return ids


# --- the shared graph: nested, mapped, generator, multi-output, bound ---------------------------


def shared_graph(with_async: bool) -> Graph:
    """``x, label -> s, (p, q), parts, tagged, doubled``; fresh on every call (no plan yet).

    ``prep`` is a nested graph, ``each`` a nested graph mapped over ``parts``; ``offset`` is
    bound. With ``with_async`` one leaf of each level is ``async def``.
    """

    @node(output_name="s")
    def add(x: int, offset: int) -> int:
        return x + offset

    @node(output_name=("p", "q"))
    def split(s: int) -> tuple[int, int]:
        return s * 2, s % 7

    prep = Graph([add, split], name="prep").bind(offset=1000)

    @node(output_name="parts")
    def parts(p: int, q: int) -> Any:
        yield p
        yield q

    if with_async:

        @node(output_name="doubled")
        async def double(part: int) -> int:
            await asyncio.sleep(0)
            return part * 2

        @node(output_name="tagged")
        async def tag(p: int, q: int, label: str) -> str:
            await asyncio.sleep(0)
            return f"{label}:{p}:{q}"

    else:

        @node(output_name="doubled")
        def double(part: int) -> int:  # type: ignore[misc]
            return part * 2

        @node(output_name="tagged")
        def tag(p: int, q: int, label: str) -> str:  # type: ignore[misc]
            return f"{label}:{p}:{q}"

    each = Graph([double], name="each").as_node().with_inputs(part="parts").map_over("parts")
    return Graph([tag, each, parts, prep.as_node()])


def expected(x: int, label: str) -> dict[str, Any]:
    s = x + 1000
    p, q = 2 * s, s % 7
    tagged = f"{label}:{p}:{q}"
    return {"s": s, "p": p, "q": q, "parts": [p, q], "tagged": tagged, "doubled": [2 * p, 2 * q]}


def check_result(r: RunResult, x: int, label: str) -> None:
    assert r.status is RunStatus.COMPLETED, r.error
    flat = {k: v for k, v in r.values.items() if k not in ("prep", "each")}
    assert flat == expected(x, label)
    assert r["prep"]["p"] == expected(x, label)["p"]
    assert [item["doubled"] for item in r["each"]] == expected(x, label)["doubled"]


def work_items(t: int) -> list[tuple[int, str]]:
    return [(t * 100_000 + i, f"t{t}-{i}") for i in range(RUNS)]


def test_sync_runner_and_fresh_graph_shared_by_8_threads_x_200_runs() -> None:
    graph = shared_graph(with_async=False)  # fresh: the threads race to compile every plan
    runner = SyncRunner()
    barrier = threading.Barrier(THREADS, timeout=10)

    def work(t: int) -> list[tuple[int, str, Any]]:
        barrier.wait()
        out: list[tuple[int, str, Any]] = []
        for i, (x, label) in enumerate(work_items(t)):
            if i % 20 == 0:  # now and then a map of three items, racing the runs
                xs = [x, x + 1, x + 2]
                out.append((x, label, runner.map(graph, {"x": xs, "label": label}, map_over="x")))
            else:
                out.append((x, label, runner.run(graph, {"x": x, "label": label})))
        return out

    ids: list[str] = []
    count = 0
    for per_thread in run_in_threads(THREADS, work):
        assert len(per_thread) == RUNS
        for x, label, outcome in per_thread:
            results = outcome if isinstance(outcome, MapResult) else [outcome]
            for k, r in enumerate(results):
                check_result(r, x + k, label)
                ids += run_ids(r)
                count += 1
    assert count == THREADS * RUNS + THREADS * (RUNS // 20) * 2
    assert len(ids) == len(set(ids)), "run_ids are not unique"
    assert pool_threads() == []


def test_async_runner_and_fresh_graph_shared_by_8_loops_x_200_runs() -> None:
    graph = shared_graph(with_async=True)
    runner = AsyncRunner()
    barrier = threading.Barrier(THREADS, timeout=10)

    def work(t: int) -> list[tuple[int, str, RunResult]]:
        barrier.wait()

        async def main() -> list[tuple[int, str, RunResult]]:
            out = []
            for x, label in work_items(t):
                coro = runner.run(graph, {"x": x, "label": label}, max_concurrency=2)
                out.append((x, label, await asyncio.wait_for(coro, DEADLINE)))
            return out

        return asyncio.run(main())

    ids: list[str] = []
    for per_thread in run_in_threads(THREADS, work):
        assert len(per_thread) == RUNS
        for x, label, r in per_thread:
            check_result(r, x, label)
            ids += run_ids(r)
    assert len(ids) == len(set(ids)) == THREADS * RUNS * 4  # the run, prep, two items of each
    assert pool_threads() == []


# --- two loops, one AsyncRunner: one limiter per call ------------------------------------------


class PerCall:
    """In-flight counts per call (keyed by the call's tag) and across both calls."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.total = 0
        self.total_peak = 0

    def enter(self, tag: str) -> None:
        with self.lock:
            self.now[tag] = self.now.get(tag, 0) + 1
            self.peak[tag] = max(self.peak.get(tag, 0), self.now[tag])
            self.total += 1
            self.total_peak = max(self.total_peak, self.total)

    def exit(self, tag: str) -> None:
        with self.lock:
            self.now[tag] -= 1
            self.total -= 1


def limited_graph(track: PerCall, limit: int, calls: int) -> Graph:
    """Six async leaves and two def leaves of one superstep, then a join. The async leaves
    wait (in loop turns) until both calls have ``limit`` bodies in flight: a shared limiter
    would cap the two calls together at ``limit`` and never get there."""
    together = calls * limit

    def async_leaf(k: int) -> Callable[..., Any]:
        async def leaf(x: int, tag: str) -> int:
            track.enter(tag)
            try:
                while track.total_peak < together:
                    await asyncio.sleep(0)
                return x * 10 + k
            finally:
                track.exit(tag)

        leaf.__name__ = f"a{k}"
        return leaf

    def sync_leaf(k: int) -> Callable[..., Any]:
        def leaf(x: int, tag: str) -> int:
            track.enter(tag)
            try:
                return x * 100 + k
            finally:
                track.exit(tag)

        leaf.__name__ = f"s{k}"
        return leaf

    leaves = [node(async_leaf(k), output_name=f"a{k}") for k in range(6)]
    leaves += [node(sync_leaf(k), output_name=f"s{k}") for k in range(2)]

    @node(output_name="total")
    def join(a0: int, a5: int, s1: int) -> int:
        return a0 + a5 + s1

    return Graph([*leaves, join])


def test_one_async_runner_on_two_loops_at_once_has_one_limiter_per_call() -> None:
    runner = AsyncRunner()
    limit = 2
    for round_ in range(20):
        track = PerCall()
        graph = limited_graph(track, limit, calls=2)
        barrier = threading.Barrier(2, timeout=10)

        def work(t: int, graph: Graph = graph, round_: int = round_) -> tuple[RunResult, list]:
            barrier.wait()
            tag, x = f"call{t}", round_ * 10 + t

            async def main() -> tuple[RunResult, list]:
                r = await asyncio.wait_for(
                    runner.run(graph, {"x": x, "tag": tag}, max_concurrency=limit), DEADLINE
                )
                items = await asyncio.wait_for(
                    runner.map(
                        graph,
                        {"x": [x, x + 1], "tag": tag},
                        map_over="x",
                        max_concurrency=limit,
                    ),
                    DEADLINE,
                )
                return r, items

            return asyncio.run(main())

        for t, (r, items) in enumerate(run_in_threads(2, work)):
            x = round_ * 10 + t
            for value, result in zip([x, x, x + 1], [r, *items]):
                assert result.status is RunStatus.COMPLETED, result.error
                assert result["total"] == value * 10 + value * 10 + 5 + value * 100 + 1
        # Within each call the limit held and was reached; across both calls it was exceeded,
        # so each call had its own limiter (C1), and nothing was bound to the other loop.
        assert track.peak == {"call0": limit, "call1": limit}, track.peak
        assert track.total_peak == 2 * limit
    assert pool_threads() == []
