"""Every exception Hypergraph raises, under one base.

Each leaf also subclasses the builtin it refines, so ``except ValueError:`` and friends keep
working::

    Exception
    └── HypergraphError
        ├── GraphConfigError          (ValueError)    invalid graph / node configuration
        ├── RenameError               (ValueError)    invalid renames
        ├── InvalidInputError         (ValueError)    invalid run / map arguments and addresses
        │   ├── MissingInputError                     required or seed inputs absent
        │   └── UnknownInputError                     names in ``values`` that address nothing
        ├── IncompatibleRunnerError   (TypeError)     the runner cannot execute the graph
        ├── OutputMismatchError       (ValueError)    a node returned the wrong shape
        ├── ConflictError             (RuntimeError)  conflicting writes in one superstep
        ├── InfiniteLoopError         (RuntimeError)  cycle budget exhausted
        ├── NodeCancelledError        (RuntimeError)  a node body raised CancelledError itself
        ├── RunFailedError            (KeyError)      absent key in a FAILED RunResult or a map item
        ├── RemoteError               (RuntimeError)  an item's exception that could not be pickled
        ├── WorkerLostError           (RuntimeError)  an executor's worker died running an item
        └── CheckpointError                           checkpoint and resume (issue 17)
            ├── InputOverrideRequiresForkError (ValueError)  values differ from the stored ones
            ├── WorkflowAlreadyCompletedError  (RuntimeError)  the workflow id already completed
            ├── WorkflowAlreadyRunningError    (RuntimeError)  another live process runs it
            ├── GraphChangedError              (ValueError)    structure or completed code changed
            ├── CheckpointValueError           (TypeError)     a value the codec cannot store
            ├── CheckpointIntegrityError       (ValueError)    a stored value is corrupt
            └── CheckpointStorageError         (OSError)       the database cannot be used

Passing an argument of the wrong Python type to a public API raises the builtin ``TypeError``,
not a ``HypergraphError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ._format import Suggester, fmt_names, message, quote

__all__ = [
    "CheckpointError",
    "CheckpointIntegrityError",
    "CheckpointStorageError",
    "CheckpointValueError",
    "ConflictError",
    "GraphChangedError",
    "GraphConfigError",
    "HypergraphError",
    "IncompatibleRunnerError",
    "InfiniteLoopError",
    "InputOverrideRequiresForkError",
    "InvalidInputError",
    "MissingInputError",
    "NodeCancelledError",
    "OutputMismatchError",
    "RemoteError",
    "RenameError",
    "RunFailedError",
    "UnknownInputError",
    "WorkerLostError",
    "WorkflowAlreadyCompletedError",
    "WorkflowAlreadyRunningError",
]


class HypergraphError(Exception):
    """Base class of every error raised by Hypergraph."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword-only constructor arguments, which Exception's default
        # pickling cannot replay; restore args and attributes directly instead. Our own
        # classes travel by name, not by ``__module__`` (which the facade sets to
        # "hypergraph"), so pickles load wherever hypergraph_types is installed.
        cls = type(self)
        ref: Any = cls.__name__ if globals().get(cls.__name__) is cls else cls
        return (_rebuild, (ref, self.args, self.__dict__))


class GraphConfigError(HypergraphError, ValueError):
    """Invalid graph or node configuration: ``Graph(...)``, ``bind``, ``as_node``, ``map_over``."""


class RenameError(HypergraphError, ValueError):
    """An invalid ``rename_inputs`` / ``rename_outputs`` request (or ``rename_inputs=``)."""


class InvalidInputError(HypergraphError, ValueError):
    """Invalid ``run`` / ``map`` arguments or input addresses."""


class MissingInputError(InvalidInputError):
    """Required or seed inputs were neither provided nor otherwise covered.

    Attributes:
        missing: The missing input names, sorted.
        provided: The names that were provided (``[]`` when none).
        message: The full message; ``str(error) == message``.
    """

    def __init__(
        self,
        missing: Iterable[str],
        provided: Iterable[str] | None = None,
        message: str | None = None,
    ) -> None:
        self.missing: list[str] = sorted(missing)
        self.provided: list[str] = list(provided) if provided is not None else []
        self.message: str = (
            message if message is not None else _missing_message(self.missing, self.provided)
        )
        super().__init__(self.message)


