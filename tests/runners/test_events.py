"""Events and event processors (issue 8): order, the span tree, map items, failures, processor
errors, async processors, no events without processors, ``AsyncRunner.iter`` and show_progress.

Only hypergraph_runners / hypergraph_graph / hypergraph_types are imported, and rich only through
``pytest.importorskip``, so these tests pass with only the runners package installed.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from contextlib import aclosing
from typing import Any

import msgspec
import pytest

import hypergraph_runners._emitter as emitter_module
from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncEventProcessor, AsyncRunner, EventProcessor, SyncRunner
from hypergraph_types import (
    AnyEvent,
    MapItemEndEvent,
    MapItemStartEvent,
    NodeEndEvent,
    NodeErrorEvent,
    NodeStartEvent,
    RunEndEvent,
    RunStartEvent,
    RunStatus,
    SuperstepStartEvent,
)

START = (RunStartEvent, NodeStartEvent, MapItemStartEvent)
END = (RunEndEvent, NodeEndEvent, NodeErrorEvent, MapItemEndEvent)


class Recorder(EventProcessor):
    def __init__(self) -> None:
        self.events: list[AnyEvent] = []
        self.closed = 0

    def on_event(self, event: AnyEvent) -> None:
        self.events.append(event)

    def close(self) -> None:
        self.closed += 1


def short(events: list[AnyEvent]) -> list[str]:
    """``"NodeStart a"``-style labels: event type without ``Event``, then the path."""
    return [f"{type(e).__name__[:-5]} {getattr(e, 'path', '')}".strip() for e in events]


def check_tree(events: list[AnyEvent]) -> dict[str, AnyEvent]:
    """Every span opens once and closes once, after its children, inside an open parent.

    Returns the start event of every span.
    """
    opened: dict[str, AnyEvent] = {}
    open_now: set[str] = set()
    children: dict[str, set[str]] = {}
    for e in events:
        if isinstance(e, START):
            assert e.span_id not in opened, f"span opened twice: {e}"
            if e.parent_span_id is not None:
                assert e.parent_span_id in open_now, f"parent not open: {e}"
                children.setdefault(e.parent_span_id, set()).add(e.span_id)
            opened[e.span_id] = e
            open_now.add(e.span_id)
        elif isinstance(e, END):
            assert e.span_id in open_now, f"closed but not open: {e}"
            assert not (children.get(e.span_id, set()) & open_now), f"children still open: {e}"
            assert e.parent_span_id == opened[e.span_id].parent_span_id
            assert e.duration >= 0
            open_now.discard(e.span_id)
        else:
            assert isinstance(e, SuperstepStartEvent)
            assert e.span_id in open_now
    assert not open_now, f"spans never closed: {open_now}"
    roots = [e for e in opened.values() if e.parent_span_id is None]
    assert len(roots) == 1 and events[0] is roots[0] and events[-1].span_id == roots[0].span_id
    return opened


def diamond() -> Graph:
    @node(output_name="y")
    def a(x: int) -> int:
        return x + 1

    @node(output_name="z")
    def b(y: int) -> int:
        return y * 2

    @node(output_name="w")
    def c(y: int) -> int:
        return y * 3

    return Graph([a, b, c], name="diamond")


# -- order -------------------------------------------------------------------------------------


def test_sync_runner_event_order_for_a_small_dag() -> None:
    rec = Recorder()
    result = SyncRunner().run(diamond(), {"x": 1}, event_processors=[rec])
    assert short(rec.events) == [
        "RunStart",
        "SuperstepStart",
        "NodeStart a",
        "NodeEnd a",
        "SuperstepStart",
        "NodeStart b",
        "NodeEnd b",
        "NodeStart c",
        "NodeEnd c",
        "RunEnd",
    ]
    check_tree(rec.events)
    end = rec.events[-1]
    assert isinstance(end, RunEndEvent)
    assert end.result is result and end.status == "completed" and end.run_id == result.run_id
    assert [e.index for e in rec.events if isinstance(e, SuperstepStartEvent)] == [0, 1]
    assert rec.closed == 1


def test_async_runner_event_order_for_a_small_dag() -> None:
    rec = Recorder()
    result = asyncio.run(AsyncRunner().run(diamond(), {"x": 1}, event_processors=[rec]))
    labels = short(rec.events)
    # An acyclic graph runs as dataflow: no supersteps; b and c overlap, in either order.
    assert labels[:3] == ["RunStart", "NodeStart a", "NodeEnd a"]
    assert labels[-1] == "RunEnd"
    assert sorted(labels[3:-1]) == ["NodeEnd b", "NodeEnd c", "NodeStart b", "NodeStart c"]
    check_tree(rec.events)
    assert rec.events[-1].result is result  # type: ignore[union-attr]


def test_async_runner_emits_supersteps_for_a_cycle() -> None:
    @node(output_name="count")
    def step(count: int) -> int:
        return min(count + 1, 2)

    rec = Recorder()
    asyncio.run(AsyncRunner().run(Graph([step]), {"count": 0}, event_processors=[rec]))
    step_events = ["SuperstepStart", "NodeStart step", "NodeEnd step"]
    assert short(rec.events) == ["RunStart", *step_events * 3, "RunEnd"]
    check_tree(rec.events)


def test_events_carry_ids_times_and_no_values(run) -> None:
    rec = Recorder()
    run(diamond(), {"x": 10**9}, event_processors=[rec])
    ids = {e.span_id for e in rec.events}
    prefixes = {i.split("-")[0] for i in ids}
    assert len(prefixes) == 1 and len(next(iter(prefixes))) == 8  # one random prefix per call
    for e in rec.events[:-1]:  # only the last one, RunEndEvent, holds the result
        assert str(10**9) not in repr(e) and str(10**9 + 1) not in repr(e)
    decoded = msgspec.json.decode(
        msgspec.json.encode(rec.events[:-1]), type=list[AnyEvent]
    )  # tagged: a stream of events round-trips
    assert decoded == rec.events[:-1]


# -- nesting and maps --------------------------------------------------------------------------


def inner_graph() -> Graph:
    @node(output_name="y")
    def double(x: int) -> int:
        return 2 * x

    return Graph([double], name="inner")


def test_nested_run_events_sit_between_its_graph_node_start_and_end(run) -> None:
    @node(output_name="out")
    def after(y: int) -> int:
        return y + 1

    rec = Recorder()
    outer = Graph([inner_graph().as_node(name="sub"), after], name="outer")
    run(outer, {"x": 1}, event_processors=[rec])
    starts = check_tree(rec.events)
    labels = short(rec.events)
    gn_start, gn_end = labels.index("NodeStart sub"), labels.index("NodeEnd sub")
    assert labels[gn_start + 1] == "RunStart sub" and labels[gn_end - 1] == "RunEnd sub"
    assert "NodeStart sub.double" in labels[gn_start:gn_end]
    nested_run = rec.events[gn_start + 1]
    assert nested_run.parent_span_id == rec.events[gn_start].span_id
    inner_node = rec.events[labels.index("NodeStart sub.double")]
    assert inner_node.parent_span_id == nested_run.span_id
    assert inner_node.run_id == nested_run.run_id != rec.events[0].run_id
    assert starts[rec.events[0].span_id].graph_name == "outer"  # type: ignore[union-attr]


def test_runner_map_items_form_a_tree_under_the_map_call(run_map) -> None:
    rec = Recorder()
    results = run_map(inner_graph(), {"x": [1, 2, 3]}, map_over="x", event_processors=[rec])
    starts = check_tree(rec.events)
    root = rec.events[0]
    assert isinstance(root, RunStartEvent) and root.map_size == 3
    items = [e for e in rec.events if isinstance(e, MapItemStartEvent)]
    assert sorted(e.index for e in items) == [0, 1, 2]
    assert all(e.parent_span_id == root.span_id and e.total == 3 for e in items)
    for item in items:
        runs = [
            e
            for e in rec.events
            if isinstance(e, RunStartEvent) and e.parent_span_id == item.span_id
        ]
        assert len(runs) == 1 and runs[0].run_id == results[item.index].run_id
    ends = [e for e in rec.events if isinstance(e, MapItemEndEvent)]
    assert {e.status for e in ends} == {"completed"}
    last = rec.events[-1]
    assert isinstance(last, RunEndEvent) and last.status == "completed" and last.result is None
    assert len(starts) == 1 + 3 * 3  # the call, and per item: item, run, node


def test_mapped_graph_node_items_hang_under_the_graph_node(run) -> None:
    rec = Recorder()
    outer = Graph([inner_graph().as_node(name="sub").map_over("x")], name="outer")
    result = run(outer, {"x": [1, 2]}, event_processors=[rec])
    assert result["y"] == [2, 4]
    check_tree(rec.events)
    gn = next(e for e in rec.events if isinstance(e, NodeStartEvent) and e.path == "sub")
    items = [e for e in rec.events if isinstance(e, MapItemStartEvent)]
    assert [(e.path, e.parent_span_id, e.total) for e in items] == [("sub", gn.span_id, 2)] * 2
    paths = {e.path for e in rec.events if isinstance(e, NodeStartEvent)}
    assert paths == {"sub", "sub[0].double", "sub[1].double"}


def test_nested_graph_run_by_the_other_runner_reports_into_the_same_tree(runner_kind) -> None:
    """AsyncRunner hands a SyncRunner subtree to a worker thread; SyncRunner runs an async
    inner graph on a private loop. Either way its events join the caller's tree."""

    @node(output_name="y")
    async def adouble(x: int) -> int:
        return 2 * x

    rec = Recorder()
    if runner_kind == "sync":
        outer = Graph([Graph([adouble], name="inner").as_node(name="sub")])
        SyncRunner().run(outer, {"x": 1}, event_processors=[rec])
    else:
        outer = Graph([inner_graph().as_node(name="sub", runner=SyncRunner())])
        asyncio.run(AsyncRunner().run(outer, {"x": 1}, event_processors=[rec]))
    check_tree(rec.events)
    assert [e.path for e in rec.events if isinstance(e, NodeStartEvent)][-1].startswith("sub.")


