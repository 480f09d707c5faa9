"""What crosses a process boundary on the way back: a chunk's results, their exceptions.

A worker in another process packs each failed item's exception into a ``Packed`` (plain bytes
and strings, always picklable); the caller unpacks it into a faithful copy: same type, args,
attributes and ``__notes__`` (our node-path note included), ``__cause__``/``__context__`` and a
traceback rebuilt with tblib. An exception that does not survive the round trip becomes a
``RemoteError`` holding its type name, message, traceback text and notes.

cloudpickle and tblib are imported here only, and only when something crosses a process (the
``processes`` / ``dask`` extras).
"""

from __future__ import annotations

import pickle
import traceback
from collections.abc import Sequence
from typing import Any

from hypergraph_types import RemoteError, RunResult, RunStatus
from hypergraph_types._internal import describe_exception, exception_text, message

__all__ = ["Packed", "dumps", "loads", "pack_results", "unpack_results"]

#: How deep a ``__cause__`` / ``__context__`` chain is kept (a longer one is cut there).
_CHAIN_DEPTH = 16


def dumps(obj: Any) -> bytes:
    """cloudpickle: functions defined in ``__main__``, notebooks and test modules travel."""
    import cloudpickle

    return cloudpickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)  # type: ignore[no-any-return]


def dumps_back(obj: Any) -> bytes:
    """A worker's results: the stdlib pickler first (several times faster per small object);
    cloudpickle when it refuses (e.g. a class that exists only by value on this worker)."""
    try:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return dumps(obj)


def loads(data: bytes) -> Any:
    return pickle.loads(data)  # cloudpickle's output loads with the stdlib unpickler


def _rebuild_state(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """An exception from its class, args and ``__dict__``, bypassing a custom ``__init__``."""
    err = cls.__new__(cls, *args)
    err.args = args
    err.__dict__.update(state)
    return err


def _exception_bytes(exc: BaseException) -> bytes | None:
    """The exception alone (no chain, no traceback), or ``None`` if it cannot travel.

    Its own pickling first (``__reduce__``); if that does not load back (a custom ``__init__``
    with required arguments), its class, args and ``__dict__``.
    """
    for form in (exc, (_rebuild_state, type(exc), exc.args, dict(exc.__dict__))):
        try:
            data = dumps(form)
            loaded = loads(data)
            if isinstance(form, tuple):
                loaded = loaded[0](*loaded[1:])
        except Exception:
            continue
        if type(loaded) is type(exc):
            return data if not isinstance(form, tuple) else b"S" + data
    return None


class Packed:
    """One exception made portable; ``unpack()`` on the caller's side gives it back."""

    __slots__ = (
        "cause",
        "context",
        "data",
        "message",
        "notes",
        "suppress",
        "tb",
        "tb_text",
        "type_name",
    )

    def __init__(self, exc: BaseException, depth: int = 0) -> None:
        cls = type(exc)
        self.type_name = f"{cls.__module__}.{cls.__qualname__}"
        self.message = exception_text(exc)
        self.notes = [str(n) for n in getattr(exc, "__notes__", ())]
        self.tb_text = "".join(traceback.format_exception(exc, chain=False))
        self.data = _exception_bytes(exc)
        self.tb: dict[str, Any] | None = None
        if exc.__traceback__ is not None:
            from tblib import Traceback

            self.tb = Traceback(exc.__traceback__).as_dict()
        deeper = depth < _CHAIN_DEPTH
        cause, context = exc.__cause__, exc.__context__
        self.cause = Packed(cause, depth + 1) if cause is not None and deeper else None
        if context is not None and context is cause:
            self.context: Packed | None = self.cause
        else:
            self.context = Packed(context, depth + 1) if context is not None and deeper else None
        self.suppress = exc.__suppress_context__

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self.__slots__, state):
            setattr(self, name, value)

    def unpack(self) -> BaseException:
        """The copy of the original exception, or a ``RemoteError`` standing in for it."""
        exc: BaseException | None = None
        if self.data is not None:
            try:
                if self.data[:1] == b"S":
                    form = loads(self.data[1:])
                    exc = form[0](*form[1:])
                else:
                    exc = loads(self.data)
            except Exception:
                exc = None  # e.g. the class exists only on the workers
        if not isinstance(exc, BaseException):
            exc = RemoteError(
                self.message,
                type_name=self.type_name,
                traceback_text=self.tb_text,
                notes=self.notes,
            )
            exc.add_note(f"hypergraph: raised as {self.type_name} in the executor's worker")
            for note in self.notes:
                exc.add_note(note)
        if self.tb is not None:
            from tblib import Traceback

            exc = exc.with_traceback(Traceback.from_dict(self.tb).as_traceback())
        if self.cause is not None:
            exc.__cause__ = self.cause.unpack()
        if self.context is not None:
            exc.__context__ = exc.__cause__ if self.context is self.cause else self.context.unpack()
        exc.__suppress_context__ = self.suppress
        return exc


def _unsendable(result: RunResult, index: int, problem: BaseException) -> RunResult:
    """An item whose result cannot be pickled back: FAILED, naming the outputs at fault."""
    bad = []
    for name, value in result.values.items():
        try:
            dumps(value)
        except Exception:
            bad.append(name)
    error = TypeError(
        message(
            f"Map item {index}'s result cannot be sent back from the executor's worker: "
            f"{describe_exception(problem)}",
            [f"outputs that cannot be pickled: {', '.join(map(repr, bad)) or '(none found)'}"],
            "return picklable values from the nodes (or select=[...] only the picklable "
            "outputs), or run this map on a thread executor",
        )
    )
    return RunResult({}, RunStatus.FAILED, run_id=result.run_id, error=error)


def _nested(result: RunResult) -> list[RunResult]:
    """The nested GraphNodes' results a result carries in its values (they hold errors too)."""
    found = []
    for value in result.values.values():
        if isinstance(value, RunResult):
            found.append(value)
        elif isinstance(value, list) and value and isinstance(value[0], (RunResult, type(None))):
            found.extend(v for v in value if isinstance(v, RunResult))
    return found


def _portable(result: RunResult, depth: int = 0) -> RunResult:
    if result.error is not None and not isinstance(result.error, Packed):
        result.error = Packed(result.error)  # type: ignore[assignment]  # unpacked by the caller
    if depth < _CHAIN_DEPTH:
        for inner in _nested(result):
            _portable(inner, depth + 1)
    return result


def _restored(result: RunResult, depth: int = 0) -> None:
    if isinstance(result.error, Packed):
        result.error = result.error.unpack()
    if depth < _CHAIN_DEPTH:
        for inner in _nested(result):
            _restored(inner, depth + 1)


def pack_results(pairs: Sequence[tuple[int, RunResult]]) -> bytes:
    """A chunk's ``(index, result)`` pairs as bytes; one unpicklable item never poisons the
    others (each is tried alone when the whole chunk does not pickle)."""
    pairs = [(i, _portable(r)) for i, r in pairs]
    try:
        return dumps_back(pairs)
    except Exception:
        pass
    kept: list[tuple[int, RunResult]] = []
    for i, result in pairs:
        try:
            dumps(result)
        except Exception as exc:
            result = _portable(_unsendable(result, i, exc))
        kept.append((i, result))
    return dumps_back(kept)


def unpack_results(data: bytes) -> list[tuple[int, RunResult]]:
    pairs: list[tuple[int, RunResult]] = loads(data)
    for _, result in pairs:
        _restored(result)
    return pairs
