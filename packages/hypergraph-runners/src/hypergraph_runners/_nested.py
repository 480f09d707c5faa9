"""Running a ``GraphNode``: its nested values, its items when mapped, and its outputs (§4.8, §5.2).

Everything here is pure and shared by both runners; the drivers only decide how the nested
runs are executed (a loop, a worker pool, another runner).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from hypergraph_types import RunResult, RunStatus

from ._capabilities import covers
from ._fanout import first_failure
from ._inputs import NO_BYPASS, Prepared, prepare_nested
from ._interrupt import check_nested_options, nested_pauses, take_routed
from ._leaf import NodeFailure
from ._mapping import count_items, item_values, mapped_lists

if TYPE_CHECKING:
    from hypergraph_graph import Graph

    from ._base import BaseRunner
    from ._core import Execution
    from ._plan import NodePlan

__all__ = ["NestedRequest", "choose_runner", "finish", "request_for"]


class NestedRequest(msgspec.Struct, frozen=True):
    """The nested runs one GraphNode execution needs.

    Attributes:
        values: For an unmapped node, the nested run's values (inner names).
        items: For a mapped node, a lazy iterator of per-item values; ``count`` of them.
        count: How many nested runs (1 when not mapped).
        plain: No addressed value was merged in, so the values hold only inner graph inputs:
            nothing to split or bypass (``prepare``).
        broadcast, lists, mode: For a mapped node, what ``items`` is made of (an executor
            ships the broadcast values once and the lists by chunks).
    """

    values: dict[str, Any] | None
    items: Iterator[dict[str, Any]] | None
    count: int
    plain: bool
    broadcast: dict[str, Any] | None = None
    lists: dict[str, list[Any]] | None = None
    mode: str | None = None

    def prepare(self, graph: Graph, values: dict[str, Any]) -> Prepared:
        """One nested run's ``Prepared`` values (the parent validated them already)."""
        if self.plain:
            return Prepared(values, {}, NO_BYPASS)
        return prepare_nested(graph, values)


def request_for(ex: Execution, p: NodePlan, kwargs: dict[str, Any]) -> NestedRequest:
    """Translate resolved ports to inner names, add addressed values, build items if mapped.

    Mapped values that cannot be mapped fail this node (``TypeError`` / ``InvalidInputError``).
    """
    gn = p.graph_node
    assert gn is not None
    inner_in = p.inner_in
    # ``kwargs`` is the node's own fresh dict (``Execution.inputs_of``): reused when no port
    # is renamed.
    inner = {inner_in[k]: v for k, v in kwargs.items()} if p.renamed_in else kwargs
    addressed = ex.addressed.get(p.name) if ex.addressed else None
    if addressed:
        inner.update(addressed)
    if ex.routed:
        take_routed(ex, p, inner)  # answers for its interrupts (issue 18)
    if not p.mapped:
        return NestedRequest(inner, None, 1, not addressed)
    config = gn.map_config
    assert config is not None
    params, mode = config
    mapped = [inner_in[name] for name in params]
    for current, name in zip(params, mapped):
        if name not in inner:
            inner[name] = gn.get_default_for(current)
    try:
        lists = mapped_lists(inner, mapped, mode, f"in GraphNode {ex.scope.prefix + gn.name!r}")
    except Exception as exc:
        # Known only at run time (the values may be produced upstream): a node failure,
        # whether the value is not a sequence or its own ``__iter__``/``__len__`` raised.
        raise NodeFailure(exc) from None
    broadcast = {k: v for k, v in inner.items() if k not in lists}
    items = ({**broadcast, **item} for item in item_values(lists, mode))
    return NestedRequest(
        None, items, count_items(lists, mode), not addressed, broadcast, lists, mode
    )


def choose_runner(parent: BaseRunner, p: NodePlan) -> BaseRunner:
    """NEST-03: the override, else the parent if it can run the inner graph, else AsyncRunner."""
    if p.runner is not None:
        return p.runner  # type: ignore[no-any-return]
    gn = p.graph_node
    assert gn is not None
    caps = parent.capabilities
    inherits = p.inherits.get(caps)
    if inherits is None:
        inherits = p.inherits[caps] = covers(caps, gn.graph)
    if inherits:
        return parent
    from ._async import AsyncRunner

    return AsyncRunner()


def nested_outputs(p: NodePlan, results: Sequence[RunResult | None]) -> dict[str, Any]:
    """The GraphNode's outputs from its completed nested result(s), under current names."""
    if not p.mapped:
        values = results[0].values if results[0] is not None else {}
        outputs = {}
        for inner, current in p.inner_out:  # a loop: cheaper than a comprehension on 3.11
            if inner in values:
                outputs[current] = values[inner]
        return outputs
    return {
        current: [r.values.get(inner) if r is not None else None for r in results]
        for inner, current in p.inner_out
    }


def finish(ex: Execution, p: NodePlan, results: Sequence[RunResult | None]) -> dict[str, Any]:
    """Record the nested result(s) (NEST-04) and return the outputs, or fail the node."""
    mapped = p.mapped
    ex.nested[p.name] = list(results) if mapped else results[0]
    if not mapped and results[0] is not None and results[0].status is RunStatus.COMPLETED:
        return nested_outputs(p, results)
    failure = first_failure(results)
    if failure is not None:
        i, r = failure
        assert r.error is not None
        path = r.failed_node or ex.scope.prefix + (f"{p.name}[{i}]" if mapped else p.name)
        raise NodeFailure(r.error, path, nested=True)
    paused = nested_pauses(p, results)
    if paused is not None:
        check_nested_options(ex, paused)  # options vs this graph's gates (issue 18)
        return paused
    return nested_outputs(p, results)