# -- failures ----------------------------------------------------------------------------------


def test_failing_node_emits_an_error_event_and_a_failed_run_end(run) -> None:
    @node(output_name="y")
    def boom(x: int) -> int:
        raise ValueError("service returned 503")

    rec = Recorder()
    result = run(Graph([boom]), {"x": 1}, event_processors=[rec])
    check_tree(rec.events)
    error = next(e for e in rec.events if isinstance(e, NodeErrorEvent))
    assert (error.path, error.status, error.error_type) == ("boom", "failed", "ValueError")
    assert error.error_message == "service returned 503"
    assert not [e for e in rec.events if isinstance(e, NodeEndEvent)]
    end = rec.events[-1]
    assert isinstance(end, RunEndEvent) and end.status == "failed"
    assert end.result is result and end.result.error is result.error


def test_failed_map_item_is_reported_and_the_others_complete(run_map) -> None:
    @node(output_name="y")
    def check(x: int) -> int:
        if x == 2:
            raise ValueError("two")
        return x

    rec = Recorder()
    run_map(Graph([check]), {"x": [1, 2, 3]}, map_over="x", event_processors=[rec])
    check_tree(rec.events)
    statuses = {e.index: e.status for e in rec.events if isinstance(e, MapItemEndEvent)}
    assert statuses == {0: "completed", 1: "failed", 2: "completed"}
    assert rec.events[-1].status == "failed"  # type: ignore[union-attr]


