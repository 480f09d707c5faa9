"""Static types of the public hypergraph_types API, checked by ``mypy tests/typing``.

``assert_type`` fails mypy on any mismatch and does nothing at runtime, so this file also
imports and runs harmlessly (``python tests/typing/reveal_types.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, assert_type

from hypergraph_types import (
    AnyEvent,
    ConflictError,
    Event,
    EventStatus,
    GraphConfigError,
    GraphState,
    HypergraphError,
    IncompatibleRunnerError,
    InfiniteLoopError,
    InputSpec,
    InterruptEvent,
    InvalidInputError,
    MapResult,
    MissingInputError,
    NodeCancelledError,
    NodeErrorEvent,
    NodeExecution,
    OutputMismatchError,
    PauseInfo,
    RenameEntry,
    RenameError,
    RunEndEvent,
    RunFailedError,
    RunnerCapabilities,
    RunResult,
    RunStatus,
    UnknownInputError,
)


def check_run_result() -> None:
    result = RunResult({"x": 1}, RunStatus.COMPLETED)
    assert_type(result.values, dict[str, Any])
    assert_type(result.status, RunStatus)
    assert_type(result.run_id, str)
    assert_type(result.workflow_id, str | None)
    assert_type(result.error, BaseException | None)
    assert_type(result.failed_node, str | None)
    assert_type(result["x"], Any)
    assert_type(result.get("x"), Any)
    assert_type(result.get("y", 0), Any)
    assert_type("x" in result, bool)
    keyword = RunResult(values={}, status=RunStatus.FAILED, error=ValueError("x"), failed_node="n")
    assert_type(keyword, RunResult)
    assert_type(result.completed, bool)
    assert_type(result.failed, bool)
    assert_type(result.paused, bool)
    assert_type(result.failure, BaseException | None)
    # interrupts (issue 18)
    assert_type(result.pauses, tuple[PauseInfo, ...])
    assert_type(result.pause, PauseInfo | None)
    pause = PauseInfo("review", object(), "approved")
    assert_type(pause.node_name, str)
    assert_type(pause.value, Any)
    assert_type(pause.response_key, str)
    paused = RunResult({}, RunStatus.PAUSED, pauses=(pause,))
    assert_type(paused, RunResult)


def check_interrupt_event(event: InterruptEvent) -> None:
    assert_type(event.node_name, str)
    assert_type(event.graph_name, str | None)
    assert_type(event.value, Any)
    assert_type(event.response_key, str)
    assert_type(event.superstep, int | None)


def check_map_result() -> None:
    mapped = MapResult([RunResult({"x": 1}, RunStatus.COMPLETED)])
    assert_type(mapped[0], RunResult)
    assert_type(mapped[1:], MapResult)
    assert_type(mapped["x"], list[Any])
    assert_type(mapped.results, tuple[RunResult, ...])
    assert_type(mapped.status, RunStatus)
    assert_type(mapped.failures, tuple[RunResult, ...])
    assert_type(mapped.paused, tuple[int, ...])
    assert_type(mapped.completed, int)
    assert_type(mapped.failed, int)
    assert_type(mapped.summary(), str)
    assert_type(len(mapped), int)
    assert_type(list(mapped), list[RunResult])
    assert_type(mapped + [], list[RunResult])  # noqa: RUF005  # the operator is what is checked
    as_sequence: Sequence[RunResult] = mapped
    assert_type(as_sequence, Sequence[RunResult])


def check_run_status() -> None:
    status: RunStatus = RunStatus.COMPLETED
    assert_type(status, RunStatus)
    assert_type(RunStatus("failed"), RunStatus)
    assert_type(RunStatus.COMPLETED, Literal[RunStatus.COMPLETED])
    assert_type(RunStatus.COMPLETED.value, Literal["completed"])
    assert_type(RunStatus.FAILED.value, Literal["failed"])
    assert_type(RunStatus.PARTIAL.value, Literal["partial"])
    assert_type(RunStatus.PAUSED, Literal[RunStatus.PAUSED])
    assert_type(RunStatus.STOPPED, Literal[RunStatus.STOPPED])
    assert_type(status.value, str)


def check_records() -> None:
    caps = RunnerCapabilities(True, False, False, False)
    assert_type(caps.supports_cycles, bool)
    assert_type(caps.supports_async_nodes, bool)
    assert_type(caps.supports_streaming, bool)
    assert_type(caps.returns_coroutine, bool)

    spec = InputSpec(("a",), ("b",), ("c",), {"b": 1})
    assert_type(spec.required, tuple[str, ...])
    assert_type(spec.optional, tuple[str, ...])
    assert_type(spec.seeds, tuple[str, ...])
    assert_type(spec.bound, dict[str, Any])
    assert_type(spec.all, tuple[str, ...])

    entry = RenameEntry("inputs", "a", "x")
    assert_type(entry.old, str)
    assert_type(entry.new, str)
    assert_type(entry.batch_id, int | None)


def check_graph_state() -> None:
    state = GraphState()
    state.update_value("x", 1)
    assert_type(state.get_version("x"), int)
    assert_type(state.values, dict[str, Any])
    assert_type(state.versions, dict[str, int])
    assert_type(state.node_executions, dict[str, NodeExecution])
    assert_type(state.copy(), GraphState)

    execution = NodeExecution("n", {"x": 1}, {"y": 2})
    assert_type(execution.node_name, str)
    assert_type(execution.input_versions, dict[str, int])
    assert_type(execution.outputs, dict[str, Any])


def check_errors() -> None:
    missing = MissingInputError(["a"], ["b"])
    assert_type(missing.missing, list[str])
    assert_type(missing.provided, list[str])
    assert_type(missing.message, str)

    unknown = UnknownInputError(["texx"], ["text"])
    assert_type(unknown.unknown, list[str])
    assert_type(unknown.valid, list[str])
    assert_type(unknown.suggestions, dict[str, str])
    assert_type(unknown.message, str)

    runner = IncompatibleRunnerError("m", node_name="n", capability="supports_async_nodes")
    assert_type(runner.message, str)
    assert_type(runner.node_name, str | None)
    assert_type(runner.capability, str | None)

    conflict = ConflictError("m", value_name="v", producers=("a", "b"))
    assert_type(conflict.message, str)
    assert_type(conflict.value_name, str)
    assert_type(conflict.producers, tuple[str, ...])

    loop = InfiniteLoopError(10, nodes=["a"])
    assert_type(loop.max_iterations, int)
    assert_type(loop.nodes, tuple[str, ...])
    assert_type(loop.message, str)

    mismatch = OutputMismatchError("m", node_name="n")
    assert_type(mismatch.node_name, str | None)
    assert_type(mismatch.message, str)

    cancelled = NodeCancelledError("m")
    assert_type(cancelled.node_name, str | None)
    assert_type(cancelled.message, str)

    failed = RunFailedError("m", key="k", node_name="n")
    assert_type(failed.key, str)
    assert_type(failed.node_name, str | None)
    assert_type(failed.message, str)

    # Each error is also the builtin it refines (SPEC §3.7).
    hypergraph_errors: list[HypergraphError] = [missing, unknown, runner, conflict, loop, failed]
    value_errors: list[ValueError] = [
        GraphConfigError("m"),
        RenameError("m"),
        InvalidInputError("m"),
        missing,
        unknown,
        mismatch,
    ]
    type_errors: list[TypeError] = [runner]
    runtime_errors: list[RuntimeError] = [conflict, loop, cancelled]
    key_errors: list[KeyError] = [failed]
    assert_type(hypergraph_errors, list[HypergraphError])
    assert_type(value_errors, list[ValueError])
    assert_type(type_errors, list[TypeError])
    assert_type(runtime_errors, list[RuntimeError])
    assert_type(key_errors, list[KeyError])


def check_events() -> None:
    end = RunEndEvent(
        run_id="run-1",
        span_id="a-1",
        parent_span_id=None,
        timestamp=0.0,
        graph_name=None,
        path="",
        duration=0.0,
        duration_ms=0.0,
        status="completed",
    )
    assert_type(end.result, RunResult | None)
    assert_type(end.status, EventStatus)
    assert_type(end.parent_span_id, str | None)
    error = NodeErrorEvent(
        run_id="run-1",
        span_id="a-2",
        parent_span_id="a-1",
        timestamp=0.0,
        node_name="n",
        path="n",
        duration=0.0,
        duration_ms=0.0,
        error_type="ValueError",
        error_message="bad",
    )
    events: list[AnyEvent] = [end, error]
    base: list[Event] = [end, error]
    assert_type(events[0].timestamp, float)
    assert_type(base[0].span_id, str)
    assert_type(error.status, Literal["completed", "failed", "cancelled", "paused"])
    assert_type(error.duration_ms, float)
    assert_type(error.graph_name, str | None)
    assert_type(error.superstep, int | None)
    assert_type(base[0].graph_name, str | None)
    assert_type(base[0].superstep, int | None)


def main() -> None:
    check_run_result()
    check_map_result()
    check_run_status()
    check_records()
    check_graph_state()
    check_errors()
    check_events()


main()
