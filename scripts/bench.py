"""Benchmark harness: Hypergraph's runners against plain Python and pipefunc (issue 7).

Every scenario builds its graphs once, then times each contender in interleaved rounds (round 1
of every contender, then round 2, ...) and reports the median round. Node bodies are trivial, so
the numbers are the frameworks' own overhead. See docs/performance.md for what each row means.

    bash scripts/bench                  # the full run (a few minutes)
    bash scripts/bench --smoke          # every scenario once at tiny sizes (CI)
    bash scripts/bench --only map --rounds 3 --json results.json
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import hypergraph
from hypergraph import (
    AsyncRunner,
    FunctionNode,
    Graph,
    MapResult,
    RunResult,
    RunStatus,
    SyncRunner,
    node,
)

try:
    import pipefunc
    from pipefunc import Pipeline
except ImportError:  # the bench dependency group is not installed: pipefunc columns show n/a
    pipefunc = None

NA = "n/a"


# -- sizes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """The size of every scenario; ``SMOKE`` shrinks them so the whole run takes seconds."""

    chain: int = 100
    wide: int = 100
    map_items: tuple[int, ...] = (1_000, 10_000, 100_000)
    map_pipefunc: int = 10_000
    sleepers: int = 100
    sleep: float = 0.010
    limit: int = 10
    nested: int = 10
    build: int = 1_000
    build_big: int = 10_000
    build_pipefunc: int = 200  # pipefunc's build is quadratic: 1,000 nodes take minutes
    nodes: int = 1_000
    nodes_big: int = 10_000
    import_pipefunc: bool = True  # importing pipefunc takes seconds: not in smoke mode
    slow: float = 0.100
    steps: int = 5
    step: float = 0.020
    def_map: int = 10_000  # AsyncRunner.map over a graph of def nodes
    mixed: int = 20  # async I/O nodes, each followed by a def node
    hops: int = 200  # def nodes each after an async node: thread hops per run
    # executor (issue 19): map on a 2-process Dask cluster
    executor_items: int = 100_000
    executor_cpu_items: int = 4_000
    executor_cpu: float = 0.001


FULL = Sizes()
SMOKE = Sizes(
    chain=10,
    wide=10,
    map_items=(10, 100, 1_000),
    map_pipefunc=100,
    sleepers=10,
    sleep=0.001,
    limit=3,
    nested=3,
    build=100,
    build_big=1_000,
    build_pipefunc=20,
    nodes=100,
    nodes_big=1_000,
    import_pipefunc=False,
    slow=0.010,
    steps=5,
    step=0.002,
    def_map=200,
    mixed=5,
    hops=10,
    executor_items=1_000,
    executor_cpu_items=40,
    executor_cpu=0.0001,
)


# -- cases, rows and the measuring loop ----------------------------------------------------------


@dataclass
class Case:
    """One contender in one scenario: ``fn`` is called (or awaited) once per timed call."""

    name: str
    fn: Callable[[], Any]
    check: Callable[[Any], object] = lambda _: None
    is_async: bool = False
    max_rounds: int | None = None  # the 100k-item maps: fewer rounds keep the run short


@dataclass
class Row:
    """One line of the table. Numbers are in ``unit``; a string cell is printed as is."""

    scenario: str
    measure: str
    unit: str
    plain: float | str | None
    pipefunc: float | str | None
    sync: float | str | None
    async_: float | str | None
    note: str = ""


@dataclass
class Scenario:
    name: str
    cases: list[Case]
    rows: Callable[[dict[str, float]], list[Row]]
    once: Callable[[asyncio.AbstractEventLoop], dict[str, float]] | None = None


@dataclass
class Settings:
    sizes: Sizes
    rounds: int
    target: float  # seconds per timed round; the call count per round is calibrated to it
    smoke: bool
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)


async def _time_async(fn: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        await fn()
    return (time.perf_counter() - start) / number


def _time(case: Case, number: int, loop: asyncio.AbstractEventLoop) -> float:
    """Seconds per call, over ``number`` calls. The collector stays on, as in real use."""
    gc.collect()
    if case.is_async:
        return loop.run_until_complete(_time_async(case.fn, number))
    fn = case.fn
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def _calibrate(case: Case, settings: Settings, loop: asyncio.AbstractEventLoop) -> int:
    """Run the case once (checking its answer) and pick the call count for one round."""
    start = time.perf_counter()
    result = loop.run_until_complete(case.fn()) if case.is_async else case.fn()
    elapsed = time.perf_counter() - start
    case.check(result)
    del result
    if settings.smoke or elapsed >= settings.target:
        return 1
    elapsed = _time(case, 1, loop)  # the first call may have filled caches: time a warm one
    return max(1, min(100_000, round(settings.target / max(elapsed, 1e-9))))


def measure(
    scenario: Scenario, settings: Settings, loop: asyncio.AbstractEventLoop
) -> dict[str, float]:
    """Medians (seconds per call) of interleaved rounds, plus the scenario's one-off probes."""
    cases = scenario.cases
    numbers = {c.name: _calibrate(c, settings, loop) for c in cases}
    samples: dict[str, list[float]] = {c.name: [] for c in cases}
    for r in range(settings.rounds):
        # Rotate the starting contender so none always runs right after the same neighbour.
        for case in cases[r % len(cases) :] + cases[: r % len(cases)]:
            if case.max_rounds is None or r < case.max_rounds:
                samples[case.name].append(_time(case, numbers[case.name], loop))
    settings.samples[scenario.name] = samples
    medians = {name: statistics.median(s) for name, s in samples.items()}
    if scenario.once is not None:
        medians.update(scenario.once(loop))
    return medians


# -- building blocks: generated functions, graphs and pipelines --------------------------------

Step = tuple[str, Callable[..., Any], Sequence[str]]  # (output name, function, its parameters)


def _fn(
    name: str,
    params: Sequence[str],
    body: str,
    *,
    is_async: bool = False,
    before: str = "",
    scope: dict[str, Any] | None = None,
    returns: str = "",
) -> Callable[..., Any]:
    """Compile ``def name(params) -> returns: before; return body`` (plain code, no closures)."""
    prefix = "async def" if is_async else "def"
    arrow = f" -> {returns}" if returns else ""
    lines = [f"{prefix} {name}({', '.join(params)}){arrow}:"]
    lines += [f"    {line}" for line in before.splitlines()]
    lines.append(f"    return {body}")
    namespace: dict[str, Any] = {"asyncio": asyncio, "time": time, **(scope or {})}
    exec("\n".join(lines), namespace)
    return namespace[name]  # type: ignore[no-any-return]


def _program(steps: Sequence[Step], arg: str, ret: str, *, aw: bool) -> Callable[..., Any]:
    """The plain-Python baseline: call every step in order, ``out = fn(args)``, no framework."""
    scope = {f"_f{i}": fn for i, (_, fn, _) in enumerate(steps)}
    call = "await " if aw else ""
    body = "\n".join(
        f"{out} = {call}_f{i}({', '.join(args)})" for i, (out, _, args) in enumerate(steps)
    )
    return _fn("plain", [arg], ret, is_async=aw, before=body, scope=scope)


