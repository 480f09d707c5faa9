"""Failures with siblings in flight, cancellation from outside, and interrupts.

RELIABILITY F2, F3, F8, C6, C7 and test plan §4.5; SPEC §4.11, §4.12. Events and counters
prove every claim; each awaited run sits in ``asyncio.wait_for(..., 10)``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from hypergraph_graph import FunctionNode, Graph, HyperNode, node
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import NodeCancelledError, RunResult, RunStatus
from support import Tally, hypergraph_notes, pool_threads, within


def only_this_task() -> bool:
    return asyncio.all_tasks() == {asyncio.current_task()}


class Interrupt(BaseException):
    """A private BaseException: stands in for Ctrl-C inside an async test (RELIABILITY 4.1)."""


async def never() -> None:
    await asyncio.Event().wait()


async def after_cancellation_landed() -> None:
    """Called in a cancelled sibling: a few loop turns so the runner's cancellation of every
    other sibling (and of queued thread submissions) has been processed before we go on."""
    for _ in range(3):
        await asyncio.sleep(0)


@contextmanager
def asyncio_errors() -> Iterator[list[logging.LogRecord]]:
    """ERROR records of the ``asyncio`` logger during the block (after a gc pass)."""
    records: list[logging.LogRecord] = []

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Handler(logging.ERROR)
    log = logging.getLogger("asyncio")
    log.addHandler(handler)
    try:
        yield records
        gc.collect()
    finally:
        log.removeHandler(handler)


# -- F2 / C6: a node fails while siblings are in flight ---------------------------------------


def failing_with_long_sibling(err: Exception, c: Tally) -> Graph:
    entered = asyncio.Event()

    @node(output_name="long")
    async def long_sibling(x: int) -> int:
        c.hit("start")
        try:
            entered.set()
            await never()
            return x
        except asyncio.CancelledError:
            c.hit("cancelled")
            raise
        finally:
            c.hit("finally")

    @node(output_name="quick")
    async def quick(x: int) -> int:
        return x + 1

    @node(output_name="bad")
    async def fail(x: int) -> int:
        await entered.wait()
        raise err

    @node(output_name="after")
    def after(bad: int) -> int:
        c.hit("after")
        return bad

    return Graph([long_sibling, quick, fail, after])


async def test_failure_cancels_long_async_sibling_and_is_returned() -> None:
    c = Tally()
    err = ValueError("service returned 503")
    r = await within(AsyncRunner().run(failing_with_long_sibling(err, c), {"x": 1}))
    assert r.status is RunStatus.FAILED
    assert r.error is err
    assert str(r.error) == "service returned 503"
    assert r.failed_node == "fail"
    assert (c["start"], c["cancelled"], c["finally"], c["after"]) == (1, 1, 1, 0)
    assert "long" not in r.values
    assert "bad" not in r.values
    assert r.values.get("quick", 2) == 2  # a sibling value, if present, is correct
    [note] = hypergraph_notes(err)
    assert "'fail'" in note
    assert only_this_task()


async def test_failure_cancels_long_async_sibling_and_is_raised() -> None:
    c = Tally()
    err = ValueError("service returned 503")
    with pytest.raises(ValueError) as info:
        await within(
            AsyncRunner().run(failing_with_long_sibling(err, c), {"x": 1}, error_handling="raise")
        )
    assert info.value is err
    assert not isinstance(info.value, BaseExceptionGroup)
    assert (c["cancelled"], c["finally"], c["after"]) == (1, 1, 0)
    [note] = hypergraph_notes(err)
    assert "'fail'" in note
    assert only_this_task()


async def test_failure_in_nested_graph_cancels_outer_sibling() -> None:
    c = Tally()
    err = KeyError("inner")
    entered = asyncio.Event()

    @node(output_name="long")
    async def long_sibling(x: int) -> int:
        try:
            entered.set()
            await never()
            return x
        except asyncio.CancelledError:
            c.hit("cancelled")
            raise

    @node(output_name="y")
    async def embed(x: int) -> int:
        await entered.wait()
        raise err

    outer = Graph([long_sibling, Graph([embed], name="rag").as_node()])
    r = await within(AsyncRunner().run(outer, {"x": 1}))
    assert r.error is err
    assert r.failed_node == "rag.embed"
    assert c["cancelled"] == 1
    assert r["rag"].status is RunStatus.FAILED
    assert r["rag"].error is err
    [note] = hypergraph_notes(err)
    assert "'rag.embed'" in note


async def test_failure_in_mapped_nested_item_cancels_other_items() -> None:
    c = Tally()
    entered = asyncio.Event()
    errors: dict[int, Exception] = {}

    @node(output_name="y")
    async def work(x: int) -> int:
        if x == 2:
            await entered.wait()
            errors[x] = ValueError(f"item {x}")
            raise errors[x]
        try:
            entered.set()
            await never()
            return x
        except asyncio.CancelledError:
            c.hit("cancelled")
            raise

    outer = Graph([Graph([work], name="inner").as_node().map_over("x")])
    r = await within(AsyncRunner().run(outer, {"x": [0, 1, 2, 3]}))
    assert r.status is RunStatus.FAILED
    assert r.error is errors[2]
    assert c["cancelled"] == 3
    [note] = hypergraph_notes(errors[2])
    assert "inner[2].work" in note


@pytest.mark.parametrize("late", ["none", "earliest"])
async def test_several_failures_report_earliest_in_node_order(late: str) -> None:
    """Failures that land before cancellation: the first in node order is reported, the
    others are named in its note. ``late="earliest"``: the earliest node fails last in time
    (one loop turn later), but still before any cancellation can land on it."""
    errs = {name: RuntimeError(name) for name in ("a", "b", "c")}

    @node(output_name="oa")
    async def a(x: int) -> int:
        if late == "earliest":
            await asyncio.sleep(0)
        raise errs["a"]

    @node(output_name="ob")
    async def b(x: int) -> int:
        raise errs["b"]

    @node(output_name="oc")
    async def c(x: int) -> int:
        raise errs["c"]

    r = await within(AsyncRunner().run(Graph([a, b, c]), {"x": 1}))
    assert r.error is errs["a"]
    assert r.failed_node == "a"
    assert not isinstance(r.error, BaseExceptionGroup)
    [note] = hypergraph_notes(errs["a"])
    assert "'a'" in note
    assert "also failed: b, c" in note
    assert hypergraph_notes(errs["b"]) == hypergraph_notes(errs["c"]) == []


async def test_several_failures_raise_mode_raises_earliest() -> None:
    errs = {name: RuntimeError(name) for name in ("a", "b")}

    @node(output_name="oa")
    async def a(x: int) -> int:
        raise errs["a"]

    @node(output_name="oc")
    async def c(x: int) -> int:
        raise errs["b"]

    with pytest.raises(RuntimeError) as info:
        await within(AsyncRunner().run(Graph([a, c]), {"x": 1}, error_handling="raise"))
    assert info.value is errs["a"]
    assert "also failed: c" in hypergraph_notes(errs["a"])[0]


async def test_thread_siblings_are_settled_before_run_returns() -> None:
    """A def sibling running in a thread cannot be cancelled: run() waits for it."""
    loop = asyncio.get_running_loop()
    c = Tally()
    thread_in = asyncio.Event()
    release = threading.Event()
    err = ValueError("boom")

    @node(output_name="t")
    def in_thread(x: int) -> int:
        c.hit("enter")
        try:
            loop.call_soon_threadsafe(thread_in.set)
            release.wait(5)  # released once the runner has cancelled the async sibling
            return x
        finally:
            c.hit("exit")

    @node(output_name="w")
    async def watcher(x: int) -> int:
        try:
            await never()
            return x
        except asyncio.CancelledError:
            await after_cancellation_landed()
            release.set()
            raise

    @node(output_name="bad")
    async def fail(x: int) -> int:
        await thread_in.wait()
        raise err

    for mode in ("continue", "raise"):
        release.clear()
        thread_in.clear()
        try:
            r = await within(
                AsyncRunner().run(Graph([in_thread, watcher, fail]), {"x": 1}, error_handling=mode)
            )
        except ValueError as exc:
            assert mode == "raise"
            assert exc is err
        else:
            assert mode == "continue"
            assert r.error is err
            assert r.values.get("t", 1) == 1
        assert c["enter"] == c["exit"]
        assert release.is_set()
        assert pool_threads() == []
    assert c["enter"] == 2


async def test_thread_submissions_not_started_are_cancelled() -> None:
    """Without a limit the pool has 32 threads: 32 bodies block, the 33rd submission waits
    in the queue and must never start once a sibling has failed (F2)."""
    loop = asyncio.get_running_loop()
    c = Tally()
    all_in = asyncio.Event()
    release = threading.Event()
    err = ValueError("boom")

    def make(k: int) -> Any:
        def body(x: int) -> int:
            c.hit("enter")
            try:
                if c["enter"] == 32:
                    loop.call_soon_threadsafe(all_in.set)
                release.wait(5)
                return x + k
            finally:
                c.hit("exit")

        return body

    @node(output_name="w")
    async def watcher(x: int) -> int:
        try:
            await never()
            return x
        except asyncio.CancelledError:
            await after_cancellation_landed()
            release.set()
            raise

    @node(output_name="bad")
    async def fail(x: int) -> int:
        await all_in.wait()
        raise err

    leaves = [FunctionNode(make(k), f"n{k}", f"o{k}") for k in range(33)]
    r = await within(AsyncRunner().run(Graph([*leaves, watcher, fail]), {"x": 0}))
    assert r.error is err
    assert c["enter"] == c["exit"] == 32
    assert pool_threads() == []


def settled_thread_failure(err: Exception) -> tuple[HyperNode, HyperNode, HyperNode]:
    """``a`` fails with ``err`` once the thread node ``t`` is running; the run then stops,
    and ``t`` fails (KeyError) only after the stop, while it is being settled. Call from the
    test's running loop."""
    loop = asyncio.get_running_loop()
    thread_in = asyncio.Event()
    release = threading.Event()

    @node(output_name="a")
    async def a(x: int) -> int:
        await thread_in.wait()
        raise err

    @node(output_name="w")
    async def watcher(x: int) -> int:
        try:
            await never()
            return x
        except asyncio.CancelledError:
            await after_cancellation_landed()
            release.set()
            raise

    @node(output_name="t")
    def t(x: int) -> int:
        loop.call_soon_threadsafe(thread_in.set)
        release.wait(5)
        raise KeyError("t failed while being settled")

    return a, watcher, t


