"""Where the runners hand a fan-out to their executor: ``runner.map`` items and the items of
a mapped ``GraphNode`` (one call from each place in ``_sync`` / ``_async``).

Item events come back per chunk: ``MapItemStartEvent`` / ``MapItemEndEvent`` for each item
of a chunk when the chunk returns (progress bars advance by chunk); the events of the nodes
inside an item stay on the worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypergraph_types import MapResult, RunResult
from hypergraph_types._internal import new_run_id

from .._core import Scope, WarnOnce
from .._fanout import raise_first_failure
from .._mapping import count_items
from ._job import Job
from ._window import Pairs, Window, drive_async, drive_sync

if TYPE_CHECKING:
    from hypergraph_graph import GraphNode

    from .._base import MapCall
    from .._context import AsyncContext, Context
    from .._emitter import Emitter
    from .._nested import NestedRequest
    from ._protocol import Options

__all__ = ["async_map", "async_nested", "sync_map", "sync_nested"]


def _map_job(call: MapCall, async_kind: tuple[bool, int | None] | None) -> Job:
    base = call.prepared
    # The mapped names' whole lists are in the prepared values: each chunk carries its slice.
    broadcast = {k: v for k, v in base.values.items() if k not in call.lists}
    return Job(
        call.graph,
        broadcast,
        addressed=base.addressed,
        bypassed=base.bypassed,
        select=call.select,
        max_iterations=call.max_iterations,
        stop_on_failure=call.raise_,
        async_kind=async_kind,
    )


def _nested_job(
    gn: GraphNode,
    scope: Scope,
    request: NestedRequest,
    max_iterations: int,
    async_kind: tuple[bool, int | None] | None,
) -> Job:
    assert request.broadcast is not None
    return Job(
        gn.graph,
        request.broadcast,
        plain=request.plain,
        max_iterations=max_iterations,
        scope=(scope.prefix, scope.run_id, scope.item, gn.name),
        stop_on_failure=True,  # as locally: a mapped GraphNode stops at its first failed item
        async_kind=async_kind,
    )


def _fan(
    opts: Options,
    lists: dict[str, list[Any]],
    mode: str,
    count: int,
    stop: bool,
    results: list[RunResult | None],
) -> Window:
    ex = opts.executor
    return Window(lists, mode, count, opts, ex.slots, stop, results, ex.crosses_processes)


def _warn(call: MapCall, warn: WarnOnce, fan: Window) -> None:
    """The ``select`` warning an item raised on its worker, at the caller's line, once."""
    if fan.warned is not None and warn.armed and warn.site is not None:
        warn.armed = False
        warn.site.warn(fan.warned, UserWarning)


def sync_map(opts: Options, call: MapCall, em: Emitter | None) -> MapResult:
    """``SyncRunner.map`` on its executor."""
    warn = WarnOnce(call.select)
    count = count_items(call.lists, call.mode)
    results: list[RunResult | None] = [None] * count
    fan = _fan(opts, call.lists, call.mode, count, call.raise_, results)
    map_id = new_run_id()

    def emit(pairs: Pairs) -> None:
        assert em is not None
        for i, result in pairs:
            scope = Scope("", result.run_id, i)
            em.send(em.item_start(scope, "", i, count))
            em.send(em.item_end(scope, "", i, result.status))

    try:
        if em is not None:
            em.send(em.map_start(map_id, call.graph.name, count))
        if count:
            drive_sync(opts.executor, _map_job(call, None), fan, emit if em is not None else None)
        _warn(call, warn, fan)
        if call.raise_:
            raise_first_failure(results)
    except BaseException as exc:
        if em is not None:
            em.finish(exc)
        raise
    if em is not None:
        em.send(em.map_end(map_id, results))
        em.finish()
    return MapResult(results)  # type: ignore[arg-type]  # every item ran ("continue" mode)


async def async_map(
    opts: Options, call: MapCall, em: Emitter | None, limit: int | None, inline: bool
) -> MapResult:
    """``AsyncRunner.map`` on its executor."""
    warn = WarnOnce(call.select)
    count = count_items(call.lists, call.mode)
    results: list[RunResult | None] = [None] * count
    fan = _fan(opts, call.lists, call.mode, count, call.raise_, results)
    map_id = new_run_id()

    async def emit(pairs: Pairs) -> None:
        assert em is not None
        for i, result in pairs:
            scope = Scope("", result.run_id, i)
            await em.asend(em.item_start(scope, "", i, count))
            await em.asend(em.item_end(scope, "", i, result.status))

    try:
        if em is not None:
            await em.asend(em.map_start(map_id, call.graph.name, count))
        if count:
            job = _map_job(call, (inline, limit))
            await drive_async(opts.executor, job, fan, emit if em is not None else None)
        _warn(call, warn, fan)
        if em is not None:
            await em.asend(em.map_end(map_id, results))
    except BaseException as exc:
        if em is not None:
            em.abort(None, exc)
        raise
    finally:
        if em is not None:
            await em.afinish()
    if call.raise_:
        raise_first_failure(results)
    return MapResult(results)  # type: ignore[arg-type]  # every item ran ("continue" mode)


def sync_nested(
    opts: Options,
    ctx: Context,
    gn: GraphNode,
    scope: Scope,
    request: NestedRequest,
    async_kind: tuple[bool, int | None] | None = None,
) -> list[RunResult | None]:
    """A mapped GraphNode's items on the SyncRunner's executor (``async_kind``: an async inner
    graph's AsyncRunner options, for the workers)."""
    assert request.lists is not None
    assert request.mode is not None
    results: list[RunResult | None] = [None] * request.count
    fan = _fan(opts, request.lists, request.mode, request.count, True, results)
    em = ctx.emitter
    n = request.count

    def emit(pairs: Pairs) -> None:
        assert em is not None
        for i, result in pairs:
            em.send(em.item_start(scope, gn.name, i, n))
            em.send(em.item_end(scope, gn.name, i, result.status))

    if n:
        job = _nested_job(gn, scope, request, ctx.max_iterations, async_kind)
        drive_sync(opts.executor, job, fan, emit if em is not None else None)
    return results


async def async_nested(
    opts: Options, ctx: AsyncContext, gn: GraphNode, scope: Scope, request: NestedRequest,
    inline: bool,
) -> list[RunResult | None]:  # fmt: skip
    """A mapped GraphNode's items on the AsyncRunner's executor."""
    assert request.lists is not None
    assert request.mode is not None
    results: list[RunResult | None] = [None] * request.count
    fan = _fan(opts, request.lists, request.mode, request.count, True, results)
    em = ctx.emitter
    n = request.count

    async def emit(pairs: Pairs) -> None:
        assert em is not None
        for i, result in pairs:
            await em.asend(em.item_start(scope, gn.name, i, n))
            await em.asend(em.item_end(scope, gn.name, i, result.status))

    if n:
        job = _nested_job(gn, scope, request, ctx.max_iterations, (inline, ctx.limit))
        await drive_async(opts.executor, job, fan, emit if em is not None else None)
    return results