def _sleeper(
    name: str, params: Sequence[str], seconds: float, *, is_async: bool
) -> Callable[..., Any]:
    pause = f"await asyncio.sleep({seconds})" if is_async else f"time.sleep({seconds})"
    return _fn(name, params, "1", is_async=is_async, before=pause)


def _chain_steps(n: int, *, is_async: bool = False) -> list[Step]:
    """``v1 = n0(v0)``, ``v2 = n1(v1)``, ...: ``n`` trivial functions in a line."""
    return [
        (f"v{i + 1}", _fn(f"n{i}", [f"v{i}"], f"v{i} + 1", is_async=is_async), [f"v{i}"])
        for i in range(n)
    ]


def _wide_steps(n: int, *, is_async: bool = False) -> list[Step]:
    """One source, ``n`` independent middles reading it, one join reading all of them."""
    middles = [f"p{i}" for i in range(n)]
    return [
        ("s", _fn("source", ["x"], "x", is_async=is_async), ["x"]),
        *[
            (m, _fn(f"w{i}", ["s"], f"s + {i}", is_async=is_async), ["s"])
            for i, m in enumerate(middles)
        ],
        ("out", _fn("join", middles, " + ".join(middles), is_async=is_async), middles),
    ]


def _graph(steps: Iterable[Step], name: str | None = None) -> Graph:
    return Graph([node(fn, output_name=out) for out, fn, _ in steps], name=name)


def _pipeline(steps: Iterable[Step], mapspec: bool = False) -> Any:
    funcs = []
    for out, fn, args in steps:
        spec = f"{', '.join(f'{a}[i]' for a in args)} -> {out}[i]" if mapspec else None
        funcs.append(pipefunc.pipefunc(output_name=out, mapspec=spec)(fn))
    return Pipeline(funcs)


def _value(result: Any, output: str) -> Any:
    """The value of ``output`` in whatever a contender returned (the last item of a map)."""
    if isinstance(result, (list, MapResult)):  # a plain loop gives a list, map() a MapResult
        result = result[-1]
    if isinstance(result, RunResult):
        if result.status is not RunStatus.COMPLETED:
            raise RuntimeError(f"benchmark run failed: {result.error!r}")
        return result[output]
    if isinstance(result, Mapping) and output in result:  # pipefunc's map returns a ResultDict
        value = result[output].output
        return value[-1] if getattr(value, "ndim", 0) else value
    return result


def _expect(output: str, value: Any) -> Callable[[Any], None]:
    """A check run once per case before timing: a benchmark of a failing run measures nothing."""

    def check(result: Any) -> None:
        got = _value(result, output)
        if got != value:
            raise RuntimeError(f"benchmark computed {output}={got!r}, expected {value!r}")

    return check


def _us(seconds: float) -> float:
    return seconds * 1e6


def _ms(seconds: float) -> float:
    return seconds * 1e3


def _ratio(ours: float | str | None, base: float | str | None) -> str:
    if isinstance(ours, float) and isinstance(base, float) and base > 0:
        return f"{ours / base:.2f}x"
    return "-"


def _pf(value: Callable[[], float | None]) -> float | str | None:
    return NA if pipefunc is None else value()


# -- scenarios -----------------------------------------------------------------------------------


def _overhead_cases(
    steps: list[Step], asteps: list[Step], first: str, out: str, value: int
) -> list[Case]:
    """plain, plain-async, sync, async and pipefunc cases for one run-once graph."""
    plain = _program(steps, first, out, aw=False)
    plain_async = _program(asteps, first, out, aw=True)
    graph, agraph = _graph(steps), _graph(asteps)
    sync, arun, arg, check = SyncRunner(), AsyncRunner(), {first: 0}, _expect(out, value)
    cases = [
        Case("plain", lambda: plain(0), check),
        Case("plain-async", lambda: plain_async(0), check, is_async=True),
        Case("sync", lambda: sync.run(graph, arg), check),
        Case("async", lambda: arun.run(agraph, arg), check, is_async=True),
    ]
    if pipefunc is not None:
        pipe = _pipeline(steps)
        cases.append(Case("pipefunc", lambda: pipe.run(out, kwargs=arg), check))
    return cases


def _overhead_row(name: str, label: str, m: dict[str, float], nodes: int, note: str) -> Row:
    def per_node(run: str, base: str) -> float:
        return _us(m[run] - m[base]) / nodes

    return Row(
        name,
        label,
        "us",
        f"0 ({_us(m['plain']):.1f} us/run; async {_us(m['plain-async']):.1f} us/run)",
        _pf(lambda: per_node("pipefunc", "plain")),
        per_node("sync", "plain"),
        per_node("async", "plain-async"),
        note,
    )


def scenario_chain(s: Sizes) -> Scenario:
    n = s.chain
    cases = _overhead_cases(_chain_steps(n), _chain_steps(n, is_async=True), "v0", f"v{n}", n)

    def rows(m: dict[str, float]) -> list[Row]:
        label = f"chain of {n} trivial nodes: overhead per node"
        note = "AsyncRunner: async def nodes, vs awaiting them in plain asyncio"
        return [_overhead_row("chain", label, m, n, note)]

    return Scenario("chain", cases, rows)


def scenario_wide(s: Sizes) -> Scenario:
    n = s.wide
    value = sum(range(n))
    cases = _overhead_cases(_wide_steps(n), _wide_steps(n, is_async=True), "x", "out", value)

    def rows(m: dict[str, float]) -> list[Row]:
        label = f"1 source -> {n} parallel -> 1 join: overhead per node ({n + 2} nodes)"
        return [_overhead_row("wide", label, m, n + 2, "AsyncRunner: async def nodes")]

    return Scenario("wide", cases, rows)


def _map_steps(*, is_async: bool = False) -> list[Step]:
    return [
        ("a", _fn("add", ["x"], "x + 1", is_async=is_async), ["x"]),
        ("b", _fn("double", ["a"], "a * 2", is_async=is_async), ["a"]),
        ("c", _fn("less", ["b"], "b - 1", is_async=is_async), ["b"]),
    ]