def _missing_message(
    missing: Sequence[str],
    provided: Sequence[str],
    *,
    required: Sequence[str] = (),
    seeds: Sequence[str] = (),
) -> str:
    details = []
    if required and seeds:
        details.append(f"Required: {fmt_names(sorted(required))}")
        details.append(f"Seeds (for cycles): {fmt_names(sorted(seeds))}")
    if seeds:
        # A seed is produced inside a cycle, so graph.bind() rejects it ("bypass its
        # producer"); say what it is and the two ways that do work.
        details.append(
            f"{fmt_names(sorted(seeds))}: cycle seed (produced inside a cycle, so the first "
            "pass needs a starting value; graph.bind() cannot set it)"
        )
    if provided:
        details.append(f"Provided: {fmt_names(provided)}")
    fixes = []
    if required or not seeds:
        fixes.append(
            "pass the missing inputs in `values` (or as keyword arguments), "
            "or bind them with graph.bind(...)"
        )
    if seeds:
        names = ", ".join(f"{quote(n)}: ..." for n in sorted(seeds))
        # Not "or a default": seeds ignore parameter defaults (docs/inputs.md, "Seeds").
        fixes.append(
            f"give each cycle seed its starting value in `values`, "
            f"e.g. runner.run(graph, {{{names}}}); a parameter default does not seed a cycle"
        )
    return message(f"Missing required inputs: {fmt_names(missing)}", details, "; ".join(fixes))


def missing_input_error(
    required: Sequence[str], seeds: Sequence[str], provided: Sequence[str]
) -> MissingInputError:
    """Build a ``MissingInputError`` listing required and seed names separately (ERR-01)."""
    missing = sorted([*required, *seeds])
    text = _missing_message(missing, provided, required=required, seeds=seeds)
    return MissingInputError(missing, provided, text)


class UnknownInputError(InvalidInputError):
    """Names in ``values`` that are neither inputs, internal names nor addresses.

    Attributes:
        unknown: The unknown names.
        valid: The valid input names.
        suggestions: ``unknown name -> best close match``, only where one exists.
        message: The full message; ``str(error) == message``.
    """

    def __init__(
        self, unknown: Iterable[str], valid: Iterable[str], message: str | None = None
    ) -> None:
        self.unknown: list[str] = list(unknown)
        self.valid: list[str] = list(valid)
        self.suggestions: dict[str, str] = {}
        pool = Suggester(self.valid)  # one index for every unknown name
        for name in self.unknown:
            close = pool.suggest(name)
            if close:
                self.suggestions[name] = close[0]
        self.message: str = message if message is not None else self._default_message()
        super().__init__(self.message)

    def _default_message(self) -> str:
        details = [
            f"{fmt_names([n])}: Did you mean {fmt_names([self.suggestions[n]])}?"
            for n in self.unknown
            if n in self.suggestions
        ]
        details.append(f"Valid inputs: {fmt_names(self.valid)}")
        return message(
            f"Unknown input names: {fmt_names(self.unknown)}",
            details,
            "remove them from `values` or fix their spelling",
        )


class IncompatibleRunnerError(HypergraphError, TypeError):
    """The runner cannot execute the graph.

    Attributes:
        message: The full message.
        node_name: The first offending node (or ``GraphNode`` path), if any.
        capability: The missing capability, e.g. ``"supports_async_nodes"`` or ``"node_type"``.
    """

    def __init__(
        self, message: str, *, node_name: str | None = None, capability: str | None = None
    ) -> None:
        self.message = message
        self.node_name = node_name
        self.capability = capability
        super().__init__(message)


class OutputMismatchError(HypergraphError, ValueError):
    """A node returned the wrong shape for its declared outputs.

    Attributes:
        node_name: The node that returned the value.
    """

    def __init__(self, message: str, *, node_name: str | None = None) -> None:
        self.message = message
        self.node_name = node_name
        super().__init__(message)


class ConflictError(HypergraphError, RuntimeError):
    """Two node executions of one superstep wrote different values to one name.

    Attributes:
        value_name: The contested value name.
        producers: The names of the nodes that wrote it.
    """

    def __init__(self, message: str, *, value_name: str, producers: Iterable[str]) -> None:
        self.message = message
        self.value_name = value_name
        self.producers: tuple[str, ...] = tuple(producers)
        super().__init__(message)


class InfiniteLoopError(HypergraphError, RuntimeError):
    """A cycle did not converge within ``max_iterations`` cycle supersteps.

    Attributes:
        max_iterations: The budget that was exhausted.
        nodes: The cyclic nodes that were still ready.
        message: The full message.
    """

    def __init__(
        self, max_iterations: int, message: str | None = None, *, nodes: Iterable[str] = ()
    ) -> None:
        self.max_iterations = max_iterations
        self.nodes: tuple[str, ...] = tuple(nodes)
        if message is None:
            message = _infinite_loop_message(max_iterations, self.nodes)
        self.message = message
        super().__init__(message)


def _infinite_loop_message(max_iterations: int, nodes: Sequence[str]) -> str:
    return message(
        f"Cycle did not converge within max_iterations={max_iterations}",
        [f"Nodes still ready: {fmt_names(nodes)}"],
        [
            "make the cycle converge (a node must eventually write the same value again)",
            "or raise the budget with run(..., max_iterations=N)",
        ],
    )


class NodeCancelledError(HypergraphError, RuntimeError):
    """A node body raised ``asyncio.CancelledError`` while nothing cancelled the run.

    Attributes:
        node_name: The node whose body raised it.
    """

    def __init__(self, message: str, *, node_name: str | None = None) -> None:
        self.message = message
        self.node_name = node_name
        super().__init__(message)