def test_raise_mode_still_closes_every_span(run_map) -> None:
    @node(output_name="y")
    def check(x: int) -> int:
        if x == 1:
            raise ValueError("one")
        return x

    rec = Recorder()
    with pytest.raises(ValueError, match="one"):
        graph, values = Graph([check]), {"x": [0, 1, 2]}
        run_map(graph, values, map_over="x", error_handling="raise", event_processors=[rec])
    check_tree(rec.events)
    assert rec.events[-1].status == "failed"  # type: ignore[union-attr]
    assert rec.closed == 1


def test_sibling_cancelled_by_a_failure_ends_cancelled() -> None:
    @node(output_name="a")
    async def slow(x: int) -> int:
        await asyncio.sleep(30)
        return x

    @node(output_name="b")
    async def boom(x: int) -> int:
        await asyncio.sleep(0)
        raise ValueError("boom")

    @node(output_name="c")
    def join(a: int, b: int) -> int:
        return a + b

    rec = Recorder()
    result = asyncio.run(
        AsyncRunner().run(Graph([slow, boom, join]), {"x": 1}, event_processors=[rec])
    )
    assert result.status is RunStatus.FAILED
    check_tree(rec.events)
    ends = {e.path: e.status for e in rec.events if isinstance(e, NodeEndEvent | NodeErrorEvent)}
    assert ends == {"slow": "cancelled", "boom": "failed"}


