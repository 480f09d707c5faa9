"""Fault injection on random DAGs: the invariants I1-I11 of RELIABILITY §4.4.

Hypothesis draws a graph *spec* (``tests/shared/strategies.py``), a
target node and a fault, a runner, a shape and the options; each example
then runs the same plan twice, once per ``error_handling`` mode, on freshly built graphs.
Node bodies are built here (not by ``strategies.build``) so they can carry the fault and the
probes: call starts (with the map item), thread-body entries and exits, generator starts and
finished ``finally`` blocks, and every injected object. The shapes: one ``run``; ``runner.map``
over a hidden ``item`` input (plus, sometimes, an external input); and ``node_map``, one run of
an outer graph whose only node is the spec graph as a GraphNode mapped over ``item``.

The faults (§4.4): raise before any work; raise after an ``await``; raise after k yields;
raise in a generator's ``finally``; return the wrong arity; return a coroutine from a ``def``;
raise ``CancelledError`` from the body; raise a private ``BaseException``; hang on an Event
under the caller's ``asyncio.timeout``; the caller cancels after a drawn number of loop turns;
a validation fault (a bad argument from the catalogue).

Property tests are plain ``def`` tests calling ``asyncio.run()`` per example (a fresh loop
each time); the real ``KeyboardInterrupt`` tests at the end are plain ``def`` tests too,
because asyncio lets Ctrl-C escape the loop itself (RELIABILITY §4.1).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

import strategies as S
from hypergraph_graph import Graph, HyperNode, node
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import (
    HypergraphError,
    NodeCancelledError,
    OutputMismatchError,
    RunFailedError,
    RunResult,
    RunStatus,
)
from support import Tally, hypergraph_notes, pool_threads

DEADLINE = 10
EXAMPLES = max(10, settings.default.max_examples // 2)

IDENTITY = ("raise_before", "raise_after_await", "raise_after_yields", "raise_in_finally")
NODE_FAULTS = (*IDENTITY, "wrong_arity", "return_coroutine", "cancelled_error", "base_exception")
FAULTS = (*NODE_FAULTS, "hang", "caller_cancel", "validation")
ASYNC_ONLY = ("hang", "caller_cancel")
ALL_KINDS = ("def", "async", "gen", "agen")
KINDS_FOR = {
    "raise_before": ALL_KINDS,
    "raise_after_await": ("async", "agen"),
    "raise_after_yields": ("gen", "agen"),
    "raise_in_finally": ("gen", "agen"),
    "wrong_arity": ALL_KINDS,  # two-output nodes only
    "return_coroutine": ("def",),
    "cancelled_error": ALL_KINDS,
    "base_exception": ALL_KINDS,
    "hang": ("async", "agen"),
}


# --- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One drawn example.

    Attributes:
        spec: The graph spec (a DAG, maybe with nested blocks).
        fault: One of ``FAULTS``.
        target: Index of the faulty node (``None`` for caller_cancel and validation).
        k: For raise_after_yields: the number of items yielded before raising.
        runner: ``"sync"`` or ``"async"``.
        limit / sync_nodes: AsyncRunner options.
        shape: ``"run"``, ``"map"`` (``runner.map``) or ``"node_map"`` (a mapped GraphNode
            ``body`` holding the whole spec graph).
        values: Values of the spec's external inputs.
        items: Number of map items; ``hit``: the item the fault fires in.
        mapped: An external input mapped along with ``item`` (its per-item values in ``xs``).
        turns: For caller_cancel: loop turns before the caller cancels.
        bad: For validation: which bad argument.
    """

    spec: Any
    fault: str
    target: int | None
    k: int
    runner: str
    limit: int | None
    sync_nodes: str
    shape: str
    values: dict[str, int]
    items: int
    hit: int
    mapped: str | None
    xs: tuple[int, ...]
    turns: int
    bad: str

    @property
    def target_node(self) -> Any:
        assert self.target is not None
        return self.spec.nodes[self.target]

    @property
    def path(self) -> str:
        """The target's node path: ``g0.g1.f3`` (``body[1].g0.g1.f3`` for node_map)."""
        index = self.target
        prefix = [f"g{d}" for d, (lo, hi) in enumerate(self.spec.nest) if lo <= index < hi]
        if self.shape == "node_map":
            prefix.insert(0, f"body[{self.hit}]")
        return ".".join([*prefix, f"f{index}"])

    def item_values(self, i: int | None) -> dict[str, int]:
        """External values of run (``None``) or of map item ``i``."""
        if i is None or self.mapped is None:
            return dict(self.values)
        return {**self.values, self.mapped: self.xs[i]}

    def descendants(self) -> set[str]:
        """Names of the nodes that depend on the target, transitively."""
        produced = set(self.target_node.outputs)
        out: set[str] = set()
        for n in self.spec.nodes[self.target + 1 :]:
            if produced & set(n.args):
                out.add(n.name)
                produced |= set(n.outputs)
        return out

    def nested_range(self) -> set[int]:
        """Indices of the nodes in the outermost nested graph that contains the target."""
        for lo, hi in self.spec.nest[:1]:
            if lo <= self.target < hi:
                return set(range(lo, hi))
        return set()