async def test_failing_settled_thread_leaves_no_asyncio_error_log() -> None:
    """Nothing unraisable or logged (RELIABILITY I8, §4.1) when a settled thread fails."""
    err = ValueError("a failed")
    a, watcher, t = settled_thread_failure(err)
    with asyncio_errors() as records:
        r = await within(AsyncRunner().run(Graph([a, watcher, t]), {"x": 1}))
        assert r.error is err
        del r
    assert [rec.getMessage() for rec in records] == []


@pytest.mark.parametrize("thread_first", [False, True])
async def test_failing_settled_thread_is_named_as_also_failed(thread_first: bool) -> None:
    """C6 step 3: awaiting the running thread futures, 'any other exception is recorded as
    an extra failure'. It failed after the stop, so it is only named, never reported, even
    when it is earlier in node order (``thread_first``)."""
    err = ValueError("a failed")
    a, watcher, t = settled_thread_failure(err)
    nodes = [t, watcher, a] if thread_first else [a, watcher, t]
    r = await within(AsyncRunner().run(Graph(nodes), {"x": 1}))
    assert r.error is err
    assert r.failed_node == "a"
    [note] = hypergraph_notes(err)
    assert "also failed: t" in note


async def test_async_generator_sibling_is_closed_before_run_returns() -> None:
    c = Tally()
    yielded = asyncio.Event()
    err = ValueError("boom")

    @node(output_name="items")
    async def stream(x: int) -> Any:
        c.hit("start")
        try:
            yield x
            yielded.set()
            await never()
            yield x + 1
        finally:
            c.hit("finally")

    @node(output_name="bad")
    async def fail(x: int) -> int:
        await yielded.wait()
        raise err

    for mode in ("continue", "raise"):
        yielded.clear()
        try:
            r = await within(
                AsyncRunner().run(Graph([stream, fail]), {"x": 1}, error_handling=mode)
            )
        except ValueError as exc:
            assert exc is err
        else:
            assert r.error is err
            assert "items" not in r.values  # never a partial generator list
        assert c["start"] == c["finally"]
    assert c["finally"] == 2