def _map_cases(s: Sizes) -> list[Case]:
    steps, asteps = _map_steps(), _map_steps(is_async=True)
    add, double, less = (fn for _, fn, _ in steps)
    graph, agraph = _graph(steps), _graph(asteps)
    sync, arun = SyncRunner(), AsyncRunner()
    cases = []
    for n in s.map_items:
        xs = list(range(n))
        last, heavy = 2 * n - 1, (3 if n >= 100_000 else None)
        cases += [
            Case(
                f"plain@{n}", lambda xs=xs: [less(double(add(x))) for x in xs], _expect("c", last)
            ),
            Case(
                f"sync@{n}",
                lambda xs=xs: sync.map(graph, {"x": xs}, map_over="x"),
                _expect("c", last),
                max_rounds=heavy,
            ),
            Case(
                f"async@{n}",
                lambda xs=xs: arun.map(agraph, {"x": xs}, map_over="x"),
                _expect("c", last),
                is_async=True,
                max_rounds=heavy,
            ),
        ]
    if pipefunc is not None:
        n, xs = s.map_pipefunc, list(range(s.map_pipefunc))
        pipe, single = _pipeline(steps, mapspec=True), _pipeline(steps)
        cases += [
            Case(
                f"pipefunc@{n}",
                lambda: pipe.map({"x": xs}, parallel=False, storage="dict"),
                _expect("c", 2 * n - 1),
            ),
            # pipefunc's map pays for its array storage per item; a loop of run() is its
            # cheaper way to do the same work, shown in the note so the ratio is not flattering.
            Case(
                f"pipefunc-loop@{n}",
                lambda: [single.run("c", kwargs={"x": x}) for x in xs],
                _expect("c", 2 * n - 1),
            ),
        ]
    return cases


def _traced_mib(
    fn: Callable[[], Any], loop: asyncio.AbstractEventLoop, aw: bool
) -> tuple[float, float]:
    """(peak, held at the end) traced memory of one call, in MiB, while it keeps its result."""
    gc.collect()
    tracemalloc.start()
    try:
        result = loop.run_until_complete(fn()) if aw else fn()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak / 2**20, held / 2**20


def scenario_map(s: Sizes) -> Scenario:
    cases = _map_cases(s)
    big = max(s.map_items)
    by_name = {c.name: c for c in cases}

    def once(loop: asyncio.AbstractEventLoop) -> dict[str, float]:
        out = {}
        for who in ("plain", "sync", "async"):
            case = by_name[f"{who}@{big}"]
            out[f"peak-{who}"], out[f"held-{who}"] = _traced_mib(case.fn, loop, case.is_async)
        return out

    def rows(m: dict[str, float]) -> list[Row]:
        out = []
        for n in s.map_items:
            pf = m.get(f"pipefunc@{n}")
            out.append(
                Row(
                    "map",
                    f"map of a 3-node graph over {n:,} items: time per item",
                    "us",
                    _us(m[f"plain@{n}"]) / n,
                    _pf(lambda pf=pf, n=n: None if pf is None else _us(pf) / n),
                    _us(m[f"sync@{n}"]) / n,
                    _us(m[f"async@{n}"]) / n,
                    ""
                    if pf is None
                    else f"AsyncRunner: async def nodes; pipefunc as a loop of "
                    f"run(): {_us(m[f'pipefunc-loop@{n}']) / n:.0f} us",
                )
            )
        small = min(s.map_items)
        flat = [m[f"{w}@{big}"] / big / (m[f"{w}@{small}"] / small) for w in ("sync", "async")]
        out[-1].note = f"per item vs {small:,} items: sync {flat[0]:.2f}x, async {flat[1]:.2f}x"
        mem = [m[f"peak-{w}"] for w in ("plain", "sync", "async")]
        beyond = [m[f"peak-{w}"] - m[f"held-{w}"] for w in ("plain", "sync", "async")]
        out.append(
            Row(
                "map",
                f"map over {big:,} items: peak traced memory",
                "MiB",
                mem[0],
                None,
                mem[1],
                mem[2],
                "tracemalloc, one run",
            )
        )
        out.append(
            Row(
                "map",
                f"map over {big:,} items: peak beyond the results held",
                "MiB",
                beyond[0],
                None,
                beyond[1],
                beyond[2],
                "peak minus memory held at the end",
            )
        )
        return out

    return Scenario("map", cases, rows, once)


async def _gather(coros: Iterable[Any], limit: int | None = None) -> list[Any]:
    """Plain asyncio: gather the coroutines, optionally gated by a semaphore."""
    if limit is None:
        return await asyncio.gather(*coros)
    gate = asyncio.Semaphore(limit)

    async def gated(coro: Any) -> Any:
        async with gate:
            return await coro

    return await asyncio.gather(*(gated(c) for c in coros))


def _pipefunc_threads(pipe: Any, workers: int, **kwargs: Any) -> Callable[[], Any]:
    """pipefunc has no async nodes: run its ``def`` nodes in a thread pool made per call."""

    def run() -> Any:
        with ThreadPoolExecutor(workers) as pool:
            return pipe.map({"x": 0}, executor=pool, parallel=True, storage="dict", **kwargs)

    return run


def scenario_async_sleep(s: Sizes) -> Scenario:
    n, limit = s.sleepers, s.limit
    sleepers = [_sleeper(f"s{i}", ["x"], s.sleep, is_async=True) for i in range(n)]
    graph = Graph([node(f, output_name=f"y{i}") for i, f in enumerate(sleepers)])
    arun, arg = AsyncRunner(), {"x": 0}
    cases = [
        Case("plain", lambda: _gather((f(0) for f in sleepers), None), is_async=True),
        Case("plain-limit", lambda: _gather((f(0) for f in sleepers), limit), is_async=True),
        Case("async", lambda: arun.run(graph, arg), _expect("y0", 1), is_async=True),
        Case(
            "async-limit",
            lambda: arun.run(graph, arg, max_concurrency=limit),
            _expect("y0", 1),
            is_async=True,
        ),
    ]
    if pipefunc is not None:
        steps = [
            (f"y{i}", _sleeper(f"t{i}", ["x"], s.sleep, is_async=False), ["x"]) for i in range(n)
        ]
        pipe = _pipeline(steps)
        cases.append(Case("pipefunc", _pipefunc_threads(pipe, n), _expect("y0", 1)))
        cases.append(Case("pipefunc-limit", _pipefunc_threads(pipe, limit), _expect("y0", 1)))

    def rows(m: dict[str, float]) -> list[Row]:
        sleep = f"{s.sleep * 1e3:g} ms"
        out = []
        for suffix, what, goal in (("", "", "1.1"), ("-limit", f", max {limit} in flight", "1.05")):
            ours, plain = _ms(m[f"async{suffix}"]), _ms(m[f"plain{suffix}"])
            gate = " + semaphore" if suffix else ""
            out.append(
                Row(
                    "async-sleep",
                    f"{n} async nodes each sleeping {sleep}{what}: wall time",
                    "ms",
                    plain,
                    _pf(lambda suffix=suffix: _ms(m[f"pipefunc{suffix}"])),
                    NA,
                    ours,
                    f"AsyncRunner / plain gather{gate}: {ours / plain:.2f}x (goal <= {goal}x); "
                    "pipefunc: def nodes in threads",
                )
            )
        return out

    return Scenario("async-sleep", cases, rows)


