"""One fan-out core: many runs of one graph, for ``runner.map`` and mapped GraphNodes.

Every fan-out (a ``map()`` call, a mapped GraphNode, a foreign runner's items) is described
by a ``FanOut`` and goes through one of two functions, one per runner:

- ``fan_out_sync``: the items one after another in this thread (``SyncRunner``);
- ``fan_out_async``: the items through a bounded pool of workers (``AsyncRunner``), each
  item a task, or, for graphs of ``def`` nodes only, chunks of whole items per thread trip.

Both keep the same rules: results in item order; with ``stop_on_failure`` (``"raise"``, and
always inside a graph) no item starts after the first failure; otherwise every item runs and
keeps its own status; each item is wrapped in its ``MapItemStartEvent``/``MapItemEndEvent``.

Where items are handed over to be executed is one place per runner: ``fan_out_sync``'s loop,
and ``fan_out_async``'s ``run_one`` (an item on the loop) or ``run_chunk`` (a chunk of items in
a worker thread). An executor that runs batches elsewhere (another process, a cluster) plugs in
beside ``run_chunk``: it receives ``(index, values)`` pairs and returns their ``RunResult``s.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from hypergraph_types import RunResult, RunStatus
from hypergraph_types._internal import new_run_id

from ._core import Scope
from ._leaf import Stop, StopRequested
from ._tasks import Chunks, in_thread_limited, work_pool

if TYPE_CHECKING:
    from ._context import AsyncContext, Context
    from ._emitter import Emitter

__all__ = ["FanOut", "fan_out_async", "fan_out_sync", "first_failure", "raise_first_failure"]

#: One item's run under the sync driver: ``(context, item scope, index, values) -> result``.
SyncItem = Callable[["Context", Scope, int, dict[str, Any]], RunResult]
#: One item's run on the event loop: ``(item scope, index, values) -> result``.
AsyncItem = Callable[[Scope, int, dict[str, Any]], Awaitable[RunResult]]


class FanOut(msgspec.Struct, frozen=True, gc=False):
    """The items of one fan-out and its failure rule.

    Attributes:
        items: Per-item values, produced lazily (a 100k-item map never holds them all).
        count: How many items ``items`` yields.
        stop_on_failure: No item starts after the first failed one.
        parent: The scope of the run that fans out (a mapped GraphNode), or ``None`` for
            ``runner.map``, whose items are top-level runs.
        owner: The GraphNode's name; ``""`` for ``runner.map``.
    """

    items: Iterator[dict[str, Any]]
    count: int
    stop_on_failure: bool
    parent: Scope | None = None
    owner: str = ""

    def scope_of(self, i: int) -> Scope:
        """Item ``i``'s run scope: a new top-level run, or a child path ``owner[i]``."""
        if self.parent is None:
            return Scope("", new_run_id(), i)
        return self.parent.child(f"{self.owner}[{i}]")

    def event_scope(self, item: Scope) -> Scope:
        """The scope item events are keyed by: the item's own run, or the parent run."""
        return item if self.parent is None else self.parent


def first_failure(results: Sequence[RunResult | None]) -> tuple[int, RunResult] | None:
    """The lowest-index FAILED result, if any."""
    for i, r in enumerate(results):
        if r is not None and r.status is RunStatus.FAILED:
            return i, r
    return None


def raise_first_failure(results: Sequence[RunResult | None]) -> None:
    """``error_handling="raise"``: raise the error of the lowest-index failed item, if any."""
    failure = first_failure(results)
    if failure is not None:
        error = failure[1].error
        assert error is not None
        raise error


def fan_out_sync(
    ctx: Context, fan: FanOut, run: SyncItem, em: Emitter | None
) -> list[RunResult | None]:
    """Every item in this thread, in order; ``None`` for the items never started."""
    results: list[RunResult | None] = [None] * fan.count
    stop = fan.stop_on_failure
    for i, values in enumerate(fan.items):
        scope = fan.scope_of(i)
        if em is None:
            result = run(ctx, scope, i, values)
        else:
            at = fan.event_scope(scope)
            em.send(em.item_start(at, fan.owner, i, fan.count))
            result = run(ctx, scope, i, values)
            em.send(em.item_end(at, fan.owner, i, result.status))
        results[i] = result
        if stop and result.status is RunStatus.FAILED:
            break
    return results


