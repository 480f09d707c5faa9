"""The newer event surface (issue 15): ``graph_name``, ``superstep`` and ``duration_ms`` on
events, and processors ending with ``shutdown()`` or ``close()``, under both runners."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncEventProcessor, AsyncRunner, EventProcessor, SyncRunner
from hypergraph_types import (
    AnyEvent,
    Event,
    MapItemEndEvent,
    MapItemStartEvent,
    NodeEndEvent,
    NodeErrorEvent,
    NodeStartEvent,
    RunEndEvent,
    RunStartEvent,
    SuperstepStartEvent,
)

NODE_EVENTS = (NodeStartEvent, NodeEndEvent, NodeErrorEvent)
ENDS = (RunEndEvent, NodeEndEvent, NodeErrorEvent, MapItemEndEvent)


class Recorder(EventProcessor):
    def __init__(self) -> None:
        self.events: list[AnyEvent] = []

    def on_event(self, event: AnyEvent) -> None:
        self.events.append(event)


def chain() -> Graph:
    """``a(x) -> y``, ``b(y) -> z``: two supersteps under SyncRunner."""

    @node(output_name="y")
    def a(x: int) -> int:
        return x + 1

    @node(output_name="z")
    def b(y: int) -> int:
        return y * 2

    return Graph([a, b], name="chain")


def counter() -> Graph:
    """A one-node cycle that runs three times: supersteps under both runners."""

    @node(output_name="count")
    def step(count: int) -> int:
        return min(count + 1, 2)

    return Graph([step], name="counter")


def nested() -> Graph:
    """``outer`` holds ``chain`` as the GraphNode ``inner``, plus ``after(z) -> w``."""

    @node(output_name="w")
    def after(z: int) -> int:
        return z - 1

    return Graph([chain().as_node(name="inner"), after], name="outer")


def node_fields(events: list[AnyEvent]) -> list[tuple[str, str, str | None, int | None]]:
    return [
        (type(e).__name__, e.path, e.graph_name, e.superstep)
        for e in events
        if isinstance(e, NODE_EVENTS)
    ]


# -- graph_name and superstep -----------------------------------------------------------------


def test_sync_node_events_carry_graph_name_and_superstep() -> None:
    rec = Recorder()
    SyncRunner().run(chain(), {"x": 1}, event_processors=[rec])
    assert node_fields(rec.events) == [
        ("NodeStartEvent", "a", "chain", 0),
        ("NodeEndEvent", "a", "chain", 0),
        ("NodeStartEvent", "b", "chain", 1),
        ("NodeEndEvent", "b", "chain", 1),
    ]
    steps = [e for e in rec.events if isinstance(e, SuperstepStartEvent)]
    assert [(e.graph_name, e.superstep, e.index) for e in steps] == [
        ("chain", 0, 0),
        ("chain", 1, 1),
    ]


def test_async_dataflow_run_has_no_supersteps() -> None:
    rec = Recorder()
    asyncio.run(AsyncRunner().run(chain(), {"x": 1}, event_processors=[rec]))
    fields = node_fields(rec.events)
    assert {(path, graph, step) for _, path, graph, step in fields} == {
        ("a", "chain", None),
        ("b", "chain", None),
    }


def test_cycle_supersteps_under_both_runners(run) -> None:
    rec = Recorder()
    run(counter(), {"count": 0}, event_processors=[rec])
    starts = [e for e in rec.events if isinstance(e, NodeStartEvent)]
    ends = [e for e in rec.events if isinstance(e, NodeEndEvent)]
    assert [e.superstep for e in starts] == [0, 1, 2]
    assert [e.superstep for e in ends] == [0, 1, 2]
    assert {e.graph_name for e in starts} == {"counter"}


def test_run_and_map_item_events_have_no_superstep(run_map) -> None:
    rec = Recorder()
    run_map(counter(), {"count": [0, 1]}, map_over="count", event_processors=[rec])
    others = [e for e in rec.events if not isinstance(e, (*NODE_EVENTS, SuperstepStartEvent))]
    assert others and all(e.superstep is None for e in others)


def test_nested_node_events_name_their_own_graph(run) -> None:
    rec = Recorder()
    run(nested(), {"x": 1}, event_processors=[rec])
    graphs = {(e.path, e.graph_name) for e in rec.events if isinstance(e, NODE_EVENTS)}
    assert graphs == {
        ("inner", "outer"),
        ("inner.a", "chain"),
        ("inner.b", "chain"),
        ("after", "outer"),
    }
    runs = {(e.path, e.graph_name) for e in rec.events if isinstance(e, RunStartEvent)}
    assert runs == {("", "outer"), ("inner", "chain")}


def test_map_item_events_name_the_graph_that_owns_the_map(run, run_map) -> None:
    rec = Recorder()
    run_map(chain(), {"x": [1, 2]}, map_over="x", event_processors=[rec])
    items = [e for e in rec.events if isinstance(e, MapItemStartEvent | MapItemEndEvent)]
    assert len(items) == 4 and {e.graph_name for e in items} == {"chain"}

    inner = chain().as_node(name="inner").map_over("x")
    rec = Recorder()
    run(Graph([inner], name="outer"), {"x": [1, 2]}, event_processors=[rec])
    items = [e for e in rec.events if isinstance(e, MapItemStartEvent | MapItemEndEvent)]
    assert len(items) == 4 and {e.graph_name for e in items} == {"outer"}


def test_unnamed_graphs_give_none(run) -> None:
    rec = Recorder()
    run(Graph(list(chain().nodes.values())), {"x": 1}, event_processors=[rec])
    assert {e.graph_name for e in rec.events} == {None}


# -- duration_ms ------------------------------------------------------------------------------


def test_every_end_event_has_duration_ms(run, run_map) -> None:
    @node(output_name="y")
    def bad(x: int) -> int:
        raise ValueError("no")

    rec = Recorder()
    run(nested(), {"x": 1}, event_processors=[rec])
    run(Graph([bad]), {"x": 1}, event_processors=[rec])
    run_map(chain(), {"x": [1, 2]}, map_over="x", event_processors=[rec])
    ends = [e for e in rec.events if isinstance(e, ENDS)]
    assert {type(e) for e in ends} == set(ENDS)
    for e in ends:
        assert e.duration_ms == pytest.approx(e.duration * 1000.0)
        assert e.duration_ms >= 0


def test_cancelled_spans_get_duration_ms_too() -> None:
    entered = asyncio.Event()

    @node(output_name="y")
    async def hang(x: int) -> int:
        entered.set()
        await asyncio.sleep(30)
        return x

    rec = Recorder()

    async def main() -> None:
        task = asyncio.create_task(
            AsyncRunner().run(Graph([hang], name="g"), {"x": 1}, event_processors=[rec])
        )
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    ends = [e for e in rec.events if isinstance(e, ENDS)]
    assert [e.status for e in ends] == ["cancelled", "cancelled"]
    assert all(e.duration_ms == pytest.approx(e.duration * 1000.0) for e in ends)
    assert [e.graph_name for e in ends] == ["g", "g"]


def test_new_fields_survive_a_json_round_trip(run) -> None:
    rec = Recorder()
    run(counter(), {"count": 0}, event_processors=[rec])
    events = [e for e in rec.events if not isinstance(e, RunEndEvent)]  # result holds values
    data = msgspec.json.encode(events)
    assert msgspec.json.decode(data, type=list[AnyEvent]) == events


def test_events_made_by_hand_default_the_new_fields() -> None:
    start = NodeStartEvent(run_id="r", span_id="s", parent_span_id=None, timestamp=0.0,
                           node_name="n", path="n")  # fmt: skip
    assert (start.graph_name, start.superstep) == (None, None)
    assert isinstance(start, Event)


# -- shutdown() and close() -------------------------------------------------------------------


class Ends(EventProcessor):
    def __init__(self) -> None:
        self.calls: list[str] = []

    def on_event(self, event: AnyEvent) -> None:
        pass


class CloseOnly(Ends):
    def close(self) -> None:
        self.calls.append("close")


class ShutdownOnly(Ends):
    def shutdown(self) -> None:
        self.calls.append("shutdown")


class Both(Ends):
    def shutdown(self) -> None:
        self.calls.append("shutdown")

    def close(self) -> None:
        self.calls.append("close")


class Aliased(Ends):
    def close(self) -> None:
        self.calls.append("close")

    shutdown = close


class DuckShutdown:
    """Not an EventProcessor: anything with on_event is accepted."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def on_event(self, event: AnyEvent) -> None:
        pass

    def shutdown(self) -> None:
        self.calls.append("shutdown")


