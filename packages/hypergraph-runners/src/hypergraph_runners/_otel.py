"""``OpenTelemetryProcessor``: a call's event tree as OpenTelemetry spans (issue 8).

opentelemetry-api is an optional dependency (``pip install 'hypergraph-runtime[otel]'``),
imported only when a processor is made, so this module imports without it.
"""

from __future__ import annotations

import time
from typing import Any

from hypergraph_types import (
    AnyEvent,
    MapItemEndEvent,
    MapItemStartEvent,
    NodeEndEvent,
    NodeErrorEvent,
    NodeStartEvent,
    RunEndEvent,
    RunStartEvent,
    SuperstepStartEvent,
)
from hypergraph_types._internal import describe_exception

from ._events import EventProcessor

__all__ = ["OpenTelemetryProcessor"]

_EXTRA = "pip install 'hypergraph-runtime[otel]' (or 'hypergraph-runners[otel]')"


class OpenTelemetryProcessor(EventProcessor):
    """Turns events into spans: one per run (and per ``map()`` call), map item and node.

    Spans nest as the events do (``parent_span_id``); the top-level span is a child of the
    span that is current where ``run()`` / ``map()`` was called. A failed node's span gets
    status ERROR and an ``exception`` event (type and message); a failed run or map item
    gets status ERROR too. Span names are low-cardinality (``run <graph>``, ``map <graph>``,
    ``map item``, the node's name); paths, ids and indices are attributes (``hypergraph.*``).

    One processor may serve many calls, also concurrently: span ids differ between calls, and
    every span that starts also ends (a call cut short ends its spans as ``"cancelled"``).

    Args:
        tracer: The tracer to start spans with. Default: ``trace.get_tracer("hypergraph")``
            from ``tracer_provider``, or from the global provider.
        tracer_provider: Used only when no tracer is given.

    Raises:
        ImportError: opentelemetry-api is not installed (the ``otel`` extra).
    """

    def __init__(self, *, tracer: Any = None, tracer_provider: Any = None) -> None:
        try:
            from opentelemetry import trace
            from opentelemetry.trace import Status, StatusCode
        except ImportError as exc:
            raise ImportError(
                "OpenTelemetryProcessor needs the 'opentelemetry-api' package, which is not "
                f"installed. How to fix: {_EXTRA}"
            ) from exc
        self._trace = trace
        self._status: Any = Status
        self._code: Any = StatusCode.ERROR
        self._tracer = tracer or trace.get_tracer("hypergraph", tracer_provider=tracer_provider)
        self._spans: dict[str, Any] = {}
        # Events carry time.monotonic(); spans want nanoseconds since the epoch.
        self._offset = time.time_ns() - time.monotonic_ns()

    def _ns(self, timestamp: float) -> int:
        return round(timestamp * 1e9) + self._offset

    def on_event(self, event: AnyEvent) -> None:
        if isinstance(event, RunStartEvent | NodeStartEvent | MapItemStartEvent):
            self._open(event)
        elif isinstance(event, SuperstepStartEvent):
            span = self._spans.get(event.span_id)
            if span is not None:
                attributes = {"hypergraph.superstep": event.index}
                span.add_event("superstep", attributes, timestamp=self._ns(event.timestamp))
        else:
            self._close(event)

    def _open(self, event: RunStartEvent | NodeStartEvent | MapItemStartEvent) -> None:
        attributes: dict[str, Any] = {"hypergraph.run_id": event.run_id}
        if event.path:
            attributes["hypergraph.path"] = event.path
        if isinstance(event, RunStartEvent):
            kind = "map" if event.map_size is not None else "run"
            name = f"{kind} {event.graph_name}" if event.graph_name else kind
            if event.graph_name:
                attributes["hypergraph.graph"] = event.graph_name
            if event.map_size is not None:
                attributes["hypergraph.map_size"] = event.map_size
        elif isinstance(event, NodeStartEvent):
            name = event.node_name
            attributes["hypergraph.node"] = event.node_name
        else:
            name = "map item"
            attributes["hypergraph.item_index"] = event.index
        parent = self._spans.get(event.parent_span_id) if event.parent_span_id else None
        context = self._trace.set_span_in_context(parent) if parent is not None else None
        self._spans[event.span_id] = self._tracer.start_span(
            name, context=context, attributes=attributes, start_time=self._ns(event.timestamp)
        )

    def _close(self, event: AnyEvent) -> None:
        if not isinstance(event, RunEndEvent | NodeEndEvent | NodeErrorEvent | MapItemEndEvent):
            return
        span = self._spans.pop(event.span_id, None)
        if span is None:
            return
        span.set_attribute("hypergraph.status", event.status)
        if isinstance(event, NodeErrorEvent):
            span.add_event(
                "exception",
                {"exception.type": event.error_type, "exception.message": event.error_message},
                timestamp=self._ns(event.timestamp),
            )
            span.set_status(self._status(self._code, f"{event.error_type}: {event.error_message}"))
        elif event.status == "failed":
            error = event.result.error if isinstance(event, RunEndEvent) and event.result else None
            text = describe_exception(error) if error is not None else "failed"
            span.set_status(self._status(self._code, text))
        span.end(end_time=self._ns(event.timestamp))
