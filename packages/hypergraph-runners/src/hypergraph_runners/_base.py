"""``BaseRunner`` and the argument checks every runner performs before any node runs."""

from __future__ import annotations

import abc
import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from hypergraph_graph import Graph
from hypergraph_types import (
    InvalidInputError,
    MapResult,
    MissingInputError,
    RunnerCapabilities,
    RunResult,
)
from hypergraph_types._internal import (
    Suggester,
    did_you_mean,
    fmt_names,
    is_same,
    message,
    quote,
    short_repr,
    suggest,
)

from ._cache_warnings import CacheWarnings
from ._capabilities import check_capabilities
from ._inputs import Prepared, prepare
from ._interrupt import check_given
from ._mapping import mapped_lists
from ._options import (
    DEFAULT_MAX_ITERATIONS,
    check_error_handling,
    check_graph,
    check_limit,
    check_select,
    merge_values,
)
from ._ordering import check_entry_select
from ._plan import plan_of

if TYPE_CHECKING:
    from .cache._backend import CacheBackend
    from .cache._session import Session
    from .checkpoint._session import Opening
    from .checkpoint._store import SqliteCheckpointer
    from .executors import Options

__all__ = ["BaseRunner", "Call", "MapCall"]

ErrorHandling = Literal["continue", "raise"]
MapMode = Literal["zip", "product"]


class Call(msgspec.Struct, frozen=True):
    """A validated ``run()`` call.

    Attributes:
        graph: The graph to run.
        prepared: Its validated inputs.
        select: The names to return, or ``None`` (every output).
        max_iterations: The cycle budget.
        raise_: ``error_handling="raise"``.
    """

    graph: Graph
    prepared: Prepared
    select: tuple[str, ...] | None
    max_iterations: int
    raise_: bool


class MapCall(Call, frozen=True):
    """A validated ``map()`` call: plus the mapped lists and the mode ("zip" / "product")."""

    lists: dict[str, list[Any]]
    mode: str