def _nest_graph(depth: int, is_async: bool) -> Graph:
    graph = Graph([node(_fn("inc", ["x"], "x + 1", is_async=is_async), output_name="y")], name="l0")
    for level in range(1, depth + 1):
        graph = Graph([graph.as_node()], name=f"l{level}")
    return graph


def _nest_plain(depth: int) -> Callable[[int], int]:
    fn = _fn("inc", ["x"], "x + 1")
    for level in range(1, depth + 1):
        fn = _fn(f"level{level}", ["x"], "inner(x)", scope={"inner": fn})
    return fn


def _nest_pipefunc(depth: int) -> Any:
    """pipefunc nests a pipeline as a PipeFunc whose body runs it (NestedPipeFunc needs >= 2)."""
    pipe = Pipeline([pipefunc.pipefunc(output_name="y")(_fn("inc", ["x"], "x + 1"))])
    for level in range(1, depth + 1):
        body = _fn(f"level{level}", ["x"], 'inner.run("y", kwargs={"x": x})', scope={"inner": pipe})
        pipe = Pipeline([pipefunc.pipefunc(output_name="y")(body)])
    return pipe


def scenario_nested(s: Sizes) -> Scenario:
    d = s.nested
    sync, arun, arg = SyncRunner(), AsyncRunner(), {"x": 0}
    cases = []
    for depth in (0, d):
        plain, graph, agraph = (
            _nest_plain(depth),
            _nest_graph(depth, False),
            _nest_graph(depth, True),
        )
        cases += [
            Case(f"plain@{depth}", lambda plain=plain: plain(0), _expect("y", 1)),
            Case(f"sync@{depth}", lambda g=graph: sync.run(g, arg), _expect("y", 1)),
            Case(
                f"async@{depth}", lambda g=agraph: arun.run(g, arg), _expect("y", 1), is_async=True
            ),
        ]
        if pipefunc is not None:
            pipe = _nest_pipefunc(depth)
            cases.append(
                Case(f"pipefunc@{depth}", lambda p=pipe: p.run("y", kwargs=arg), _expect("y", 1))
            )

    def rows(m: dict[str, float]) -> list[Row]:
        def per_level(who: str) -> float:
            return _us(m[f"{who}@{d}"] - m[f"{who}@0"]) / d

        return [
            Row(
                "nested",
                f"{d} nested graph levels around a 1-node graph: overhead per level",
                "us",
                per_level("plain"),
                _pf(lambda: per_level("pipefunc")),
                per_level("sync"),
                per_level("async"),
                "(run at depth d - run of the 1-node graph) / d",
            )
        ]

    return Scenario("nested", cases, rows)


def scenario_build(s: Sizes) -> Scenario:
    n, big, small = s.build, s.build_big, s.build_pipefunc
    steps, asteps = _chain_steps(n), _chain_steps(n, is_async=True)
    nodes = {
        k: [node(fn, output_name=out) for out, fn, _ in _chain_steps(k)] for k in (small, n, big)
    }
    anodes = [node(fn, output_name=out) for out, fn, _ in asteps]
    sync, arun, arg = SyncRunner(), AsyncRunner(), {"v0": 0}

    async def build_run_async() -> RunResult:
        return await arun.run(Graph(anodes), arg)

    cases = [
        Case(f"graph@{small}", lambda: Graph(nodes[small])),
        Case(f"graph@{n}", lambda: Graph(nodes[n])),
        Case(f"graph@{big}", lambda: Graph(nodes[big]), max_rounds=3),
        Case("sync-run", lambda: sync.run(Graph(nodes[n]), arg), _expect(f"v{n}", n)),
        Case("async-run", build_run_async, _expect(f"v{n}", n), is_async=True),
    ]
    if pipefunc is not None:
        funcs = [pipefunc.pipefunc(output_name=out)(fn) for out, fn, _ in steps[:small]]
        cases.append(Case(f"pipefunc@{small}", lambda: Pipeline(funcs)))

    def rows(m: dict[str, float]) -> list[Row]:
        slow = "pipefunc not run: its build is quadratic (minutes at this size)"
        return [
            Row(
                "build",
                f"build a {small:,}-node chain graph",
                "ms",
                "-",
                _pf(lambda: _ms(m[f"pipefunc@{small}"])),
                _ms(m[f"graph@{small}"]),
                "-",
                "ours: Graph([...]); pipefunc: Pipeline([...])",
            ),
            Row(
                "build",
                f"build a {n:,}-node chain graph",
                "ms",
                "-",
                NA,
                _ms(m[f"graph@{n}"]),
                "-",
                f"goal <= 10 ms; {slow}",
            ),
            Row(
                "build",
                f"build + run once a {n:,}-node chain",
                "ms",
                "-",
                NA,
                _ms(m["sync-run"]),
                _ms(m["async-run"]),
                "goal <= 20 ms; AsyncRunner: async def nodes",
            ),
            Row(
                "build",
                f"build a {big:,}-node chain graph",
                "ms",
                "-",
                NA,
                _ms(m[f"graph@{big}"]),
                "-",
                "must work",
            ),
        ]

    return Scenario("build", cases, rows)


def _typed_chain_steps(n: int) -> list[Step]:
    """Like ``_chain_steps``, with annotations: ``def n0(v0: int) -> int``."""
    return [
        (f"v{i + 1}", _fn(f"n{i}", [f"v{i}: int"], f"v{i} + 1", returns="int"), [f"v{i}"])
        for i in range(n)
    ]


def scenario_nodes(s: Sizes) -> Scenario:
    n, big = s.nodes, s.nodes_big
    steps = {k: _typed_chain_steps(k) for k in (n, big)}

    def make(k: int) -> list[Any]:
        return [node(fn, output_name=out) for out, fn, _ in steps[k]]

    cases = [
        Case(f"nodes@{n}", lambda: make(n)),
        Case(f"graph@{n}", lambda: Graph(make(n))),
        Case(f"graph@{big}", lambda: Graph(make(big)), max_rounds=3),
    ]
    if pipefunc is not None:
        cases.append(
            Case(
                f"pipefunc@{n}",
                lambda: [pipefunc.pipefunc(output_name=out)(fn) for out, fn, _ in steps[n]],
            )
        )

    def rows(m: dict[str, float]) -> list[Row]:
        linear = (m[f"graph@{big}"] / big) / (m[f"graph@{n}"] / n)
        return [
            Row(
                "nodes",
                f"make a node from an annotated def ({n:,} distinct functions): time per node",
                "us",
                "-",
                _pf(lambda: _us(m[f"pipefunc@{n}"]) / n),
                _us(m[f"nodes@{n}"]) / n,
                "-",
                "goal <= 5 us; ours: node(f, output_name=...); pipefunc: pipefunc(...)(f)",
            ),
            Row(
                "nodes",
                f"build a {n:,}-node chain graph, making its nodes too",
                "ms",
                "-",
                NA,
                _ms(m[f"graph@{n}"]),
                "-",
                "goal <= 10 ms; Graph([node(f, ...) for f in ...])",
            ),
            Row(
                "nodes",
                f"build a {big:,}-node chain graph, making its nodes too",
                "ms",
                "-",
                NA,
                _ms(m[f"graph@{big}"]),
                "-",
                f"per node vs {n:,} nodes: {linear:.2f}x (linear: about 1x)",
            ),
        ]

    return Scenario("nodes", cases, rows)


