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
    RunStatus,
)
from hypergraph_types._result import new_run_id

from ._base import BaseRunner
from ._context import Context, run_private_loop
from ._core import Done, Execution, Scope, WarnOnce
from ._delegate import run_foreign_sync
from ._events import Processor, make_emitter
from ._inputs import Prepared
from ._leaf import NodeFailure, StopRequested, run_sync_leaf
from ._mapping import count_items, item_values
from ._nested import NestedRequest, choose_runner, finish, request_for
from ._plan import NodePlan, plan_of
from .executors import in_worker
from .executors import options as executor_options

if TYPE_CHECKING:
    from .cache._backend import CacheBackend

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
        executor: object = None,
        chunksize: int | Literal["auto"] = "auto",
        max_in_flight: int | None = None,
    ) -> None:
        super().__init__()
        self._set_cache(cache)
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
        **inputs: Any,
    ) -> RunResult:
        """Run ``graph`` once. Inputs come from ``values`` and/or keyword arguments.

        ``event_processors`` receive the run's events (``show_progress=True`` adds a
        ``RichProgressProcessor``); async processors need ``AsyncRunner``.
        """
        call = self._check_run(
            graph, values, inputs, select, max_iterations, error_handling,
            event_processors=event_processors, show_progress=show_progress,
        )  # fmt: skip
        em = make_emitter(event_processors, show_progress, runner="SyncRunner", allow_async=False)
        run_id = new_run_id()
        scope = Scope("", run_id, None)
        ctx = Context(call.max_iterations, emitter=em, cache=self._cache_session())
        try:
            result = self._run_graph(
                ctx, call.graph, call.prepared, call.select, scope, run_id, WarnOnce(call.select)
            )
        except BaseException as exc:
            if em is not None:
                em.finish(exc)  # ends every open span as cancelled, then closes the processors
            raise
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
        **inputs: Any,
    ) -> MapResult:
        """Run ``graph`` once per item, one item after another; results in item order.

        Returns a ``MapResult``: a sequence of the items' ``RunResult``s (``results[i]``)
        with ``status``, ``failures`` and ``results["name"]`` (one value per item).
        """
        call = self._check_map(
            graph, values, inputs, map_over, map_mode, select, max_iterations, error_handling,
            event_processors=event_processors, show_progress=show_progress,
        )  # fmt: skip
        em = make_emitter(event_processors, show_progress, runner="SyncRunner", allow_async=False)
        if self._executor is not None and not in_worker():
            from .executors._entry import sync_map

            return sync_map(self._executor, call, em)
        ctx = Context(call.max_iterations, emitter=em, cache=self._cache_session())
        base = call.prepared
        results: list[RunResult] = []
        warn = WarnOnce(call.select)
        map_id, total = "", 0
        if em is not None:
            map_id, total = new_run_id(), count_items(call.lists, call.mode)
            em.send(em.map_start(map_id, call.graph.name, total))
        try:
            for i, item in enumerate(item_values(call.lists, call.mode)):
                run_id = new_run_id()
                prepared = Prepared({**base.values, **item}, base.addressed, base.bypassed)
                scope = Scope("", run_id, i)
                if em is not None:
                    em.send(em.item_start(scope, "", i, total))
                result = self._run_graph(
                    ctx, call.graph, prepared, call.select, scope, run_id, warn
                )
                if em is not None:
                    em.send(em.item_end(scope, "", i, result.status))
                if call.raise_ and result.error is not None:
                    raise result.error
                results.append(result)
        except BaseException as exc:
            if em is not None:
                em.finish(exc)
            raise
        if em is not None:
            em.send(em.map_end(map_id, results))
            em.finish()
        return MapResult(results)

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
    ) -> RunResult:
        ex = Execution(graph, plan_of(graph), prepared, ctx.max_iterations, scope, run_id)
        em = ctx.emitter
        if em is not None:
            em.send(em.run_start(ex))
        try:
            stop = ctx.stop
            cache = ctx.cache
            while batch := ex.next_superstep():
                if em is not None:
                    em.send(em.superstep(ex))
                done: list[Done] = []
                for p in batch:
                    if stop is not None and stop.is_set():
                        raise StopRequested  # the AsyncRunner that delegated to us is stopping
                    kwargs, versions = ex.inputs_of(p)
                    if em is not None:
                        em.send(em.node_start(ex, p))
                    try:
                        if p.leaf:
                            if cache is None or not p.cached:
                                outputs = run_sync_leaf(p, kwargs)
                            else:
                                outputs = cache.run(p, kwargs)
                        else:
                            outputs = self._execute_graph_node(ctx, ex, p, kwargs)
                    except NodeFailure as failure:
                        ex.fail_node(p, failure)
                        if em is not None:
                            em.send(em.node_error(ex, p, failure))
                        break
                    if em is not None:
                        em.send_node_end(ex, p, outputs)
                    done.append((p, outputs, versions))
                ex.commit(done, check=ex.error is None)
                if ex.error is not None:
                    break
        except (InfiniteLoopError, ConflictError) as exc:  # raised by the core, never by nodes
            ex.fail_graph(exc)
        result = ex.result(select, warn)
        if em is not None:
            em.send(em.run_end(ex, result))
        return result

    def _execute_graph_node(
        self, ctx: Context, ex: Execution, p: NodePlan, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        gn = p.graph_node
        assert gn is not None
        request = request_for(ex, p, kwargs)
        runner = choose_runner(self, p)
        if isinstance(runner, SyncRunner):
            results = self._nested(ctx, gn, ex.scope, request)
        else:
            from ._async import AsyncRunner

            if isinstance(runner, AsyncRunner):
                results = run_private_loop(
                    lambda: runner._nested_on_private_loop(
                        ctx.max_iterations, gn, ex.scope, request, ctx.emitter, ctx.cache
                    )
                )
            else:
                results = run_foreign_sync(runner, gn, request, ex.scope, ctx.max_iterations)
        return finish(ex, p, results)

    def _nested(
        self, ctx: Context, gn: GraphNode, scope: Scope, request: NestedRequest
    ) -> list[RunResult | None]:
        """The nested run(s) of one GraphNode, one after another; stops at the first failure."""
        graph = gn.graph
        if request.items is None:
            assert request.values is not None
            prepared = request.prepare(graph, request.values)
            return [self._run_graph(ctx, graph, prepared, None, scope.child(gn.name), new_run_id())]
        if self._executor is not None and not in_worker():
            from .executors._entry import sync_nested

            return sync_nested(self._executor, ctx, gn, scope, request)
        results: list[RunResult | None] = [None] * request.count
        em = ctx.emitter
        for i, values in enumerate(request.items):
            prepared = request.prepare(graph, values)
            child = scope.child(f"{gn.name}[{i}]")
            if em is not None:
                em.send(em.item_start(scope, gn.name, i, request.count))
            result = self._run_graph(ctx, graph, prepared, None, child, new_run_id())
            if em is not None:
                em.send(em.item_end(scope, gn.name, i, result.status))
            results[i] = result
            if result.status is RunStatus.FAILED:
                break
        return results