def eligible(spec: Any, fault: str) -> list[int]:
    kinds = KINDS_FOR[fault]
    return [
        n.index
        for n in spec.nodes
        if n.kind in kinds and (fault != "wrong_arity" or len(n.outputs) == 2)
    ]


@st.composite
def plans(draw: st.DrawFn, fault: str) -> Plan:
    needs_async = fault in ("raise_after_await", "hang")
    spec = draw(S.graph_specs(max_nodes=6, sync_only=False if needs_async else None))
    target = None
    if fault in KINDS_FOR:
        candidates = eligible(spec, fault)
        assume(candidates)
        target = draw(st.sampled_from(candidates))
    runners = ["async"]
    if spec.sync_runnable and fault not in ASYNC_ONLY:
        runners.append("sync")
    runner = draw(st.sampled_from(runners))
    shape = draw(st.sampled_from(["run", "map", "node_map"]))
    items = draw(st.integers(1, 3)) if shape != "run" else 1
    mapped = None
    xs: tuple[int, ...] = ()
    if shape == "map" and spec.externals and draw(st.booleans()):
        mapped = draw(st.sampled_from(spec.externals))
        xs = tuple(draw(st.lists(st.integers(0, S.MOD - 1), min_size=items, max_size=items)))
    bad = "none"
    if fault == "validation":
        options = ["unknown", "max_iterations", "select", "error_handling"]
        if spec.externals:
            options.append("missing")
        if spec.nest:
            options.append("address")
        if shape == "map":
            options.append("map_str")
        bad = draw(st.sampled_from(options))
    return Plan(
        spec=spec,
        fault=fault,
        target=target,
        k=draw(st.integers(0, 3)),
        runner=runner,
        limit=draw(st.sampled_from([None, 1, 2])) if runner == "async" else None,
        sync_nodes=draw(st.sampled_from(["thread", "inline"])) if runner == "async" else "",
        shape=shape,
        values=draw(S.input_values(spec)),
        items=items,
        hit=draw(st.integers(0, items - 1)),
        mapped=mapped,
        xs=xs,
        turns=draw(st.integers(0, 40)),
        bad=bad,
    )


# --- probes and node bodies --------------------------------------------------------------------


class Probe:
    """What the bodies of one run did; shared by threads, so every update takes the lock."""

    def __init__(self, injected: type[Exception], private: type[BaseException]) -> None:
        self.lock = threading.Lock()
        self.injected_cls = injected
        self.private_cls = private  # stands in for Ctrl-C (RELIABILITY §4.1)
        self.starts: list[tuple[str, int | None]] = []
        self.entered = 0
        self.exited = 0
        self.gen_started: Counter[str] = Counter()
        self.gen_finished: Counter[str] = Counter()
        self.raised: list[BaseException] = []
        self.coroutines: list[Any] = []
        self.on_hang: Callable[[], None] = lambda: None

    def start(self, name: str, item: int | None) -> None:
        with self.lock:
            self.starts.append((name, item))

    def enter(self) -> None:
        with self.lock:
            self.entered += 1

    def exit(self) -> None:
        with self.lock:
            self.exited += 1

    def gen_start(self, name: str) -> None:
        with self.lock:
            self.gen_started[name] += 1

    def gen_finish(self, name: str) -> None:
        with self.lock:
            self.gen_finished[name] += 1

    def fresh(self, fault: str, where: str) -> BaseException:
        """A fresh injected object, recorded so identity can be checked."""
        if fault == "cancelled_error":
            exc: BaseException = asyncio.CancelledError(f"injected into {where}")
        elif fault == "base_exception":
            exc = self.private_cls(f"injected into {where}")
        else:
            exc = self.injected_cls(f"injected into {where}")
        with self.lock:
            self.raised.append(exc)
        return exc

    def coroutine(self) -> Any:
        async def forgotten() -> int:
            return 0

        coro = forgotten()
        with self.lock:
            self.coroutines.append(coro)
        return coro


