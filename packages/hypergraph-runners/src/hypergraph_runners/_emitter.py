"""Making a call's events: span ids, the span tree, and ending spans that were cut short.

One ``Emitter`` per top-level call, made only when the call has processors, travels on the
call's ``Context``; nested runs, map items and worker threads share it. Drivers guard every use
with ``if emitter is not None``, so a call without processors builds no event at all.

The emitter finds the span an event hangs under from where the run sits in the call: open spans
are keyed by ``(scope.run_id, path)``, unique among the spans open at any moment (a node path
appears once per run; map items differ in ``[i]``; a ``map()`` item has its own run id). A span
is a ``Span`` record.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from hypergraph_types import (
    AnyEvent,
    CacheHitEvent,
    EventStatus,
    InterruptEvent,
    MapItemEndEvent,
    MapItemStartEvent,
    NodeEndEvent,
    NodeErrorEvent,
    NodeStartEvent,
    RunEndEvent,
    RunResult,
    RunStartEvent,
    RunStatus,
    SuperstepStartEvent,
)
from hypergraph_types._internal import exception_text

from ._delivery import Delivery
from ._interrupt import Paused, outer_response_key
from ._leaf import Hit, NodeFailure

if TYPE_CHECKING:
    from ._core import Execution, Scope
    from ._plan import NodePlan, Plan

__all__ = ["Emitter", "observe_item", "observe_node", "observe_run_end"]

Key = tuple[str, str]


class Span(msgspec.Struct, frozen=True, gc=False):
    """One open span of the call's event tree.

    Attributes:
        id: The span id its events carry.
        parent: The enclosing span's id, or ``None``.
        run: The run id its events carry.
        kind: "run", "map", "node" or "item".
        path: The node path.
        name: The graph's (runs, maps) or the node's name.
        start: ``time.monotonic()`` at its start.
        extra: Runs: ``[supersteps started]``; nodes: their superstep or ``None``; items:
            the index.
        graph: The ``graph_name`` its events carry.
    """

    id: str
    parent: str | None
    run: str
    kind: str
    path: str
    name: str | None
    start: float
    extra: Any
    graph: str | None


_STATUS: dict[RunStatus, EventStatus] = {
    RunStatus.COMPLETED: "completed",
    RunStatus.FAILED: "failed",
    RunStatus.PAUSED: "paused",
}


class Emitter(Delivery):
    """Makes the events of one top-level call (delivery: see ``Delivery``)."""

    def __init__(
        self,
        sync: Sequence[Any],
        async_: Sequence[Any],
        loop: asyncio.AbstractEventLoop | None,
        threaded: bool,
    ) -> None:
        super().__init__(sync, async_, loop, threaded)
        self._open: dict[Key, Span] = {}
        self._prefix = os.urandom(4).hex() + "-"
        self._ids = itertools.count(1)
        self._root: Span | None = None
        # Per top-level run (a map item is one) of a graph that can pause: its plan, to name
        # a nested interrupt's answer as that run's caller gives it (``InterruptEvent``).
        self._pausable: dict[str, Plan] = {}

    def _begin(
        self, key: Key, kind: str, parent: Span | None, run_id: str, path: str, name: str | None,
        extra: Any, graph: str | None,
    ) -> Span:  # fmt: skip
        span = Span(
            f"{self._prefix}{next(self._ids)}",
            parent.id if parent is not None else None,
            run_id, kind, path, name, time.monotonic(), extra, graph,
        )  # fmt: skip
        self._open[key] = span
        return span

    def _end(self, key: Key) -> Span:
        span = self._open.pop(key, None)
        if span is None:  # never expected; an observer must not break the run
            span = Span(
                f"{self._prefix}{next(self._ids)}", None, key[0], "?", key[1], None, 0.0, None, None
            )  # fmt: skip
        return span

    # -- runs ------------------------------------------------------------------------------

    def run_start(self, ex: Execution) -> RunStartEvent:
        scope = ex.scope
        prefix = scope.prefix
        if prefix:
            parent = self._open.get((scope.run_id, prefix[:-1]))
        elif scope.item is not None:
            parent = self._open.get((scope.run_id, f"[{scope.item}]"))
        else:
            parent = None
        if not prefix and ex.plan.pausable:
            self._pausable[scope.run_id] = ex.plan
        name = ex.graph.name
        key = (scope.run_id, prefix)
        s = self._begin(key, "run", parent, ex.run_id, prefix[:-1], name, [0], name)
        return RunStartEvent(
            run_id=ex.run_id, span_id=s.id, parent_span_id=s.parent, timestamp=s.start,
            graph_name=name, path=s.path,
        )  # fmt: skip

    def run_end(self, ex: Execution, result: RunResult) -> RunEndEvent:
        s = self._end((ex.scope.run_id, ex.scope.prefix))
        if not ex.scope.prefix and ex.plan.pausable:
            self._pausable.pop(ex.scope.run_id, None)
        now = time.monotonic()
        duration = now - s.start
        return RunEndEvent(
            run_id=ex.run_id, span_id=s.id, parent_span_id=s.parent, timestamp=now,
            graph_name=ex.graph.name, path=s.path, duration=duration,
            duration_ms=duration * 1000.0, status=_STATUS[result.status], result=result,
        )  # fmt: skip

    def superstep(self, ex: Execution) -> SuperstepStartEvent:
        s = self._open.get((ex.scope.run_id, ex.scope.prefix))
        if s is None:
            s = self._end((ex.scope.run_id, ex.scope.prefix))  # a detached stand-in
        steps = s.extra
        index = steps[0] if isinstance(steps, list) else 0
        if isinstance(steps, list):
            steps[0] += 1
        return SuperstepStartEvent(
            run_id=ex.run_id, span_id=s.id, parent_span_id=s.parent,
            timestamp=time.monotonic(), graph_name=s.graph, superstep=index, index=index,
            path=s.path,
        )  # fmt: skip

    def map_start(self, run_id: str, graph_name: str | None, total: int) -> RunStartEvent:
        self._root = s = self._begin(
            (run_id, ""), "map", None, run_id, "", graph_name, None, graph_name
        )
        return RunStartEvent(
            run_id=run_id, span_id=s.id, parent_span_id=None, timestamp=s.start,
            graph_name=graph_name, path="", map_size=total,
        )  # fmt: skip

    def map_end(self, run_id: str, results: Sequence[RunResult | None]) -> RunEndEvent:
        s = self._end((run_id, ""))
        now = time.monotonic()
        failed = any(r is not None and r.status is RunStatus.FAILED for r in results)
        paused = any(r is not None and r.status is RunStatus.PAUSED for r in results)
        duration = now - s.start
        return RunEndEvent(
            run_id=run_id, span_id=s.id, parent_span_id=None, timestamp=now,
            graph_name=s.name, path="", duration=duration, duration_ms=duration * 1000.0,
            # As MapResult.status: a map with a paused item is resumable, so it is paused.
            status="paused" if paused else "failed" if failed else "completed",
        )  # fmt: skip

    # -- nodes -----------------------------------------------------------------------------

    def node_start(self, ex: Execution, p: NodePlan) -> NodeStartEvent:
        scope = ex.scope
        parent = self._open.get((scope.run_id, scope.prefix))
        path = scope.prefix + p.name
        if parent is not None:  # the run's span (the key names a run): its graph, its supersteps
            graph = parent.graph
            started = parent.extra[0]
            step = started - 1 if started else None  # None: no superstep yet (dataflow mode)
        else:
            graph, step = ex.graph.name, None
        s = self._begin((scope.run_id, path), "node", parent, ex.run_id, path, p.name, step, graph)
        return NodeStartEvent(
            run_id=ex.run_id, span_id=s.id, parent_span_id=s.parent, timestamp=s.start,
            graph_name=graph, superstep=step, node_name=p.name, path=path,
        )  # fmt: skip

    def node_end(
        self, ex: Execution, p: NodePlan, cached: bool = False, status: EventStatus = "completed"
    ) -> NodeEndEvent:
        s = self._end((ex.scope.run_id, ex.scope.prefix + p.name))
        now = time.monotonic()
        duration = now - s.start
        return NodeEndEvent(
            run_id=ex.run_id, span_id=s.id, parent_span_id=s.parent, timestamp=now,
            graph_name=s.graph, superstep=s.extra, node_name=p.name, path=s.path,
            duration=duration, duration_ms=duration * 1000.0, status=status,
            cached=cached,
        )  # fmt: skip

    def send_node_end(self, ex: Execution, p: NodePlan, outputs: dict[str, Any]) -> None:
        """Deliver a node's end: ``CacheHitEvent`` first when its outputs are a cache ``Hit``."""
        if type(outputs) is Hit:
            self.send(self.cache_hit(ex, p, outputs.key))
            self.send(self.node_end(ex, p, True))
        elif type(outputs) is Paused:
            for event in self.paused(ex, p, outputs):
                self.send(event)
        else:
            self.send(self.node_end(ex, p))

    def paused(self, ex: Execution, p: NodePlan, outputs: Paused) -> list[AnyEvent]:
        """A node that paused: an interrupt's ``InterruptEvent``, then its paused end."""
        events: list[AnyEvent] = []
        if p.interrupt is not None:
            scope = ex.scope
            s = self._open[(scope.run_id, scope.prefix + p.name)]
            pause = outputs.pauses[0]
            key = pause.response_key
            top = self._pausable.get(scope.run_id) if scope.prefix else None
            if top is not None:
                key = outer_response_key(top, scope.prefix, key)
            events.append(
                InterruptEvent(
                    run_id=ex.run_id,
                    span_id=s.id,
                    parent_span_id=s.parent,
                    timestamp=time.monotonic(),
                    node_name=s.path.replace(".", "/"),
                    graph_name=s.graph,
                    value=pause.value,
                    response_key=key,
                    superstep=s.extra,
                )
            )
        events.append(self.node_end(ex, p, status="paused"))
        return events

    def cache_hit(self, ex: Execution, p: NodePlan, key: str) -> CacheHitEvent:
        """Node ``p``'s outputs came from the cache (sent just before its ``NodeEndEvent``)."""
        scope = ex.scope
        s = self._open[(scope.run_id, scope.prefix + p.name)]
        return CacheHitEvent(
            run_id=ex.run_id, span_id=s.id, parent_span_id=s.parent,
            timestamp=time.monotonic(), node_name=p.name, graph_name=s.graph,
            cache_key=key, superstep=s.extra,
        )  # fmt: skip

    def node_error(self, ex: Execution, p: NodePlan, failure: NodeFailure) -> NodeErrorEvent:
        s = self._end((ex.scope.run_id, ex.scope.prefix + p.name))
        now = time.monotonic()
        error = failure.error
        kind = type(error)
        module = "" if kind.__module__ == "builtins" else f"{kind.__module__}."
        duration = now - s.start
        return NodeErrorEvent(
            run_id=ex.run_id, span_id=s.id, parent_span_id=s.parent, timestamp=now,
            graph_name=s.graph, superstep=s.extra, node_name=p.name, path=s.path,
            duration=duration, duration_ms=duration * 1000.0,
            error_type=module + kind.__qualname__, error_message=exception_text(error),
        )  # fmt: skip

    # -- map items -------------------------------------------------------------------------

    def item_start(self, scope: Scope, name: str, index: int, total: int) -> MapItemStartEvent:
        """Item ``index`` of the map at ``scope.prefix + name`` (``name=""``: a ``map()`` call)."""
        path = scope.prefix + name
        parent = self._open.get((scope.run_id, path)) if path else self._root
        owner = parent.run if parent is not None else scope.run_id
        graph = parent.graph if parent is not None else None
        key = (scope.run_id, f"{path}[{index}]")
        s = self._begin(key, "item", parent, owner, path, None, index, graph)
        return MapItemStartEvent(
            run_id=owner, span_id=s.id, parent_span_id=s.parent, timestamp=s.start,
            graph_name=graph, path=path, index=index, total=total,
        )  # fmt: skip

    def item_end(self, scope: Scope, name: str, index: int, status: RunStatus) -> MapItemEndEvent:
        path = scope.prefix + name
        s = self._end((scope.run_id, f"{path}[{index}]"))
        now = time.monotonic()
        duration = now - s.start
        return MapItemEndEvent(
            run_id=s.run, span_id=s.id, parent_span_id=s.parent, timestamp=now,
            graph_name=s.graph, path=path, index=index, duration=duration,
            duration_ms=duration * 1000.0, status=_STATUS[status],
        )  # fmt: skip

    # -- cut short -------------------------------------------------------------------------

    def abort(self, key: Key | None = None, error: BaseException | None = None) -> None:
        """End the span at ``key`` and every open span inside it (all of them if ``None``).

        Innermost first. Runs and map calls end ``"failed"`` when ``error`` is an
        ``Exception`` (``error_handling="raise"``), everything else ends ``"cancelled"``.
        """
        spans = list(self._open.items())
        if key is not None:
            target = self._open.get(key)
            if target is None:
                return
            by_id = {s.id: s for _, s in spans}
            spans = [(k, s) for k, s in spans if _inside(s, target.id, by_id)]
        failed = isinstance(error, Exception)
        for k, s in reversed(spans):
            self._end(k)
            status: EventStatus = "failed" if failed and s.kind in ("run", "map") else "cancelled"
            self.send(_closing(s, status))

    def finish(self, error: BaseException | None = None) -> None:
        """End of a SyncRunner call: end what is still open, then close the processors."""
        if self._open:
            self.abort(None, error)
        self.close_sync()

    async def afinish(self) -> None:
        """End of an AsyncRunner call: deliver the backlog, then close every processor."""
        if self._open:
            self.abort()
        self.close_sync()
        await self.close_async()