async def test_sync_generator_sibling_in_thread_stops_and_closes() -> None:
    """A sync generator being drained in a thread stops at its next item and is closed,
    and nothing is left for asyncio to log (RELIABILITY I4, I5, I8)."""
    loop = asyncio.get_running_loop()
    c = Tally()
    first = asyncio.Event()
    release = threading.Event()
    err = ValueError("boom")

    @node(output_name="items")
    def stream(x: int) -> Any:
        c.hit("start")
        try:
            yield x
            loop.call_soon_threadsafe(first.set)
            release.wait(5)
            for k in range(1000):
                c.hit("item")
                yield k
        finally:
            c.hit("finally")

    @node(output_name="w")
    async def watcher(x: int) -> int:
        try:
            await never()
            return x
        except asyncio.CancelledError:
            await after_cancellation_landed()
            release.set()
            raise

    @node(output_name="bad")
    async def fail(x: int) -> int:
        await first.wait()
        raise err

    with asyncio_errors() as records:
        r = await within(AsyncRunner().run(Graph([stream, watcher, fail]), {"x": 1}))
        assert r.error is err
        assert "items" not in r.values
        assert c["start"] == c["finally"] == 1
        assert c["item"] <= 1
        assert pool_threads() == []
        del r
    assert [rec.getMessage() for rec in records] == []