def test_cancellation_from_outside_closes_the_tree() -> None:
    entered = threading.Event()

    @node(output_name="y")
    async def hang(x: int) -> int:
        entered.set()
        await asyncio.sleep(30)
        return x

    rec = Recorder()

    async def main() -> None:
        task = asyncio.create_task(
            AsyncRunner().run(Graph([hang]), {"x": 1}, event_processors=[rec])
        )
        while not entered.is_set():
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    check_tree(rec.events)
    assert [e.status for e in rec.events if isinstance(e, END)] == ["cancelled", "cancelled"]
    assert rec.closed == 1


def test_ctrl_c_in_sync_runner_closes_the_tree() -> None:
    @node(output_name="y")
    def interrupt(x: int) -> int:
        raise KeyboardInterrupt

    rec = Recorder()
    with pytest.raises(KeyboardInterrupt):
        SyncRunner().run(Graph([interrupt]), {"x": 1}, event_processors=[rec])
    check_tree(rec.events)
    assert rec.closed == 1


# -- processors --------------------------------------------------------------------------------


class Broken(EventProcessor):
    def on_event(self, event: AnyEvent) -> None:
        if isinstance(event, NodeStartEvent):
            raise RuntimeError("processor bug")

    def close(self) -> None:
        raise OSError("cannot flush")


def test_a_raising_processor_warns_and_never_breaks_the_run(run) -> None:
    rec = Recorder()
    with pytest.warns(RuntimeWarning) as caught:
        result = run(diamond(), {"x": 1}, event_processors=[Broken(), rec])
    assert result.status is RunStatus.COMPLETED and result["w"] == 6
    messages = [str(w.message) for w in caught]
    assert any("Broken" in m and "NodeStartEvent" in m and "processor bug" in m for m in messages)
    assert any("Broken" in m and "closing" in m and "cannot flush" in m for m in messages)
    check_tree(rec.events)  # the other processor got every event
    assert rec.closed == 1


def test_async_processors_are_awaited_in_order() -> None:
    class Slow(AsyncEventProcessor):
        def __init__(self) -> None:
            self.events: list[AnyEvent] = []
            self.closed = False

        async def on_event(self, event: AnyEvent) -> None:
            await asyncio.sleep(0)
            self.events.append(event)

        async def close(self) -> None:
            self.closed = True

    slow, rec = Slow(), Recorder()
    outer = Graph([inner_graph().as_node(name="sub").map_over("x")])
    asyncio.run(AsyncRunner().run(outer, {"x": [1, 2, 3]}, event_processors=[slow, rec]))
    assert slow.events == rec.events and slow.closed
    check_tree(slow.events)


