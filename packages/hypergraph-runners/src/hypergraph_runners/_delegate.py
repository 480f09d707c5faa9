"""Delegating a nested graph to a runner that is not built in (NEST-06, last paragraph).

Such a runner is invoked through its public ``run()`` (awaited if its capabilities say it
returns a coroutine), once per item of a mapped GraphNode, stopping at the first failure; its
``RunResult`` is used as the nested result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from typing import TYPE_CHECKING, Any, cast

from hypergraph_types import RunResult, RunStatus

from ._context import run_private_loop

if TYPE_CHECKING:
    from hypergraph_graph import GraphNode

    from ._base import BaseRunner
    from ._nested import NestedRequest

__all__ = ["items_of", "run_foreign_async", "run_foreign_sync"]


def items_of(request: NestedRequest) -> Iterator[dict[str, Any]]:
    if request.items is None:
        assert request.values is not None
        return iter([request.values])
    return request.items


def run_foreign_sync(
    runner: BaseRunner, gn: GraphNode, request: NestedRequest
) -> list[RunResult | None]:
    """Call ``runner.run`` per item from synchronous code."""
    results: list[RunResult | None] = [None] * request.count
    for i, values in enumerate(items_of(request)):
        outcome = runner.run(gn.graph, values)
        if runner.capabilities.returns_coroutine:
            pending = cast("Awaitable[RunResult]", outcome)

            async def wait(aw: Awaitable[RunResult] = pending) -> RunResult:
                return await aw

            result = run_private_loop(wait)
        else:
            result = cast("RunResult", outcome)
        results[i] = result
        if result.status is RunStatus.FAILED:
            break
    return results


async def run_foreign_async(
    runner: BaseRunner, gn: GraphNode, request: NestedRequest
) -> list[RunResult | None]:
    """Await ``runner.run`` per item (only for runners that return coroutines)."""
    results: list[RunResult | None] = [None] * request.count
    for i, values in enumerate(items_of(request)):
        result = await cast("Awaitable[RunResult]", runner.run(gn.graph, values))
        results[i] = result
        if result.status is RunStatus.FAILED:
            break
    return results
