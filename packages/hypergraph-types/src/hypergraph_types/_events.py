"""What a run reports while it executes: the event records (issue 8, EVT-01).

Runners build these only when at least one event processor is attached to the call, and hand
them to the processors in a well-defined order (see ``hypergraph_runners._events``). Every event
is a frozen, tagged ``msgspec.Struct``: the tag is the class name, so a stream of events can be
encoded with ``msgspec.json.encode`` and decoded again with ``type=AnyEvent``.

Events form a tree through ``span_id`` / ``parent_span_id``::

    RunStartEvent (span R)                       a run() call, or a whole map() call
      SuperstepStartEvent (span R)               a point in R, no span of its own
      NodeStartEvent (span N, parent R)
        RunStartEvent (span R2, parent N)        the nested run of a GraphNode ...
        MapItemStartEvent (span I, parent N)     ... or one item of a mapped GraphNode
          RunStartEvent (span R3, parent I)
          RunEndEvent (span R3)
        MapItemEndEvent (span I)
      CacheHitEvent (span N)                     the outputs came from the cache ...
      NodeEndEvent | NodeErrorEvent (span N)     ... then NodeEndEvent(cached=True)
      InterruptEvent (span N)                    an interrupt asked; NodeEndEvent(paused) follows
    RunEndEvent (span R)

Events carry names, paths, ids, times and statuses, never the values flowing through the
graph. The one exception is ``RunEndEvent.result``, the run's ``RunResult``.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from ._result import RunResult

__all__ = [
    "AnyEvent",
    "CacheHitEvent",
    "Event",
    "EventStatus",
    "InterruptEvent",
    "MapItemEndEvent",
    "MapItemStartEvent",
    "NodeEndEvent",
    "NodeErrorEvent",
    "NodeStartEvent",
    "RunEndEvent",
    "RunStartEvent",
    "SuperstepStartEvent",
]

EventStatus = Literal["completed", "failed", "cancelled", "paused"]
"""How a span ended: ``"cancelled"`` when it was stopped from outside (a failing sibling, a
map in ``"raise"`` mode handing out no more items, the caller's cancellation or Ctrl-C);
``"paused"`` for a run or map item that paused at an interrupt, and for the interrupt node
(or GraphNode) that paused it."""


class Event(msgspec.Struct, frozen=True, kw_only=True, tag=True, gc=False):
    """The fields every event has.

    Attributes:
        run_id: The run that emits the event: for run events the run itself (its
            ``RunResult.run_id``), for superstep and node events the run executing the node,
            for map item events the run that owns the map (the ``map()`` call, or the run
            containing the mapped GraphNode).
        span_id: The span the event opens or closes: a run, a node execution or a map item.
            ``SuperstepStartEvent`` has no span of its own and carries its run's span. An id
            is a random prefix drawn once per top-level call and a counter (``"3fa2b1c0-17"``),
            so ids of separate calls differ.
        parent_span_id: The span that contains ``span_id``, or ``None`` for the top-level call.
        timestamp: ``time.monotonic()`` when the event was made (seconds; only differences
            between timestamps are meaningful).
        graph_name: The name of the graph whose run ``run_id`` is (``None`` for an unnamed
            graph): for node and superstep events the graph containing the node, for map
            item events the graph that owns the map (the mapped graph of a ``map()`` call,
            the graph containing a mapped GraphNode).
        superstep: For ``SuperstepStartEvent`` and node events, the index of the superstep
            the node runs in (0, 1, ...); ``None`` for runs and map items, and for nodes of a
            run without supersteps (AsyncRunner's dataflow mode, see ``SuperstepStartEvent``).
    """

    run_id: str
    span_id: str
    parent_span_id: str | None
    timestamp: float
    graph_name: str | None = None
    superstep: int | None = None


class RunStartEvent(Event, frozen=True, kw_only=True):
    """A run began: a top-level ``run()``, a ``map()`` call, a map item or a nested run.

    Attributes:
        graph_name: The graph's name, or ``None`` for an unnamed graph (always given).
        path: Node path of the run: ``""`` for a top-level run, map item or ``map()`` call;
            the GraphNode's path (``"rag"``, ``"outer.rag[3]"``) for a nested run.
        map_size: For a ``map()`` call, the number of items; ``None`` for a single run.
    """

    graph_name: str | None
    path: str
    map_size: int | None = None


class RunEndEvent(Event, frozen=True, kw_only=True, gc=True):
    """A run ended (closes the span of its ``RunStartEvent``).

    Attributes:
        graph_name: As in ``RunStartEvent``.
        path: As in ``RunStartEvent``.
        duration: Seconds since the run's ``RunStartEvent``.
        duration_ms: The same in milliseconds.
        status: ``"completed"`` or ``"failed"`` (for a ``map()`` call: ``"failed"`` if any
            item failed), or ``"cancelled"``.
        result: The run's ``RunResult``: its outputs and error. This is the only event field
            that holds user values; it is ``None`` for a ``map()`` call (whose results are the
            returned ``MapResult``) and for a cancelled run (which has no result).
    """

    graph_name: str | None
    path: str
    duration: float
    duration_ms: float
    status: EventStatus
    result: RunResult | None = None


class SuperstepStartEvent(Event, frozen=True, kw_only=True):
    """A superstep of a run began; its ready nodes follow.

    AsyncRunner runs acyclic graphs without gates as dataflow (each node starts as soon as
    its inputs are final), which has no supersteps: such runs emit no ``SuperstepStartEvent``.

    Attributes:
        index: 0 for the run's first superstep, then 1, 2, ... (``superstep`` is the same).
        path: The run's path, as in ``RunStartEvent``.
    """

    index: int
    path: str


class NodeStartEvent(Event, frozen=True, kw_only=True):
    """A node began executing (a function body, a gate or a GraphNode's nested run(s)).

    Attributes:
        node_name: The node's name.
        path: The node path, outermost first, map items as ``[i]``: ``"rag[3].embed"``.
            Items of a ``map()`` call are not part of paths (see ``MapItemStartEvent``).
    """

    node_name: str
    path: str


class NodeEndEvent(Event, frozen=True, kw_only=True):
    """A node finished without failing (closes its ``NodeStartEvent``'s span).

    Attributes:
        node_name: The node's name.
        path: The node path.
        duration: Seconds since its ``NodeStartEvent``.
        duration_ms: The same in milliseconds.
        status: ``"completed"``, or ``"cancelled"`` when it was stopped before finishing.
        cached: True when the outputs came from the runner's cache (the body did not run);
            a ``CacheHitEvent`` precedes this event then.
    """

    node_name: str
    path: str
    duration: float
    duration_ms: float
    status: EventStatus
    cached: bool = False


class CacheHitEvent(Event, frozen=True, kw_only=True):
    """A node's outputs were restored from the runner's cache instead of running its body.

    Sent in the node's span, right before its ``NodeEndEvent(cached=True)``.

    Attributes:
        node_name: The node's name.
        graph_name: The name of the graph the node belongs to, or ``None`` if unnamed.
        cache_key: The entry's key (64 hex characters; ``hypergraph.cache.compute_cache_key``).
        superstep: The index of the superstep the node ran in (as in
            ``SuperstepStartEvent.index``), or ``None`` in AsyncRunner's dataflow runs.
    """

    node_name: str
    graph_name: str | None
    cache_key: str
    superstep: int | None


class InterruptEvent(Event, frozen=True, kw_only=True, gc=True):
    """An interrupt asked its question and the run will pause (its node's span).

    Sent right before the interrupt's ``NodeEndEvent(status="paused")``; the run then ends
    with ``RunEndEvent(status="paused")``. Like ``RunEndEvent.result``, ``value`` holds a user
    object: the question.

    Attributes:
        node_name: The interrupt's node path, segments joined with ``/`` (as
            ``PauseInfo.node_name``).
        graph_name: The name of the graph the interrupt belongs to, or ``None``.
        value: The question object.
        response_key: The name the answer is expected under, as the top-level caller sees
            it (as ``PauseInfo.response_key``).
        superstep: The index of the superstep the interrupt ran in.
    """

    node_name: str
    graph_name: str | None
    value: Any
    response_key: str
    superstep: int | None


class NodeErrorEvent(Event, frozen=True, kw_only=True):
    """A node failed (closes its ``NodeStartEvent``'s span instead of a ``NodeEndEvent``).

    The exception itself is the run's ``RunResult.error`` (see ``RunEndEvent.result``).

    Attributes:
        node_name: The node's name.
        path: The node path.
        duration: Seconds since its ``NodeStartEvent``.
        duration_ms: The same in milliseconds.
        status: Always ``"failed"``.
        error_type: The exception's class, qualified: ``"ValueError"``, ``"mylib.Oops"``.
        error_message: ``str()`` of the exception, as written by whoever raised it
            (``"<exception str() failed>"`` when its ``__str__`` raises).
    """

    node_name: str
    path: str
    duration: float
    duration_ms: float
    error_type: str
    error_message: str
    status: EventStatus = "failed"


class MapItemStartEvent(Event, frozen=True, kw_only=True):
    """One item of a map began; the item's run follows (``RunStartEvent``, parent: this span).

    Items of one map share ``parent_span_id``: the ``map()`` call's run span, or the mapped
    GraphNode's node span.

    Attributes:
        path: The map's path: ``""`` for a ``map()`` call, else the GraphNode's node path.
        index: The item's index, in input order.
        total: How many items the map has.
    """

    path: str
    index: int
    total: int


class MapItemEndEvent(Event, frozen=True, kw_only=True):
    """One item of a map ended (closes its ``MapItemStartEvent``'s span).

    Attributes:
        path: The map's path, as in ``MapItemStartEvent``.
        index: The item's index.
        duration: Seconds since its ``MapItemStartEvent``.
        duration_ms: The same in milliseconds.
        status: The item's run status, or ``"cancelled"``.
    """

    path: str
    index: int
    duration: float
    duration_ms: float
    status: EventStatus


AnyEvent = (
    RunStartEvent
    | RunEndEvent
    | SuperstepStartEvent
    | NodeStartEvent
    | NodeEndEvent
    | CacheHitEvent
    | InterruptEvent
    | NodeErrorEvent
    | MapItemStartEvent
    | MapItemEndEvent
)
"""Every concrete event type, for ``msgspec.json.decode(data, type=AnyEvent)`` and ``match``."""