def test_async_processor_gets_events_from_worker_threads() -> None:
    class Async(AsyncEventProcessor):
        def __init__(self) -> None:
            self.events: list[AnyEvent] = []
            self.threads: set[int] = set()

        async def on_event(self, event: AnyEvent) -> None:
            self.threads.add(threading.get_ident())
            self.events.append(event)

    proc = Async()
    outer = Graph([inner_graph().as_node(name="sub", runner=SyncRunner())])
    asyncio.run(AsyncRunner().run(outer, {"x": 1}, event_processors=[proc]))
    check_tree(proc.events)
    assert "sub.double" in {getattr(e, "path", "") for e in proc.events}
    assert len(proc.threads) == 1  # always called on the loop's thread


def test_async_raising_processor_warns() -> None:
    class Bad(AsyncEventProcessor):
        async def on_event(self, event: AnyEvent) -> None:
            raise RuntimeError("async bug")

    with pytest.warns(RuntimeWarning, match="Bad raised RuntimeError: async bug"):
        result = asyncio.run(AsyncRunner().run(diamond(), {"x": 1}, event_processors=[Bad()]))
    assert result.status is RunStatus.COMPLETED


def test_sync_runner_rejects_async_processors_before_anything_runs(calls) -> None:
    class Async(AsyncEventProcessor):
        async def on_event(self, event: AnyEvent) -> None:
            pass

    @node(output_name="y")
    def f(x: int) -> int:
        calls.append("f")
        return x

    with pytest.raises(TypeError, match="SyncRunner cannot await the async event processor"):
        SyncRunner().run(Graph([f]), {"x": 1}, event_processors=[Async()])
    with pytest.raises(TypeError, match="async event processor"):
        SyncRunner().map(Graph([f]), {"x": [1]}, map_over="x", event_processors=[Async()])
    assert calls == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"event_processors": Recorder()}, "must be a list"),
        ({"event_processors": [object()]}, "has no on_event"),
        ({"show_progress": "yes"}, "show_progress must be True or False"),
    ],
)
def test_bad_processor_arguments_are_type_errors(run, calls, kwargs, match) -> None:
    @node(output_name="y")
    def f(x: int) -> int:
        calls.append("f")
        return x

    with pytest.raises(TypeError, match=match):
        run(Graph([f]), {"x": 1}, **kwargs)
    assert calls == []


# -- zero overhead -----------------------------------------------------------------------------