def make_body(n: Any, plan: Plan, probe: Probe) -> Callable[..., Any]:
    """The body of spec node ``n``: the reference computation, probes, and the fault."""
    two = len(n.outputs) == 2
    with_item = plan.shape != "run"
    fault = plan.fault

    def active(kw: dict[str, Any]) -> bool:
        if plan.target != n.index:
            return False
        return not with_item or kw["item"] == plan.hit

    def mixed(kw: dict[str, Any]) -> int:
        return S.mix(n.index, [kw[a] for a in n.args])

    def value(m: int, act: bool) -> Any:
        if two:
            return (m,) if act and fault == "wrong_arity" else (m, (m + 1) % S.MOD)
        return m

    if n.kind == "def":

        def body(**kw: Any) -> Any:
            probe.start(n.name, kw.get("item"))
            probe.enter()
            try:
                act = active(kw)
                if act and fault in ("raise_before", "cancelled_error", "base_exception"):
                    raise probe.fresh(fault, n.name)
                if act and fault == "return_coroutine":
                    return probe.coroutine()
                return value(mixed(kw), act)
            finally:
                probe.exit()

    elif n.kind == "async":

        async def body(**kw: Any) -> Any:  # type: ignore[misc]
            probe.start(n.name, kw.get("item"))
            act = active(kw)
            if act and fault == "raise_before":
                raise probe.fresh(fault, n.name)
            for _ in range(n.sleeps):
                await asyncio.sleep(0)
            if act and fault == "raise_after_await":
                await asyncio.sleep(0)
                raise probe.fresh(fault, n.name)
            if act and fault in ("cancelled_error", "base_exception"):
                raise probe.fresh(fault, n.name)
            if act and fault == "hang":
                probe.on_hang()
                await asyncio.Event().wait()
            return value(mixed(kw), act)

    elif n.kind == "gen":

        def body(**kw: Any) -> Any:  # type: ignore[misc]
            probe.start(n.name, kw.get("item"))
            probe.gen_start(n.name)
            probe.enter()
            act = active(kw)
            try:
                if act and fault in ("raise_before", "cancelled_error", "base_exception"):
                    raise probe.fresh(fault, n.name)
                m = mixed(kw)
                count = n.items + (1 if act and fault == "wrong_arity" else 0)
                for k in range(count):
                    if act and fault == "raise_after_yields" and k == plan.k:
                        raise probe.fresh(fault, n.name)
                    yield m + k
                if act and fault == "raise_after_yields" and plan.k >= count:
                    raise probe.fresh(fault, n.name)
            finally:
                probe.gen_finish(n.name)
                probe.exit()
                if act and fault == "raise_in_finally":
                    raise probe.fresh(fault, n.name)

    else:

        async def body(**kw: Any) -> Any:  # type: ignore[misc]
            probe.start(n.name, kw.get("item"))
            probe.gen_start(n.name)
            act = active(kw)
            try:
                if act and fault == "raise_before":
                    raise probe.fresh(fault, n.name)
                for _ in range(n.sleeps):
                    await asyncio.sleep(0)
                if act and fault == "raise_after_await":
                    await asyncio.sleep(0)
                    raise probe.fresh(fault, n.name)
                if act and fault in ("cancelled_error", "base_exception"):
                    raise probe.fresh(fault, n.name)
                if act and fault == "hang":
                    probe.on_hang()
                    await asyncio.Event().wait()
                m = mixed(kw)
                count = n.items + (1 if act and fault == "wrong_arity" else 0)
                for k in range(count):
                    if act and fault == "raise_after_yields" and k == plan.k:
                        raise probe.fresh(fault, n.name)
                    await asyncio.sleep(0)
                    yield m + k
                if act and fault == "raise_after_yields" and plan.k >= count:
                    raise probe.fresh(fault, n.name)
            finally:
                probe.gen_finish(n.name)
                if act and fault == "raise_in_finally":
                    raise probe.fresh(fault, n.name)

    body.__name__ = body.__qualname__ = n.name
    params = [*n.args, *(["item"] if with_item else [])]
    body.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(a, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in params]
    )
    return body


