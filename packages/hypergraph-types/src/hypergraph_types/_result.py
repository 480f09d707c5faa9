"""The outcome of a run: ``RunStatus`` and ``RunResult`` (TYPE-01, TYPE-02)."""

from __future__ import annotations

import enum
import os
import random
from typing import Any

import msgspec

from ._errors import OutputNotFoundError, RunFailedError
from ._format import _unprintable, describe_exception, did_you_mean, fmt_names, message

__all__ = ["PauseInfo", "RunResult", "RunStatus"]


class RunStatus(enum.Enum):
    """How a run ended. A plain ``Enum``: ``RunStatus.COMPLETED == "completed"`` is False.

    Runners report ``COMPLETED``, ``FAILED`` or ``PAUSED`` (stopped at an interrupt, waiting
    for its answer) for a run; ``PARTIAL`` is the status of a ``MapResult`` whose items ended
    differently. ``STOPPED`` (stopped on request) is reserved: no runner reports it yet.
    """

    COMPLETED = "completed"
    FAILED = "failed"
    PARTIAL = "partial"
    PAUSED = "paused"
    STOPPED = "stopped"


# Run ids come from a private generator (a user's ``random.seed`` cannot make them repeat),
# seeded from the OS and reseeded in every forked child (workers never share a sequence).
# One per run, nested runs included, so it must be cheap (cheaper than ``os.urandom``).
_ids = random.Random()
if hasattr(os, "register_at_fork"):  # POSIX only; Windows has no fork
    os.register_at_fork(after_in_child=_ids.seed)
_bits = _ids.getrandbits


def new_run_id() -> str:
    """``"run-"`` and 12 random lowercase hex characters (48 random bits)."""
    return "run-" + _bits(48).to_bytes(6, "big").hex()  # cheaper than "%012x" formatting


class PauseInfo(msgspec.Struct, frozen=True):
    """Why a run paused: one interrupt waiting for its answer.

    Attributes:
        node_name: The interrupt's node path, segments joined with ``/`` across nesting
            (``"review"``, ``"outer/inner/review"``, ``"batch[2]/review"`` for a mapped
            GraphNode's item).
        value: The question object the interrupt's function returned.
        response_key: The name to give the answer under when resuming, as the caller sees
            it: the answer name, renamed by the GraphNodes it passes through, or a dotted
            address (``"batch.approved"``) for an interrupt inside a mapped GraphNode.
    """

    node_name: str
    value: Any
    response_key: str


class _Outcome(msgspec.Struct):
    """``RunResult``'s positional fields (SPEC TYPE-01); the later ones are keyword-only."""

    # gc stays enabled: a traceback in `error` can reach the frame holding this result.
    values: dict[str, Any]
    status: RunStatus
    run_id: str = msgspec.field(default_factory=new_run_id)
    workflow_id: str | None = None
    error: BaseException | None = None
    failed_node: str | None = None


class RunResult(_Outcome, kw_only=True):
    """The result of one ``run()`` (or of one ``map()`` item).

    Read outputs with ``result["name"]``, ``"name" in result`` or ``result.get("name")``.
    ``RunResult`` is not iterable and has no ``keys()``; use ``result.values``.

    Attributes:
        values: The selected values. On a FAILED result, the partial values
            completed before the failure.
        status: ``RunStatus.COMPLETED`` or ``RunStatus.FAILED`` (see also the ``completed``,
            ``failed`` and ``paused`` properties).
        run_id: ``"run-"`` plus 12 random hex characters, different for every result.
        workflow_id: With a checkpointer: the workflow this run was recorded as (given or
            generated); ``None`` without one.
        error: On a FAILED result, the very exception object that failed the run.
        failed_node: On a FAILED result, the node path of the failure (``None`` for a
            top-level ``InfiniteLoopError``/``ConflictError``); always ``None`` when COMPLETED.
        restored: With a checkpointer: the node paths whose executions were restored from the
            checkpoint instead of run (committed before a resume, or replayed).
        checkpoint_ok: ``False`` when ``durability="async"`` lost a write (see
            ``checkpoint_errors``); always ``True`` otherwise.
        checkpoint_errors: The persistence failures of a ``durability="async"`` run.
        pauses: On a PAUSED result, every interrupt that paused in the last superstep, in
            node order (``()`` otherwise); ``pause`` is the first.
    """

    restored: tuple[str, ...] = ()
    checkpoint_ok: bool = True
    checkpoint_errors: tuple[str, ...] = ()
    pauses: tuple[PauseInfo, ...] = ()

    @property
    def pause(self) -> PauseInfo | None:
        """The first of ``pauses`` (``None`` unless the run paused)."""
        return self.pauses[0] if self.pauses else None

    def __getitem__(self, key: str) -> Any:
        try:
            return self.values[key]
        except KeyError:
            pass
        raise self._absent_key_error(key)

    def __contains__(self, key: object) -> bool:
        return key in self.values

    def get(self, key: str, default: Any = None) -> Any:
        """``values[key]``, or ``default`` when the key is absent."""
        return self.values.get(key, default)

    @property
    def completed(self) -> bool:
        """``status is RunStatus.COMPLETED``."""
        return self.status is RunStatus.COMPLETED

    @property
    def failed(self) -> bool:
        """``status is RunStatus.FAILED``."""
        return self.status is RunStatus.FAILED

    @property
    def paused(self) -> bool:
        """``status is RunStatus.PAUSED``."""
        return self.status is RunStatus.PAUSED

    @property
    def failure(self) -> BaseException | None:
        """The exception that failed the run (``error``), or ``None``."""
        return self.error

    # RunResult is deliberately not iterable (SPEC TYPE-01).
    __iter__ = None

    def __repr__(self) -> str:
        # msgspec's repr, except that an error whose own ``__repr__`` raises is still shown.
        fields = []
        for name in self.__struct_fields__:
            value = getattr(self, name)
            try:
                text = repr(value)
            except Exception:
                if name != "error":
                    raise
                text = _unprintable(value, "repr()")
            fields.append(f"{name}={text}")
        return f"RunResult({', '.join(fields)})"

    def _absent_key_error(self, key: str) -> KeyError:
        available = list(self.values)
        if self.status is RunStatus.FAILED:
            err = self.error
            where = f"node {fmt_names([self.failed_node])}" if self.failed_node else "the graph"
            cause = describe_exception(err) if err is not None else "unknown error"
            text = (
                f"{fmt_names([key])} is not available: the run failed at {where} ({cause}). "
                f"Completed outputs: {fmt_names(available)}. "
                'How to fix: check result.status first, or pass error_handling="raise".'
            )
            failed = RunFailedError(text, key=key, node_name=self.failed_node)
            failed.__cause__ = err
            return failed
        if self.status is RunStatus.PAUSED and self.pauses:
            waiting = [f"{p.node_name} (answer as {p.response_key!r})" for p in self.pauses]
            return OutputNotFoundError(
                message(
                    f"{fmt_names([key])} is not available: the run paused at an interrupt",
                    [
                        f"waiting for: {', '.join(waiting)}",
                        f"Outputs so far: {fmt_names(available)}",
                    ],
                    "resume the run with the answers under their response_key, or check "
                    "result.paused first",
                )
            )
        text = message(
            f"No output named {fmt_names([key])} in this result",
            [did_you_mean(key, available), f"Available outputs: {fmt_names(available)}"],
            "use one of the available names, or result.get(name) for optional outputs",
        )
        return OutputNotFoundError(text)
