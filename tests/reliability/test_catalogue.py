"""The run-time validation catalogue as one table (RELIABILITY P2, §4.10; SPEC §6.5, §5.1).

Every row is one bad input to ``run()`` / ``map()`` (argument types, option values, runner
capability, addresses, unknown / internal / missing inputs, map arguments) or to a runner's
constructor. Each row is executed under both runners, through ``run`` and ``map`` where the
row applies to both, and in both ``error_handling`` modes, and asserts:

* the error class: the ``HypergraphError`` subclass *and* the builtin it refines, or the
  builtin ``TypeError`` (never a ``HypergraphError``) where SPEC says so;
* the required message fragments: the culprit, what is valid (or ``Did you mean``), and the
  ``How to fix:`` section every message has (SPEC §6.1);
* that no node body ran: every body of every row graph increments one global counter.

The construction-time half of the catalogue (§6.2-§6.4, one row per check) lives in
``tests/graph/test_validation_catalogue.py``; this file adds the "all reported together"
checks across layers and the error hierarchy against the errors module's docstring.
"""

from __future__ import annotations

import asyncio
import builtins
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

import hypergraph_types
from hypergraph_graph import FunctionNode, Graph, HyperNode, node
from hypergraph_runners import AsyncRunner, BaseRunner, SyncRunner
from hypergraph_types import (
    GraphConfigError,
    HypergraphError,
    IncompatibleRunnerError,
    InvalidInputError,
    MissingInputError,
    RunnerCapabilities,
    UnknownInputError,
)
from hypergraph_types import _errors as errors_module

# --- the global call counter and the row graphs -------------------------------------------

CALLS = [0]


def body_ran() -> None:
    CALLS[0] += 1


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    CALLS[0] = 0


def base_graph() -> Graph:
    """``a(x) -> y``, ``b(y, k=1) -> z``, ``split(z) -> (p, r)``, GraphNode ``inner``
    (``c(y, q=2) -> w``). Inputs: ``x`` required, ``k`` and ``q`` optional."""

    @node(output_name="y")
    def a(x):
        body_ran()
        return x + 1

    @node(output_name="z")
    def b(y, k=1):
        body_ran()
        return y * k

    @node(output_name=("p", "r"))
    def split(z):
        body_ran()
        return z, z

    @node(output_name="w")
    def c(y, q=2):
        body_ran()
        return y + q

    return Graph([a, b, split, Graph([c], name="inner").as_node()])


def async_top_graph() -> Graph:
    """Two async nodes at the graph's own level (SyncRunner cannot run them)."""

    @node(output_name="y")
    def a(x):
        body_ran()
        return x

    @node(output_name="f")
    async def fetch(y):
        body_ran()
        return y

    @node(output_name="items")
    async def stream(y):
        body_ran()
        yield y

    return Graph([a, fetch, stream])


def sync_override_over_async_graph() -> Graph:
    """An explicit ``SyncRunner`` override on a GraphNode whose inner graph is async."""

    @node(output_name="y")
    def a(x):
        body_ran()
        return x

    @node(output_name="w")
    async def fetch(y):
        body_ran()
        return y

    inner = Graph([fetch], name="inner").as_node(runner=SyncRunner())
    return Graph([a, Graph([inner], name="middle").as_node()])


class NoCycles(BaseRunner):
    """A runner without cycles; it is validated only, never asked to run."""

    @property
    def capabilities(self) -> RunnerCapabilities:
        return RunnerCapabilities(supports_cycles=False, supports_async_nodes=True)

    def run(self, graph: Any, values: Any = None, **kwargs: Any) -> Any:
        raise AssertionError("never called")

    def map(self, graph: Any, values: Any = None, **kwargs: Any) -> Any:
        raise AssertionError("never called")


def cycle_override_graph() -> Graph:
    @node(output_name="count")
    def step(count, x):
        body_ran()
        return count

    return Graph([Graph([step], name="loop").as_node(runner=NoCycles())])