async def fan_out_async(
    ctx: AsyncContext,
    fan: FanOut,
    run: AsyncItem,
    em: Emitter | None,
    whole: SyncItem | None = None,
    workers: int | None = -1,
) -> list[RunResult | None]:
    """Every item through the call's worker pool; ``None`` for the items never started.

    ``whole``: the item's run under the sync driver, for graphs of ``def`` nodes only: then
    chunks of whole items go to worker threads, one trip per chunk. ``workers``: the pool's
    width (``None``: ``DEFAULT_MAP_WORKERS``; default: the call's ``max_concurrency``).
    """
    from ._emitter import observe_item

    results: list[RunResult | None] = [None] * fan.count
    failed = RunStatus.FAILED

    async def run_one(i: int, values: dict[str, Any]) -> bool:
        scope = fan.scope_of(i)
        work = run(scope, i, values)
        if em is not None:
            at = fan.event_scope(scope)
            work = observe_item(em, at, fan.owner, i, fan.count, work)  # type: ignore[arg-type]
        result = results[i] = await work
        return result.status is failed

    if whole is None:
        limit = ctx.limit if workers == -1 else workers
        await work_pool(fan.items, fan.count, limit, run_one, fan.stop_on_failure)
        return results
    await _in_chunks(ctx, fan, run_one, whole, results)
    return results


async def _in_chunks(
    ctx: AsyncContext,
    fan: FanOut,
    run_one: Callable[[int, dict[str, Any]], Awaitable[bool]],
    whole: SyncItem,
    results: list[RunResult | None],
) -> None:
    """Chunks of whole items, each chunk one trip to a worker thread (``Chunks`` sizes them)."""
    from ._context import Context

    sizes = Chunks()
    stop_on_failure = fan.stop_on_failure
    # Set by the thread where an item raised (or failed, with stop_on_failure): the other
    # threads stop before their next item at once, without waiting for the loop's cancel.
    halt = threading.Event()

    def body(chunk: list[tuple[int, dict[str, Any]]], stop: Stop) -> Any:
        sub = Context(ctx.max_iterations, stop, None, ctx.cache, ctx.checkpoint)
        done: list[tuple[int, RunResult]] = []
        began = time.perf_counter()
        for i, values in chunk:
            if stop.is_set() or halt.is_set():
                break
            try:
                result = whole(sub, fan.scope_of(i), i, values)
            except StopRequested:
                break  # the call is stopping: this item did not finish
            except BaseException:
                halt.set()
                raise
            done.append((i, result))
            if stop_on_failure and result.status is RunStatus.FAILED:
                halt.set()
                break
        return done, time.perf_counter() - began

    def record(done: list[tuple[int, RunResult]]) -> bool:
        failed = False
        for i, result in done:
            results[i] = result
            failed = failed or result.status is RunStatus.FAILED
        return failed

    async def run_chunk(chunk: list[tuple[int, dict[str, Any]]]) -> bool:
        try:
            done, seconds = await in_thread_limited(ctx, body, chunk)
        except asyncio.CancelledError as cancel:
            # Stopped while its thread was settled: what the thread finished still counts
            # (the failed item that stopped the fan-out may be among it).
            settled = getattr(cancel, "settled", None)
            if settled is not None:
                record(settled[0][0])
            raise
        if done:
            sizes.took(len(done), seconds)
        # halt: another thread's item stopped the fan-out; this worker stops too.
        return record(done) or halt.is_set()

    # As many workers as threads: each keeps one thread busy with chunk after chunk.
    await work_pool(fan.items, fan.count, ctx.pool_size, run_one, stop_on_failure, run_chunk, sizes)
