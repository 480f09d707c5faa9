"""``OpenTelemetryProcessor``: the event tree as spans, checked with the SDK's in-memory exporter.

Skipped when opentelemetry-sdk is not installed (only the root test group has it).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, OpenTelemetryProcessor, SyncRunner


@pytest.fixture
def tracing() -> tuple[TracerProvider, InMemorySpanExporter]:
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def call(kind: str, method: str, graph: Graph, values: dict[str, Any], **kwargs: Any) -> Any:
    if kind == "sync":
        return getattr(SyncRunner(), method)(graph, values, **kwargs)
    return asyncio.run(getattr(AsyncRunner(), method)(graph, values, **kwargs))


def by_id(spans: tuple[ReadableSpan, ...]) -> dict[int, ReadableSpan]:
    return {s.context.span_id: s for s in spans}


def ancestry(span: ReadableSpan, spans: tuple[ReadableSpan, ...]) -> list[str]:
    """Names from ``span`` up to its root."""
    index = by_id(spans)
    names = [span.name]
    while span.parent is not None and span.parent.span_id in index:
        span = index[span.parent.span_id]
        names.append(span.name)
    return names


@node(output_name="y")
def double(x: int) -> int:
    if x < 0:
        raise ValueError(f"negative: {x}")
    return 2 * x


def leaf_graph() -> Graph:
    return Graph([double], name="leaf")


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_run_is_a_span_with_one_child_per_node(kind, tracing) -> None:
    provider, exporter = tracing

    @node(output_name="z")
    def add(y: int) -> int:
        return y + 1

    graph = Graph([double, add], name="chain")
    call(
        kind,
        "run",
        graph,
        {"x": 1},
        event_processors=[OpenTelemetryProcessor(tracer_provider=provider)],
    )
    spans = exporter.get_finished_spans()
    assert sorted(s.name for s in spans) == ["add", "double", "run chain"]
    run = next(s for s in spans if s.name == "run chain")
    assert run.parent is None
    for s in spans:
        assert s.context.trace_id == run.context.trace_id
        assert s.start_time is not None and s.end_time is not None
        assert run.start_time <= s.start_time <= s.end_time <= run.end_time  # type: ignore[operator]
        if s is not run:
            assert s.parent is not None and s.parent.span_id == run.context.span_id
    first = next(s for s in spans if s.name == "double")
    assert first.attributes is not None
    assert first.attributes["hypergraph.path"] == "double"
    assert first.attributes["hypergraph.status"] == "completed"
    if kind == "sync":  # async runs acyclic graphs as dataflow, without supersteps
        assert [e.name for e in run.events] == ["superstep", "superstep"]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_map_items_nested_runs_and_nodes_become_a_span_tree(kind, tracing) -> None:
    provider, exporter = tracing
    outer = Graph([leaf_graph().as_node(name="sub").map_over("x")], name="outer")
    processor = OpenTelemetryProcessor(tracer=provider.get_tracer("test"))
    call(kind, "map", outer, {"x": [[1, 2], [3]]}, map_over="x", event_processors=[processor])
    spans = exporter.get_finished_spans()
    doubles = [s for s in spans if s.name == "double"]
    assert len(doubles) == 3
    assert {tuple(ancestry(s, spans)) for s in doubles} == {
        ("double", "run leaf", "map item", "sub", "run outer", "map item", "map outer")
    }
    root = next(s for s in spans if s.name == "map outer")
    assert root.attributes is not None and root.attributes["hypergraph.map_size"] == 2
    items = [s for s in spans if s.name == "map item" and s.parent.span_id == root.context.span_id]  # type: ignore[union-attr]
    assert sorted(s.attributes["hypergraph.item_index"] for s in items) == [0, 1]  # type: ignore[index]
    assert len({s.context.trace_id for s in spans}) == 1


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_failures_set_error_status(kind, tracing) -> None:
    provider, exporter = tracing
    processor = OpenTelemetryProcessor(tracer_provider=provider)
    call(kind, "map", leaf_graph(), {"x": [1, -2]}, map_over="x", event_processors=[processor])
    spans = exporter.get_finished_spans()
    failed = [s for s in spans if s.status.status_code is StatusCode.ERROR]
    assert sorted(s.name for s in failed) == ["double", "map item", "map leaf", "run leaf"]
    node_span = next(s for s in failed if s.name == "double")
    assert node_span.status.description == "ValueError: negative: -2"
    (exception,) = [e for e in node_span.events if e.name == "exception"]
    assert exception.attributes == {
        "exception.type": "ValueError",
        "exception.message": "negative: -2",
    }
    run = next(s for s in failed if s.name == "run leaf")
    assert run.status.description == "ValueError: negative: -2"


def test_the_top_span_is_a_child_of_the_callers_current_span(tracing) -> None:
    provider, exporter = tracing
    tracer = provider.get_tracer("app")
    with tracer.start_as_current_span("request"):
        SyncRunner().run(
            leaf_graph(), {"x": 1}, event_processors=[OpenTelemetryProcessor(tracer=tracer)]
        )
    spans = exporter.get_finished_spans()
    run = next(s for s in spans if s.name == "run leaf")
    assert ancestry(run, spans) == ["run leaf", "request"]


def test_a_cancelled_run_still_ends_every_span(tracing) -> None:
    provider, exporter = tracing

    @node(output_name="y")
    async def hang(x: int) -> int:
        await asyncio.sleep(30)
        return x

    async def main() -> None:
        processor = OpenTelemetryProcessor(tracer_provider=provider)
        run = AsyncRunner().run(Graph([hang], name="g"), {"x": 1}, event_processors=[processor])
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(run, 0.05)

    asyncio.run(main())
    spans = exporter.get_finished_spans()
    assert sorted(s.name for s in spans) == ["hang", "run g"]
    assert {s.attributes["hypergraph.status"] for s in spans} == {"cancelled"}  # type: ignore[index]


def test_one_processor_serves_concurrent_calls(tracing) -> None:
    provider, exporter = tracing
    processor = OpenTelemetryProcessor(tracer_provider=provider)

    @node(output_name="y")
    async def pause(x: int) -> int:
        await asyncio.sleep(0.01)
        return x

    async def main() -> None:
        graph = Graph([pause], name="g")
        runs = [AsyncRunner().run(graph, {"x": i}, event_processors=[processor]) for i in range(3)]
        await asyncio.gather(*runs)

    asyncio.run(main())
    spans = exporter.get_finished_spans()
    roots = [s for s in spans if s.name == "run g"]
    nodes = [s for s in spans if s.name == "pause"]
    assert len(roots) == len(nodes) == 3
    assert {s.parent.span_id for s in nodes} == {r.context.span_id for r in roots}  # type: ignore[union-attr]
    assert len({r.context.trace_id for r in roots}) == 3  # three separate traces


def test_without_opentelemetry_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    with pytest.raises(ImportError, match=r"hypergraph-runtime\[otel\]"):
        OpenTelemetryProcessor()
