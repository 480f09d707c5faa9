"""Asyncio plumbing for ``AsyncRunner``: sibling cancellation, thread settling, worker pools.

Rules (RELIABILITY C2-C7): on the first failure the siblings are cancelled and awaited to the
end; a thread that already started is *settled* (waited for), never abandoned; cleanup keeps
waiting even when cancelled again, then the cancellation propagates; every task's exception is
retrieved so asyncio never logs "exception was never retrieved".
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

from ._context import AsyncContext
from ._leaf import NodeFailure

__all__ = ["DEFAULT_MAP_WORKERS", "ItemFailed", "in_thread", "settle", "wait_all", "work_pool"]

T = TypeVar("T")

#: Workers of ``AsyncRunner.map`` (and of a mapped GraphNode) when no ``max_concurrency``
#: is given: ``min(number of items, DEFAULT_MAP_WORKERS)`` (SPEC §5.1).
DEFAULT_MAP_WORKERS = 128


class ItemFailed(Exception):
    """Raised by a worker to stop its siblings after a failed item; never escapes."""


async def wait_all(tasks: Iterable[asyncio.Future[Any]]) -> bool:
    """Await every task to the end, even if cancelled meanwhile; True if we were cancelled."""
    pending = {t for t in tasks if not t.done()}
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


async def settle(tasks: list[asyncio.Task[Any]]) -> None:
    """Wait for all tasks; at the first exception cancel the rest and await them.

    If the caller is cancelled meanwhile, every task is cancelled and awaited, then the
    ``CancelledError`` propagates. Exceptions stay on the tasks for the caller to inspect.
    """
    pending: set[asyncio.Task[Any]] = set(tasks)
    try:
        while pending:
            finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
            if any(not t.cancelled() and t.exception() is not None for t in finished):
                break
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

    ``stop`` is a ``threading.Event`` set when the awaiting task is cancelled, so a sync
    generator being drained stops at its next item. A submission that had not started is
    cancelled; one that had is waited for. If it then failed on its own, its ``NodeFailure``
    rides on the re-raised ``CancelledError`` as ``late_failure`` so the superstep can name it;
    if it finished normally, its return value rides along as ``settled`` (a one-item tuple),
    so a sibling stopped by another node's failure keeps what it computed (P10).
    """
    stop = threading.Event()
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


async def work_pool(
    items: Iterator[T],
    count: int,
    limit: int | None,
    run_item: Callable[[int, T], Awaitable[bool]],
    stop_on_failure: bool,
) -> None:
    """Run ``run_item(i, item)`` for every item with a fixed number of workers (C4).

    ``run_item`` returns True when the item failed. Workers pull from one lazy iterator;
    with ``stop_on_failure`` the first failure stops the pool: no new item starts and the
    items in flight are cancelled.
    """
    workers = min(count, limit if limit is not None else DEFAULT_MAP_WORKERS)
    numbered = enumerate(items)
    stopped = False

    async def worker() -> None:
        nonlocal stopped
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
