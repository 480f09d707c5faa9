"""``AsyncRunner``: the execution core driven by asyncio (RUN-03, RUN-06 ... RUN-08)."""

from __future__ import annotations

import asyncio
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Mapping,
    Sequence,
)
from typing import TYPE_CHECKING, Any, Literal

from hypergraph_graph import Graph, GraphNode
from hypergraph_types import (
    AnyEvent,
    ConflictError,
    InfiniteLoopError,
    InvalidInputError,
    MapResult,
    RunnerCapabilities,
    RunResult,
)
from hypergraph_types._internal import HANDED_SITE, CallSite, new_run_id, short_repr

from ._base import BaseRunner, Call, MapCall
from ._chain import Chained, run_sync_chain, run_sync_steps
from ._context import AsyncContext, Context
from ._core import Done, Execution, Scope, WarnOnce
from ._delegate import run_foreign_async
from ._emitter import Emitter, observe_node, observe_run_end
from ._events import Processor, QueueFeed, make_emitter
from ._fanout import FanOut, fan_out_async, raise_first_failure
from ._inputs import Prepared, item_prepared
from ._interrupt import ask, item_answers, with_answers
from ._leaf import NodeFailure, Stop, async_value, run_sync_leaf
from ._mapping import count_items, item_values
from ._nested import NestedRequest, choose_runner, finish, request_for
from ._options import check_limit, merge_values
from ._plan import NodePlan, chainable, chains, plan_of, sync_only
from ._schedule import Dataflow
from ._tasks import (
    Completions,
    Started,
    in_thread,
    in_thread_limited,
    settle,
    start,
    wait_all,
)
from .executors import in_worker
from .executors import options as executor_options

if TYPE_CHECKING:
    from ._sync import SyncRunner
    from .cache._backend import CacheBackend
    from .cache._session import Session
    from .checkpoint._journal import Journal
    from .checkpoint._session import Session as Checkpoint
    from .checkpoint._store import SqliteCheckpointer

__all__ = ["AsyncRunner"]

_CAPABILITIES = RunnerCapabilities(
    supports_cycles=True,
    supports_async_nodes=True,
    supports_streaming=False,
    returns_coroutine=True,
)


async def _stop_all(running: dict[Started, Any]) -> None:
    """Cancel every running task and wait for all of them (settling threads)."""
    for task in running:
        task.cancel()
    if running and await wait_all(running):
        raise asyncio.CancelledError