EVENT_NAMES = [
    "RunStartEvent",
    "RunEndEvent",
    "SuperstepStartEvent",
    "NodeStartEvent",
    "NodeEndEvent",
    "NodeErrorEvent",
    "MapItemStartEvent",
    "MapItemEndEvent",
]


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the event objects (and emitters) the runners build."""
    made: list[str] = []
    for name in [*EVENT_NAMES, "Emitter"]:
        cls = getattr(emitter_module, name)

        def counting(*args: Any, _cls: Any = cls, **kwargs: Any) -> Any:
            made.append(_cls.__name__)
            return _cls(*args, **kwargs)

        monkeypatch.setattr(emitter_module, name, counting)
    return made


def test_no_event_object_is_built_without_processors(run, run_map, built) -> None:
    @node(output_name="y")
    def boom(x: int) -> int:
        if x == 2:
            raise ValueError("two")
        return x

    outer = Graph([inner_graph().as_node(name="sub").map_over("x")])
    run(diamond(), {"x": 1})
    run(outer, {"x": [1, 2]})
    run_map(Graph([boom]), {"x": [1, 2]}, map_over="x")
    assert built == []
    run(diamond(), {"x": 1}, event_processors=[Recorder()])
    assert "Emitter" in built and "NodeStartEvent" in built


# -- AsyncRunner.iter --------------------------------------------------------------------------


def test_iter_yields_every_event_and_ends_with_the_result() -> None:
    async def main() -> list[AnyEvent]:
        return [e async for e in AsyncRunner().iter(diamond(), {"x": 1})]

    events = asyncio.run(main())
    check_tree(events)
    end = events[-1]
    assert isinstance(end, RunEndEvent) and end.parent_span_id is None
    assert end.result is not None and end.result["w"] == 6


def test_iter_passes_options_and_other_processors_through() -> None:
    rec = Recorder()

    async def main() -> list[AnyEvent]:
        runner = AsyncRunner()
        return [e async for e in runner.iter(diamond(), x=1, select=["z"], event_processors=[rec])]

    events = asyncio.run(main())
    assert events == rec.events
    assert events[-1].result.values == {"z": 4}  # type: ignore[union-attr]


def test_iter_raises_validation_errors_and_raise_mode_failures() -> None:
    @node(output_name="y")
    def boom(x: int) -> int:
        raise ValueError("boom")

    async def collect(**kwargs: Any) -> list[AnyEvent]:
        seen: list[AnyEvent] = []
        async for e in AsyncRunner().iter(Graph([boom]), **kwargs):
            seen.append(e)
        return seen

    with pytest.raises(TypeError, match="must be a list"):
        asyncio.run(collect(x=1, event_processors=Recorder()))
    seen: list[AnyEvent] = []

    async def collect_raise() -> None:
        async for e in AsyncRunner().iter(Graph([boom]), x=1, error_handling="raise"):
            seen.append(e)

    with pytest.raises(ValueError, match="boom"):
        asyncio.run(collect_raise())
    assert isinstance(seen[-1], RunEndEvent) and seen[-1].status == "failed"


def hanging_graph(entered: asyncio.Event, cancelled: asyncio.Event) -> Graph:
    @node(output_name="y")
    async def hang(x: int) -> int:
        entered.set()
        try:
            await asyncio.sleep(30)
        finally:
            cancelled.set()
        return x

    @node(output_name="z")
    def after(y: int) -> int:
        raise AssertionError("must never run")

    return Graph([hang, after])


def test_breaking_out_of_iter_cancels_the_run() -> None:
    async def main() -> list[str]:
        entered, cancelled = asyncio.Event(), asyncio.Event()
        seen = []
        async with aclosing(AsyncRunner().iter(hanging_graph(entered, cancelled), x=1)) as events:
            async for e in events:
                seen.append(type(e).__name__)
                if isinstance(e, NodeStartEvent):
                    await entered.wait()
                    break
        assert cancelled.is_set()  # the run stopped before aclose() returned
        assert asyncio.all_tasks() == {asyncio.current_task()}
        return seen

    assert asyncio.run(main()) == ["RunStartEvent", "NodeStartEvent"]


def test_iter_dropped_without_aclosing_is_cancelled_by_the_loop() -> None:
    async def main() -> None:
        entered, cancelled = asyncio.Event(), asyncio.Event()
        async for e in AsyncRunner().iter(hanging_graph(entered, cancelled), x=1):
            if isinstance(e, NodeStartEvent):
                await entered.wait()
                break
        await asyncio.wait_for(cancelled.wait(), 10)

    asyncio.run(main())


# -- show_progress -----------------------------------------------------------------------------


def test_show_progress_writes_progress_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, run_map
) -> None:
    pytest.importorskip("rich")
    for variable in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(variable, raising=False)  # stderr is not a terminal: plain lines
    results = run_map(inner_graph(), {"x": [1, 2, 3]}, map_over="x", show_progress=True)
    assert [r["y"] for r in results] == [2, 4, 6]
    err = capsys.readouterr().err
    assert "[hypergraph] inner: started (3 items)" in err
    assert "inner: 3/3 items" in err and "(completed)" in err


def test_show_progress_without_rich_names_the_extra(monkeypatch: pytest.MonkeyPatch, calls) -> None:
    monkeypatch.setitem(sys.modules, "rich.console", None)  # `import rich.console` now fails

    @node(output_name="y")
    def f(x: int) -> int:
        calls.append("f")
        return x

    with pytest.raises(ImportError, match=r"hypergraph-runtime\[progress\]"):
        SyncRunner().run(Graph([f]), {"x": 1}, show_progress=True)
    assert calls == []