_EXTRAS = ("rich", "opentelemetry", "networkx", "pipefunc")


def _python(code: str) -> Callable[[], Any]:
    """A fresh interpreter (``-I``: no user site, no current directory) running ``code``."""

    def run() -> Any:
        return subprocess.run([sys.executable, "-I", "-c", code], check=True)

    return run


def scenario_import(s: Sizes) -> Scenario:
    cases = [Case("python", _python("pass")), Case("hypergraph", _python("import hypergraph"))]
    if pipefunc is not None and s.import_pipefunc:
        cases.append(Case("pipefunc", _python("import pipefunc")))

    def once(loop: asyncio.AbstractEventLoop) -> dict[str, float]:
        probe = f"import sys, hypergraph; print(*[m for m in {_EXTRAS!r} if m in sys.modules])"
        out = subprocess.run(
            [sys.executable, "-I", "-c", probe], check=True, capture_output=True, text=True
        )
        # Reported through the medians dict: the count of optional extras that were imported.
        return {"extras": float(len(out.stdout.split()))}

    def rows(m: dict[str, float]) -> list[Row]:
        extras = "none" if not m["extras"] else f"{int(m['extras'])} (must be none)"
        return [
            Row(
                "import",
                "import in a fresh interpreter, beyond its start-up",
                "ms",
                f"0 ({_ms(m['python']):.0f} ms start-up)",
                _pf(lambda: _ms(m["pipefunc"] - m["python"]) if "pipefunc" in m else None),
                _ms(m["hypergraph"] - m["python"]),
                "-",
                f"import hypergraph; optional extras ({', '.join(_EXTRAS[:3])}) imported: {extras}",
            )
        ]

    return Scenario("import", cases, rows, once)


def scenario_async_nodes(s: Sizes) -> Scenario:
    n = s.chain
    steps, asteps = _chain_steps(n), _chain_steps(n, is_async=True)
    graph, agraph = _graph(steps), _graph(asteps)
    plain, plain_async = (
        _program(steps, "v0", f"v{n}", aw=False),
        _program(asteps, "v0", f"v{n}", aw=True),
    )
    sync, arg, check = SyncRunner(), {"v0": 0}, _expect(f"v{n}", n)
    runners = {mode: AsyncRunner(sync_nodes=mode) for mode in ("thread", "inline")}
    cases = [
        Case("plain", lambda: plain(0)),
        Case("plain-async", lambda: plain_async(0), is_async=True),
        Case("sync", lambda: sync.run(graph, arg), check),
        Case("async-def", lambda: runners["thread"].run(agraph, arg), check, is_async=True),
        Case("thread", lambda: runners["thread"].run(graph, arg), check, is_async=True),
        Case("inline", lambda: runners["inline"].run(graph, arg), check, is_async=True),
    ]

    def rows(m: dict[str, float]) -> list[Row]:
        sync_over = _us(m["sync"] - m["plain"]) / n
        variants = [
            (f"async def nodes, {n}-chain", _us(m["async-def"] - m["plain-async"]) / n, sync_over),
            ('def nodes, sync_nodes="thread"', _us(m["thread"] - m["plain"]) / n, "-"),
            ('def nodes, sync_nodes="inline"', _us(m["inline"] - m["plain"]) / n, "-"),
        ]
        out = []
        for what, ours, shown in variants:
            note = f"AsyncRunner / SyncRunner: {ours / sync_over:.2f}x"
            label = f"AsyncRunner, {what}: overhead per node"
            out.append(Row("async-nodes", label, "us", "0", NA, shown, ours, note))
        out[0].note += " (goal <= 3x)"
        return out

    return Scenario("async-nodes", cases, rows)


def scenario_dataflow(s: Sizes) -> Scenario:
    k = s.steps
    params = ["x"] + [f"c{i}" for i in range(1, k)]  # c1 = c0(x), c2 = c1(c1), ...
    chain = [_sleeper(f"c{i}", [p], s.step, is_async=True) for i, p in enumerate(params)]
    slow = _sleeper("slow", ["x"], s.slow, is_async=True)
    graph = Graph(
        [node(slow, output_name="slow")]
        + [node(f, output_name=f"c{i + 1}") for i, f in enumerate(chain)]
    )
    steps_async = [(f"c{i + 1}", f, [p]) for i, (f, p) in enumerate(zip(chain, params))]
    line = _program(steps_async, "x", f"c{k}", aw=True)
    arun, arg = AsyncRunner(), {"x": 0}
    cases = [
        Case("plain", lambda: _gather([slow(0), line(0)]), is_async=True),
        Case("async", lambda: arun.run(graph, arg), _expect(f"c{k}", 1), is_async=True),
    ]
    if pipefunc is not None:
        steps = [("slow", _sleeper("slow", ["x"], s.slow, is_async=False), ["x"])]
        for i, arg_name in enumerate(params):
            fn = _sleeper(f"c{i}", [arg_name], s.step, is_async=False)
            steps.append((f"c{i + 1}", fn, [arg_name]))
        run = _pipefunc_threads(_pipeline(steps), 2, scheduling_strategy="eager")
        cases.append(Case("pipefunc", run, _expect(f"c{k}", 1)))

    def rows(m: dict[str, float]) -> list[Row]:
        slow_ms, step_ms = s.slow * 1e3, s.step * 1e3
        barrier = max(slow_ms, step_ms) + (k - 1) * step_ms
        return [
            Row(
                "dataflow",
                f"one {slow_ms:g} ms branch + an unrelated chain of {k} x {step_ms:g} ms"
                " nodes: wall time",
                "ms",
                _ms(m["plain"]),
                _pf(lambda: _ms(m["pipefunc"])),
                NA,
                _ms(m["async"]),
                f"supersteps give ~{barrier:g} ms, dataflow ~{max(slow_ms, k * step_ms):g}"
                " ms; pipefunc: threads, eager scheduling",
            )
        ]

    return Scenario("dataflow", cases, rows)