def build(plan: Plan, probe: Probe) -> Graph:
    """Like ``strategies.build``, with this module's bodies."""
    spec = plan.spec

    def make(n: Any) -> HyperNode:
        out = n.outputs if len(n.outputs) == 2 else n.outputs[0]
        return node(make_body(n, plan, probe), output_name=out)

    def level(lo: int, hi: int, depth: int) -> list[HyperNode]:
        if depth < len(spec.nest):
            start, end = spec.nest[depth]
            inner = Graph(level(start, end, depth + 1), name=f"g{depth}")
            before = [make(n) for n in spec.nodes[lo:start]]
            after = [make(n) for n in spec.nodes[end:hi]]
            return [*before, inner.as_node(), *after]
        return [make(n) for n in spec.nodes[lo:hi]]

    if plan.shape == "node_map":
        body = Graph(level(0, len(spec.nodes), 0), name="body")
        return Graph([body.as_node().map_over("item")])
    return Graph(level(0, len(spec.nodes), 0))


# --- executing one plan in one mode --------------------------------------------------------------


@dataclass
class Outcome:
    result: Any = None  # a RunResult or a list of them
    raised: BaseException | None = None
    cancel_requested: bool = False


def arguments(plan: Plan) -> tuple[dict[str, Any], dict[str, Any]]:
    """The call's values and options (a bad one for the validation fault)."""
    values: dict[str, Any] = dict(plan.values)
    options: dict[str, Any] = {}
    if plan.shape != "run":
        values["item"] = list(range(plan.items))
    if plan.shape == "map":
        options["map_over"] = ["item"]
        if plan.mapped is not None:
            values[plan.mapped] = list(plan.xs)
            options["map_over"].append(plan.mapped)
    bad = plan.bad
    if bad == "unknown":
        values["x9"] = 1
    elif bad == "missing":
        values.pop(plan.spec.externals[0])
        if plan.spec.externals[0] in options.get("map_over", []):
            options["map_over"].remove(plan.spec.externals[0])
    elif bad == "max_iterations":
        options["max_iterations"] = 0
    elif bad == "select":
        options["select"] = 5
    elif bad == "address":
        values["g0..x0"] = 1
    elif bad == "map_str":
        values["item"] = "ab"
    return values, options


def execute(plan: Plan, graph: Graph, probe: Probe, mode: str) -> Outcome:
    values, options = arguments(plan)
    error_handling: Any = "bogus" if plan.bad == "error_handling" else mode
    method = "map" if plan.shape == "map" else "run"
    catch = (Exception, asyncio.CancelledError, probe.private_cls)
    if plan.runner == "sync":
        try:
            out = getattr(SyncRunner(), method)(
                graph, values, error_handling=error_handling, **options
            )
        except catch as exc:
            return Outcome(raised=exc)
        return Outcome(result=out)

    runner = AsyncRunner(sync_nodes=plan.sync_nodes)  # type: ignore[arg-type]

    def call() -> Any:
        return getattr(runner, method)(
            graph,
            values,
            error_handling=error_handling,
            max_concurrency=plan.limit,
            **options,
        )

    async def main() -> Outcome:
        me = asyncio.current_task()
        assert me is not None
        outcome = Outcome()
        if plan.fault == "hang":
            loop = asyncio.get_running_loop()
            try:
                async with asyncio.timeout(DEADLINE) as cm:
                    # Expire as soon as the node hangs: the caller's timeout, without a clock.
                    probe.on_hang = lambda: cm.reschedule(loop.time())
                    outcome.result = await call()
            except TimeoutError as exc:
                outcome.raised = exc
        elif plan.fault == "caller_cancel":
            task = asyncio.create_task(call())
            for _ in range(plan.turns):
                if task.done():
                    break
                await asyncio.sleep(0)
            outcome.cancel_requested = task.cancel()
            done, _ = await asyncio.wait({task}, timeout=DEADLINE)
            assert done, "I1: the cancelled run did not finish"
            if task.cancelled():
                outcome.raised = asyncio.CancelledError()
            elif task.exception() is not None:
                outcome.raised = task.exception()
            else:
                outcome.result = task.result()
        else:
            try:
                outcome.result = await asyncio.wait_for(call(), DEADLINE)
            except catch as exc:
                outcome.raised = exc
        # I3: nothing left behind on the loop; the caller's task is not left cancelling.
        assert asyncio.all_tasks() == {me}, asyncio.all_tasks()
        assert me.cancelling() == 0
        return outcome

    return asyncio.run(main())