async def test_generator_cleanup_error_never_replaces_the_failure() -> None:
    yielded = asyncio.Event()
    err = ValueError("the real failure")
    cleanup = RuntimeError("finally failed")

    @node(output_name="items")
    async def stream(x: int) -> Any:
        try:
            yield x
            yielded.set()
            await never()
        finally:
            raise cleanup

    @node(output_name="bad")
    async def fail(x: int) -> int:
        await yielded.wait()
        raise err

    r = await within(AsyncRunner().run(Graph([stream, fail]), {"x": 1}))
    assert r.error is err
    assert r.failed_node == "fail"
    [note] = hypergraph_notes(err)
    assert "stream" in note


# -- F3 / F8 / §4.12: cancellation from outside ------------------------------------------------


def hanging_graph(c: Tally, on_enter: Any = None) -> Graph:
    """An async node hangs; a def sibling blocks in a thread until the async node is cancelled."""
    release = threading.Event()

    @node(output_name="h")
    async def hang(x: int) -> int:
        c.hit("hang.start")
        if on_enter is not None:
            on_enter()
        try:
            await never()
            return x
        except asyncio.CancelledError:
            c.hit("hang.cancelled")
            release.set()
            raise

    @node(output_name="t")
    def blocking(x: int) -> int:
        c.hit("t.enter")
        try:
            release.wait(5)
            return x
        finally:
            c.hit("t.exit")

    @node(output_name="items")
    async def stream(x: int) -> Any:
        try:
            yield x
            await never()
        finally:
            c.hit("gen.finally")

    return Graph([hang, blocking, stream])


async def test_caller_timeout_cancels_the_run() -> None:
    """asyncio.timeout() around run(): the running node observes cancellation, the caller
    gets TimeoutError, no result exists, every node was settled and closed (F8)."""
    c = Tally()
    holder: list[Any] = []

    def expire_now() -> None:  # deterministic: the deadline passes once the node is inside
        holder[0].reschedule(asyncio.get_running_loop().time())

    graph = hanging_graph(c, expire_now)
    result: RunResult | None = None
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(None) as cm:
            holder.append(cm)
            result = await AsyncRunner().run(graph, {"x": 1}, error_handling="continue")
    assert result is None
    assert c["hang.cancelled"] == 1
    assert c["t.enter"] == c["t.exit"] == 1
    assert c["gen.finally"] == 1
    assert asyncio.current_task().cancelling() == 0  # asyncio.timeout uncancelled its own
    assert only_this_task()
    assert pool_threads() == []