def _inside(span: Span, target: str, by_id: dict[str, Span]) -> bool:
    current: Span | None = span
    while current is not None:
        if current.id == target:
            return True
        parent = current.parent
        current = by_id.get(parent) if parent is not None else None
    return False


def _closing(s: Span, status: EventStatus) -> AnyEvent:
    now = time.monotonic()
    duration = now - s.start
    common: dict[str, Any] = {
        "run_id": s.run, "span_id": s.id, "parent_span_id": s.parent, "timestamp": now,
        "path": s.path, "duration": duration, "duration_ms": duration * 1000.0,
        "status": status,
    }  # fmt: skip
    if s.kind == "node":
        return NodeEndEvent(node_name=s.name or "", graph_name=s.graph, superstep=s.extra, **common)
    if s.kind == "item":
        return MapItemEndEvent(index=s.extra, graph_name=s.graph, **common)
    return RunEndEvent(graph_name=s.name, **common)


def observe_node_sync(
    em: Emitter, ex: Execution, p: NodePlan, work: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run one node's execution between its start and end (or error) events (sync driver).

    The sync driver's twin of ``observe_node``: the same events in the same order.
    """
    em.send(em.node_start(ex, p))
    try:
        outputs = work()
    except NodeFailure as failure:
        em.send(em.node_error(ex, p, failure))
        raise
    except BaseException:
        em.abort((ex.scope.run_id, ex.scope.prefix + p.name))
        raise
    em.send_node_end(ex, p, outputs)
    return outputs


async def observe_node(
    em: Emitter, ex: Execution, p: NodePlan, work: Coroutine[Any, Any, dict[str, Any]]
) -> dict[str, Any]:
    """Await one node's execution between its start and end (or error) events."""
    try:
        await em.asend(em.node_start(ex, p))
        outputs = await work
    except NodeFailure as failure:
        await em.asend(em.node_error(ex, p, failure))
        raise
    except BaseException:
        work.close()  # never started if the start event was interrupted
        em.abort((ex.scope.run_id, ex.scope.prefix + p.name))
        raise
    if type(outputs) is Hit:
        await em.asend(em.cache_hit(ex, p, outputs.key))
        await em.asend(em.node_end(ex, p, True))
    elif type(outputs) is Paused:
        for event in em.paused(ex, p, outputs):
            await em.asend(event)
    else:
        await em.asend(em.node_end(ex, p))
    return outputs


async def observe_item(
    em: Emitter,
    scope: Scope,
    name: str,
    index: int,
    total: int,
    work: Coroutine[Any, Any, RunResult],
) -> RunResult:
    """Await one map item's run between its ``MapItemStartEvent`` and ``MapItemEndEvent``."""
    try:
        await em.asend(em.item_start(scope, name, index, total))
        result = await work
    except BaseException:
        work.close()
        em.abort((scope.run_id, f"{scope.prefix}{name}[{index}]"))
        raise
    await em.asend(em.item_end(scope, name, index, result.status))
    return result


async def observe_run_end(em: Emitter, ex: Execution, result: RunResult) -> RunResult:
    """Deliver a run's ``RunEndEvent``, then hand its result back."""
    await em.asend(em.run_end(ex, result))
    return result