@contextmanager
def nothing_unraisable() -> Iterator[None]:
    """I8 per example: no asyncio ERROR record, no unraisable exception."""
    records: list[logging.LogRecord] = []
    unraisable: list[Any] = []

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Handler(logging.ERROR)
    log = logging.getLogger("asyncio")
    log.addHandler(handler)
    old_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        yield
    finally:
        sys.unraisablehook = old_hook
        log.removeHandler(handler)
    assert not records, [r.getMessage() for r in records]
    assert not unraisable, [(u.exc_value, u.object) for u in unraisable]


# --- the invariants ------------------------------------------------------------------------------


def flat(spec: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in spec.graph_node_names}


def check_values(plan: Plan, result: RunResult, ref: dict[str, Any], error: Any) -> None:
    """I7: every present value equals the reference, recursively through nested results."""
    spec = plan.spec
    for key, value in result.values.items():
        if key in spec.graph_node_names:
            assert isinstance(value, RunResult), key
            if value.status is RunStatus.FAILED:
                assert value.error is error, "a nested FAILED result holds the same object"
                with pytest.raises(RunFailedError) as info:
                    value[plan.target_node.outputs[0]]
                assert info.value.__cause__ is error
            else:
                assert value.error is None and value.failed_node is None
            check_values(plan, value, ref, error)
        else:
            assert value == ref[key], (key, value, ref[key])


def expected_error(plan: Plan, probe: Probe, err: BaseException) -> None:
    """I2: the surfaced object is the injected one (or the runner's error type)."""
    fault = plan.fault
    assert len(probe.raised) == (0 if fault in ("wrong_arity", "return_coroutine") else 1)
    if fault in IDENTITY:
        assert err is probe.raised[0]
    elif fault == "wrong_arity":
        # F5: the message names the node, the declared names, and the type and length received.
        assert isinstance(err, OutputMismatchError)
        assert err.node_name == plan.target_node.name
        text = str(err)
        assert f"'{plan.target_node.name}'" in text
        assert all(o in text for o in plan.target_node.outputs), text
        assert "has 2 outputs but returned" in text and "of length" in text, text
    elif fault == "return_coroutine":
        assert type(err) is TypeError
        assert "async def" in str(err)
        (coro,) = probe.coroutines
        assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED
    elif fault == "cancelled_error":
        assert isinstance(err, NodeCancelledError)
        assert err.node_name == plan.target_node.name
        assert err.__cause__ is probe.raised[0]
    notes = hypergraph_notes(err)
    assert len(notes) == 1, notes
    assert f"'{plan.path}'" in notes[0], (plan.path, notes)
    if plan.shape == "map":
        assert f"map item {plan.hit}," in notes[0], notes
    else:
        assert "map item" not in notes[0], notes


def check_failed_run(plan: Plan, result: RunResult, probe: Probe, item: int | None) -> None:
    """The FAILED result of the hit run: I2 and I7."""
    assert isinstance(result, RunResult)
    assert result.status is RunStatus.FAILED
    err = result.error
    assert err is not None
    expected_error(plan, probe, err)
    assert result.failed_node == plan.path
    if plan.shape == "node_map":
        check_failed_body(plan, result, err)
    else:
        check_failed_values(plan, result, err, item)
    key = plan.target_node.outputs[0]
    with pytest.raises(RunFailedError) as info:
        result[key]
    assert isinstance(info.value, KeyError)
    assert info.value.__cause__ is err


