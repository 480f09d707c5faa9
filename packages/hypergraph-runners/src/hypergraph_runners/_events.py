"""Event processors: the interfaces users implement, and the checks a call runs on them.

Pass processors with ``event_processors=[...]`` to ``run()`` / ``map()`` of either runner. A
processor receives every event of the call, one at a time, in this order:

1. ``RunStartEvent`` of the top-level run (for ``map()``: of the whole call, with ``map_size``);
2. per superstep: ``SuperstepStartEvent``, then ``NodeStartEvent`` and ``NodeEndEvent`` /
   ``NodeErrorEvent`` of its nodes in execution order (SyncRunner: node order, each node's end
   before the next start; AsyncRunner: nodes of one superstep overlap, so starts and ends
   interleave as they happen). Acyclic graphs under AsyncRunner run as dataflow and emit no
   superstep events;
3. a GraphNode's nested run, ``RunStartEvent`` ... ``RunEndEvent``, comes between the
   GraphNode's ``NodeStartEvent`` and its end event; each map item (of ``map()`` or of a mapped
   GraphNode) is ``MapItemStartEvent``, the item's run, ``MapItemEndEvent``;
4. ``RunEndEvent`` of the top-level run, last. Its ``result`` is the ``RunResult``.

Every span that starts also ends: a node or item stopped from outside (a failing sibling,
``error_handling="raise"``, cancellation, Ctrl-C) ends with status ``"cancelled"``, innermost
first. After the last event of the call the runner calls each processor's ``shutdown()``, or
its ``close()`` when it has no ``shutdown`` (never both: ``EventProcessor.shutdown`` calls
``close``, so overriding either one works; a processor that defines both gets ``shutdown()``).

A processor that raises is reported with a ``RuntimeWarning`` naming it and the event; the run
goes on and the processor keeps receiving events. Calls are never concurrent: the runner
delivers one event at a time to a processor, even when nodes run in worker threads.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hypergraph_types import AnyEvent
from hypergraph_types._internal import message, short_repr

if TYPE_CHECKING:
    from ._emitter import Emitter

__all__ = ["AsyncEventProcessor", "EventProcessor", "QueueFeed", "make_emitter"]


class EventProcessor:
    """Receives a call's events synchronously (works with both runners).

    Subclass it and override ``on_event``; any object with such a method is accepted too.

    Example:
        >>> from hypergraph_types import NodeEndEvent
        >>> class Timings(EventProcessor):
        ...     def __init__(self) -> None:
        ...         self.seconds: dict[str, float] = {}
        ...     def on_event(self, event: AnyEvent) -> None:
        ...         if isinstance(event, NodeEndEvent):
        ...             self.seconds[event.path] = event.duration
    """

    def on_event(self, event: AnyEvent) -> None:
        """Handle one event. Runs inside the call: keep it quick, and never block on the run."""
        raise NotImplementedError

    def shutdown(self) -> None:
        """Called once after the last event of each call the processor was given to.

        The default calls ``close()``; override either one (``shutdown`` is the newer
        spelling, ``close`` the older). If you override both, only ``shutdown`` is called.
        """
        self.close()

    def close(self) -> None:
        """Called by the default ``shutdown()``; a no-op unless overridden."""


class AsyncEventProcessor:
    """Receives a call's events with ``async def on_event`` (AsyncRunner only).

    AsyncRunner awaits each call, so the run waits for the processor; events are still
    delivered one at a time and in order. SyncRunner rejects these processors with a
    ``TypeError`` before anything runs.
    """

    async def on_event(self, event: AnyEvent) -> None:
        """Handle one event."""
        raise NotImplementedError

    async def shutdown(self) -> None:
        """Awaited once after the last event of each call; the default awaits ``close()``."""
        await self.close()

    async def close(self) -> None:
        """Awaited by the default ``shutdown()``; a no-op unless overridden."""


Processor = EventProcessor | AsyncEventProcessor


def make_emitter(
    processors: Sequence[Processor] | None,
    show_progress: bool,
    *,
    runner: str,
    allow_async: bool,
) -> Emitter | None:
    """Check ``event_processors`` / ``show_progress``; ``None`` when there is nothing to emit to.

    Raises before any node runs: ``TypeError`` for a bad argument or an async processor given
    to SyncRunner, ``ImportError`` for ``show_progress=True`` without rich installed.
    """
    if not isinstance(show_progress, bool):
        raise TypeError(f"show_progress must be True or False, got {short_repr(show_progress)}")
    if processors is None:
        processors = ()
    elif isinstance(processors, (str, bytes)) or not isinstance(processors, Sequence):
        raise TypeError(
            message(
                f"{runner}: event_processors must be a list of processors",
                [f"got {type(processors).__name__}"],
                "pass event_processors=[processor] (a list, even for one processor)",
            )
        )
    sync: list[Any] = []
    async_: list[Any] = []
    for proc in processors:
        on_event = getattr(proc, "on_event", None)
        if not callable(on_event):
            raise TypeError(
                message(
                    f"{runner}: event processor {short_repr(proc)} has no on_event method",
                    ["a processor is an object with on_event(event), like EventProcessor"],
                    "subclass EventProcessor (or AsyncEventProcessor) and define on_event",
                )
            )
        if inspect.iscoroutinefunction(on_event):
            if not allow_async:
                raise TypeError(
                    message(
                        f"{runner} cannot await the async event processor {type(proc).__name__}",
                        ["SyncRunner runs without an event loop; AsyncRunner awaits them"],
                        "use `await AsyncRunner().run(...)`, or give the processor a plain "
                        "`def on_event`",
                    )
                )
            async_.append(proc)
        else:
            sync.append(proc)
    if show_progress:
        from ._progress import RichProgressProcessor

        sync.append(RichProgressProcessor())
    if not sync and not async_:
        return None
    from ._emitter import Emitter

    loop = asyncio.get_running_loop() if async_ else None
    # AsyncRunner may emit from worker threads while its loop emits too.
    return Emitter(sync, async_, loop, threaded=allow_async)


class QueueFeed(EventProcessor):
    """Puts every event on an ``asyncio.Queue`` of the loop that made it (``AsyncRunner.iter``).

    Events may come from worker threads (a nested graph delegated to SyncRunner), so those are
    handed over with ``call_soon_threadsafe``.
    """

    def __init__(self, queue: asyncio.Queue[Any]) -> None:
        self._queue = queue
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()

    def on_event(self, event: AnyEvent) -> None:
        if threading.get_ident() == self._thread:
            self._queue.put_nowait(event)
        else:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, event)
