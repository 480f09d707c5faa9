"""Asyncio plumbing for ``AsyncRunner``: sibling cancellation, thread settling, worker pools.

Rules (RELIABILITY C2-C7): on the first failure the siblings are cancelled and awaited to the
end; a thread that already started is *settled* (waited for), never abandoned; cleanup keeps
waiting even when cancelled again, then the cancellation propagates; every task's exception is
retrieved so asyncio never logs "exception was never retrieved".
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
from collections.abc import (
    Awaitable,
    Callable,
    Coroutine,
    Generator,
    Iterable,
    Iterator,
    Sequence,
)
from concurrent.futures import Future
from typing import Any, TypeVar, Union

from ._context import AsyncContext
from ._leaf import NodeFailure, Stop

__all__ = [
    "DEFAULT_MAP_WORKERS",
    "Chunks",
    "Completions",
    "ItemFailed",
    "Ran",
    "Started",
    "in_thread",
    "in_thread_limited",
    "settle",
    "start",
    "wait_all",
    "work_pool",
]

T = TypeVar("T")

#: Workers of ``AsyncRunner.map`` (and of a mapped GraphNode) when no ``max_concurrency``
#: is given: ``min(number of items, DEFAULT_MAP_WORKERS)`` (SPEC §5.1).
DEFAULT_MAP_WORKERS = 128


class ItemFailed(Exception):
    """Raised by a worker to stop its siblings after a failed item; never escapes."""


class Ran:
    """A coroutine that finished in its eager first step: reads like a done task, is none.

    ``start`` returns one when the node body completed without suspending, so a wide
    superstep of quick async bodies costs no task per node.
    """

    __slots__ = ("_error", "_value")

    def __init__(self, value: Any, error: BaseException | None) -> None:
        self._value = value
        self._error = error

    def done(self) -> bool:
        return True

    def cancelled(self) -> bool:
        return isinstance(self._error, asyncio.CancelledError)

    def cancel(self) -> bool:
        return False

    def exception(self) -> BaseException | None:
        return self._error

    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._value


Started = Union["asyncio.Task[Any]", Ran]


class _Resumed(Coroutine[Any, Any, Any]):
    """A coroutine that suspended in its eager first step, handed to a task to go on.

    The task's first ``send`` gets the future the coroutine is waiting on; everything after
    that, a cancellation thrown in before the task ever ran included, goes to the coroutine
    itself, so its ``except``/``finally`` blocks run exactly as in a task of its own.
    """

    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, Any], yielded: Any) -> None:
        self.coro = coro
        self.first: tuple[Any] | None = (yielded,)

    def send(self, value: Any) -> Any:
        first = self.first
        if first is not None:
            self.first = None
            return first[0]
        return self.coro.send(value)

    def throw(self, exc: Any, *args: Any) -> Any:
        self.first = None
        return self.coro.throw(exc, *args)

    def close(self) -> None:
        self.first = None
        self.coro.close()

    def __await__(self) -> Generator[Any, Any, Any]:
        raise TypeError("a resumed coroutine is driven by its task only")


class Completions:
    """Finished tasks (and ``Ran`` outcomes) collected as they finish: O(1) per completion.

    ``asyncio.wait(running)`` would register a callback on every running task at every
    wake-up, which is quadratic in the fan-out width when a limit keeps most of them waiting.
    ``Ran`` outcomes of one wave arrive together when the done callbacks of tasks finishing
    in their first step would run (two loop turns later), so a sibling that fails a turn
    later still lands before anything is cancelled.
    """

    __slots__ = ("completed", "ran", "wake")

    def __init__(self) -> None:
        self.completed: list[Started] = []
        self.ran: list[Started] = []
        self.wake: asyncio.Future[None] | None = None

    def watch(self, started: Started) -> Started:
        if isinstance(started, Ran):
            if not self.ran:
                loop = asyncio.get_running_loop()
                loop.call_soon(loop.call_soon, self._arrive)
            self.ran.append(started)
        else:
            started.add_done_callback(self._done)
        return started

    def _arrive(self) -> None:
        self.completed.extend(self.ran)
        self.ran = []
        self._wake()

    def _done(self, task: Started) -> None:
        self.completed.append(task)
        self._wake()

    def _wake(self) -> None:
        if self.wake is not None and not self.wake.done():
            self.wake.set_result(None)

    async def wait(self) -> list[Started]:
        """The completions since the last call, waiting for at least one."""
        if not self.completed:
            self.wake = asyncio.get_running_loop().create_future()
            await self.wake
        completed, self.completed = self.completed, []
        return completed


async def turns(n: int) -> None:
    """Let the loop run ``n`` times (what waiting on a task's completion would take)."""
    for _ in range(n):
        await asyncio.sleep(0)


def start(coro: Coroutine[Any, Any, Any]) -> Started:
    """Run ``coro`` up to its first suspension now; a task only if it does suspend.

    The same as ``asyncio.create_task`` followed by the task's first step, minus the task
    for a coroutine that finishes at once (3.12's eager tasks, without their task object,
    and on 3.11 as well). The step runs in a copy of the current context, which the task (if
    one is needed) keeps, as a task's own first step would.
    """
    context = contextvars.copy_context()
    try:
        yielded = context.run(coro.send, None)
    except StopIteration as stop:
        return Ran(stop.value, None)
    except BaseException as exc:
        return Ran(None, exc)
    loop = asyncio.get_running_loop()
    return loop.create_task(_Resumed(coro, yielded), context=context)


async def wait_all(tasks: Iterable[Started]) -> bool:
    """Await every task to the end, even if cancelled meanwhile; True if we were cancelled."""
    pending = {t for t in tasks if not isinstance(t, Ran) and not t.done()}
    interrupted = False
    while pending:
        try:
            _, pending = await asyncio.wait(pending)
        except asyncio.CancelledError:
            interrupted = True
    for t in tasks:
        if not t.cancelled():
            t.exception()  # mark retrieved
    return interrupted


async def settle(tasks: Sequence[Started]) -> None:
    """Wait for all tasks; at the first exception cancel the rest and await them.

    If the caller is cancelled meanwhile, every task is cancelled and awaited, then the
    ``CancelledError`` propagates. Exceptions stay on the tasks for the caller to inspect.
    Coroutines that already ran to the end (``Ran``) count as finished tasks.
    """
    pending: set[Any] = {t for t in tasks if not t.done()}
    failed = False
    try:
        if pending and _any_failed(t for t in tasks if isinstance(t, Ran)):
            # A failure in a first step is seen when a task's would be (as in
            # ``Completions``): siblings that fail within those turns are failures, not
            # cleanup errors.
            await turns(3)
            pending = {t for t in pending if not t.done()}
            failed = True
        while pending and not failed:
            finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
            failed = _any_failed(finished)
    except BaseException:
        for t in tasks:
            t.cancel()
        await wait_all(tasks)
        raise
    if pending:
        for t in pending:
            t.cancel()
        if await wait_all(tasks):
            raise asyncio.CancelledError
    else:
        await wait_all(tasks)


def _any_failed(finished: Iterable[Started]) -> bool:
    return any(not t.cancelled() and t.exception() is not None for t in finished)


async def _settle_thread(future: Future[Any]) -> BaseException | None:
    """Wait until a started thread submission has finished, whatever happens meanwhile.

    Returns the exception the submission ended with (``None`` on success); raises
    ``CancelledError`` afterwards if this task was cancelled again while waiting.
    """
    wrapper = asyncio.wrap_future(future)
    interrupted = False
    while not wrapper.done():
        try:
            await asyncio.wait([wrapper])
        except asyncio.CancelledError:
            interrupted = True
    outcome = None if wrapper.cancelled() else wrapper.exception()
    if interrupted:
        raise asyncio.CancelledError
    return outcome


async def in_thread(ctx: AsyncContext, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args, stop)`` in the call's pool; on cancellation, stop and settle it.

    ``stop`` is a ``_leaf.Stop`` flag set when the awaiting task is cancelled, so a sync
    generator being drained stops at its next item. A submission that had not started is
    cancelled; one that had is waited for. If it then failed on its own, its ``NodeFailure``
    rides on the re-raised ``CancelledError`` as ``late_failure`` so the superstep can name it;
    if it finished normally, its return value rides along as ``settled`` (a one-item tuple),
    so a sibling stopped by another node's failure keeps what it computed (P10).
    """
    stop = Stop()
    future = ctx.pool().submit(fn, *args, stop)
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError as cancel:
        stop.set()
        if not future.cancel():
            outcome = await _settle_thread(future)
            if isinstance(outcome, NodeFailure):
                outcome.late = True
                cancel.late_failure = outcome  # type: ignore[attr-defined]
            elif outcome is None and not future.cancelled():
                cancel.settled = (future.result(),)  # type: ignore[attr-defined]
        raise


async def in_thread_limited(ctx: AsyncContext, fn: Callable[..., T], *args: Any) -> T:
    """``in_thread`` holding one ``max_concurrency`` permit while the thread works: a thread
    runs one body at a time, whatever a trip carries (a chain of nodes, a chunk of items)."""
    if ctx.limiter is None:
        return await in_thread(ctx, fn, *args)
    async with ctx.limiter:
        return await in_thread(ctx, fn, *args)


class Chunks:
    """How many items a worker takes at once when a whole chunk goes to one thread trip.

    A trip costs far more than a trivial item run under the sync driver. Each chunk's
    measured time per item sets the next size, so that a trip carries about ``TARGET``
    seconds of work: trivial items travel up to ``MOST`` at a time, slow ones (I/O in a
    ``def``) one at a time, keeping every thread busy.
    """

    TARGET = 0.002
    MOST = 64

    __slots__ = ("size",)

    def __init__(self) -> None:
        self.size = 1

    def took(self, items: int, seconds: float) -> None:
        per_item = seconds / max(items, 1)
        fit = int(self.TARGET / per_item) if per_item > 0 else self.MOST
        self.size = max(1, min(self.MOST, fit))


async def work_pool(
    items: Iterator[T],
    count: int,
    limit: int | None,
    run_item: Callable[[int, T], Awaitable[bool]],
    stop_on_failure: bool,
    run_chunk: Callable[[list[tuple[int, T]]], Awaitable[bool]] | None = None,
    chunks: Chunks | None = None,
) -> None:
    """Run ``run_item(i, item)`` for every item with a fixed number of workers (C4).

    ``run_item`` returns True when the item failed. Workers pull from one lazy iterator;
    with ``stop_on_failure`` the first failure stops the pool: no new item starts and the
    items in flight are cancelled. With ``run_chunk`` (and ``chunks`` sizing them), a worker
    takes several items at a time and hands them over together (one thread trip).
    """
    workers = min(count, limit if limit is not None else DEFAULT_MAP_WORKERS)
    numbered = enumerate(items)
    stopped = False

    async def worker() -> None:
        nonlocal stopped
        if run_chunk is not None and chunks is not None:
            while chunk := list(itertools.islice(numbered, chunks.size)):
                if await run_chunk(chunk) and stop_on_failure:
                    stopped = True
                    raise ItemFailed
                if stopped:
                    return
            return
        for i, item in numbered:
            if await run_item(i, item) and stop_on_failure:
                stopped = True
                raise ItemFailed
            if stopped:
                return

    if workers <= 1:
        with contextlib.suppress(ItemFailed):
            await worker()
        return
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await settle(tasks)
    for t in tasks:
        if not t.cancelled():
            exc = t.exception()
            if exc is not None and not isinstance(exc, ItemFailed):
                raise exc