def check_failed_values(
    plan: Plan, result: RunResult, err: BaseException, item: int | None
) -> None:
    ref = S.reference(plan.spec, plan.item_values(item))
    check_values(plan, result, ref, err)
    absent = set(plan.target_node.outputs)
    inside = plan.nested_range()
    absent |= {o for i in inside for o in plan.spec.nodes[i].outputs}
    assert not absent & set(result.values), "the failing node (or GraphNode) gave outputs"


def check_failed_body(plan: Plan, result: RunResult, err: BaseException) -> None:
    """A failed mapped GraphNode: no flattened outputs, item results in order (NEST-04)."""
    assert list(result.values) == ["body"], list(result.values)
    items = result.values["body"]
    assert len(items) == plan.items
    assert items[plan.hit] is not None
    for i, r in enumerate(items):
        if i == plan.hit:
            assert r.status is RunStatus.FAILED and r.error is err
            check_failed_values(plan, r, err, i)
        elif r is not None:  # items that did not finish are None
            check_completed(plan, r, i)


def check_completed(plan: Plan, result: RunResult, item: int | None) -> None:
    assert result.status is RunStatus.COMPLETED, result.error
    assert result.error is None and result.failed_node is None
    if plan.shape == "node_map" and item is None:
        ref = S.reference(plan.spec, plan.values)
        assert {k: v for k, v in result.values.items() if k != "body"} == {
            k: [v] * plan.items for k, v in ref.items()
        }
        for i, r in enumerate(result.values["body"]):
            check_completed(plan, r, i)
        return
    ref = S.reference(plan.spec, plan.item_values(item))
    assert flat(plan.spec, result.values) == ref
    check_values(plan, result, ref, None)


def check_cleanup(plan: Plan, probe: Probe) -> None:
    """I4 generators closed, I5 threads settled, I6 no descendant of the target started."""
    assert probe.gen_started == probe.gen_finished, (probe.gen_started, probe.gen_finished)
    assert probe.entered == probe.exited
    assert pool_threads() == []
    if plan.target is None or plan.fault == "validation":
        return
    hit_item = plan.hit if plan.shape != "run" else None
    started = {name for name, item in probe.starts if item == hit_item}
    assert plan.target_node.name in started
    assert not plan.descendants() & started, plan.descendants() & started


def normalised(note: str) -> str:
    return re.sub(r"run-[0-9a-f]{12}", "run-*", note)


def run_plan(plan: Plan) -> None:
    """Run the plan in both modes and check every invariant; the modes must agree (§4.2.6)."""
    # A unique class per example, for the injected exception and the private BaseException.
    label = plan.fault.title().replace("_", "")
    injected = type(f"Injected{label}", (Exception,), {})
    private = type(f"PrivateInterrupt{label}", (BaseException,), {})
    reports: dict[str, tuple[type[BaseException], str] | None] = {}
    for mode in ("continue", "raise"):
        probe = Probe(injected, private)
        graph = build(plan, probe)
        with nothing_unraisable():
            outcome = execute(plan, graph, probe, mode)
        check_cleanup(plan, probe)
        reports[mode] = check_outcome(plan, probe, outcome, mode)
    if plan.fault in NODE_FAULTS and plan.fault != "base_exception":
        assert reports["continue"] == reports["raise"], reports