class BaseRunner(abc.ABC):
    """What every runner offers: ``capabilities``, ``run`` and ``map``.

    Runners hold only configuration; every piece of per-run state is created inside the call,
    so one runner may serve many concurrent calls from several threads and event loops.
    """

    #: The cache backend nodes with ``cache=True`` use, or ``None`` (no caching).
    _cache: CacheBackend | None = None
    #: ``executor=`` and its options (``executors``), or ``None``: every item runs here.
    _executor: Options | None = None

    def __getstate__(self) -> dict[str, Any]:
        # A runner travels inside a graph shipped to an executor's workers without its
        # executor (there everything runs locally; a pool or a Client cannot be pickled)
        # and without its warning bookkeeping (a lock), made anew where it lands.
        state = dict(self.__dict__)
        state.pop("_executor", None)
        state.pop("_cache_warnings", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._cache_warnings = CacheWarnings()

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

    # -- checkpointing (issue 17) ---------------------------------------------------------

    #: The checkpointer recording the runs, or ``None`` (nothing of it is imported).
    _checkpointer: SqliteCheckpointer | None = None

    def _set_checkpointer(self, checkpointer: SqliteCheckpointer | None) -> None:
        if checkpointer is not None:
            from .checkpoint._store import SqliteCheckpointer

            if not isinstance(checkpointer, SqliteCheckpointer):
                raise TypeError(
                    message(
                        f"{type(self).__name__}(checkpointer=...) needs a checkpointer, got "
                        f"{type(checkpointer).__name__}",
                        ["checkpointers: SqliteCheckpointer(path), MemoryCheckpointer()"],
                        "pass SqliteCheckpointer('runs.db') (from hypergraph.checkpointers), "
                        "or None",
                    )
                )
        self._checkpointer = checkpointer

    @property
    def checkpointer(self) -> SqliteCheckpointer | None:
        """The checkpointer given to the constructor, or ``None``."""
        return self._checkpointer

    def _opening(
        self,
        kind: str,
        workflow_id: Any,
        fork_from: Any = None,
        fork_superstep: Any = None,
        on_change: Any = "error",
    ) -> Opening | None:
        """The call's checkpoint set-up, or ``None`` (no checkpointer, no checkpoint option)."""
        if (
            self._checkpointer is None
            and workflow_id is None
            and fork_from is None
            and fork_superstep is None
            and on_change == "error"
        ):
            return None
        from .checkpoint._session import Opening

        return Opening(
            self._checkpointer,
            type(self).__name__,
            kind,
            workflow_id,
            fork_from,
            fork_superstep,
            on_change,
        )

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
    ) -> MapResult | Awaitable[MapResult]:
        """Run the graph once per item of the mapped inputs."""

    def __init__(self) -> None:
        self._cache_warnings = CacheWarnings()

    # -- validation shared by the built-in runners (SPEC §6.5, §5.1) -----------------------

    def _check_run(
        self,
        graph: Any,
        values: Any,
        inputs: dict[str, Any],
        select: Any,
        max_iterations: Any,
        error_handling: Any,
        **options: Any,
    ) -> Call:
        """``options``: the call's other options (e.g. ``event_processors``), for the check of
        inputs named like an option."""
        graph = check_graph(graph)
        self._check_keywords(graph, inputs, "run")
        merged = merge_values(values, inputs)
        given = lambda: {  # noqa: E731  # built only for a graph with an option-named input
            "select": select,
            "max_iterations": max_iterations,
            "error_handling": error_handling,
            **options,
        }
        self._check_option_inputs(graph, merged, "run", given)
        plan = plan_of(graph)
        selected = check_select(select)
        check_entry_select(graph, selected)
        budget = check_limit("max_iterations", max_iterations, DEFAULT_MAX_ITERATIONS)
        raise_ = check_error_handling(error_handling)
        check_capabilities(self, graph)
        prepared = prepare(graph, merged)
        if plan.pausable:
            check_given(plan, merged)  # interrupts' answers, addressed ones too
        assert budget is not None
        if self._cache is None:
            self._cache_warnings.check(type(self).__name__, graph, stacklevel=3)
        return Call(graph, prepared, selected, budget, raise_)

    def _check_keywords(self, graph: Graph, inputs: Mapping[str, Any], method: str) -> None:
        """Keyword shorthand takes graph inputs; catch the keywords that are misspelled options.

        A keyword that is neither an option nor a known name is a misspelled *input*: it is
        left in the values so that it raises the same ``UnknownInputError`` as a misspelled
        key of ``values`` (one mistake, one exception type). Only an option of another runner
        (``max_concurrency`` on ``SyncRunner``) or a near-miss of an option raises Python's
        ``TypeError`` here, listing the options this runner's method really takes.
        """
        if not inputs:
            return
        known = plan_of(graph).known
        pool: Suggester | None = None  # built on the first unknown keyword only
        for key in inputs:
            if key in known or "." in key or "/" in key:
                continue
            close = [key] if key in _ALL_OPTIONS else suggest(key, _ALL_OPTIONS)[:1]
            if not close:
                continue  # a misspelled input: prepare() raises UnknownInputError
            pool = pool or Suggester(known)
            if key != close[0] and pool.did_you_mean(key):
                continue  # closer to an input than to an option: a misspelled input
            runner = type(self).__name__
            options = _options_of(type(self), method)
            hint = did_you_mean(key, options)
            extra = (
                f"{runner}.{method}() options: {', '.join(options)}"
                if close[0] in options
                else f"{runner} has no {quote(close[0])}; AsyncRunner takes {close[0]}"
            )
            raise TypeError(
                message(
                    f"{runner}.{method}() got an unexpected keyword argument {quote(key)}: it is "
                    "neither an option nor an input of the graph",
                    [hint, extra, f"graph inputs: {fmt_names(graph.inputs.all)}"],
                    "fix the spelling, or pass unusual names in the values mapping"
                    if close[0] in options
                    else f"drop {close[0]}, or run the graph with AsyncRunner",
                )
            )

    def _check_option_inputs(
        self,
        graph: Graph,
        values: Mapping[str, Any],
        method: str,
        given: Callable[[], Mapping[str, Any]],
    ) -> None:
        """A keyword argument named like an option is that option (docs/runners.md).

        So a graph input of that name can only come in ``values``: missing from there, it is
        an error when the graph needs it or when the option was passed (the keyword was then
        probably meant for the input), never a silent default. ``given`` makes the call's
        option values (only needed past the common case).
        """
        options = _options_of(type(self), method)
        if plan_of(graph).known.isdisjoint(options):
            return  # the common case: no input or internal value is named like an option
        chosen = given()
        spec = graph.inputs
        needed = {*spec.required, *spec.seeds}
        for name in spec.all:
            if name not in options or name in values:
                continue
            default = options[name]
            passed = default is inspect.Parameter.empty or not is_same(chosen.get(name), default)
            if not passed and name not in needed:
                continue  # its default applies, and the caller used neither name
            runner = type(self).__name__
            text = message(
                f"The graph has an input {quote(name)}, which is also an option of "
                f"{runner}.{method}(): "
                + (
                    f"{name}= was passed as a keyword, which always sets the option"
                    if passed
                    else "the input is missing, and a keyword argument would set the option"
                ),
                [f"graph inputs: {fmt_names(spec.all)}"],
                f"pass the input in values, e.g. {runner}().{method}(graph, "
                f"{{{quote(name)}: ...}}); keep {name}= as a keyword only for the option",
            )
            if passed:
                raise InvalidInputError(text)
            raise MissingInputError([name], list(values), text)

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
        **options: Any,
    ) -> MapCall:
        graph = check_graph(graph)
        self._check_keywords(graph, inputs, "map")
        merged = merge_values(values, inputs)
        given = lambda: {  # noqa: E731  # built only for a graph with an option-named input
            "map_over": map_over,
            "map_mode": map_mode,
            "select": select,
            "max_iterations": max_iterations,
            "error_handling": error_handling,
            **options,
        }
        self._check_option_inputs(graph, merged, "map", given)
        names = _map_over_names(map_over)
        if not isinstance(map_mode, str):
            raise TypeError(
                f"map_mode must be 'zip' or 'product', got {short_repr(map_mode)}\n"
                "How to fix: pass map_mode='zip' (pair items) or map_mode='product'"
            )
        selected = check_select(select)
        check_entry_select(graph, selected)
        budget = check_limit("max_iterations", max_iterations, DEFAULT_MAX_ITERATIONS)
        raise_ = check_error_handling(error_handling)
        check_capabilities(self, graph)
        _check_map_names(names, map_mode, merged, graph.inputs.all)
        lists = mapped_lists(merged, names, map_mode, "in map()")
        prepared = prepare(graph, merged)
        plan = plan_of(graph)
        if plan.pausable:
            check_given(plan, merged, skip=names)  # interrupts' answers
        assert budget is not None
        if self._cache is None:
            self._cache_warnings.check(type(self).__name__, graph, stacklevel=3)
        return MapCall(graph, prepared, selected, budget, raise_, lists, map_mode)