class AsyncRunner(BaseRunner):
    """Runs graphs on asyncio: independent ready nodes run concurrently.

    ``async def`` nodes are awaited on the loop; plain ``def`` nodes run in a thread pool
    created per call (``sync_nodes="thread"``, the default) or directly on the loop thread
    (``sync_nodes="inline"``: cheaper for tiny functions, but they block the loop).

    ``cache``: a backend (``hypergraph.cache.InMemoryCache``, ``DiskCache``) for the nodes
    declared with ``cache=True``; a backend doing I/O is only called from worker threads.

    ``checkpointer``: records every superstep (``SqliteCheckpointer``, ``MemoryCheckpointer``)
    so a failed or killed run resumes with ``run(graph, workflow_id=...)``; a checkpointed
    run always takes the superstep path (docs/durable-runs.md).

    ``executor``: a ``concurrent.futures.Executor``, a Dask ``Client`` (sync or
    ``asynchronous=True``) or a ``MapExecutor`` that runs the items of ``map`` (or of a
    mapped GraphNode) in chunks, as ``SyncRunner`` does (docs/scaling-out.md).

    Example:
        >>> import asyncio
        >>> from hypergraph_graph import Graph, node
        >>> @node(output_name="y")
        ... async def double(x: int) -> int:
        ...     return 2 * x
        >>> asyncio.run(AsyncRunner().run(Graph([double]), {"x": 2}))["y"]
        4
    """

    def __init__(
        self,
        *,
        cache: CacheBackend | None = None,
        sync_nodes: Literal["thread", "inline"] = "thread",
        checkpointer: SqliteCheckpointer | None = None,
        executor: object = None,
        chunksize: int | Literal["auto"] = "auto",
        max_in_flight: int | None = None,
    ) -> None:
        super().__init__()
        if sync_nodes not in ("thread", "inline"):
            raise InvalidInputError(
                f"Unknown sync_nodes {short_repr(sync_nodes)}\n"
                "  -> allowed: 'thread' (a worker thread per sync body) or 'inline' (on the loop)\n"
                "How to fix: pass sync_nodes='thread' or sync_nodes='inline'"
            )
        self._inline = sync_nodes == "inline"
        self._set_cache(cache)
        self._set_checkpointer(checkpointer)
        self._executor = executor_options("AsyncRunner", executor, chunksize, max_in_flight)

    @property
    def capabilities(self) -> RunnerCapabilities:
        return _CAPABILITIES

    async def run(
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        select: Sequence[str] | str | None = None,
        max_iterations: int | None = None,
        max_concurrency: int | None = None,
        error_handling: Literal["continue", "raise"] = "continue",
        event_processors: Sequence[Processor] | None = None,
        show_progress: bool = False,
        workflow_id: str | None = None,
        fork_from: str | None = None,
        fork_superstep: int | None = None,
        on_change: Literal["error", "rerun"] = "error",
        **inputs: Any,
    ) -> RunResult:
        """Run ``graph`` once. At most ``max_concurrency`` node bodies run at any moment.

        ``event_processors`` (sync or async) receive the run's events; ``show_progress=True``
        adds a ``RichProgressProcessor``. ``workflow_id``, ``fork_from``, ``fork_superstep``
        and ``on_change``: as ``SyncRunner.run`` (with a checkpointer).
        """
        opening = self._opening("run", workflow_id, fork_from, fork_superstep, on_change)
        if opening is not None:
            values = await asyncio.to_thread(opening.fill, values, inputs)
        call = self._check_run(
            graph, values, inputs, select, max_iterations, error_handling,
            event_processors=event_processors, show_progress=show_progress,
            max_concurrency=max_concurrency, workflow_id=workflow_id, fork_from=fork_from,
            fork_superstep=fork_superstep, on_change=on_change,
        )  # fmt: skip
        limit = check_limit("max_concurrency", max_concurrency, None)
        checkpoint = None
        if opening is not None:
            merged = merge_values(values, inputs)
            checkpoint = await asyncio.to_thread(opening.start, call.graph, merged)
        try:
            return await self._run_call(call, limit, checkpoint, event_processors, show_progress)
        finally:
            if checkpoint is not None:
                checkpoint.close()

    async def _run_call(
        self,
        call: Call,
        limit: int | None,
        checkpoint: Checkpoint | None,
        event_processors: Sequence[Processor] | None,
        show_progress: bool,
    ) -> RunResult:
        em = make_emitter(event_processors, show_progress, runner="AsyncRunner", allow_async=True)
        run_id = new_run_id()
        ctx = AsyncContext.new(
            call.max_iterations, limit, run_id, em, self._cache_session(), checkpoint
        )
        try:
            result = await self._run_graph(
                ctx,
                call.graph,
                call.prepared,
                call.select,
                Scope("", run_id, None),
                run_id,
                WarnOnce(call.select),
            )
        except BaseException as exc:
            if em is not None:
                em.abort(None, exc)  # ends every open span as cancelled, innermost first
            raise
        finally:
            ctx.shutdown()
            if em is not None:
                await em.afinish()
        if call.raise_ and result.error is not None:
            raise result.error
        return result

    async def map(
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        map_over: str | Sequence[str],
        map_mode: Literal["zip", "product"] = "zip",
        select: Sequence[str] | str | None = None,
        max_iterations: int | None = None,
        max_concurrency: int | None = None,
        error_handling: Literal["continue", "raise"] = "continue",
        event_processors: Sequence[Processor] | None = None,
        show_progress: bool = False,
        workflow_id: str | None = None,
        on_change: Literal["error", "rerun"] = "error",
        answers: Mapping[int, Mapping[str, Any]] | None = None,
        **inputs: Any,
    ) -> MapResult:
        """Run ``graph`` once per item with a bounded pool of workers; results in item order.

        Returns a ``MapResult``, as ``SyncRunner.map`` does (``answers`` and ``workflow_id``
        too).
        """
        opening = self._opening("map", workflow_id, on_change=on_change)
        if opening is not None:
            values = await asyncio.to_thread(opening.fill, values, inputs)
        call = self._check_map(
            graph, values, inputs, map_over, map_mode, select, max_iterations, error_handling,
            event_processors=event_processors, show_progress=show_progress,
            max_concurrency=max_concurrency, workflow_id=workflow_id, on_change=on_change,
        )  # fmt: skip
        limit = check_limit("max_concurrency", max_concurrency, None)
        checkpoint = None
        if opening is not None:
            merged = merge_values(values, inputs)
            checkpoint = await asyncio.to_thread(opening.start, call.graph, merged)
        try:
            mapped = await self._map(
                call, limit, checkpoint, event_processors, show_progress, answers
            )
            if checkpoint is not None:
                await asyncio.to_thread(checkpoint.finish_map, mapped)
            return mapped
        finally:
            if checkpoint is not None:
                checkpoint.close()

    async def _map(
        self,
        call: MapCall,
        limit: int | None,
        checkpoint: Checkpoint | None,
        event_processors: Sequence[Processor] | None,
        show_progress: bool,
        answers: Mapping[int, Mapping[str, Any]] | None,
    ) -> MapResult:
        em = make_emitter(event_processors, show_progress, runner="AsyncRunner", allow_async=True)
        # A checkpointed map runs its items here: the journal records them (executors do not).
        if self._executor is not None and checkpoint is None and not in_worker():
            from .executors._entry import async_map

            return await async_map(self._executor, call, em, limit, self._inline)
        count = count_items(call.lists, call.mode)
        if not count and em is None:
            return MapResult(())
        ctx = AsyncContext.new(
            call.max_iterations, limit, new_run_id(), em, self._cache_session(), checkpoint
        )
        base = call.prepared
        warn = WarnOnce(call.select)
        items = item_values(call.lists, call.mode)
        # Resuming paused items: answers may be addressed (``item_prepared``).
        resumed = answers is not None
        if answers is not None:
            items = with_answers(items, item_answers(call.graph, answers, count))
        fan = FanOut(items, count, call.raise_)

        def run(scope: Scope, i: int, values: dict[str, Any]) -> Awaitable[RunResult]:
            prepared = (
                item_prepared(base, values)
                if resumed
                else Prepared({**base.values, **values}, base.addressed, base.bypassed)
            )
            graph = call.graph
            return self._run_graph(ctx, graph, prepared, call.select, scope, scope.run_id, warn)

        def whole(sub: Context, scope: Scope, i: int, values: dict[str, Any]) -> RunResult:
            prepared = (
                item_prepared(base, values)
                if resumed
                else Prepared({**base.values, **values}, base.addressed, base.bypassed)
            )
            return self._sync_driver()._run_graph(
                sub, call.graph, prepared, None, scope, scope.run_id
            )

        # A graph of def nodes only runs whole items in worker threads, chunks of them per
        # trip; not with a select (its warning belongs on the caller's line, in this thread).
        chunked = call.select is None and self._whole_items(ctx, call.graph)
        try:
            if em is not None:
                await em.asend(em.map_start(ctx.run_id, call.graph.name, count))
            results = await fan_out_async(ctx, fan, run, em, whole if chunked else None)
            if em is not None:
                await em.asend(em.map_end(ctx.run_id, results))
        except BaseException as exc:
            if em is not None:
                em.abort(None, exc)
            raise
        finally:
            ctx.shutdown()
            if em is not None:
                await em.afinish()
        if call.raise_:
            raise_first_failure(results)
        return MapResult(results)  # type: ignore[arg-type]  # every item ran ("continue" mode)

    async def iter(
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        select: Sequence[str] | str | None = None,
        max_iterations: int | None = None,
        max_concurrency: int | None = None,
        error_handling: Literal["continue", "raise"] = "continue",
        event_processors: Sequence[Processor] | None = None,
        show_progress: bool = False,
        workflow_id: str | None = None,
        fork_from: str | None = None,
        fork_superstep: int | None = None,
        on_change: Literal["error", "rerun"] = "error",
        **inputs: Any,
    ) -> AsyncIterator[AnyEvent]:
        """Run ``graph`` once, yielding its events as they happen (same options as ``run``).

        The last event is the run's ``RunEndEvent``; its ``result`` is the ``RunResult``.
        Leaving the loop early cancels the run and waits until it has stopped; use
        ``contextlib.aclosing`` so that happens at once rather than when the generator is
        garbage-collected. Validation errors, and the failure under
        ``error_handling="raise"`` (after its ``RunEndEvent``), are raised from the loop.

        Example:
            >>> import asyncio
            >>> from hypergraph_graph import Graph, node
            >>> @node(output_name="y")
            ... def double(x: int) -> int:
            ...     return 2 * x
            >>> async def main() -> None:
            ...     async for event in AsyncRunner().iter(Graph([double]), x=1):
            ...         print(type(event).__name__)
            >>> asyncio.run(main())
            RunStartEvent
            NodeStartEvent
            NodeEndEvent
            RunEndEvent
        """
        queue: asyncio.Queue[AnyEvent | None] = asyncio.Queue()
        feed = QueueFeed(queue)
        processors: Any = event_processors
        if processors is None:
            processors = [feed]
        elif isinstance(processors, Sequence) and not isinstance(processors, str):
            processors = [*processors, feed]  # anything else: run() raises its TypeError
        run = self.run(
            graph,
            values,
            select=select,
            max_iterations=max_iterations,
            max_concurrency=max_concurrency,
            error_handling=error_handling,
            event_processors=processors,
            show_progress=show_progress,
            workflow_id=workflow_id,
            fork_from=fork_from,
            fork_superstep=fork_superstep,
            on_change=on_change,
            **inputs,
        )
        token = HANDED_SITE.set(CallSite())  # the task's warnings point at the iter call
        try:
            task = asyncio.create_task(run)
        finally:
            HANDED_SITE.reset(token)
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            task.cancel()  # a no-op once the run has finished
            if await wait_all([task]):
                raise asyncio.CancelledError
        task.result()  # the run's own exception, if it raised one

    # -- the driver ------------------------------------------------------------------------

    async def _run_graph(
        self,
        ctx: AsyncContext,
        graph: Graph,
        prepared: Prepared,
        select: tuple[str, ...] | None,
        scope: Scope,
        run_id: str,
        warn: WarnOnce | None = None,
        journal: Journal | None = None,
    ) -> RunResult:
        """Run one graph (a call, a map item or a nested run) and return its result.

        With a checkpointer the call's checkpoint session builds the execution (new, or from
        the stored journal) and calls back here with its ``journal``: every superstep, and
        each node's completion as it happens, goes through it.
        """
        if journal is None:
            checkpoint = ctx.checkpoint
            if checkpoint is not None:
                return await self._checkpointed(
                    ctx, checkpoint, graph, prepared, select, scope, run_id, warn
                )
            ex = Execution(graph, plan_of(graph), prepared, ctx.max_iterations, scope, run_id)
        else:
            ex = journal.ex
        em = ctx.emitter
        if em is not None:
            await em.asend(em.run_start(ex))
        flow = ex.dataflow()
        if flow is not None:
            await self._dataflow(ctx, ex, flow)
            result = ex.result(select, warn)
            return result if em is None else await observe_run_end(em, ex, result)
        steps: Execution | Journal = ex if journal is None else journal
        sibling = self._sibling if journal is None else journal.recording(self._sibling)
        # One thread trip may carry a run of one-node ``def`` supersteps (``_chain``).
        chain = em is None and not self._inline
        try:
            batch = steps.next_superstep()
            while batch:
                if em is not None:
                    await em.asend(em.superstep(ex))
                if chain and len(batch) == 1 and chainable(batch[0]) and not batch[0].inline:
                    batch = await self._steps_in_thread(ctx, ex, steps, batch[0])
                    continue
                done, failures = await self._superstep(ctx, ex, batch, sibling)
                if failures:
                    p, failure = failures[0]
                    ex.fail_node(p, failure, [q.name for q, _ in failures[1:]])
                if journal is None:
                    ex.commit(done, check=ex.error is None)
                else:
                    await journal.acommit(done, ex.error is None)
                if ex.error is not None:
                    break
                batch = steps.next_superstep()
        except (InfiniteLoopError, ConflictError) as exc:  # raised by the core, never by nodes
            ex.fail_graph(exc)
        result = ex.result(select, warn)
        return result if em is None else await observe_run_end(em, ex, result)

    async def _steps_in_thread(
        self, ctx: AsyncContext, ex: Execution, steps: Execution | Journal, p: NodePlan
    ) -> Sequence[NodePlan]:
        """The one-node superstep ``p`` and the one-node ``def`` supersteps after it, in one
        thread trip (``_chain.run_sync_steps``); the next superstep it did not run.

        Node failures are committed in the thread; one met while the caller cancels us rides
        on the ``CancelledError`` (``in_thread``), which wins.
        """
        kwargs, versions = ex.inputs_of(p)
        return await in_thread_limited(ctx, run_sync_steps, ex, steps, p, kwargs, versions)

    def _checkpointed(
        self,
        ctx: AsyncContext,
        checkpoint: Checkpoint,
        graph: Graph,
        prepared: Prepared,
        select: tuple[str, ...] | None,
        scope: Scope,
        run_id: str,
        warn: WarnOnce | None,
    ) -> Awaitable[RunResult]:
        """``_run_graph`` through the call's checkpoint session, which builds the execution
        and calls back with its journal. (Its own method: a closure inside ``_run_graph``
        would turn every local there into a cell, slowing every run down.)"""
        start = (graph, prepared, ctx.max_iterations, scope, run_id)
        return checkpoint.run_async(
            start, lambda j: self._run_graph(ctx, graph, prepared, select, scope, run_id, warn, j)
        )

    async def _dataflow(self, ctx: AsyncContext, ex: Execution, flow: Dataflow) -> None:
        """Acyclic graphs: start each node as soon as its inputs are final (no barrier).

        Every node runs once with its superstep inputs, so values equal superstep semantics;
        a lone ready node is awaited in place, so a chain creates no tasks at all.
        """
        ready = flow.first_ready(ex)
        running: dict[Started, NodePlan] = {}
        completions: Completions | None = None  # made at the first wave (a chain needs none)
        while ready or running:
            if len(ready) == 1 and not running:
                p = ready.pop()
                kwargs, _ = ex.inputs_of(p)
                try:
                    outputs = await self._execute(ctx, ex, p, kwargs)
                except NodeFailure as failure:
                    if failure.late:
                        raise asyncio.CancelledError from None  # the caller's cancel wins
                    ex.fail_node(p, failure)
                    return
                ready = flow.finished(ex, p, outputs)
                if type(outputs) is Chained:
                    ready, failed = flow.absorb(ex, outputs, ready)
                    if failed is not None:
                        ex.fail_node(*failed)
                        return
                continue
            # Each ready node starts at once; one that finishes without suspending needs no
            # task, and its outcome arrives when a task's would, so siblings fail, finish
            # and get cancelled exactly as if every node had a task.
            if completions is None:
                completions = Completions()
            for p in ready:
                running[completions.watch(start(self._sibling(ctx, ex, p, ex.inputs_of(p)[0])))] = p
            ready = []
            try:
                completed = await completions.wait()
            except BaseException:
                await _stop_all(running)
                raise
            outcomes = [(running.pop(t), t) for t in completed]
            outcomes.sort(key=lambda item: item[0].index)
            errors = [t.exception() for _, t in outcomes]  # retrieves every one of them
            escaped = next((e for e in errors if e and not isinstance(e, NodeFailure)), None)
            if escaped is not None:
                await _stop_all(running)
                raise escaped  # a BaseException (or a bug): never a node failure
            failures = flow.apply(ex, outcomes, errors, ready)
            if failures:
                await self._stop_dataflow(ex, flow, running, failures)
                return
            ready.sort(key=lambda q: q.index)

    async def _stop_dataflow(
        self,
        ex: Execution,
        flow: Dataflow,
        running: dict[Started, NodePlan],
        failures: list[tuple[NodePlan, NodeFailure]],
    ) -> None:
        """After a failure: cancel and settle the rest, keep what succeeded, report (C6)."""
        await _stop_all(running)
        for task, p in sorted(running.items(), key=lambda item: item[1].index):
            if task.cancelled():
                continue
            exc = task.exception()
            if exc is None:
                outputs = task.result()
                flow.finished(ex, p, outputs)
                failed = flow.absorb(ex, outputs, [])[1] if type(outputs) is Chained else None
                if failed is not None:
                    failed[1].late = True  # it failed after the stop: named, never reported
                    failures.append(failed)
            elif isinstance(exc, NodeFailure):
                exc.late = True  # it failed after the stop: named, never reported
                failures.append((p, exc))
            else:
                raise exc
        failures.sort(key=lambda f: (f[1].late, f[0].index))
        p, failure = failures[0]
        ex.fail_node(p, failure, [q.name for q, _ in failures[1:]])

    async def _superstep(
        self,
        ctx: AsyncContext,
        ex: Execution,
        batch: Sequence[NodePlan],
        sibling: Callable[
            [AsyncContext, Execution, NodePlan, dict[str, Any]],
            Coroutine[Any, Any, dict[str, Any]],
        ],
    ) -> tuple[list[Done], list[tuple[NodePlan, NodeFailure]]]:
        """One superstep; ``sibling`` runs each node of a multi-node one (a checkpointed run
        records each completion as it happens)."""
        if len(batch) == 1:
            p = batch[0]
            kwargs, versions = ex.inputs_of(p)
            try:
                outputs = await self._execute(ctx, ex, p, kwargs)
            except NodeFailure as failure:
                if failure.late:
                    # It failed while the caller was cancelling us: the cancellation wins.
                    raise asyncio.CancelledError from None
                return [], [(p, failure)]
            return [(p, outputs, versions)], []
        resolved = [ex.inputs_of(p) for p in batch]
        # No task for a body that finishes in its first step (``start``).
        tasks = [start(sibling(ctx, ex, p, kwargs)) for p, (kwargs, _) in zip(batch, resolved)]
        await settle(tasks)
        done: list[Done] = []
        failures: list[tuple[NodePlan, NodeFailure]] = []
        for p, (_, versions), task in zip(batch, resolved, tasks):
            if task.cancelled():
                continue
            exc = task.exception()
            if exc is None:
                done.append((p, task.result(), versions))
            elif isinstance(exc, NodeFailure):
                failures.append((p, exc))
            else:
                raise exc  # a BaseException (or a bug): never a node failure
        # Failures from before the stop come first (node order); late ones are only named.
        failures.sort(key=lambda f: f[1].late)
        return done, failures

    def _sibling(
        self, ctx: AsyncContext, ex: Execution, p: NodePlan, kwargs: dict[str, Any]
    ) -> Coroutine[Any, Any, dict[str, Any]]:
        """A node run as one of several tasks of a superstep, cancelled if a sibling fails.

        An async body needs no wrapper (only thread trips carry late failures or settled
        outputs on their cancellation): it is started as is, one coroutine per node.
        """
        if p.leaf and ctx.bare and p.is_async and not p.cached:
            return self._leaf(ctx, ex, p, kwargs)
        return self._settled_sibling(ctx, ex, p, kwargs)

    async def _settled_sibling(
        self, ctx: AsyncContext, ex: Execution, p: NodePlan, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """``_sibling`` for anything but a bare async body.

        A ``def`` body that had started in a thread is settled, not abandoned: if it then
        failed, that failure is named (``late``); if it finished normally, its outputs are
        kept, as any sibling's that completed before the stop. (Only a sibling task may do
        this: its cancellation comes from the run stopping, and the caller's own
        cancellation still propagates from the task that awaits the siblings.)
        """
        try:
            return await self._execute(ctx, ex, p, kwargs)
        except asyncio.CancelledError as cancel:
            late = getattr(cancel, "late_failure", None)
            if late is not None:
                raise late from None
            settled = getattr(cancel, "settled", None)
            if settled is not None and p.leaf:
                return settled[0]  # type: ignore[no-any-return]
            raise

    def _execute(
        self, ctx: AsyncContext, ex: Execution, p: NodePlan, kwargs: dict[str, Any]
    ) -> Coroutine[Any, Any, dict[str, Any]]:
        """One node's execution; between its events when the call has event processors."""
        if p.leaf and ctx.bare:  # no limiter, no events: one coroutine fewer
            return self._leaf(ctx, ex, p, kwargs)
        work = self._execute_node(ctx, ex, p, kwargs)
        if ctx.emitter is not None:
            return observe_node(ctx.emitter, ex, p, work)
        return work

    async def _execute_node(
        self, ctx: AsyncContext, ex: Execution, p: NodePlan, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        if not p.leaf:
            return await self._execute_graph_node(ctx, ex, p, kwargs)
        limiter = ctx.limiter
        if limiter is None:
            return await self._leaf(ctx, ex, p, kwargs)
        async with limiter:
            return await self._leaf(ctx, ex, p, kwargs)

    def _leaf(
        self, ctx: AsyncContext, ex: Execution, p: NodePlan, kwargs: dict[str, Any]
    ) -> Coroutine[Any, Any, dict[str, Any]]:
        """A FunctionNode's execution (no coroutine of its own: an async body is awaited
        through ``async_value`` alone)."""
        if p.cached and ctx.cache is not None:
            return self._cached_leaf(ctx, ctx.cache, p, kwargs)
        if p.is_async:
            return async_value(p, kwargs, shaped=True)
        return self._sync_leaf(ctx, ex, p, kwargs)

    async def _sync_leaf(
        self, ctx: AsyncContext, ex: Execution, p: NodePlan, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        if self._inline or p.inline:
            return run_sync_leaf(p, kwargs)
        if type(ex.schedule) is Dataflow and ctx.emitter is None and chains(ex.plan, p):
            # The def nodes only this one feeds follow it in the same thread (_chain).
            return await in_thread(ctx, run_sync_chain, ex, p, kwargs)
        return await in_thread(ctx, run_sync_leaf, p, kwargs)

    async def _cached_leaf(
        self, ctx: AsyncContext, cache: Session, p: NodePlan, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """A ``cache=True`` node: lookup, else run the body, then store (``cache._session``)."""
        from .cache._session import off_loop, run_cached_async, run_cached_leaf, sync_raw

        if p.is_async:
            return await run_cached_async(cache, ctx, p, kwargs, lambda: async_value(p, kwargs))
        if cache.blocking:  # lookup, body and store in one thread trip
            return await in_thread(ctx, run_cached_leaf, cache, p, kwargs)
        if self._inline or p.inline:
            return run_cached_leaf(cache, p, kwargs)
        # An in-memory lookup is cheaper than a thread trip: only a miss goes to a thread.
        return await run_cached_async(
            cache, ctx, p, kwargs, lambda: off_loop(ctx, sync_raw, p, kwargs)
        )

    async def _execute_graph_node(
        self, ctx: AsyncContext, ex: Execution, p: NodePlan, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        if p.interrupt is not None:  # not a leaf: the core's ``ask`` executes it
            return ask(ex, p, kwargs)  # its answer, or Paused (``_interrupt``)
        gn = p.graph_node
        assert gn is not None
        request = request_for(ex, p, kwargs)
        runner = choose_runner(self, p)
        if isinstance(runner, AsyncRunner):
            results = await runner._nested(ctx, gn, ex.scope, request)
        else:
            results = await self._delegate(ctx, runner, gn, ex.scope, request)
        return finish(ex, p, results)

    async def _delegate(
        self,
        ctx: AsyncContext,
        runner: BaseRunner,
        gn: GraphNode,
        scope: Scope,
        request: NestedRequest,
    ) -> list[RunResult | None]:
        """A nested graph run by a sync-returning runner: one leaf, in a thread (NEST-06)."""
        from ._delegate import run_foreign_sync
        from ._sync import SyncRunner

        if runner.capabilities.returns_coroutine:
            return await run_foreign_async(ctx, runner, gn, request, scope)

        def body(stop: Stop) -> list[RunResult | None]:
            if isinstance(runner, SyncRunner):
                sub = Context(ctx.max_iterations, stop, ctx.emitter, ctx.cache, ctx.checkpoint)
                return runner._nested(sub, gn, scope, request)
            return run_foreign_sync(runner, gn, request, scope, ctx.max_iterations)

        return await in_thread_limited(ctx, body)

    async def _nested(
        self, ctx: AsyncContext, gn: GraphNode, scope: Scope, request: NestedRequest
    ) -> list[RunResult | None]:
        """The nested run(s) of one GraphNode; mapped items share a worker pool (§5.2)."""
        graph = gn.graph
        if request.items is None:
            assert request.values is not None
            prepared = request.prepare(graph, request.values)
            child = scope.child(gn.name)
            return [await self._run_graph(ctx, graph, prepared, None, child, new_run_id())]
        if self._executor is not None and ctx.checkpoint is None and not in_worker():
            from .executors._entry import async_nested

            return await async_nested(self._executor, ctx, gn, scope, request, self._inline)
        fan = FanOut(request.items, request.count, True, scope, gn.name)

        def run(child: Scope, i: int, values: dict[str, Any]) -> Awaitable[RunResult]:
            prepared = request.prepare(graph, values)
            return self._run_graph(ctx, graph, prepared, None, child, new_run_id())

        def whole(sub: Context, child: Scope, i: int, values: dict[str, Any]) -> RunResult:
            prepared = request.prepare(graph, values)
            return self._sync_driver()._run_graph(sub, graph, prepared, None, child, new_run_id())

        chunked = self._whole_items(ctx, graph)
        return await fan_out_async(ctx, fan, run, ctx.emitter, whole if chunked else None)

    # -- map items ------------------------------------------------------------------------

    def _whole_items(self, ctx: AsyncContext, graph: Graph) -> bool:
        """Items of this graph run whole under the sync driver in worker threads.

        Only for graphs of ``def`` nodes at every level (``sync_only``), when bodies go to
        threads at all (not ``sync_nodes="inline"``) and the call has no event processors
        (their events need the loop): then one thread trip carries one item, or a chunk of
        items, instead of one trip per node.
        """
        return not self._inline and ctx.emitter is None and sync_only(graph)

    @staticmethod
    def _sync_driver() -> SyncRunner:
        from ._sync import SyncRunner

        return SyncRunner()

    async def _nested_on_private_loop(
        self,
        max_iterations: int,
        gn: GraphNode,
        scope: Scope,
        request: NestedRequest,
        emitter: Emitter | None = None,
        cache: Session | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> list[RunResult | None]:
        """A SyncRunner parent's async nested graph: a new call on a private loop (NEST-06).

        It has its own limiter and pool, but shares the parent call's event emitter, cache
        and checkpoint session.
        """
        if emitter is not None:
            emitter.allow_threads()  # this loop may hand subtrees to worker threads
        ctx = AsyncContext.new(max_iterations, None, new_run_id(), emitter, cache, checkpoint)
        try:
            return await self._nested(ctx, gn, scope, request)
        finally:
            ctx.shutdown()
