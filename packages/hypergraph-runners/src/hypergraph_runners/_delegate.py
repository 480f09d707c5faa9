"""Delegating a nested graph to a runner that is not built in (NEST-06, last paragraph).

Such a runner is invoked through its public ``run()`` (awaited if its capabilities say it
returns a coroutine) with the caller's ``max_iterations``, once per item of a mapped GraphNode,
stopping at the first failure; its ``RunResult`` is used as the nested result. A failed one is
located like a built-in nested run's: its ``failed_node`` becomes the full node path
(``inner[1].f``), and an error without a hypergraph note gets the one naming that path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from typing import TYPE_CHECKING, Any, cast

import msgspec

from hypergraph_types import RunResult, RunStatus

from ._context import Context, run_private_loop
from ._fanout import FanOut, fan_out_async, fan_out_sync

if TYPE_CHECKING:
    from hypergraph_graph import GraphNode

    from ._base import BaseRunner
    from ._context import AsyncContext
    from ._core import Scope
    from ._nested import NestedRequest

__all__ = ["items_of", "run_foreign_async", "run_foreign_sync"]


def items_of(request: NestedRequest) -> Iterator[dict[str, Any]]:
    if request.items is None:
        assert request.values is not None
        return iter([request.values])
    return request.items


def located(result: RunResult, scope: Scope, segment: str) -> RunResult:
    """A foreign runner's result with its failure located in the parent's node paths."""
    if result.status is not RunStatus.FAILED:
        return result
    where = scope.prefix + segment
    path = f"{where}.{result.failed_node}" if result.failed_node else where
    error = result.error
    notes = getattr(error, "__notes__", ())
    if error is not None and not any(str(n).startswith("hypergraph: ") for n in notes):
        error.add_note(scope.note(f"node {path!r}"))
    return msgspec.structs.replace(result, failed_node=path)


def _segment(gn: GraphNode, request: NestedRequest, i: int) -> str:
    return gn.name if request.items is None else f"{gn.name}[{i}]"


def run_foreign_sync(
    runner: BaseRunner, gn: GraphNode, request: NestedRequest, scope: Scope, max_iterations: int
) -> list[RunResult | None]:
    """Call ``runner.run`` per item from synchronous code."""

    def run(_ctx: Context, _child: Scope, i: int, values: dict[str, Any]) -> RunResult:
        outcome = runner.run(gn.graph, values, max_iterations=max_iterations)
        if runner.capabilities.returns_coroutine:
            pending = cast("Awaitable[RunResult]", outcome)

            async def wait(aw: Awaitable[RunResult] = pending) -> RunResult:
                return await aw

            result = run_private_loop(wait)
        else:
            result = cast("RunResult", outcome)
        return located(result, scope, _segment(gn, request, i))

    fan = FanOut(items_of(request), request.count, True, scope, gn.name)
    return fan_out_sync(Context(max_iterations), fan, run, None)


async def run_foreign_async(
    ctx: AsyncContext,
    runner: BaseRunner,
    gn: GraphNode,
    request: NestedRequest,
    scope: Scope,
) -> list[RunResult | None]:
    """Await ``runner.run`` per item, one after another (runners that return coroutines)."""

    async def run(_child: Scope, i: int, values: dict[str, Any]) -> RunResult:
        outcome = runner.run(gn.graph, values, max_iterations=ctx.max_iterations)
        result = await cast("Awaitable[RunResult]", outcome)
        return located(result, scope, _segment(gn, request, i))

    fan = FanOut(items_of(request), request.count, True, scope, gn.name)
    return await fan_out_async(ctx, fan, run, None, workers=1)