@pytest.mark.parametrize(
    ("processor_class", "expected"),
    [
        (CloseOnly, ["close"]),
        (ShutdownOnly, ["shutdown"]),
        (Both, ["shutdown"]),
        (Aliased, ["close"]),
        (DuckShutdown, ["shutdown"]),
    ],
)
def test_each_processor_is_ended_once_per_call(run, run_map, processor_class, expected) -> None:
    proc: Any = processor_class()
    run(chain(), {"x": 1}, event_processors=[proc])
    assert proc.calls == expected
    run_map(chain(), {"x": [1, 2]}, map_over="x", event_processors=[proc])
    assert proc.calls == expected * 2


def test_async_processor_shutdown_or_close_is_awaited() -> None:
    class AsyncBoth(AsyncEventProcessor):
        def __init__(self) -> None:
            self.calls: list[str] = []

        async def on_event(self, event: AnyEvent) -> None:
            pass

        async def shutdown(self) -> None:
            await asyncio.sleep(0)
            self.calls.append("shutdown")

        async def close(self) -> None:
            self.calls.append("close")

    class AsyncClose(AsyncBoth):
        shutdown = AsyncEventProcessor.shutdown

    both, close_only = AsyncBoth(), AsyncClose()
    asyncio.run(AsyncRunner().run(chain(), {"x": 1}, event_processors=[both, close_only]))
    assert both.calls == ["shutdown"]
    assert close_only.calls == ["close"]


def test_a_raising_shutdown_warns_and_the_run_completes(run) -> None:
    class Bad(Ends):
        def shutdown(self) -> None:
            raise OSError("disk full")

    with pytest.warns(RuntimeWarning, match="Bad raised OSError: disk full while closing"):
        result = run(chain(), {"x": 1}, event_processors=[Bad()])
    assert result["z"] == 4
