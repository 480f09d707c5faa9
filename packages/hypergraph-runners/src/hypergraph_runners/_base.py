"""``BaseRunner`` and the argument checks every runner performs before any node runs."""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from hypergraph_graph import Graph
from hypergraph_types import InvalidInputError, RunnerCapabilities, RunResult
from hypergraph_types._format import did_you_mean, fmt_names, message, quote

from ._capabilities import check_capabilities
from ._inputs import Prepared, prepare
from ._mapping import mapped_lists
from ._options import (
    DEFAULT_MAX_ITERATIONS,
    check_error_handling,
    check_graph,
    check_limit,
    check_select,
    merge_values,
)
from ._plan import plan_of

if TYPE_CHECKING:
    from .cache._backend import CacheBackend
    from .cache._session import Session

__all__ = ["BaseRunner", "Call", "MapCall"]

ErrorHandling = Literal["continue", "raise"]
MapMode = Literal["zip", "product"]


class Call:
    """A validated ``run()`` call."""

    __slots__ = ("graph", "max_iterations", "prepared", "raise_", "select")

    def __init__(
        self,
        graph: Graph,
        prepared: Prepared,
        select: tuple[str, ...] | None,
        max_iterations: int,
        raise_: bool,
    ) -> None:
        self.graph = graph
        self.prepared = prepared
        self.select = select
        self.max_iterations = max_iterations
        self.raise_ = raise_


class MapCall(Call):
    """A validated ``map()`` call: plus the mapped lists and the mode."""

    __slots__ = ("lists", "mode")

    def __init__(self, call: Call, lists: dict[str, list[Any]], mode: str) -> None:
        super().__init__(call.graph, call.prepared, call.select, call.max_iterations, call.raise_)
        self.lists = lists
        self.mode = mode


class BaseRunner(abc.ABC):
    """What every runner offers: ``capabilities``, ``run`` and ``map``.

    Runners hold only configuration; every piece of per-run state is created inside the call,
    so one runner may serve many concurrent calls from several threads and event loops.
    """

    #: The cache backend nodes with ``cache=True`` use, or ``None`` (no caching).
    _cache: CacheBackend | None = None

    def _set_cache(self, cache: CacheBackend | None) -> None:
        if cache is not None and not (
            callable(getattr(cache, "get", None)) and callable(getattr(cache, "set", None))
        ):
            raise TypeError(
                message(
                    f"{type(self).__name__}(cache=...) needs a cache backend, got "
                    f"{type(cache).__name__}",
                    ["a backend has get(key) -> (found, value) and set(key, value)"],
                    "pass InMemoryCache() or DiskCache(path) from hypergraph.cache, or None",
                )
            )
        self._cache = cache

    def _cache_session(self) -> Session | None:
        """The call's view of the backend; ``None`` (and no import at all) without one."""
        if self._cache is None:
            return None
        global _Session
        if _Session is None:
            from .cache._session import Session

            _Session = Session
        return _Session(self._cache)

    @property
    @abc.abstractmethod
    def capabilities(self) -> RunnerCapabilities:
        """What this runner can execute (checked before any node runs)."""

    @abc.abstractmethod
    def run(
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        select: Sequence[str] | str | None = None,
        max_iterations: int | None = None,
        error_handling: ErrorHandling = "continue",
        **options: Any,
    ) -> RunResult | Awaitable[RunResult]:
        """Run the graph once."""

    @abc.abstractmethod
    def map(
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        map_over: str | Sequence[str],
        map_mode: MapMode = "zip",
        select: Sequence[str] | str | None = None,
        max_iterations: int | None = None,
        error_handling: ErrorHandling = "continue",
        **options: Any,
    ) -> list[RunResult] | Awaitable[list[RunResult]]:
        """Run the graph once per item of the mapped inputs."""

    # -- validation shared by the built-in runners (SPEC §6.5, §5.1) -----------------------

    def _check_run(
        self,
        graph: Any,
        values: Any,
        inputs: dict[str, Any],
        select: Any,
        max_iterations: Any,
        error_handling: Any,
    ) -> Call:
        graph = check_graph(graph)
        self._check_keywords(graph, inputs, "run")
        merged = merge_values(values, inputs)
        selected = check_select(select)
        budget = check_limit("max_iterations", max_iterations, DEFAULT_MAX_ITERATIONS)
        raise_ = check_error_handling(error_handling)
        check_capabilities(self, graph)
        prepared = prepare(graph, merged)
        assert budget is not None
        return Call(graph, prepared, selected, budget, raise_)

    def _check_keywords(self, graph: Graph, inputs: Mapping[str, Any], method: str) -> None:
        """Keyword shorthand takes graph inputs only; anything else is a Python TypeError."""
        if not inputs:
            return
        known = plan_of(graph).known
        for key in inputs:
            if key in known or "." in key or "/" in key:
                continue
            runner = type(self).__name__
            options = _OPTIONS[method]
            hint = did_you_mean(key, [*options, *known])
            extra = (
                f"{runner} has no {quote(key)}; AsyncRunner takes max_concurrency"
                if key == "max_concurrency"
                else f"{runner}.{method}() options: {', '.join(options)}"
            )
            raise TypeError(
                message(
                    f"{runner}.{method}() got an unexpected keyword argument {quote(key)}: it is "
                    "neither an option nor an input of the graph",
                    [hint, extra, f"graph inputs: {fmt_names(graph.inputs.all)}"],
                    "fix the spelling, or pass unusual names in the values mapping",
                )
            )

    def _check_map(
        self,
        graph: Any,
        values: Any,
        inputs: dict[str, Any],
        map_over: Any,
        map_mode: Any,
        select: Any,
        max_iterations: Any,
        error_handling: Any,
    ) -> MapCall:
        graph = check_graph(graph)
        self._check_keywords(graph, inputs, "map")
        merged = merge_values(values, inputs)
        names = _map_over_names(map_over)
        if not isinstance(map_mode, str):
            raise TypeError(
                f"map_mode must be 'zip' or 'product', got {map_mode!r}\n"
                "How to fix: pass map_mode='zip' (pair items) or map_mode='product'"
            )
        selected = check_select(select)
        budget = check_limit("max_iterations", max_iterations, DEFAULT_MAX_ITERATIONS)
        raise_ = check_error_handling(error_handling)
        check_capabilities(self, graph)
        _check_map_names(names, map_mode, merged)
        lists = mapped_lists(merged, names, map_mode, "in map()")
        prepared = prepare(graph, merged)
        assert budget is not None
        return MapCall(Call(graph, prepared, selected, budget, raise_), lists, map_mode)