async def test_caller_timeout_settles_a_lone_thread_body() -> None:
    """The only node is a def body in a thread when the deadline passes: run() waits for the
    thread (it cannot be cancelled) and only then raises TimeoutError."""
    loop = asyncio.get_running_loop()
    c = Tally()
    holder: list[Any] = []
    release = threading.Event()

    @node(output_name="y")
    def blocking(x: int) -> int:
        c.hit("enter")
        try:
            loop.call_soon_threadsafe(lambda: holder[0].reschedule(loop.time()))
            release.wait(5)
            return x
        finally:
            c.hit("exit")

    async def release_once_expired() -> None:
        while not holder or not holder[0].expired():
            await asyncio.sleep(0)
        c.hit("released")
        release.set()

    helper = asyncio.create_task(release_once_expired())
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(None) as cm:
            holder.append(cm)
            await AsyncRunner().run(Graph([blocking]), {"x": 1})
    assert c["released"] == 1  # the deadline passed while the body was still running
    assert c["enter"] == c["exit"] == 1
    await within(helper)
    assert pool_threads() == []


@pytest.mark.parametrize("mode", ["continue", "raise"])
async def test_caller_wait_for_timeout_cancels_the_run(mode: str) -> None:
    c = Tally()
    graph = hanging_graph(c)
    result: RunResult | None = None
    with pytest.raises(TimeoutError):
        result = await asyncio.wait_for(
            AsyncRunner().run(graph, {"x": 1}, error_handling=mode), 0.05
        )
    assert result is None
    assert c["hang.start"] == c["hang.cancelled"] == 1
    assert c["t.enter"] == c["t.exit"] == 1
    assert c["gen.finally"] == 1
    assert only_this_task()
    assert pool_threads() == []


async def test_caller_timeout_reaches_nested_and_mapped_nodes() -> None:
    c = Tally()
    holder: list[Any] = []
    inside = 0

    @node(output_name="y")
    async def work(x: int) -> int:
        nonlocal inside
        inside += 1
        if inside == 3:
            holder[0].reschedule(asyncio.get_running_loop().time())
        try:
            await never()
            return x
        except asyncio.CancelledError:
            c.hit("cancelled")
            raise

    outer = Graph([Graph([work], name="inner").as_node().map_over("x")])
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(None) as cm:
            holder.append(cm)
            await AsyncRunner().map(outer, {"x": [[1, 2], [3]]}, map_over="x", max_concurrency=4)
    assert c["cancelled"] == 3
    assert only_this_task()


@pytest.mark.parametrize("mode", ["continue", "raise"])
async def test_external_cancel_propagates_and_is_not_swallowed(mode: str) -> None:
    c = Tally()
    entered = asyncio.Event()
    graph = hanging_graph(c, entered.set)
    seen: dict[str, Any] = {}

    async def caller() -> RunResult:
        try:
            return await AsyncRunner().run(graph, {"x": 1}, error_handling=mode)
        except asyncio.CancelledError:
            seen["cancelling"] = asyncio.current_task().cancelling()
            raise

    task = asyncio.create_task(caller())
    await within(entered.wait())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await within(task)
    assert task.cancelled()
    assert seen["cancelling"] == 1  # never uncancel()ed on the caller's behalf
    assert c["hang.cancelled"] == 1
    assert c["t.enter"] == c["t.exit"] == 1
    assert c["gen.finally"] == 1
    assert only_this_task()
    assert pool_threads() == []


async def test_external_cancel_of_map_propagates() -> None:
    c = Tally()
    entered = asyncio.Event()

    @node(output_name="y")
    async def work(x: int) -> int:
        entered.set()
        try:
            await never()
            return x
        except asyncio.CancelledError:
            c.hit("cancelled")
            raise

    task = asyncio.create_task(
        AsyncRunner().map(Graph([work]), {"x": list(range(10))}, map_over="x", max_concurrency=3)
    )
    await within(entered.wait())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await within(task)
    assert task.cancelled()
    assert c["cancelled"] == 3
    assert only_this_task()


