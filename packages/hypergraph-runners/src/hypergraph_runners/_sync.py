"""``SyncRunner``: the execution core driven in the caller's thread (RUN-02)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from hypergraph_graph import Graph, GraphNode
from hypergraph_types import (
    ConflictError,
    InfiniteLoopError,
    MapResult,
    RunnerCapabilities,
    RunResult,
)
from hypergraph_types._internal import new_run_id

from ._base import BaseRunner, MapCall
from ._context import Context, run_private_loop
from ._core import Done, Execution, Scope, WarnOnce
from ._delegate import run_foreign_sync
from ._emitter import observe_node_sync
from ._events import Processor, make_emitter
from ._fanout import FanOut, fan_out_sync, raise_first_failure
from ._inputs import Prepared, item_prepared
from ._interrupt import ask, item_answers, with_answers
from ._leaf import NodeFailure, StopRequested, run_sync_leaf
from ._mapping import count_items, item_values
from ._nested import NestedRequest, choose_runner, finish, request_for
from ._options import merge_values
from ._plan import NodePlan, plan_of
from .executors import in_worker
from .executors import options as executor_options

if TYPE_CHECKING:
    from .cache._backend import CacheBackend
    from .checkpoint._journal import Journal
    from .checkpoint._session import Session as Checkpoint
    from .checkpoint._store import SqliteCheckpointer

__all__ = ["SyncRunner"]

_CAPABILITIES = RunnerCapabilities(
    supports_cycles=True,
    supports_async_nodes=False,
    supports_streaming=False,
    returns_coroutine=False,
)


class SyncRunner(BaseRunner):
    """Runs graphs in the caller's thread, one node at a time, without an event loop.

    Works inside Jupyter and async applications (it blocks the running loop while it runs).
    A nested graph with async nodes is delegated to an ``AsyncRunner`` on a private loop.

    ``cache``: a backend (``hypergraph.cache.InMemoryCache``, ``DiskCache``) for the nodes
    declared with ``cache=True``; shared by nested graphs and map items of each call.

    ``checkpointer``: records every superstep (``SqliteCheckpointer``, ``MemoryCheckpointer``)
    so a failed or killed run resumes with ``run(graph, workflow_id=...)``
    (docs/durable-runs.md).

    ``executor``: a ``concurrent.futures.Executor``, a Dask ``Client`` or a ``MapExecutor``
    that runs the items of ``map`` (or of a mapped GraphNode) in chunks of ``chunksize``
    items (``"auto"``: sized from measured item time), at most ``max_in_flight`` chunks
    outstanding, while this thread waits (docs/scaling-out.md).

    Example:
        >>> from hypergraph_graph import Graph, node
        >>> @node(output_name="y")
        ... def double(x: int) -> int:
        ...     return 2 * x
        >>> SyncRunner().run(Graph([double]), {"x": 2})["y"]
        4
    """

    def __init__(
        self,
        *,
        cache: CacheBackend | None = None,
        checkpointer: SqliteCheckpointer | None = None,
        executor: object = None,
        chunksize: int | Literal["auto"] = "auto",
        max_in_flight: int | None = None,
    ) -> None:
        super().__init__()
        self._set_cache(cache)
        self._set_checkpointer(checkpointer)
        self._executor = executor_options("SyncRunner", executor, chunksize, max_in_flight)

    @property
    def capabilities(self) -> RunnerCapabilities:
        return _CAPABILITIES

    def run(
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        select: Sequence[str] | str | None = None,
        max_iterations: int | None = None,
        error_handling: Literal["continue", "raise"] = "continue",
        event_processors: Sequence[Processor] | None = None,
        show_progress: bool = False,
        workflow_id: str | None = None,
        fork_from: str | None = None,
        fork_superstep: int | None = None,
        on_change: Literal["error", "rerun"] = "error",
        **inputs: Any,
    ) -> RunResult:
        """Run ``graph`` once. Inputs come from ``values`` and/or keyword arguments.

        ``event_processors`` receive the run's events (``show_progress=True`` adds a
        ``RichProgressProcessor``); async processors need ``AsyncRunner``.

        With a checkpointer: ``workflow_id`` names the workflow (generated when left out);
        an existing failed or interrupted one resumes (values may be left out).
        ``fork_from`` (and ``fork_superstep``) starts a new workflow from a stored one's
        state; ``on_change="rerun"`` re-runs completed nodes whose code changed.
        """
        opening = self._opening("run", workflow_id, fork_from, fork_superstep, on_change)
        if opening is not None:
            values = opening.fill(values, inputs)
        call = self._check_run(
            graph, values, inputs, select, max_iterations, error_handling,
            event_processors=event_processors, show_progress=show_progress,
            workflow_id=workflow_id, fork_from=fork_from, fork_superstep=fork_superstep,
            on_change=on_change,
        )  # fmt: skip
        checkpoint = None
        if opening is not None:
            checkpoint = opening.start(call.graph, merge_values(values, inputs))
        em = make_emitter(event_processors, show_progress, runner="SyncRunner", allow_async=False)
        run_id = new_run_id()
        scope = Scope("", run_id, None)
        ctx = Context(
            call.max_iterations, emitter=em, cache=self._cache_session(), checkpoint=checkpoint
        )
        try:
            result = self._run_graph(
                ctx, call.graph, call.prepared, call.select, scope, run_id, WarnOnce(call.select)
            )
        except BaseException as exc:
            if em is not None:
                em.finish(exc)  # ends every open span as cancelled, then closes the processors
            raise
        finally:
            if checkpoint is not None:
                checkpoint.close()
        if em is not None:
            em.finish()
        if call.raise_ and result.error is not None:
            raise result.error
        return result

    def map(
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        map_over: str | Sequence[str],
        map_mode: Literal["zip", "product"] = "zip",
        select: Sequence[str] | str | None = None,
        max_iterations: int | None = None,
        error_handling: Literal["continue", "raise"] = "continue",
        event_processors: Sequence[Processor] | None = None,
        show_progress: bool = False,
        workflow_id: str | None = None,
        on_change: Literal["error", "rerun"] = "error",
        answers: Mapping[int, Mapping[str, Any]] | None = None,
        **inputs: Any,
    ) -> MapResult:
        """Run ``graph`` once per item, one item after another; results in item order.

        Returns a ``MapResult``: a sequence of the items' ``RunResult``s (``results[i]``)
        with ``status``, ``failures`` and ``results["name"]`` (one value per item).
        ``answers={i: {response_key: answer}}`` answers the interrupts of item ``i``
        (resuming the items that paused).

        With a checkpointer, each item is a workflow ``<workflow_id>/<i>``: a resume restores
        the completed items (matched by index and a digest of their inputs) and runs the rest.
        """
        opening = self._opening("map", workflow_id, on_change=on_change)
        if opening is not None:
            values = opening.fill(values, inputs)
        call = self._check_map(
            graph, values, inputs, map_over, map_mode, select, max_iterations, error_handling,
            event_processors=event_processors, show_progress=show_progress,
            workflow_id=workflow_id, on_change=on_change,
        )  # fmt: skip
        checkpoint = None
        if opening is not None:
            checkpoint = opening.start(call.graph, merge_values(values, inputs))
        try:
            mapped = self._map(call, checkpoint, event_processors, show_progress, answers)
        finally:
            if checkpoint is not None:
                checkpoint.close()
        return mapped

    def _map(
        self,
        call: MapCall,
        checkpoint: Checkpoint | None,
        event_processors: Sequence[Processor] | None,
        show_progress: bool,
        answers: Mapping[int, Mapping[str, Any]] | None,
    ) -> MapResult:
        em = make_emitter(event_processors, show_progress, runner="SyncRunner", allow_async=False)
        # A checkpointed map runs its items here: the journal records them (executors do not).
        if self._executor is not None and checkpoint is None and not in_worker():
            from .executors._entry import sync_map

            return sync_map(self._executor, call, em)
        ctx = Context(
            call.max_iterations, emitter=em, cache=self._cache_session(), checkpoint=checkpoint
        )
        base = call.prepared
        warn = WarnOnce(call.select)
        count = count_items(call.lists, call.mode)
        items = item_values(call.lists, call.mode)
        # Resuming paused items: answers may be addressed (``item_prepared``).
        resumed = answers is not None
        if answers is not None:
            items = with_answers(items, item_answers(call.graph, answers, count))
        fan = FanOut(items, count, call.raise_)

        def run(ctx: Context, scope: Scope, i: int, values: dict[str, Any]) -> RunResult:
            prepared = (
                item_prepared(base, values)
                if resumed
                else Prepared({**base.values, **values}, base.addressed, base.bypassed)
            )
            graph = call.graph
            return self._run_graph(ctx, graph, prepared, call.select, scope, scope.run_id, warn)

        map_id = ""
        if em is not None:
            map_id = new_run_id()
            em.send(em.map_start(map_id, call.graph.name, count))
        try:
            results = fan_out_sync(ctx, fan, run, em)
            if call.raise_:
                raise_first_failure(results)
        except BaseException as exc:
            if em is not None:
                em.finish(exc)
            raise
        if em is not None:
            em.send(em.map_end(map_id, results))
            em.finish()
        mapped = MapResult(results)  # type: ignore[arg-type]  # every item ran ("continue")
        if checkpoint is not None:
            return checkpoint.finish_map(mapped)
        return mapped

    # -- the driver ------------------------------------------------------------------------

    def _run_graph(
        self,
        ctx: Context,
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
        the stored journal) and calls back here with its ``journal``, whose
        ``next_superstep``, ``commit`` and ``new_done`` (which records each node's completion
        as it happens) replace the execution's own.
        """
        if journal is None:
            checkpoint = ctx.checkpoint
            if checkpoint is not None:
                return self._checkpointed(
                    ctx, checkpoint, graph, prepared, select, scope, run_id, warn
                )
            ex = Execution(graph, plan_of(graph), prepared, ctx.max_iterations, scope, run_id)
            steps: Execution | Journal = ex
        else:
            ex = journal.ex
            steps = journal  # the same next_superstep / commit, recorded
        em = ctx.emitter
        if em is not None:
            em.send(em.run_start(ex))
        try:
            stop = ctx.stop
            # Nothing between the driver and a leaf's body: no events, no cache to consult.
            bare = em is None and ctx.cache is None
            while batch := steps.next_superstep():
                if em is not None:
                    em.send(em.superstep(ex))
                done: list[Done] = [] if journal is None else journal.new_done()
                for p in batch:
                    if stop is not None and stop.is_set():
                        raise StopRequested  # the AsyncRunner that delegated to us is stopping
                    kwargs, versions = ex.inputs_of(p)
                    try:
                        if not bare:
                            outputs = self._execute(ctx, ex, p, kwargs)
                        elif p.leaf:
                            outputs = run_sync_leaf(p, kwargs)
                        else:
                            outputs = self._execute_graph_node(ctx, ex, p, kwargs)
                    except NodeFailure as failure:
                        ex.fail_node(p, failure)
                        break
                    done.append((p, outputs, versions))
                steps.commit(done, ex.error is None)
                if ex.error is not None:
                    break
        except (InfiniteLoopError, ConflictError) as exc:  # raised by the core, never by nodes
            ex.fail_graph(exc)
        result = ex.result(select, warn)
        if em is not None:
            em.send(em.run_end(ex, result))
        return result

    def _checkpointed(
        self,
        ctx: Context,
        checkpoint: Checkpoint,
        graph: Graph,
        prepared: Prepared,
        select: tuple[str, ...] | None,
        scope: Scope,
        run_id: str,
        warn: WarnOnce | None,
    ) -> RunResult:
        """``_run_graph`` through the call's checkpoint session, which builds the execution
        and calls back with its journal. (Its own method: a closure inside ``_run_graph``
        would turn every local there into a cell, slowing every run down.)"""
        args = (graph, prepared, ctx.max_iterations, scope, run_id)
        return checkpoint.run_sync(
            args, lambda j: self._run_graph(ctx, graph, prepared, select, scope, run_id, warn, j)
        )

    def _execute(
        self, ctx: Context, ex: Execution, p: NodePlan, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """One node's execution; between its events when the call has event processors."""
        em = ctx.emitter
        if em is None:
            return self._execute_node(ctx, ex, p, kwargs)
        return observe_node_sync(em, ex, p, lambda: self._execute_node(ctx, ex, p, kwargs))

    def _execute_node(
        self, ctx: Context, ex: Execution, p: NodePlan, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        if p.leaf:
            return self._leaf(ctx, p, kwargs)
        return self._execute_graph_node(ctx, ex, p, kwargs)

    @staticmethod
    def _leaf(ctx: Context, p: NodePlan, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The leaf policy: a FunctionNode's body, through the call's cache when it has one
        and the node is declared ``cache=True``; failures raise ``NodeFailure``."""
        cache = ctx.cache
        if cache is not None and p.cached:
            return cache.run(p, kwargs)
        return run_sync_leaf(p, kwargs)

    def _execute_graph_node(
        self, ctx: Context, ex: Execution, p: NodePlan, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        if p.interrupt is not None:  # not a leaf: the core's ``ask`` executes it
            return ask(ex, p, kwargs)  # its answer, or Paused (``_interrupt``)
        gn = p.graph_node
        assert gn is not None
        request = request_for(ex, p, kwargs)
        runner = choose_runner(self, p)
        if isinstance(runner, SyncRunner):  # this one, or an override (its own executor)
            results = runner._nested(ctx, gn, ex.scope, request)
        else:
            from ._async import AsyncRunner

            if isinstance(runner, AsyncRunner) and p.runner is None and self._ships(ctx, request):
                # An async inner graph, run by a default AsyncRunner: its items still go to
                # this runner's executor (the outermost fan-out), with that runner's options.
                from .executors._entry import sync_nested

                assert self._executor is not None
                kind = (runner._inline, None)
                results = sync_nested(self._executor, ctx, gn, ex.scope, request, kind)
            elif isinstance(runner, AsyncRunner):
                results = run_private_loop(
                    lambda: runner._nested_on_private_loop(
                        ctx.max_iterations,
                        gn,
                        ex.scope,
                        request,
                        ctx.emitter,
                        ctx.cache,
                        ctx.checkpoint,
                    )
                )
            else:
                results = run_foreign_sync(runner, gn, request, ex.scope, ctx.max_iterations)
        return finish(ex, p, results)

    def _ships(self, ctx: Context, request: NestedRequest) -> bool:
        """A mapped GraphNode's items go to this runner's executor (none inside a worker, nor
        for a checkpointed call: its journal records items run here)."""
        return (
            request.items is not None
            and self._executor is not None
            and ctx.checkpoint is None
            and not in_worker()
        )

    def _nested(
        self, ctx: Context, gn: GraphNode, scope: Scope, request: NestedRequest
    ) -> list[RunResult | None]:
        """The nested run(s) of one GraphNode, one after another; stops at the first failure."""
        graph = gn.graph
        if request.items is None:
            assert request.values is not None
            prepared = request.prepare(graph, request.values)
            return [self._run_graph(ctx, graph, prepared, None, scope.child(gn.name), new_run_id())]
        if self._ships(ctx, request):
            from .executors._entry import sync_nested

            assert self._executor is not None
            return sync_nested(self._executor, ctx, gn, scope, request)
        fan = FanOut(request.items, request.count, True, scope, gn.name)

        def run(ctx: Context, child: Scope, i: int, values: dict[str, Any]) -> RunResult:
            prepared = request.prepare(graph, values)
            return self._run_graph(ctx, graph, prepared, None, child, new_run_id())

        return fan_out_sync(ctx, fan, run, ctx.emitter)
