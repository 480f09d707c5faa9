"""A node exception whose ``__str__`` and ``__repr__`` raise is still the run's error, and
everything that reports it copes: notes, events, processors, ``result[missing]`` (issue 13
case 6). An exception that refuses the note (a frozen dataclass) stays the run's error too.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import warnings
from dataclasses import dataclass
from typing import Any

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, EventProcessor, RichProgressProcessor, SyncRunner
from hypergraph_types import AnyEvent, NodeErrorEvent, RunEndEvent, RunFailedError, RunStatus
from support import hypergraph_notes

UNPRINTABLE = "<exception str() failed>"


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("__str__ is broken")

    def __repr__(self) -> str:
        raise RuntimeError("__repr__ is broken")


@dataclass(frozen=True)
class Frozen(Exception):
    code: int


class Recorder(EventProcessor):
    def __init__(self) -> None:
        self.events: list[AnyEvent] = []

    def on_event(self, event: AnyEvent) -> None:
        self.events.append(event)


def failing(raised: list[BaseException], make: Any = Unprintable) -> Graph:
    @node(output_name="a")
    def first(x: int) -> int:
        return x + 1

    @node(output_name="b")
    def boom(a: int) -> int:
        raised.append(make(a) if make is Frozen else make())
        raise raised[-1]

    return Graph([first, boom])


def nested(raised: list[BaseException]) -> Graph:
    return Graph([failing(raised).as_node(name="inner")])


def call(kind: str, method: str, graph: Graph, values: dict[str, Any], **kw: Any) -> Any:
    """The call's return value, or the exception it raised (caught where it is raised: on
    Python 3.11 ``asyncio.run`` itself fails on an exception whose repr raises)."""
    if method == "map":
        kw["map_over"] = "x"
    if kind == "sync":
        try:
            return getattr(SyncRunner(), method)(graph, values, **kw)
        except Exception as exc:
            return exc

    async def main() -> Any:
        try:
            return await getattr(AsyncRunner(), method)(graph, values, **kw)
        except Exception as exc:
            return exc

    return asyncio.run(main())


def processors() -> tuple[Recorder, list[Any]]:
    """A recorder, and progress lines too when rich (the ``progress`` extra) is installed."""
    rec = Recorder()
    if importlib.util.find_spec("rich") is None:
        return rec, [rec]
    return rec, [rec, RichProgressProcessor(stream=io.StringIO(), log_interval=0)]


@pytest.mark.parametrize("shape", ["flat", "nested"])
def test_unprintable_error_is_the_failed_results_error(runner_kind: str, shape: str) -> None:
    raised: list[BaseException] = []
    graph = failing(raised) if shape == "flat" else nested(raised)
    rec, procs = processors()
    result = call(runner_kind, "run", graph, {"x": 1}, event_processors=procs)
    assert result.status is RunStatus.FAILED
    assert result.error is raised[0]
    path = "boom" if shape == "flat" else "inner.boom"
    assert result.failed_node == path
    [note] = hypergraph_notes(result.error)
    assert repr(path) in note
    assert result.values.get("a") == 2 or result["inner"].values == {"a": 2}
    errors = [e for e in rec.events if isinstance(e, NodeErrorEvent)]
    assert errors and all(e.error_message == UNPRINTABLE for e in errors)
    assert errors[0].error_type.endswith("Unprintable")
    end = rec.events[-1]
    assert isinstance(end, RunEndEvent) and end.status == "failed"
    assert end.result is not None and end.result.error is raised[0]
    assert "Unprintable object: repr() failed" in repr(result)


@pytest.mark.parametrize("method", ["run", "map"])
def test_unprintable_error_is_raised_unchanged(runner_kind: str, method: str) -> None:
    raised: list[BaseException] = []
    values: dict[str, Any] = {"x": [1, 2]} if method == "map" else {"x": 1}
    rec, procs = processors()
    got = call(runner_kind, method, failing(raised), values, error_handling="raise",
               event_processors=procs)  # fmt: skip
    # The failed item's own error object (under AsyncRunner either item may fail first, and
    # "raise" stops the map there)
    assert any(got is e for e in raised)
    assert len(hypergraph_notes(got)) == 1
    assert any(isinstance(e, NodeErrorEvent) for e in rec.events)


def test_map_keeps_every_unprintable_error(runner_kind: str) -> None:
    raised: list[BaseException] = []
    rec, procs = processors()
    results = call(runner_kind, "map", failing(raised), {"x": [1, 2]}, event_processors=procs)
    assert [r.status for r in results] == [RunStatus.FAILED] * 2
    assert {id(r.error) for r in results} == {id(e) for e in raised}
    assert len([e for e in rec.events if isinstance(e, NodeErrorEvent)]) == 2


def test_missing_key_of_failed_result_raises_run_failed_error(runner_kind: str) -> None:
    raised: list[BaseException] = []
    result = call(runner_kind, "run", failing(raised), {"x": 1})
    with pytest.raises(RunFailedError) as info:
        result["b"]
    assert info.value.__cause__ is raised[0]
    assert f"Unprintable: {UNPRINTABLE}" in str(info.value)
    assert "'boom'" in str(info.value)


def test_open_telemetry_span_reports_the_unprintable_error(runner_kind: str) -> None:
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from hypergraph_runners import OpenTelemetryProcessor

    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    raised: list[BaseException] = []
    otel = OpenTelemetryProcessor(tracer_provider=provider)
    result = call(runner_kind, "run", nested(raised), {"x": 1}, event_processors=[otel])
    assert result.error is raised[0]
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert spans["boom"].status.description.endswith(f"Unprintable: {UNPRINTABLE}")
    assert spans["run"].status.description == f"Unprintable: {UNPRINTABLE}"


def test_processor_raising_an_unprintable_error_is_reported(runner_kind: str) -> None:
    class Broken(EventProcessor):
        def on_event(self, event: AnyEvent) -> None:
            raise Unprintable

    raised: list[BaseException] = []
    with pytest.warns(RuntimeWarning, match="Broken raised Unprintable: <exception str"):
        result = call(runner_kind, "run", failing(raised), {"x": 1}, event_processors=[Broken()])
    assert result.error is raised[0]


def test_exception_refusing_the_note_is_still_the_runs_error(runner_kind: str) -> None:
    raised: list[BaseException] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = call(runner_kind, "run", failing(raised, Frozen), {"x": 1})
    assert result.status is RunStatus.FAILED
    assert result.error is raised[0]
    assert result.failed_node == "boom"
    got = call(runner_kind, "run", failing(raised, Frozen), {"x": 1}, error_handling="raise")
    assert got is raised[1]