_Session: type[Session] | None = None  # imported at the first call with a cache

#: Every option of any built-in runner's run()/map(); which ones a runner takes comes from
#: its signature (_options_of), so SyncRunner never lists max_concurrency.
_ALL_OPTIONS = frozenset(
    {"select", "max_iterations", "max_concurrency", "error_handling", "event_processors"}
    | {"show_progress", "map_over", "map_mode"}
    | {"workflow_id", "fork_from", "fork_superstep", "on_change"}  # checkpointing (issue 17)
)


@functools.cache
def _options_of(runner: type[BaseRunner], method: str) -> dict[str, Any]:
    """The keyword-only options of ``runner.<method>`` (signature order) and their defaults
    (``inspect.Parameter.empty``: none)."""
    parameters = inspect.signature(getattr(runner, method)).parameters.values()
    return {p.name: p.default for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


def _map_over_names(map_over: Any) -> list[str]:
    if isinstance(map_over, str):
        return [map_over]
    if isinstance(map_over, Sequence) and all(isinstance(n, str) for n in map_over):
        return list(map_over)
    raise TypeError(
        f"map_over must be an input name or a sequence of input names, got {short_repr(map_over)}\n"
        "How to fix: pass map_over='x' or map_over=['x', 'y']"
    )


def _check_map_names(
    names: list[str], mode: str, values: Mapping[str, Any], inputs: Sequence[str]
) -> None:
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
                [f"map_over: {short_repr(names)}"],
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
            raise InvalidInputError(_map_over_not_in_values(name, values, inputs))
    if mode not in ("zip", "product"):
        raise InvalidInputError(
            message(
                f"Unknown map_mode {short_repr(mode)}",
                ["allowed: 'zip' (pair items) and 'product' (every combination)"],
                "pass map_mode='zip' or map_mode='product'",
            )
        )


def _map_over_not_in_values(name: str, values: Mapping[str, Any], inputs: Sequence[str]) -> str:
    """A map_over name with no list in ``values``: a typo (did-you-mean) or a forgotten list.

    Adding the name to ``values`` is suggested only when it is an input of the graph: for a
    typo that advice would only trade this error for an unknown-input error.
    """
    hint = did_you_mean(name, [*values, *inputs])
    if name in inputs:
        fix = f"pass the list to map over in values, e.g. {{{quote(name)}: [...]}}"
    elif hint:
        fix = "fix the spelling in map_over"
    else:
        fix = "map over one of the graph inputs, with its list in values"
    return message(
        f"map_over names {quote(name)}, which is not a key of values",
        [hint, f"values keys: {fmt_names(values)}", f"graph inputs: {fmt_names(inputs)}"],
        fix,
    )