_Session: type[Session] | None = None  # imported at the first call with a cache

_RUN_OPTIONS = (
    "select",
    "max_iterations",
    "max_concurrency",
    "error_handling",
    "event_processors",
    "show_progress",
)
_OPTIONS = {"run": _RUN_OPTIONS, "map": ("map_over", "map_mode", *_RUN_OPTIONS)}


def _map_over_names(map_over: Any) -> list[str]:
    if isinstance(map_over, str):
        return [map_over]
    if isinstance(map_over, Sequence) and all(isinstance(n, str) for n in map_over):
        return list(map_over)
    raise TypeError(
        f"map_over must be an input name or a sequence of input names, got {map_over!r}\n"
        "How to fix: pass map_over='x' or map_over=['x', 'y']"
    )


def _check_map_names(names: list[str], mode: str, values: Mapping[str, Any]) -> None:
    if not names:
        raise InvalidInputError(
            message(
                "map() needs at least one input name in map_over",
                [f"values keys: {fmt_names(values)}"],
                "pass map_over='x' or map_over=['x', 'y']",
            )
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidInputError(
            message(
                f"map_over: {fmt_names(repeated)} listed twice",
                [f"map_over: {names!r}"],
                "list each name once",
            )
        )
    for name in names:
        if "." in name or "/" in name:
            raise InvalidInputError(
                message(
                    f"map_over cannot name an address: {quote(name)}",
                    ["addressed values are passed to every item unchanged"],
                    "map over a graph input, or use GraphNode.map_over inside the graph",
                )
            )
        if name not in values:
            raise InvalidInputError(
                message(
                    f"map_over names {quote(name)}, which is not a key of values",
                    [f"values keys: {fmt_names(values)}"],
                    f"pass the list to map over in values, e.g. {{{quote(name)}: [...]}}",
                )
            )
    if mode not in ("zip", "product"):
        raise InvalidInputError(
            message(
                f"Unknown map_mode {mode!r}",
                ["allowed: 'zip' (pair items) and 'product' (every combination)"],
                "pass map_mode='zip' or map_mode='product'",
            )
        )