def check_outcome(
    plan: Plan, probe: Probe, outcome: Outcome, mode: str
) -> tuple[type[BaseException], str] | None:
    """The checks of one mode; returns (error type, normalised note) for mode agreement."""
    fault = plan.fault
    if fault == "validation":
        # I11: raised before any node ran, in both modes.
        assert outcome.raised is not None
        assert isinstance(outcome.raised, (HypergraphError, TypeError)), outcome.raised
        assert probe.starts == []
        return None
    if fault == "base_exception":
        # I9: propagates unchanged, no RunResult.
        assert outcome.result is None
        assert outcome.raised is probe.raised[0]
        assert hypergraph_notes(outcome.raised) == []
        return None
    if fault == "hang":
        # F8: the caller's timeout is cancellation from outside: TimeoutError, no RunResult.
        assert outcome.result is None
        assert isinstance(outcome.raised, TimeoutError), outcome.raised
        assert probe.raised == []
        return None
    if fault == "caller_cancel":
        # I9: a cancel that reached the run propagates; it is never turned into a result.
        if outcome.cancel_requested:
            assert outcome.result is None, "the caller's cancellation was swallowed"
            assert isinstance(outcome.raised, asyncio.CancelledError), outcome.raised
        else:
            if plan.shape == "map":
                for i, r in enumerate(outcome.result):
                    check_completed(plan, r, i)
            else:
                check_completed(plan, outcome.result, None)
        return None
    # A node failure.
    if mode == "raise":
        assert outcome.result is None
        err = outcome.raised
        assert err is not None
        assert not isinstance(err, BaseExceptionGroup)
        expected_error(plan, probe, err)
    elif plan.shape != "map":
        assert outcome.raised is None, outcome.raised
        check_failed_run(plan, outcome.result, probe, None)
        err = outcome.result.error
    else:
        # I10: map isolation in the default mode.
        assert outcome.raised is None, outcome.raised
        results = outcome.result
        assert len(results) == plan.items
        for i, r in enumerate(results):
            if i == plan.hit:
                check_failed_run(plan, r, probe, i)
            else:
                check_completed(plan, r, i)
        err = results[plan.hit].error
    return type(err), normalised(hypergraph_notes(err)[0])


# --- the property tests: one per fault kind -------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_fault_injection_invariants(fault: str, data: st.DataObject) -> None:
    plan = data.draw(plans(fault))
    event(f"{plan.runner} runner, {plan.shape}")
    if plan.target is not None:
        event(f"target nested {plan.path.count('.')} deep, kind {plan.target_node.kind}")
    run_plan(plan)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("fault", FAULTS)
@settings(max_examples=EXAMPLES)  # 500 per fault under the slow profile
@given(data=st.data())
def test_fault_injection_invariants_long(fault: str, data: st.DataObject) -> None:
    """The same property with the slow profile's random seed and example count."""
    run_plan(data.draw(plans(fault)))


def test_the_oracle_sees_a_fault_free_plan() -> None:
    """Sanity: with no fault, the bodies built here agree with the reference."""
    nodes = (
        S.NodeSpec(0, "def", ("x0",), ("v0",), 0, 0),
        S.NodeSpec(1, "agen", ("v0",), ("v1a", "v1b"), 1, 2),
        S.NodeSpec(2, "gen", ("v1b", "x1"), ("v2",), 0, 3),
        S.NodeSpec(3, "async", ("v2", "v0"), ("v3",), 2, 0),
    )
    spec = S.GraphSpec(nodes, ((1, 3),))
    values = {"x0": 3, "x1": 4}
    plan = Plan(
        spec,
        "caller_cancel",
        None,
        0,
        "async",
        2,
        "thread",
        "run",
        values,
        1,
        0,
        None,
        (),
        10_000,
        "none",
    )
    probe = Probe(type("Unused", (Exception,), {}), type("UnusedBase", (BaseException,), {}))
    outcome = execute(plan, build(plan, probe), probe, "continue")
    assert outcome.cancel_requested is False
    check_completed(plan, outcome.result, None)
    assert probe.gen_started == probe.gen_finished == Counter({"f1": 1, "f2": 1})


# --- real KeyboardInterrupt (plain def tests; RELIABILITY §4.1, §4.5) --------------------------
#
# tests/runners/test_cancellation.py covers Ctrl-C in a top-level def node under SyncRunner,
# and under AsyncRunner with a def sibling thread and in a map at max_concurrency=1. Here:
# async siblings and an async generator sibling, a nested graph, SyncRunner's map, the
# cross-runner private loop, and a map whose sibling items run in threads.