def cleanup_failing_graph(entered: asyncio.Event, siblings: bool) -> Graph:
    @node(output_name="items")
    async def stream(x: int) -> Any:
        try:
            yield x
            entered.set()
            await never()
        finally:
            raise RuntimeError("cleanup failed")

    @node(output_name="h")
    async def hang(x: int) -> int:
        await never()
        return x

    return Graph([stream, hang] if siblings else [stream])


@pytest.mark.parametrize("siblings", [False, True])
async def test_external_cancel_wins_over_generator_cleanup_error(siblings: bool) -> None:
    """F3 / I9: the caller's cancellation propagates and no RunResult is made, even when a
    generator's finally raises while being cancelled (C6: cleanup errors never replace)."""
    entered = asyncio.Event()
    graph = cleanup_failing_graph(entered, siblings)
    task = asyncio.create_task(AsyncRunner().run(graph, {"x": 1}))
    await within(entered.wait())
    task.cancel()
    outcome: Any = None
    with pytest.raises(asyncio.CancelledError):
        outcome = await within(task)
    assert outcome is None
    assert task.cancelled()
    assert only_this_task()


@pytest.mark.parametrize("siblings", [False, True])
async def test_caller_timeout_wins_over_generator_cleanup_error(siblings: bool) -> None:
    entered = asyncio.Event()
    graph = cleanup_failing_graph(entered, siblings)
    outcome: Any = None

    async def expire_when_entered(cm: asyncio.Timeout) -> None:
        await entered.wait()
        cm.reschedule(asyncio.get_running_loop().time())

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(None) as cm:
            helper = asyncio.create_task(expire_when_entered(cm))
            outcome = await AsyncRunner().run(graph, {"x": 1})
    await within(helper)
    assert outcome is None
    assert asyncio.current_task().cancelling() == 0
    assert only_this_task()


async def test_cancel_during_cleanup_still_waits_for_threads() -> None:
    """C7: cleanup keeps awaiting children even if cancelled again."""
    loop = asyncio.get_running_loop()
    c = Tally()
    thread_in = asyncio.Event()
    release = threading.Event()

    @node(output_name="t")
    def blocking(x: int) -> int:
        c.hit("enter")
        try:
            loop.call_soon_threadsafe(thread_in.set)
            release.wait(5)
            return x
        finally:
            c.hit("exit")

    @node(output_name="h")
    async def hang(x: int) -> int:
        await never()
        return x

    task = asyncio.create_task(AsyncRunner().run(Graph([blocking, hang]), {"x": 1}))
    await within(thread_in.wait())
    task.cancel()
    for _ in range(5):
        await asyncio.sleep(0)
        task.cancel()  # cancelled again while it settles the thread
    assert not task.done()  # still settling: the thread has not returned
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await within(task)
    assert c["enter"] == c["exit"] == 1
    assert pool_threads() == []


# -- §4.12: a node raising CancelledError by itself is a node failure --------------------------


@pytest.mark.parametrize("kind", ["async", "sync"])
@pytest.mark.parametrize("siblings", [False, True])
async def test_node_raising_cancelled_error_itself_is_a_failure(kind: str, siblings: bool) -> None:
    own = asyncio.CancelledError("raised by the body")

    if kind == "async":

        @node(output_name="y")
        async def cancel_me(x: int) -> int:
            raise own

    else:

        @node(output_name="y")
        def cancel_me(x: int) -> int:
            raise own

    @node(output_name="z")
    async def other(x: int) -> int:
        return x + 1

    graph = Graph([cancel_me, other] if siblings else [cancel_me])
    r = await within(AsyncRunner().run(graph, {"x": 1}))
    assert r.status is RunStatus.FAILED
    assert isinstance(r.error, NodeCancelledError)
    assert r.error.__cause__ is own
    assert r.failed_node == "cancel_me"
    assert "cancel_me" in str(r.error)
    [note] = hypergraph_notes(r.error)
    assert "'cancel_me'" in note
    # the caller's task was not cancelled: it can keep awaiting
    assert asyncio.current_task().cancelling() == 0
    await asyncio.sleep(0)
    assert only_this_task()