def scenario_cache(s: Sizes) -> Scenario:
    """Result caching (issue 16): what a hit costs over running a trivial node, and key costs."""
    import tempfile
    import timeit

    from hypergraph.cache import DiskCache, InMemoryCache, compute_cache_key

    def double(x: int) -> int:
        return 2 * x

    def kilobyte(x: int) -> bytes:
        return bytes(1024)

    plain_g = Graph([node(double, output_name="y")])
    mem_g = Graph([node(double, output_name="y", cache=True)])
    kb_plain_g = Graph([node(kilobyte, output_name="y")])
    kb_disk_g = Graph([node(kilobyte, output_name="y", cache=True)])
    folder = tempfile.TemporaryDirectory(prefix="hypergraph-bench-")
    disk = DiskCache(folder.name)
    plain, mem, on_disk = SyncRunner(), SyncRunner(cache=InMemoryCache()), SyncRunner(cache=disk)
    amem = AsyncRunner(cache=InMemoryCache())
    aplain = AsyncRunner()
    arg = {"x": 1}
    mem.run(mem_g, arg)  # warm: every timed call below is a hit
    on_disk.run(kb_disk_g, arg)
    asyncio.run(amem.run(mem_g, arg))
    two, kb = _expect("y", 2), _expect("y", bytes(1024))
    cases = [
        Case("plain", lambda: plain.run(plain_g, arg), two),
        Case("mem-hit", lambda: mem.run(mem_g, arg), two),
        Case("kb-plain", lambda: plain.run(kb_plain_g, arg), kb),
        Case("disk-hit", lambda: on_disk.run(kb_disk_g, arg), kb),
        Case("aplain", lambda: aplain.run(plain_g, arg), two, is_async=True),
        Case("amem-hit", lambda: amem.run(mem_g, arg), two, is_async=True),
    ]
    keyed = node(double, output_name="y", cache=True)
    big = {"x": bytes(1024**2)}
    wide = {"x": {f"k{i}": i for i in range(10_000)}}

    def once(loop: asyncio.AbstractEventLoop) -> dict[str, float]:
        folder.name  # keep the directory alive until the probes ran  # noqa: B018
        repeat = 3 if s is SMOKE else 20
        return {
            "key-1mb": min(
                timeit.repeat(lambda: compute_cache_key(keyed, big), number=1, repeat=repeat)
            ),
            "key-10k": min(
                timeit.repeat(lambda: compute_cache_key(keyed, wide), number=1, repeat=repeat)
            ),
        }

    def rows(m: dict[str, float]) -> list[Row]:
        mem_sync, mem_async = _us(m["mem-hit"] - m["plain"]), _us(m["amem-hit"] - m["aplain"])
        disk_hit = _us(m["disk-hit"] - m["kb-plain"])
        return [
            Row("cache", "InMemoryCache hit over an uncached trivial node", "us", NA, NA,
                mem_sync, mem_async, "goal <= 5 us"),
            Row("cache", "DiskCache hit of a 1 KB value over computing it", "us", NA, NA,
                disk_hit, "-", "goal <= 100 us"),
            Row("cache", "cache key of a 1 MB bytes input", "ms", NA, NA, _ms(m["key-1mb"]), "-",
                "computed once per execution"),
            Row("cache", "cache key of a 10k-item dict input", "ms", NA, NA, _ms(m["key-10k"]),
                "-", "computed once per execution"),
        ]  # fmt: skip

    return Scenario("cache", cases, rows, once)


def _cycle_db_bytes(iterations: int, folder: str) -> int:
    """Bytes of a fresh database after one run of a 3-node cycle carrying a 1 KB state."""
    import os

    from hypergraph import END, route
    from hypergraph.checkpointers import SqliteCheckpointer

    def grow(state: bytes, i: int) -> bytes:
        return (i.to_bytes(4, "big") * 256)[:1024]  # a new 1 KB value each iteration

    def count(i: int) -> int:
        return i + 1

    def check(i: int, limit: int) -> Any:
        return "count" if i < limit else END

    graph = Graph(
        [
            node(grow, output_name="state"),
            node(count, output_name="i"),
            route(targets=["count", END])(check),
        ]
    )
    path = os.path.join(folder, f"cycle-{iterations}.db")
    cp = SqliteCheckpointer(path)
    values = {"state": b"", "i": 0, "limit": iterations}
    result = SyncRunner(checkpointer=cp).run(graph, values, max_iterations=10 * iterations)
    assert result.completed, result.error
    cp.close()  # checkpoints the WAL into the file
    return os.path.getsize(path)


def scenario_checkpoint(s: Sizes) -> Scenario:
    """Checkpointing (issue 17): per-superstep cost on a chain, storage growth of a cycle."""
    import os
    import tempfile

    from hypergraph.checkpointers import SqliteCheckpointer

    n = s.chain
    folder = tempfile.TemporaryDirectory(prefix="hypergraph-bench-")
    graph = _graph(_chain_steps(n))
    cp = SqliteCheckpointer(os.path.join(folder.name, "chain.db"))
    plain, durable = SyncRunner(), SyncRunner(checkpointer=cp)
    aplain, adurable = AsyncRunner(), AsyncRunner(checkpointer=cp)
    arg = {"v0": 0}
    check = _expect(f"v{n}", n)
    cases = [
        Case("plain", lambda: plain.run(graph, arg), check),
        Case("durable", lambda: durable.run(graph, arg), check),
        Case("aplain", lambda: aplain.run(graph, arg), check, is_async=True),
        Case("adurable", lambda: adurable.run(graph, arg), check, is_async=True),
    ]
    small, large = (20, 200) if s is SMOKE else (100, 1_000)

    def once(loop: asyncio.AbstractEventLoop) -> dict[str, float]:
        return {
            "bytes-small": _cycle_db_bytes(small, folder.name),
            "bytes-large": _cycle_db_bytes(large, folder.name),
        }

    def rows(m: dict[str, float]) -> list[Row]:
        per_sync = _us((m["durable"] - m["plain"]) / (n + 2))
        per_async = _us((m["adurable"] - m["aplain"]) / (n + 2))
        growth = (m["bytes-large"] - m["bytes-small"]) / (large - small)
        return [
            Row("checkpoint", f"SqliteCheckpointer on a {n}-node chain: added per superstep",
                "us", NA, NA, per_sync, per_async,
                "goal <= 100 us (durability='sync', WAL, synchronous=NORMAL)"),
            Row("checkpoint", f"DB bytes, 3-node cycle, 1 KB state: {small} / {large} iterations",
                "B", NA, NA, f"{m['bytes-small']:,.0f} / {m['bytes-large']:,.0f} B", "-",
                f"{growth:,.0f} B per iteration: linear, not quadratic"),
        ]  # fmt: skip

    return Scenario("checkpoint", cases, rows, once)