class RunFailedError(HypergraphError, KeyError):
    """An absent key was read from a FAILED ``RunResult``, or ``map_result["key"]`` found an
    item without it; ``__cause__`` is the (item's) run error, if any.

    Attributes:
        key: The key that was read.
        node_name: The failed node's path, if known.
    """

    def __init__(self, message: str, *, key: str, node_name: str | None = None) -> None:
        self.message = message
        self.key = key
        self.node_name = node_name
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class RemoteError(HypergraphError, RuntimeError):
    """Stands in for a map item's exception raised in another process that could not be
    pickled back (it holds a lock, a socket...): what the caller can still know of it.

    Attributes:
        type_name: The original exception's qualified class name (``module.Class``).
        message: Its ``str()`` (this error's ``str()`` too).
        traceback_text: Its formatted traceback, as the worker printed it.
        notes: Its ``__notes__`` (the node-path note included); the runner also adds them to
            this error's own notes.
    """

    def __init__(
        self,
        message: str,
        *,
        type_name: str,
        traceback_text: str = "",
        notes: Sequence[str] = (),
    ) -> None:
        self.message = message
        self.type_name = type_name
        self.traceback_text = traceback_text
        self.notes = list(notes)
        super().__init__(message)


class WorkerLostError(HypergraphError, RuntimeError):
    """The executor's worker died (or kept dying) while running these map items; Dask's own
    error (``KilledWorker``) is the ``__cause__`` when there is one.

    Attributes:
        first: The first item index of the lost chunk.
        last: Its last item index.
    """

    def __init__(self, message: str, *, first: int, last: int) -> None:
        self.message = message
        self.first = first
        self.last = last
        super().__init__(message)


class OutputNotFoundError(KeyError):
    """A KeyError without KeyError's quoting, for absent keys of a COMPLETED ``RunResult``."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# -- checkpoint and resume (issue 17) -------------------------------------------------------


class CheckpointError(HypergraphError):
    """Base of the errors of checkpointed runs (``SqliteCheckpointer``, ``MemoryCheckpointer``).

    Attributes:
        workflow_id: The workflow concerned, when there is one.
    """

    def __init__(self, message: str, *, workflow_id: str | None = None) -> None:
        self.message = message
        self.workflow_id = workflow_id
        super().__init__(message)


class InputOverrideRequiresForkError(CheckpointError, ValueError):
    """``run(..., workflow_id=...)`` got values that differ from the workflow's stored inputs.

    Attributes:
        names: The input names whose values differ (or that were added or left out).
    """

    def __init__(
        self, message: str, *, workflow_id: str | None = None, names: Sequence[str] = ()
    ) -> None:
        super().__init__(message, workflow_id=workflow_id)
        self.names = list(names)


class WorkflowAlreadyCompletedError(CheckpointError, RuntimeError):
    """The workflow id names a completed workflow: read it with ``checkpointer.result(id)``."""


class WorkflowAlreadyRunningError(CheckpointError, RuntimeError):
    """Another live process (or another call in this one) is running this workflow id."""


class GraphChangedError(CheckpointError, ValueError):
    """The graph differs from the one the workflow was started with, in a way resume refuses.

    Attributes:
        structural: What changed in the structure (nodes, names, wiring, map configuration).
        code: The nodes that had completed and whose code changed since.
    """

    def __init__(
        self,
        message: str,
        *,
        workflow_id: str | None = None,
        structural: Sequence[str] = (),
        code: Sequence[str] = (),
    ) -> None:
        super().__init__(message, workflow_id=workflow_id)
        self.structural = list(structural)
        self.code = list(code)


class CheckpointValueError(CheckpointError, TypeError):
    """A value the checkpoint codec cannot store (an input, or a node's output).

    Attributes:
        node_name: The node that produced it (``None`` for a run input).
        output: The output (or input) name.
        path: Where inside the value the unstorable part sits (``""``: the value itself).
        type_name: The type of that part.
    """

    def __init__(
        self,
        message: str,
        *,
        workflow_id: str | None = None,
        node_name: str | None = None,
        output: str = "",
        path: str = "",
        type_name: str = "",
    ) -> None:
        super().__init__(message, workflow_id=workflow_id)
        self.node_name = node_name
        self.output = output
        self.path = path
        self.type_name = type_name


class CheckpointIntegrityError(CheckpointError, ValueError):
    """A stored value does not match its digest or signature (corrupt or tampered)."""


class CheckpointStorageError(CheckpointError, OSError):
    """The checkpoint database cannot be opened, read or written (read-only, full, corrupt)."""


def _rebuild(ref: str | type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Unpickle a ``HypergraphError`` (by class name when it is ours) without its constructor."""
    cls: type[BaseException] = globals()[ref] if isinstance(ref, str) else ref
    err = cls.__new__(cls, *args)
    err.args = args
    err.__dict__.update(state)
    return err