def test_keyboard_interrupt_cancels_async_siblings_under_async_runner() -> None:
    t = Tally()
    sibling_in = threading.Event()

    @node(output_name="a")
    def interrupted(x: int) -> int:
        t.hit("ki")
        sibling_in.wait(5)
        raise KeyboardInterrupt

    @node(output_name="b")
    async def waiter(x: int) -> int:
        t.hit("waiter.enter")
        try:
            sibling_in.set()
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            t.hit("waiter.cancelled")
            raise
        finally:
            t.hit("waiter.exit")
        return x

    @node(output_name="c")
    async def stream(x: int) -> Any:
        t.hit("stream.enter")
        try:
            while True:
                yield x
                await asyncio.sleep(0)
        finally:
            t.hit("stream.finally")

    @node(output_name="after")
    def after(a: int) -> int:
        t.hit("after")
        return a

    graph = Graph([interrupted, waiter, stream, after])
    for mode in ("continue", "raise"):
        with pytest.raises(KeyboardInterrupt):
            asyncio.run(AsyncRunner().run(graph, {"x": 1}, error_handling=mode))
    assert t["ki"] == t["waiter.enter"] == t["waiter.cancelled"] == t["waiter.exit"] == 2
    assert t["stream.enter"] == t["stream.finally"] == 2
    assert t["after"] == 0
    assert pool_threads() == []


@pytest.mark.parametrize("mode", ["continue", "raise"])
def test_keyboard_interrupt_in_a_nested_graph_under_sync_runner(mode: str) -> None:
    t = Tally()

    @node(output_name="y")
    def inner_ki(x: int) -> int:
        t.hit("inner")
        raise KeyboardInterrupt

    @node(output_name="items")
    def produce(x: int) -> Any:
        try:
            yield x
            yield x
        finally:
            t.hit("gen.finally")

    @node(output_name="z")
    def after(y: int) -> int:
        t.hit("after")
        return y

    inner = Graph([produce, inner_ki], name="inner")
    graph = Graph([inner.as_node(), after])
    with pytest.raises(KeyboardInterrupt):
        SyncRunner().run(graph, {"x": 1}, error_handling=mode)
    assert (t["inner"], t["gen.finally"], t["after"]) == (1, 1, 0)


@pytest.mark.parametrize("mode", ["continue", "raise"])
def test_keyboard_interrupt_stops_sync_runner_map(mode: str) -> None:
    t = Tally()

    @node(output_name="y")
    def work(x: int) -> int:
        t.hit("start")
        if x == 2:
            raise KeyboardInterrupt
        return x

    with pytest.raises(KeyboardInterrupt):
        SyncRunner().map(Graph([work]), {"x": [0, 1, 2, 3, 4]}, map_over="x", error_handling=mode)
    assert t["start"] == 3  # items 3 and 4 never ran; no per-item list was returned


def test_keyboard_interrupt_in_a_cross_runner_nested_graph() -> None:
    """SyncRunner delegates an async nested graph to a private loop (NEST-06); Ctrl-C in a
    def node there propagates out of SyncRunner.run with the private loop's pool shut down."""
    t = Tally()

    @node(output_name="a")
    async def fetch(x: int) -> int:
        t.hit("fetch")
        return x

    @node(output_name="b")
    def interrupted(a: int) -> int:
        t.hit("ki")
        raise KeyboardInterrupt

    @node(output_name="c")
    def after(b: int) -> int:
        t.hit("after")
        return b

    graph = Graph([Graph([fetch, interrupted], name="inner").as_node(), after])
    with pytest.raises(KeyboardInterrupt):
        SyncRunner().run(graph, {"x": 1})
    assert (t["fetch"], t["ki"], t["after"]) == (1, 1, 0)
    assert pool_threads() == []


def test_keyboard_interrupt_in_async_map_settles_sibling_items_in_threads() -> None:
    t = Tally()
    gate = threading.Barrier(3, timeout=5)
    # Later items start only once item 1 has raised: on a loaded machine its thread may not
    # get the GIL back before the other workers have run every quick item otherwise.
    raised = threading.Event()

    @node(output_name="y")
    def work(x: int) -> int:
        t.hit("enter")
        try:
            if x < 3:
                gate.wait()  # items 0-2 are in flight together
            else:
                raised.wait(timeout=5)
            if x == 1:
                raised.set()
                raise KeyboardInterrupt
            return x
        finally:
            t.hit("exit")

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(
            AsyncRunner().map(
                Graph([work]), {"x": list(range(50))}, map_over="x", max_concurrency=3
            )
        )
    assert t["enter"] == t["exit"] >= 3
    assert t["enter"] < 50
    assert pool_threads() == []