def scenario_def_nodes(s: Sizes) -> Scenario:
    """Plain ``def`` nodes under AsyncRunner: what one thread trip carries (docs/runners.md).

    A map over a graph of ``def`` nodes (whole items in worker threads, in chunks), and async
    I/O nodes each followed by a ``def`` node (the loop stays free). The price of one hop is
    the ``hop`` scenario's.
    """
    steps = _map_steps()
    add, double, less = (fn for _, fn, _ in steps)
    graph = _graph(steps)
    n, xs = s.def_map, list(range(s.def_map))
    sync, arun = SyncRunner(), AsyncRunner()
    last = _expect("c", 2 * n - 1)
    sleep = s.sleep
    post = _fn("post", ["y"], "y + 1")
    waits = [_sleeper(f"io{i}", ["x"], sleep, is_async=True) for i in range(s.mixed)]
    mixed_nodes: list[Any] = []
    for i, fn in enumerate(waits):
        mixed_nodes.append(node(fn, output_name=f"y{i}"))
        mixed_nodes.append(
            FunctionNode(post, name=f"post{i}", output_name=f"z{i}").rename_inputs(y=f"y{i}")
        )
    mixed = Graph(mixed_nodes)

    async def plain_mixed() -> list[Any]:
        async def one(fn: Any) -> Any:
            return post(await fn(0))

        return await asyncio.gather(*(one(fn) for fn in waits))

    cases = [
        Case("plain-map", lambda: [less(double(add(x))) for x in xs], last),
        Case("sync-map", lambda: sync.map(graph, {"x": xs}, map_over="x"), last),
        Case("async-map", lambda: arun.map(graph, {"x": xs}, map_over="x"), last, is_async=True),
        Case("plain-mixed", plain_mixed, is_async=True),
        Case("async-mixed", lambda: arun.run(mixed, {"x": 0}), _expect("z0", 2), is_async=True),
    ]
    if pipefunc is not None:
        pipe = _pipeline(steps, mapspec=True)
        cases.append(
            Case("pipefunc-map", lambda: pipe.map({"x": xs}, parallel=False, storage="dict"))
        )

    def rows(m: dict[str, float]) -> list[Row]:
        def per_item(name: str) -> float:
            return _us(m[name] - m["plain-map"]) / n

        ours = per_item("async-map")
        pf = _pf(lambda: per_item("pipefunc-map"))
        ratio = (
            f"{ours / pf:.2f}x pipefunc's map (goal <= 0.35x); " if isinstance(pf, float) else ""
        )
        wall, base = _ms(m["async-mixed"]), _ms(m["plain-mixed"])
        return [
            Row(
                "def-nodes",
                f"AsyncRunner.map, 3 def nodes, {n} items: overhead per item",
                "us",
                "0",
                pf,
                per_item("sync-map"),
                ours,
                f"{ratio}goal <= 15 us; whole items in worker threads",
            ),
            Row(
                "def-nodes",
                f"{s.mixed} async nodes sleeping {sleep * 1e3:g} ms, each then a def node: wall",
                "ms",
                base,
                NA,
                NA,
                wall,
                f"AsyncRunner / plain gather: {wall / base:.2f}x (goal <= 1.1x)",
            ),
        ]

    return Scenario("def-nodes", cases, rows)


def scenario_hop(s: Sizes) -> Scenario:
    """The price of one thread hop inside a run, against ``asyncio.to_thread``.

    A scenario of its own: what ran just before moves a thread's wake-up time on a shared
    machine by 2x (a busy map left the CPUs awake), so both contenders are timed in the same
    company, rounds interleaved.
    """
    arun = AsyncRunner()
    # Thread hops: k def nodes, each after an async one (so each is a trip of its own), against
    # k asyncio.to_thread calls on the loop's warm default pool, both minus their inline cost;
    # k is large so that starting the call's own pool is spread thin (a hop, not a pool).
    k = s.hops
    hop = _fn("hop", ["x"], "x + 1")
    ahop = _fn("ahop", ["x"], "x", is_async=True)

    def hops(inline: bool) -> Graph:
        nodes: list[Any] = []
        for i in range(k):
            nodes.append(
                FunctionNode(ahop, name=f"a{i}", output_name=f"h{i}").rename_inputs(x=f"g{i}")
            )
            nodes.append(
                FunctionNode(
                    hop, name=f"d{i}", output_name=f"g{i + 1}", inline=inline
                ).rename_inputs(x=f"h{i}")
            )
        return Graph(nodes)

    threaded, inlined = hops(False), hops(True)

    async def to_thread_hops() -> int:
        v = 0
        for _ in range(k):
            v = await asyncio.to_thread(hop, await ahop(v))
        return v

    async def direct_hops() -> int:
        v = 0
        for _ in range(k):
            v = hop(await ahop(v))
        return v

    # The hop itself: the runners' thread trip (``in_thread``) with no graph around it, on a
    # pool made per call as a run's is.
    from hypergraph_runners._context import AsyncContext
    from hypergraph_runners._tasks import in_thread

    def hop_stop(x: int, stop: Any) -> int:
        return x + 1

    async def bare_hops() -> int:
        ctx = AsyncContext.new(1, None, "bench")
        try:
            v = 0
            for _ in range(k):
                v = await in_thread(ctx, hop_stop, await ahop(v))
            return v
        finally:
            ctx.shutdown()

    cases = [
        Case("to_thread", to_thread_hops, is_async=True),
        Case("direct", direct_hops, is_async=True),
        Case("bare", bare_hops, is_async=True),
        Case("hops", lambda: arun.run(threaded, {"g0": 0}), _expect(f"g{k}", k), is_async=True),
        Case("inline", lambda: arun.run(inlined, {"g0": 0}), _expect(f"g{k}", k), is_async=True),
    ]

    def rows(m: dict[str, float]) -> list[Row]:
        return [
            Row(
                "hop",
                f"thread hop itself: {k} trips of the runners' in_thread, no graph, per hop",
                "us",
                _us(m["to_thread"] - m["direct"]) / k,
                NA,
                NA,
                _us(m["bare"] - m["direct"]) / k,
                "plain column: asyncio.to_thread on the loop's warm pool (goal: ours no slower); "
                "ours on a pool made per call, as a run's is",
            ),
            Row(
                "hop",
                f"thread hop: {k} def nodes each after an async node, per hop over inline=True",
                "us",
                _us(m["to_thread"] - m["direct"]) / k,
                NA,
                NA,
                _us(m["hops"] - m["inline"]) / k,
                "plain column: asyncio.to_thread on the loop's warm pool (goal: ours no slower); "
                "ours includes starting and stopping the call's pool, spread over the hops",
            ),
        ]

    return Scenario("hop", cases, rows)


# -- executor (issue 19): map on a 2-process Dask cluster ----------------------------------------