async def test_node_raising_cancelled_error_itself_raise_mode() -> None:
    own = asyncio.CancelledError()

    @node(output_name="y")
    async def cancel_me(x: int) -> int:
        await asyncio.sleep(0)
        raise own

    with pytest.raises(NodeCancelledError) as info:
        await within(AsyncRunner().run(Graph([cancel_me]), {"x": 1}, error_handling="raise"))
    assert info.value.__cause__ is own
    assert asyncio.current_task().cancelling() == 0
    await asyncio.sleep(0)


async def test_node_raising_cancelled_error_inside_nested_graph() -> None:
    own = asyncio.CancelledError()

    @node(output_name="y")
    async def cancel_me(x: int) -> int:
        raise own

    outer = Graph([Graph([cancel_me], name="inner").as_node().map_over("x")])
    r = await within(AsyncRunner().run(outer, {"x": [1, 2]}))
    assert isinstance(r.error, NodeCancelledError)
    assert r.error.__cause__ is own
    assert asyncio.current_task().cancelling() == 0


def test_sync_runner_node_raising_cancelled_error_is_a_failure() -> None:
    own = asyncio.CancelledError()

    @node(output_name="y")
    def cancel_me(x: int) -> int:
        raise own

    r = SyncRunner().run(Graph([cancel_me]), {"x": 1})
    assert isinstance(r.error, NodeCancelledError)
    assert r.error.__cause__ is own


# -- F3: a private BaseException propagates unchanged ----------------------------------------


@pytest.mark.parametrize("mode", ["continue", "raise"])
@pytest.mark.parametrize("where", ["top", "nested", "mapped"])
@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_private_base_exception_propagates_unchanged(
    kind: str, where: str, mode: str
) -> None:
    c = Tally()
    boom = Interrupt("stop everything")
    sibling_in = asyncio.Event()

    if kind == "async":

        @node(output_name="y")
        async def explode(x: int) -> int:
            await sibling_in.wait()
            raise boom

    else:

        @node(output_name="y")
        def explode(x: int) -> int:
            c.hit("thread.enter")
            raise boom

    @node(output_name="s")
    async def sibling(x: int) -> int:
        sibling_in.set()
        try:
            await never()
            return x
        except asyncio.CancelledError:
            c.hit("cancelled")
            raise

    @node(output_name="items")
    async def stream(x: int) -> Any:
        try:
            yield x
            await never()
        finally:
            c.hit("gen.finally")

    if where == "top":
        graph, values = Graph([explode, sibling, stream]), {"x": 1}
    elif where == "nested":
        graph = Graph([Graph([explode], name="inner").as_node(), sibling, stream])
        values = {"x": 1}
    else:
        inner = Graph([explode], name="inner").as_node().with_inputs(x="xs").map_over("xs")
        graph, values = Graph([inner, sibling, stream]), {"x": 1, "xs": [1, 2, 3]}

    result: RunResult | None = None
    with pytest.raises(Interrupt) as info:
        result = await within(AsyncRunner().run(graph, values, error_handling=mode))
    assert info.value is boom
    assert result is None
    assert c["cancelled"] == 1
    assert c["gen.finally"] == 1
    assert hypergraph_notes(boom) == []  # never captured, so never annotated as a failure
    assert only_this_task()
    assert pool_threads() == []


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_private_base_exception_stops_map(kind: str) -> None:
    c = Tally()
    boom = Interrupt()

    if kind == "async":

        @node(output_name="y")
        async def work(x: int) -> int:
            c.hit("start")
            await asyncio.sleep(0)
            if x == 3:
                raise boom
            return x

    else:

        @node(output_name="y")
        def work(x: int) -> int:
            c.hit("start")
            if x == 3:
                raise boom
            return x

    for mode in ("continue", "raise"):
        with pytest.raises(Interrupt) as info:
            await within(
                AsyncRunner().map(
                    Graph([work]),
                    {"x": list(range(50))},
                    map_over="x",
                    max_concurrency=2,
                    error_handling=mode,
                )
            )
        assert info.value is boom
    assert c["start"] < 100  # the map stopped: not every item ran
    assert only_this_task()
    assert pool_threads() == []


# -- real KeyboardInterrupt: plain def tests (RELIABILITY 4.1, 4.5) --------------------------


