"""What a runner does with ``cache=True`` nodes while it has no cache: say so, once.

Without a backend (``SyncRunner(cache=...)``, ``AsyncRunner(cache=...)``) a node's
``cache=True`` has no effect. A user who set it expects cached results; each runner without a
backend warns once per graph (per ``Graph`` object) that the graph has cached nodes and where
to configure a cache, instead of staying silent or warning on every call of a ``map`` loop.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from typing import Any

from hypergraph_graph import Graph, GraphNode
from hypergraph_types._internal import fmt_names, message

__all__ = ["CacheWarnings", "cached_nodes"]


def cached_nodes(graph: Graph) -> tuple[str, ...]:
    """Paths of the nodes with ``cache=True``, nested graphs included (computed once per graph)."""
    store: dict[str, Any] = graph._structure.cache
    paths = store.get("cached_nodes")
    if paths is None:
        found: list[str] = []
        for name, node in graph.nodes.items():
            if node.cache:
                found.append(name)
            if isinstance(node, GraphNode):
                found.extend(f"{name}/{path}" for path in cached_nodes(node.graph))
        paths = store.setdefault("cached_nodes", tuple(found))
    return paths  # type: ignore[no-any-return]


class CacheWarnings:
    """The graphs a runner has already warned about; safe to share between threads."""

    __slots__ = ("_lock", "_warned")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._warned: weakref.WeakSet[Graph] = weakref.WeakSet()

    def check(self, runner: str, graph: Graph, stacklevel: int) -> None:
        """Warn (``UserWarning``) if ``graph`` has cached nodes and this is its first time."""
        paths = cached_nodes(graph)
        if not paths:
            return
        with self._lock:
            if graph in self._warned:
                return
            self._warned.add(graph)
        warnings.warn(
            message(
                f"cache=True on {fmt_names(paths)} has no effect: caching is not configured "
                f"on this {runner}",
                [
                    "results are computed on every run; this warning is shown once per graph "
                    "per runner",
                ],
                f"give the runner a backend: {runner}(cache=InMemoryCache()) or "
                f"{runner}(cache=DiskCache('~/.cache/hypergraph')), from hypergraph.cache; "
                "or drop cache=True",
            ),
            UserWarning,
            stacklevel=stacklevel + 1,
        )