def _burn(seconds: float) -> None:
    """Busy CPU for ``seconds`` (holds the GIL: threads cannot overlap it, processes can)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def scenario_executor(s: Sizes) -> Scenario:
    """A trivial 3-node graph over many items, and CPU-bound items, on 2 worker processes.

    The cluster (and a ``ProcessPoolExecutor(2)`` for comparison) starts when the scenario is
    built and stops after its one-off probe (or at exit). Functions are defined in this
    script (``__main__``): they travel to the workers by value.
    """
    import atexit
    from concurrent.futures import ProcessPoolExecutor

    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = Client(cluster)
    pool = ProcessPoolExecutor(2)

    def close() -> None:
        pool.shutdown()
        client.close()
        cluster.close()

    atexit.register(close)
    graph = _graph(_map_steps())
    n, xs = s.executor_items, list(range(s.executor_items))
    last = 2 * n - 1
    local, on_dask, on_pool = (
        SyncRunner(),
        SyncRunner(executor=client),
        SyncRunner(executor=pool),
    )
    aon_dask = AsyncRunner(executor=client)
    cpu = s.executor_cpu

    @node(output_name="y")
    def work(x: int) -> int:
        _burn(cpu)
        return x

    cpu_graph = Graph([work])
    k, ks = s.executor_cpu_items, list(range(s.executor_cpu_items))
    cases = [
        Case("local", lambda: local.map(graph, {"x": xs}, map_over="x"), _expect("c", last)),
        Case(
            "dask",
            lambda: on_dask.map(graph, {"x": xs}, map_over="x"),
            _expect("c", last),
            max_rounds=3,
        ),
        Case(
            "dask-async",
            lambda: aon_dask.map(graph, {"x": xs}, map_over="x"),
            _expect("c", last),
            is_async=True,
            max_rounds=3,
        ),
        Case(
            "pool",
            lambda: on_pool.map(graph, {"x": xs}, map_over="x"),
            _expect("c", last),
            max_rounds=3,
        ),
        Case("cpu-local", lambda: local.map(cpu_graph, {"x": ks}, map_over="x"), max_rounds=3),
        Case("cpu-dask", lambda: on_dask.map(cpu_graph, {"x": ks}, map_over="x"), max_rounds=3),
        Case("cpu-pool", lambda: on_pool.map(cpu_graph, {"x": ks}, map_over="x"), max_rounds=3),
    ]

    def once(loop: asyncio.AbstractEventLoop) -> dict[str, float]:
        out = {}
        try:
            for who, runner in (("local", local), ("dask", on_dask)):
                fn = lambda runner=runner: runner.map(graph, {"x": xs}, map_over="x")  # noqa: E731
                out[f"peak-{who}"], out[f"held-{who}"] = _traced_mib(fn, loop, False)
        finally:
            atexit.unregister(close)
            close()
        return out

    def rows(m: dict[str, float]) -> list[Row]:
        beyond = {w: m[f"peak-{w}"] - m[f"held-{w}"] for w in ("local", "dask")}
        speedup = m["cpu-local"] / m["cpu-dask"]
        return [
            Row(
                "executor",
                f"map of a 3-node graph over {n:,} items on 2 Dask worker processes, "
                'chunksize="auto": time per item',
                "us",
                _us(m["local"]) / n,
                NA,
                _us(m["dask"]) / n,
                _us(m["dask-async"]) / n,
                f"plain column: SyncRunner without executor; ProcessPoolExecutor(2): "
                f"{_us(m['pool']) / n:.1f} us (goal: Dask <= 15 us)",
            ),
            Row(
                "executor",
                f"map over {n:,} items on Dask: client peak beyond the results held",
                "MiB",
                beyond["local"],
                NA,
                beyond["dask"],
                NA,
                "tracemalloc in the client (the scheduler shares its process); plain column: "
                "SyncRunner without executor",
            ),
            Row(
                "executor",
                f"map over {k:,} items of {cpu * 1e3:g} ms CPU: wall time",
                "ms",
                _ms(m["cpu-local"]),
                NA,
                _ms(m["cpu-dask"]),
                NA,
                f"plain column: SyncRunner without executor; speed-up on Dask {speedup:.2f}x; "
                f"ProcessPoolExecutor(2): {_ms(m['cpu-pool']):.0f} ms",
            ),
        ]

    return Scenario("executor", cases, rows, once)


SCENARIOS: dict[str, Callable[[Sizes], Scenario]] = {
    "chain": scenario_chain,
    "wide": scenario_wide,
    "map": scenario_map,
    "async-sleep": scenario_async_sleep,
    "nested": scenario_nested,
    "build": scenario_build,
    "nodes": scenario_nodes,
    "async-nodes": scenario_async_nodes,
    "def-nodes": scenario_def_nodes,
    "hop": scenario_hop,
    "dataflow": scenario_dataflow,
    "cache": scenario_cache,
    "checkpoint": scenario_checkpoint,  # issue 17
    "import": scenario_import,
    # executor (issue 19)
    "executor": scenario_executor,
}


# -- output --------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), ""
            )
    except OSError:
        pass
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu": model or platform.processor() or "unknown",
        # The machine may be shared: a busy one inflates every column, so note how busy it was.
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?",
        "hypergraph": hypergraph.__version__,
        "pipefunc": pipefunc.__version__ if pipefunc is not None else "not installed",
    }


def _cell(value: float | str | None, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    digits = 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0
    return f"{value:,.{digits}f} {unit}"


def table(rows: Sequence[Row]) -> str:
    """A Markdown table, so a run pastes straight into docs/performance.md."""
    head = [
        "scenario",
        "measure",
        "plain Python",
        "pipefunc",
        "SyncRunner",
        "AsyncRunner",
        "Sync / pipefunc",
        "Async / pipefunc",
        "note",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [
            r.scenario,
            r.measure,
            *(_cell(v, r.unit) for v in (r.plain, r.pipefunc, r.sync, r.async_)),
            _ratio(r.sync, r.pipefunc),
            _ratio(r.async_, r.pipefunc),
            r.note,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="every scenario once, tiny sizes")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds (default 5)")
    parser.add_argument(
        "--only",
        action="append",
        choices=list(SCENARIOS),
        metavar="NAME",
        help=f"run only this scenario (repeatable): {', '.join(SCENARIOS)}",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--target", type=float, default=0.1, help="seconds per timed round")
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    settings = Settings(
        sizes=SMOKE if args.smoke else FULL,
        rounds=args.rounds or (1 if args.smoke else 5),
        target=args.target,
        smoke=args.smoke,
    )
    info = machine()
    print(" | ".join(f"{k}: {v}" for k, v in info.items()))
    print(f"mode: {'smoke' if args.smoke else 'full'}, rounds: {settings.rounds}, medians\n")
    loop = asyncio.new_event_loop()
    rows: list[Row] = []
    try:
        for name in args.only or SCENARIOS:
            start = time.perf_counter()
            print(f"[{name}] ...", end=" ", flush=True)
            scenario = SCENARIOS[name](settings.sizes)
            rows += scenario.rows(measure(scenario, settings, loop))
            print(f"{time.perf_counter() - start:.1f} s", flush=True)
    finally:
        loop.close()
    print()
    print(table(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            dump = {
                "machine": info,
                "rounds": settings.rounds,
                "smoke": settings.smoke,
                "rows": [asdict(r) for r in rows],
                "samples_s": settings.samples,
            }
            json.dump(dump, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