def ki_graph(c: Tally, exc: type[BaseException] = KeyboardInterrupt) -> Graph:
    sibling_in = threading.Event()

    @node(output_name="a")
    def interrupted(x: int) -> int:
        c.hit("ki.enter")
        sibling_in.wait(5)
        raise exc

    @node(output_name="b")
    def sibling(x: int) -> int:
        c.hit("b.enter")
        try:
            sibling_in.set()
            threading.Event().wait(0.05)  # still running when the interrupt is raised
            return x
        finally:
            c.hit("b.exit")

    @node(output_name="after")
    def after(a: int) -> int:
        c.hit("after")
        return a

    return Graph([interrupted, sibling, after])


@pytest.mark.parametrize("mode", ["continue", "raise"])
def test_keyboard_interrupt_under_sync_runner(mode: str) -> None:
    c = Tally()

    @node(output_name="a")
    def interrupted(x: int) -> int:
        c.hit("ki")
        raise KeyboardInterrupt

    @node(output_name="items")
    def stream(x: int) -> Any:
        try:
            yield x
            raise KeyboardInterrupt
        finally:
            c.hit("gen.finally")

    @node(output_name="after")
    def after(a: int) -> int:
        c.hit("after")
        return a

    with pytest.raises(KeyboardInterrupt):
        SyncRunner().run(Graph([interrupted, after]), {"x": 1}, error_handling=mode)
    with pytest.raises(KeyboardInterrupt):
        SyncRunner().run(Graph([stream]), {"x": 1}, error_handling=mode)
    assert (c["ki"], c["gen.finally"], c["after"]) == (1, 1, 0)
    assert pool_threads() == []


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
@pytest.mark.parametrize("mode", ["continue", "raise"])
def test_keyboard_interrupt_under_async_runner(mode: str, exc: type[BaseException]) -> None:
    c = Tally()
    with pytest.raises(exc):
        asyncio.run(AsyncRunner().run(ki_graph(c, exc), {"x": 1}, error_handling=mode))
    assert c["ki.enter"] == 1
    assert c["b.enter"] == c["b.exit"] == 1  # sibling thread settled
    assert c["after"] == 0
    assert pool_threads() == []


def test_keyboard_interrupt_alone_under_async_runner() -> None:
    @node(output_name="a")
    def interrupted(x: int) -> int:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(AsyncRunner().run(Graph([interrupted]), {"x": 1}))
    assert pool_threads() == []


def test_keyboard_interrupt_in_async_runner_map() -> None:
    c = Tally()

    @node(output_name="y")
    def work(x: int) -> int:
        c.hit("start")
        if x == 2:
            raise KeyboardInterrupt
        return x

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(
            AsyncRunner().map(
                Graph([work]), {"x": list(range(20))}, map_over="x", max_concurrency=1
            )
        )
    assert c["start"] == 3
    assert pool_threads() == []


async def test_sync_delegated_subtree_starts_nothing_after_a_sibling_fails() -> None:
    """A SyncRunner subtree run in a worker thread stops between nodes once the run stops."""
    entered, go = threading.Event(), threading.Event()
    ran: list[str] = []

    @node(output_name="a")
    def n1(x: int) -> int:
        entered.set()
        go.wait(5)
        ran.append("n1")
        return x

    @node(output_name="b")
    def n2(a: int) -> int:
        ran.append("n2")
        return a

    @node(output_name="c")
    def n3(b: int) -> int:
        ran.append("n3")
        return b

    chain = Graph([n1, n2, n3], name="chain").as_node(runner=SyncRunner())

    @node(output_name="boom")
    async def fail(x: int) -> int:
        while not entered.is_set():
            await asyncio.sleep(0)
        raise ValueError("sibling failed")

    @node(output_name="w")
    async def watcher(x: int) -> int:
        # Cancelled after the delegated subtree (node order): releases n1 once stop is set.
        try:
            await asyncio.Event().wait()
        finally:
            go.set()
        return x

    result = await asyncio.wait_for(AsyncRunner().run(Graph([chain, fail, watcher]), {"x": 1}), 10)
    assert isinstance(result.error, ValueError)
    assert ran == ["n1"]