class Custom(HyperNode):
    """A node class the execution core cannot execute."""

    def __init__(self, name: str, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> None:
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self._rename_history = []


def custom_node_graph() -> Graph:
    @node(output_name="y")
    def a(x):
        body_ran()
        return x

    return Graph([a, Custom("custom", ("y",), ("out",))])


def cycle_graph() -> Graph:
    """``step(count, x, limit=3) -> count``: ``count`` is a seed, ``x`` is required."""

    @node(output_name="count")
    def step(count, x, limit=3):
        body_ran()
        return count if count >= limit else count + x

    return Graph([step])


# --- the table ----------------------------------------------------------------------------

RUNNERS = ("sync", "async")
MODES = ("continue", "raise")
HOW = "How to fix"


@dataclass(frozen=True)
class Row:
    """One bad input.

    Attributes:
        id: ``<SPEC section>-<what>``.
        values: The ``values`` argument of ``run``.
        options: Keyword arguments of the call (options and keyword inputs).
        error: The expected class (``TypeError`` alone means the builtin, not ours).
        builtin: The builtin the class refines (checked with ``isinstance`` too).
        fragments: Substrings the message must contain.
        graph: Builds the graph (``base_graph`` by default).
        methods: ``"run"``, ``"map"``, and ``"init"`` for the AsyncRunner constructor.
        runners: Runners the row applies to.
        map_values / map_options: The ``map`` variant; by default ``x`` becomes ``[x, x]``
            and is mapped over.
        attrs: Attributes the error must have, e.g. ``{"capability": "node_type"}``.
    """

    id: str
    values: Any
    options: dict[str, Any]
    error: type[BaseException]
    builtin: type[BaseException]
    fragments: tuple[str, ...]
    graph: Callable[[], Any] = base_graph
    methods: tuple[str, ...] = ("run", "map")
    runners: tuple[str, ...] = RUNNERS
    map_values: Any = None
    map_options: dict[str, Any] | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


X = {"x": 1}


def row(
    id: str,
    values: Any,
    options: dict[str, Any],
    error: type[BaseException],
    *fragments: str,
    **kw: Any,
) -> Row:
    builtin = kw.pop("builtin", None)
    if builtin is None:
        builtin = next(b for b in error.__mro__ if b.__module__ == "builtins")
    return Row(id, values, options, error, builtin, fragments, **kw)


# fmt: off
ROWS: list[Row] = [
    # §6.5 #1: the graph argument
    row("6.5.1-graph-is-a-node", X, {}, TypeError, "FunctionNode", "Graph([", HOW,
        graph=lambda: base_graph().nodes["a"]),
    row("6.5.1-graph-is-a-function", X, {}, TypeError, "function", "Graph([", HOW,
        graph=lambda: body_ran),
    row("6.5.1-graph-is-none", X, {}, TypeError, "NoneType", "Graph([", HOW, graph=lambda: None),
    # §6.5 #1: values
    row("6.5.1-values-a-list", [("x", 1)], {}, TypeError, "list", "Mapping", HOW,
        map_values=[("x", [1])]),
    row("6.5.1-values-a-str", "x=1", {}, TypeError, "str", "Mapping", HOW, map_values="x=1"),
    row("6.5.1-values-non-str-key", {"x": 1, 3: 2}, {}, TypeError, "3", "int", "str", HOW),
    row("6.5.1-values-and-keyword-twice", X, {"x": 2}, InvalidInputError, "'x'", "twice", HOW,
        map_options={"x": [2]}),
    # §6.5 #1: options
    row("6.5.1-select-int", X, {"select": 5}, TypeError, "select", "5", "str", HOW),
    row("6.5.1-select-non-str-item", X, {"select": ["z", 2]}, TypeError, "select", "2", HOW),
    row("6.5.1-max_iterations-bool", X, {"max_iterations": True}, TypeError,
        "max_iterations", "True", "bool", "int >= 1", HOW),
    row("6.5.1-max_iterations-float", X, {"max_iterations": 1.5}, TypeError,
        "max_iterations", "1.5", "int >= 1", HOW),
    row("6.5.1-max_iterations-zero", X, {"max_iterations": 0}, InvalidInputError,
        "max_iterations", "0", "None or an int >= 1", HOW),
    row("6.5.1-max_iterations-negative", X, {"max_iterations": -3}, InvalidInputError,
        "max_iterations", "-3", "None or an int >= 1", HOW),
    row("6.5.1-max_concurrency-bool", X, {"max_concurrency": True}, TypeError,
        "max_concurrency", "True", "bool", "int >= 1", HOW, runners=("async",)),
    row("6.5.1-max_concurrency-float", X, {"max_concurrency": 2.0}, TypeError,
        "max_concurrency", "2.0", "int >= 1", HOW, runners=("async",)),
    row("6.5.1-max_concurrency-zero", X, {"max_concurrency": 0}, InvalidInputError,
        "max_concurrency", "0", "None or an int >= 1", HOW, runners=("async",)),
    row("6.5.1-max_concurrency-negative", X, {"max_concurrency": -1}, InvalidInputError,
        "max_concurrency", "-1", "None or an int >= 1", HOW, runners=("async",)),
    row("6.5.1-max_concurrency-on-sync-runner", X, {"max_concurrency": 2}, TypeError,
        "max_concurrency", "AsyncRunner", HOW, runners=("sync",)),
    row("6.5.1-unknown-option-typo", X, {"max_iteration": 3}, TypeError,
        "'max_iteration'", "Did you mean 'max_iterations'?", "options:", HOW),
    row("6.5.1-error_handling-unknown", X, {"error_handling": "ignore"}, InvalidInputError,
        "error_handling", "'ignore'", "'continue'", "'raise'", HOW),
    row("6.5.1-error_handling-case", X, {"error_handling": "RAISE"}, InvalidInputError,
        "error_handling", "'RAISE'", "'continue'", "'raise'", HOW),
    row("6.5.1-error_handling-none", X, {"error_handling": None}, InvalidInputError,
        "error_handling", "None", "'continue'", "'raise'", HOW),
    row("6.5.1-error_handling-bool", X, {"error_handling": True}, InvalidInputError,
        "error_handling", "True", "'continue'", "'raise'", HOW),
    # RUN-03: the AsyncRunner constructor's option
    row("RUN-03-sync_nodes-unknown", None, {"sync_nodes": "process"}, InvalidInputError,
        "sync_nodes", "'process'", "'thread'", "'inline'", HOW, methods=("init",),
        runners=("async",)),
    # §6.5 #2: runner capability
    row("6.5.2-async-nodes-under-sync-runner", X, {}, IncompatibleRunnerError,
        "'fetch'", "'stream'", "supports_async_nodes", "AsyncRunner", HOW,
        graph=async_top_graph, runners=("sync",),
        attrs={"capability": "supports_async_nodes", "node_name": "fetch"}),
    row("6.5.2-explicit-delegate-lacks-async", X, {}, IncompatibleRunnerError,
        "middle.inner", "supports_async_nodes", HOW, graph=sync_override_over_async_graph,
        attrs={"capability": "supports_async_nodes", "node_name": "middle.inner.fetch"}),
    row("6.5.2-explicit-delegate-lacks-cycles", {"x": 1, "count": 0}, {},
        IncompatibleRunnerError, "'loop'", "supports_cycles", HOW, graph=cycle_override_graph,
        attrs={"capability": "supports_cycles", "node_name": "loop"}),
    row("6.5.2-unsupported-node-class", X, {}, IncompatibleRunnerError,
        "'custom'", "Custom", "FunctionNode, GraphNode", HOW, graph=custom_node_graph,
        attrs={"capability": "node_type", "node_name": "custom"}),
    # §6.5 #4: addresses
    row("6.5.4-address-empty-segment", {"x": 1, "inner..q": 1}, {}, InvalidInputError,
        "'inner..q'", "empty segment", HOW),
    row("6.5.4-address-trailing-dot", {"x": 1, "inner.": 1}, {}, InvalidInputError,
        "'inner.'", "empty segment", HOW),
    row("6.5.4-address-leading-slash", {"x": 1, "/q": 1}, {}, InvalidInputError,
        "'/q'", "empty segment", HOW),
    row("6.5.4-same-address-twice", {"x": 1, "inner.q": 1, "inner/q": 2}, {},
        InvalidInputError, "'inner.q'", "'inner/q'", "twice", HOW),
    row("6.5.4-address-unknown-head", {"x": 1, "iner.q": 1}, {}, UnknownInputError,
        "no graph node 'iner'", "Did you mean 'inner'?", "Graph nodes: 'inner'", HOW,
        attrs={"unknown": ["iner.q"]}),
    row("6.5.4-address-through-a-function-node", {"x": 1, "a.x": 1}, {}, UnknownInputError,
        "'a' is not a graph node", "Graph nodes: 'inner'", HOW),
    row("6.5.4-address-unknown-inner-name", {"x": 1, "inner.qq": 1}, {}, UnknownInputError,
        "'qq'", "Did you mean 'q'?", "Inputs of 'inner': 'y', 'q'", HOW),
    # §6.5 #5: unknown names
    row("6.5.5-unknown-with-did-you-mean", {"x": 1, "kk": 1}, {}, UnknownInputError,
        "'kk'", "Did you mean 'k'?", "Valid inputs: 'x', 'k', 'q'", HOW,
        attrs={"unknown": ["kk"], "suggestions": {"kk": "k"}}),
    row("6.5.5-unknown-without-close-match", {"x": 1, "zzzz": 1}, {}, UnknownInputError,
        "'zzzz'", "Valid inputs: 'x', 'k', 'q'", HOW, attrs={"suggestions": {}}),
    # the same mistake as a key of values, the same error (issue: one mistake, one type)
    row("6.5.5-unknown-keyword-input", X, {"kk": 1}, UnknownInputError,
        "'kk'", "Did you mean 'k'?", "Valid inputs", HOW),
    row("6.5.5-misspelled-option-keyword", X, {"selec": "y"}, TypeError,
        "'selec'", "Did you mean 'select'?", "options:", HOW),
    row("6.5.5-graph-node-name-as-key", {"x": 1, "inner": 1}, {}, UnknownInputError,
        "'inner'", "'inner.<input>'", "Valid inputs", HOW),
    row("6.5.5-unknown-and-missing", {"xx": 1}, {}, UnknownInputError,
        "'xx'", "Did you mean 'x'?", "Missing inputs: 'x'", HOW,
        map_values={"xx": [1], "k": [1]}, map_options={"map_over": "k"}),
    # §6.5 #6: internal names covering only some outputs of their producer
    row("6.5.6-internal-names-cover-some-outputs", {"x": 1, "p": 1}, {}, InvalidInputError,
        "'split'", "'p', 'r'", "supplied: 'p'", HOW),
    # §6.5 #7: missing inputs (ERR-01)
    row("6.5.7-required-input-missing", {}, {}, MissingInputError,
        "Missing required inputs: 'x'", HOW, map_values={"k": [1, 2]},
        map_options={"map_over": "k"}, attrs={"missing": ["x"]}),
    row("6.5.7-required-and-seed-missing", {}, {}, MissingInputError,
        "Missing required inputs: 'count', 'x'", "Required: 'x'", "Seeds (for cycles): 'count'",
        HOW, graph=cycle_graph, map_values={"limit": [1, 2]}, map_options={"map_over": "limit"},
        attrs={"missing": ["count", "x"]}),
    row("6.5.7-seed-missing", X, {}, MissingInputError, "'count'", HOW, graph=cycle_graph,
        attrs={"missing": ["count"]}),
    # §5.1 step 1: map argument types
    row("5.1.1-map_over-not-a-name", {"x": [1]}, {"map_over": 3}, TypeError, "map_over", "3",
        HOW, methods=("map",)),
    row("5.1.1-map_over-non-str-item", {"x": [1]}, {"map_over": ["x", 3]}, TypeError,
        "map_over", "3", HOW, methods=("map",)),
    row("5.1.1-map_mode-not-a-str", {"x": [1]}, {"map_over": "x", "map_mode": 1}, TypeError,
        "map_mode", "'zip'", "'product'", HOW, methods=("map",)),
    # §5.1 step 2: capability, before map names
    row("5.1.2-async-nodes-under-sync-runner-map", {"x": [1]}, {"map_over": "nope"},
        IncompatibleRunnerError, "'fetch'", "AsyncRunner", HOW, graph=async_top_graph,
        methods=("map",), runners=("sync",)),
    # §5.1 step 3: map_over names and map_mode
    row("5.1.3-map_over-empty", {"x": [1]}, {"map_over": []}, InvalidInputError,
        "at least one", HOW, methods=("map",)),
    row("5.1.3-map_over-listed-twice", {"x": [1]}, {"map_over": ["x", "x"]},
        InvalidInputError, "'x'", "listed twice", HOW, methods=("map",)),
    row("5.1.3-map_over-an-address", {"x": [1], "inner.q": [1]}, {"map_over": "inner.q"},
        InvalidInputError, "'inner.q'", "address", HOW, methods=("map",)),
    row("5.1.3-map_over-not-a-key-of-values", {"x": [1]}, {"map_over": "k"}, InvalidInputError,
        "'k'", "not a key of values", "values keys: 'x'", HOW, methods=("map",)),
    row("5.1.3-map_mode-unknown", {"x": [1]}, {"map_over": "x", "map_mode": "zipp"},
        InvalidInputError, "Unknown map_mode", "'zipp'", "'zip'", "'product'", HOW,
        methods=("map",)),
    # §5.1 step 4: mapped values that are not proper sequences
    *[
        row(f"5.1.4-mapped-{label}", {"x": value}, {"map_over": "x"}, TypeError,
            "'x'", type(value).__name__, hint, HOW, methods=("map",))
        for label, value, hint in [
            ("str", "abc", "[s]"),
            ("bytes", b"abc", "[s]"),
            ("bytearray", bytearray(b"ab"), "[s]"),
            ("dict", {1: 2}, "keys"),
            ("set", {1, 2}, "no order"),
            ("frozenset", frozenset({1}), "no order"),
            ("iterator", iter([1, 2]), "list(...)"),
            ("generator", (i for i in [1]), "list(...)"),
            ("int", 5, "list"),
        ]
    ],
    # §5.1 step 5: zip lengths
    row("5.1.5-zip-unequal-lengths", {"x": [1, 2, 3], "k": [1, 2]}, {"map_over": ["x", "k"]},
        InvalidInputError, "equal lengths", "'x': length 3", "'k': length 2", HOW,
        methods=("map",)),
    # §5.1 step 6: the input checks of run, once, on the keys of values
    row("5.1.6-unknown-mapped-name", {"x": [1], "kk": [1]}, {"map_over": ["x", "kk"]},
        UnknownInputError, "'kk'", "Did you mean 'k'?", HOW, methods=("map",)),
    row("5.1.6-missing-input", {"k": [1]}, {"map_over": "k"}, MissingInputError, "'x'", HOW,
        methods=("map",)),
]
# fmt: on


def _cases() -> list[Any]:
    return [
        pytest.param(r, method, runner, id=f"{r.id}-{method}-{runner}")
        for r in ROWS
        for method in r.methods
        for runner in r.runners
    ]


def modes_of(r: Row) -> tuple[str, ...]:
    """Both modes, unless the row's culprit is ``error_handling`` itself (or the constructor)."""
    return ("continue",) if "error_handling" in r.options or r.methods == ("init",) else MODES


def call(r: Row, method: str, runner: str, mode: str) -> Any:
    """Execute the row's call; returns whatever it returned (a row must raise instead)."""
    if method == "init":
        return AsyncRunner(**r.options)
    graph = r.graph()
    values, options = r.values, dict(r.options)
    if method == "map":
        if r.map_values is not None:
            values = r.map_values
        elif isinstance(values, dict) and "x" in values and "map_over" not in options:
            values = {**values, "x": [values["x"], values["x"]]}
        if r.map_options is not None:
            options = {**options, **r.map_options}
        options.setdefault("map_over", "x")
    options.setdefault("error_handling", mode)
    if runner == "sync":
        return getattr(SyncRunner(), method)(graph, values, **options)
    coro = getattr(AsyncRunner(), method)(graph, values, **options)
    return asyncio.run(asyncio.wait_for(coro, 10))


def raised(r: Row, method: str, runner: str, mode: str) -> BaseException:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a row must fail with its error, not with a warning
        with pytest.raises(BaseException) as info:
            call(r, method, runner, mode)
    return info.value


@pytest.mark.parametrize(("r", "method", "runner"), _cases())
def test_catalogue(r: Row, method: str, runner: str) -> None:
    """Class, builtin, fragments, attributes and a call counter at 0, in both modes."""
    fragments = r.fragments
    for mode in modes_of(r):
        err = raised(r, method, runner, mode)
        assert isinstance(err, r.error), f"{mode}: {type(err).__name__}: {err}"
        assert isinstance(err, r.builtin)
        if r.error is TypeError:
            assert not isinstance(err, HypergraphError), "SPEC: wrong Python types: TypeError"
        else:
            assert issubclass(r.error, HypergraphError)
        text = str(err)
        missing = [f for f in fragments if f not in text]
        assert not missing, f"{mode}: {missing} not in message:\n{text}"
        for name, value in r.attrs.items():
            assert getattr(err, name) == value, name
        assert CALLS[0] == 0, f"{mode}: a node body ran before validation finished"


@pytest.mark.parametrize("r", [pytest.param(r, id=r.id) for r in ROWS])
def test_every_message_has_a_how_to_fix_section(r: Row) -> None:
    """SPEC §6.1: every message ends with ``How to fix:`` (checked once per row)."""
    err = raised(r, r.methods[0], r.runners[0], "continue")
    assert "How to fix" in str(err), str(err)


@pytest.mark.parametrize("runner", RUNNERS)
def test_the_call_counter_sees_every_body(runner: str) -> None:
    """The rows' graphs are runnable with good input, and every body bumps the counter."""
    good = {"x": 1}
    if runner == "sync":
        result = SyncRunner().run(base_graph(), good)
    else:
        result = asyncio.run(AsyncRunner().run(base_graph(), good))
    assert result["z"] == 2 and result["w"] == 4
    assert CALLS[0] == 4


def test_every_section_of_the_catalogue_has_rows() -> None:
    """A guard against the table silently shrinking: §6.5 #1-#7 and §5.1 steps 1-6."""
    sections = {r.id.split("-")[0] for r in ROWS}
    expected = {f"6.5.{i}" for i in (1, 2, 4, 5, 6, 7)} | {f"5.1.{i}" for i in range(1, 7)}
    assert expected <= sections, expected - sections


# --- §6.1: names longer than 100 characters are shortened ---------------------------------

LONG = "n" * 150
SHORT = "n" * 100 + "..."


def long_input_graph() -> Graph:
    def ident(v):
        body_ran()
        return v

    return Graph([FunctionNode(ident, output_name="y").with_inputs(v=LONG)])


LONG_NAME_ROWS = [
    pytest.param(lambda: SyncRunner().run(base_graph(), {"x": 1, LONG: 1}), id="unknown-name"),
    pytest.param(lambda: SyncRunner().run(long_input_graph(), {}), id="missing-name"),
    pytest.param(
        lambda: SyncRunner().run(base_graph(), {"x": 1, LONG + "..q": 1}),
        id="malformed-address",
    ),
    pytest.param(
        lambda: SyncRunner().run(base_graph(), {"x": 1, LONG + ".q": 1}),
        id="address-unknown-head",
    ),
    pytest.param(
        lambda: SyncRunner().map(base_graph(), {"x": [1]}, map_over=LONG),
        id="map_over-not-a-key",
    ),
    pytest.param(
        lambda: SyncRunner().run(base_graph(), {"x": 1}, **{LONG: 1}),
        id="unknown-keyword",
    ),
]


@pytest.mark.parametrize("bad_call", LONG_NAME_ROWS)
def test_long_names_are_shortened_in_run_time_messages(bad_call: Callable[[], Any]) -> None:
    with pytest.raises((HypergraphError, TypeError)) as info:
        bad_call()
    text = str(info.value)
    assert SHORT in text
    assert LONG not in text
    assert CALLS[0] == 0


# --- §6.5 rows that warn instead of raising -----------------------------------------------


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("mode", MODES)
def test_internal_values_warn_and_name_their_producer(runner: str, mode: str) -> None:
    graph, values = base_graph(), {"x": 1, "p": 10, "r": 20}
    with pytest.warns(UserWarning) as record:
        if runner == "sync":
            result = SyncRunner().run(graph, values, error_handling=mode)
        else:
            result = asyncio.run(AsyncRunner().run(graph, values, error_handling=mode))
    (warning,) = record
    text = str(warning.message)
    assert "'p'" in text and "'r'" in text and "'split'" in text
    assert result["p"] == 10  # the given value stands in for the bypassed producer
    assert CALLS[0] == 3  # a, b and c ran; split did not


@pytest.mark.parametrize("runner", RUNNERS)
def test_unavailable_select_names_warn_after_the_run(runner: str) -> None:
    graph = base_graph()
    with pytest.warns(UserWarning) as record:
        if runner == "sync":
            result = SyncRunner().run(graph, X, select=["z", "zz"])
        else:
            result = asyncio.run(AsyncRunner().run(graph, X, select=["z", "zz"]))
    (warning,) = record
    text = str(warning.message)
    assert "Requested outputs not found: 'zz'" in text
    assert "Available outputs:" in text and "Did you mean 'z'?" in text
    assert result.values == {"z": 2}


# --- several problems at once are reported together ---------------------------------------


def _ident(v):
    body_ran()
    return v


def test_several_construction_problems_are_reported_together() -> None:
    """Checks 2-12 all run and report every problem in one GraphConfigError, each block with
    its own culprit and How to fix; nothing was called."""
    dup_a = FunctionNode(_ident, name="dup", output_name="o1").with_inputs(v="d_in")
    dup_b = FunctionNode(_ident, name="dup", output_name="o2").with_inputs(v="d_in")
    prod_a = FunctionNode(_ident, name="pa", output_name="shared").with_inputs(v="s_in")
    prod_b = FunctionNode(_ident, name="pb", output_name="shared").with_inputs(v="s_in")
    end = FunctionNode(_ident, name="END", output_name="o_end").with_inputs(v="e_in")
    lam = FunctionNode(lambda lam_in: lam_in, output_name="o_lam")
    bad_out = FunctionNode(_ident, name="bo", output_name="class").with_inputs(v="bo_in")
    bad_in = FunctionNode(_ident, name="bi", output_name="o_bi").with_inputs(v="for")

    def with_k(k=1):
        return k

    def with_other_k(k=2):
        return k

    k1 = FunctionNode(with_k, name="k1", output_name="o_k1")
    k2 = FunctionNode(with_other_k, name="k2", output_name="o_k2")
    nodes = [dup_a, dup_b, prod_a, prod_b, end, lam, bad_out, bad_in, k1, k2]
    with pytest.raises(GraphConfigError) as info:
        Graph(nodes, name="my.graph")
    text = str(info.value)
    expected = [
        "Duplicate node name: 'dup'",
        "Multiple nodes produce 'shared'",
        "Invalid graph name 'my.graph'",
        "'END'",
        "Invalid node name '<lambda>'",
        "Invalid output name 'class'",
        "Invalid input name 'for'",
        "Inconsistent defaults for 'k'",
    ]
    assert text.startswith(f"{len(expected)} problems found in graph 'my.graph'"), text
    blocks = text.split("\n\n")[1:]
    assert len(blocks) == len(expected), text
    for block, fragment in zip(blocks, expected):
        assert fragment in block, (fragment, block)
        assert "How to fix:" in block, block
    assert CALLS[0] == 0


def test_strict_types_problems_are_reported_together() -> None:
    def make() -> int:
        return 1

    def take_str(one: str) -> str:
        return one

    def untyped(one):
        return one

    nodes = [
        FunctionNode(make, output_name="one"),
        FunctionNode(take_str, name="t1", output_name="o1"),
        FunctionNode(untyped, name="t2", output_name="o2"),
    ]
    with pytest.raises(GraphConfigError) as info:
        Graph(nodes, strict_types=True)
    text = str(info.value)
    assert text.startswith("2 problems found")
    assert "Type mismatch on 'one'" in text and "Missing type annotation" in text
    assert text.count("How to fix:") == 2


@pytest.mark.parametrize("runner", RUNNERS)
def test_several_unknown_names_and_the_missing_inputs_are_reported_together(runner) -> None:
    values = {"kk": 1, "qq": 2, "inner": 3, "zzzz": 4}
    with pytest.raises(UnknownInputError) as info:
        if runner == "sync":
            SyncRunner().run(base_graph(), values)
        else:
            asyncio.run(AsyncRunner().run(base_graph(), values))
    err = info.value
    text = str(err)
    assert err.unknown == ["kk", "qq", "inner", "zzzz"]
    assert err.suggestions == {"kk": "k", "qq": "q"}
    fragments = ["'kk'", "'qq'", "'inner'", "'zzzz'", "Did you mean 'k'?", "Did you mean 'q'?"]
    for fragment in [*fragments, "'inner.<input>'", "Missing inputs: 'x'"]:
        assert fragment in text, fragment
    assert text.count("How to fix:") == 1
    assert CALLS[0] == 0


def test_every_async_node_is_listed_under_sync_runner() -> None:
    with pytest.raises(IncompatibleRunnerError) as info:
        SyncRunner().run(async_top_graph(), X)
    text = str(info.value)
    assert "'fetch'" in text and "'stream'" in text
    assert CALLS[0] == 0


# --- the error hierarchy against the errors module's docstring ----------------------------

_TREE_LINE = re.compile(r"^(?P<indent>[\s│]*)(?:[├└]── )?(?P<name>\w+)(?:\s+\((?P<builtin>\w+)\))?")


def _documented_tree() -> dict[str, tuple[str | None, str | None]]:
    """``class name -> (documented parent, documented builtin)`` from the module docstring."""
    doc = errors_module.__doc__
    assert doc is not None
    lines = [ln[4:] for ln in doc.splitlines() if ln.startswith("    ") and ln.strip()]
    tree: dict[str, tuple[str | None, str | None]] = {}
    stack: list[tuple[int, str]] = []
    for line in lines:
        m = _TREE_LINE.match(line)
        assert m is not None, line
        depth = len(m.group("indent")) // 4 + (1 if "──" in line else 0)
        name = m.group("name")
        while stack and stack[-1][0] >= depth:
            stack.pop()
        tree[name] = (stack[-1][1] if stack else None, m.group("builtin"))
        stack.append((depth, name))
    return tree


def test_error_hierarchy_matches_the_errors_module_docstring() -> None:
    tree = _documented_tree()
    assert tree["Exception"] == (None, None)
    assert tree["HypergraphError"][0] == "Exception"
    exported = {
        name
        for name in hypergraph_types.__all__
        if isinstance(getattr(hypergraph_types, name), type)
        and issubclass(getattr(hypergraph_types, name), BaseException)
    }
    documented = set(tree) - {"Exception"}
    assert exported == documented, exported ^ documented
    for name in documented:
        cls = getattr(hypergraph_types, name)
        parent_name, builtin_name = tree[name]
        assert parent_name is not None
        home = builtins if parent_name == "Exception" else hypergraph_types
        parent = getattr(home, parent_name)
        assert cls.__bases__[0] is parent, (name, cls.__bases__)
        if builtin_name is not None:
            builtin = getattr(builtins, builtin_name)
            assert cls.__bases__ == (parent, builtin), (name, cls.__bases__)
        else:
            assert cls.__bases__ == (parent,), (name, cls.__bases__)
        assert issubclass(cls, HypergraphError) or cls is HypergraphError
        assert cls.__doc__, f"{name} has no docstring"
    # The SPEC ERR table: every class refines exactly the builtin documented for it.
    for name, builtin in [
        ("GraphConfigError", ValueError),
        ("RenameError", ValueError),
        ("InvalidInputError", ValueError),
        ("MissingInputError", ValueError),
        ("UnknownInputError", ValueError),
        ("IncompatibleRunnerError", TypeError),
        ("OutputMismatchError", ValueError),
        ("ConflictError", RuntimeError),
        ("InfiniteLoopError", RuntimeError),
        ("NodeCancelledError", RuntimeError),
        ("RunFailedError", KeyError),
    ]:
        assert issubclass(getattr(hypergraph_types, name), builtin), name
