"""Handing events to a call's processors, in order, from any thread (see ``_events`` for the order).

Sync processors are called at once, in whatever thread emits; once a call can emit from several
threads at a time (AsyncRunner's worker threads), under a lock. Async processors run on the
call's event loop, one event at a time, from a backlog that keeps the emission order: the async
driver awaits the delivery, a worker thread blocks until its event has been delivered, and
events emitted from synchronous code on the loop (an abort) wait for the next delivery.

A processor that raises is reported with a ``RuntimeWarning`` and the run goes on.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

from hypergraph_types import AnyEvent
from hypergraph_types._internal import CallSite, describe_exception

__all__ = ["Delivery"]


class Delivery:
    """The processors of one top-level call and the means to reach them."""

    def __init__(
        self,
        sync: Sequence[Any],
        async_: Sequence[Any],
        loop: asyncio.AbstractEventLoop | None,
        threaded: bool,
    ) -> None:
        self._sync = tuple(sync)
        self._async = tuple(async_)
        self._loop = loop
        self._home = threading.get_ident()
        self._lock = threading.Lock() if threaded else None
        self._alock = asyncio.Lock() if async_ else None
        self._backlog: deque[AnyEvent] = deque()
        self._site = CallSite()  # made inside the user's call: warnings point at its line

    def allow_threads(self) -> None:
        """From now on events may come from several threads at once (lock the sync calls)."""
        if self._lock is None:
            self._lock = threading.Lock()

    def _call_sync(self, event: AnyEvent) -> None:
        for proc in self._sync:
            try:
                proc.on_event(event)
            except Exception as exc:
                _report(self._site, proc, event, exc)

    def send(self, event: AnyEvent) -> None:
        """Deliver from synchronous code (the sync driver, a worker thread, an abort)."""
        if self._sync:
            lock = self._lock
            if lock is None:  # the common case, inlined: this runs for every event
                for proc in self._sync:
                    try:
                        proc.on_event(event)
                    except Exception as exc:
                        _report(self._site, proc, event, exc)
            else:
                with lock:
                    self._call_sync(event)
        if self._async:
            if threading.get_ident() == self._home:
                self._backlog.append(event)  # delivered by the next asend() or afinish()
            else:
                assert self._loop is not None
                asyncio.run_coroutine_threadsafe(self._push(event), self._loop).result()

    async def asend(self, event: AnyEvent) -> None:
        """Deliver from the async driver, awaiting async processors."""
        if self._sync:
            lock = self._lock
            if lock is None:
                self._call_sync(event)
            else:
                with lock:
                    self._call_sync(event)
        if self._async:
            if threading.get_ident() == self._home:
                self._backlog.append(event)
                await self._drain()
            else:  # an AsyncRunner on a private loop, nested under a worker thread
                assert self._loop is not None
                push = asyncio.run_coroutine_threadsafe(self._push(event), self._loop)
                await asyncio.wrap_future(push)

    async def _push(self, event: AnyEvent) -> None:
        self._backlog.append(event)
        await self._drain()

    async def _drain(self) -> None:
        assert self._alock is not None
        async with self._alock:
            backlog = self._backlog
            while backlog:
                event = backlog.popleft()
                for proc in self._async:
                    try:
                        await proc.on_event(event)
                    except Exception as exc:
                        _report(self._site, proc, event, exc)

    def close_sync(self) -> None:
        for proc in self._sync:
            close = _closer(proc)
            if close is not None:
                try:
                    close()
                except Exception as exc:
                    _report(self._site, proc, None, exc)

    async def close_async(self) -> None:
        if not self._async:
            return
        await self._drain()
        for proc in self._async:
            close = _closer(proc)
            if close is not None:
                try:
                    await close()
                except Exception as exc:
                    _report(self._site, proc, None, exc)


def _closer(proc: Any) -> Any:
    """What ends a processor: ``shutdown`` if it has one (the newer spelling), else ``close``.

    Only one of them is called, so a processor may define ``shutdown = close`` without being
    closed twice; the base classes' ``shutdown`` calls ``close``, so overriding either works.
    """
    shutdown = getattr(proc, "shutdown", None)
    return shutdown if shutdown is not None else getattr(proc, "close", None)


def _report(site: CallSite, proc: Any, event: AnyEvent | None, exc: Exception) -> None:
    doing = f"handling {type(event).__name__}" if event is not None else "closing"
    path = getattr(event, "path", "")
    where = f" at {path!r}" if path else ""
    site.warn(
        f"hypergraph: event processor {type(proc).__qualname__} raised "
        f"{describe_exception(exc)} while {doing}{where}; the run goes on. "
        "How to fix: make on_event / shutdown / close catch its own errors",
        RuntimeWarning,
    )
