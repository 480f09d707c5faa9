"""Calling one ``FunctionNode`` body: the call convention, draining generators, unpacking.

These pieces are shared by both runners. A sync body (a plain function or a sync generator,
drained here) is executed by ``call_sync`` wherever it runs: inline in ``SyncRunner``, in a
worker thread or inline in ``AsyncRunner``. Async bodies are awaited by the async driver and
only their results pass through ``unpack``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping
from contextlib import aclosing, closing
from types import CoroutineType
from typing import Any, NoReturn

from hypergraph_graph import FunctionNode
from hypergraph_graph._internal import decide
from hypergraph_types import NodeCancelledError, OutputMismatchError

__all__ = [
    "DECISION",
    "Hit",
    "NodeFailure",
    "StopRequested",
    "async_value",
    "drain_sync",
    "guarded",
    "make_caller",
    "run_sync_leaf",
    "shape",
    "sync_value",
    "unpack",
]

Caller = Callable[[Mapping[str, Any]], Any]
Parameters = tuple[tuple[str, str, inspect._ParameterKind], ...]
_P = inspect.Parameter


#: The key under which a gate's decision (target names) travels from its body to the core.
#: Not an identifier, so it can never collide with an output name.
DECISION = "<decision>"


class NodeFailure(Exception):
    """Carries a node's failure from where it was caught to the driver loop; never escapes.

    Attributes:
        error: The original exception, untouched.
        path: For a failed nested run, the node path it reported.
        nested: True when the failure comes from a nested run (which already added the note).
        late: True when it happened after the run began stopping (a cancelled generator's
            cleanup, a settled thread): it is named in the note, never reported (§4.11.2).
    """

    def __init__(self, error: BaseException, path: str | None = None, nested: bool = False) -> None:
        super().__init__()
        self.error = error
        self.path = path
        self.nested = nested
        self.late = False


def cancelled_by_body(node_name: str, cause: BaseException) -> NodeCancelledError:
    """A node body raised ``CancelledError`` while nothing cancelled it (SPEC §4.12)."""
    err = NodeCancelledError(
        f"Node '{node_name}' raised asyncio.CancelledError by itself (the run was not being "
        "cancelled). How to fix: raise an ordinary exception to signal failure.",
        node_name=node_name,
    )
    err.__cause__ = cause
    return err


class StopRequested(BaseException):
    """Raised inside a worker thread to stop draining a generator once the run is stopping.

    A ``BaseException`` so user ``except Exception`` blocks in the generator cannot swallow it.
    It never leaves the runner.
    """


class Stop:
    """The flag a worker thread polls at its next node, item or generator step: set when the
    task awaiting its trip is cancelled (``_tasks.in_thread``) or its run is stopping.

    Only polled, never waited on, so a plain attribute does (a ``threading.Event`` per trip,
    a condition and a lock, cost a few microseconds of each trip).
    """

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True


def make_caller(node: FunctionNode, params: Parameters) -> Caller:
    """A function taking ``{current input name: value}`` and calling the node's function.

    Only for nodes that are not ``is_simple`` (``func(**inputs)`` is the others' convention,
    called directly). Inputs missing from the mapping are left out so the function's own
    default applies (the same object as ``defaults[name]``), except positional parameters
    that must be filled in order, which get their default explicitly. Ordinary parameters
    go by keyword unless the function has ``*args``; a ``*args`` value must be a list or
    tuple; a ``**kwargs`` parameter named ``kw`` is passed as the single keyword
    ``kw=value`` (SPEC §4.7).
    """
    func = node.func
    if {kind for _, _, kind in params} <= _KEYWORD_KINDS:
        renamed = {cur: par for cur, par, _ in params if cur != par}
        return lambda kw: func(**{renamed.get(k, k): v for k, v in kw.items()})
    return _general_caller(node)


_KEYWORD_KINDS = frozenset({_P.POSITIONAL_OR_KEYWORD, _P.KEYWORD_ONLY})


def is_simple(params: Parameters) -> bool:
    """True if ``func(**inputs)`` is the call convention (no renames, keyword params only)."""
    for cur, par, kind in params:  # noqa: SIM110 - a loop is faster than all(genexpr) here
        if cur != par or kind not in _KEYWORD_KINDS:
            return False
    return True


def _general_caller(node: FunctionNode) -> Caller:
    func = node.func
    params = node.parameters
    has_varargs = any(kind is _P.VAR_POSITIONAL for _, _, kind in params)
    positional = [
        (cur, par)
        for cur, par, kind in params
        if kind is _P.POSITIONAL_ONLY or (has_varargs and kind is _P.POSITIONAL_OR_KEYWORD)
    ]
    varargs = next((cur for cur, _, kind in params if kind is _P.VAR_POSITIONAL), None)
    keywords = [
        (cur, par)
        for cur, par, kind in params
        if kind is _P.KEYWORD_ONLY or (not has_varargs and kind is _P.POSITIONAL_OR_KEYWORD)
    ]
    varkw = next((cur for cur, par, kind in params if kind is _P.VAR_KEYWORD), None)
    varkw_param = next((par for _, par, kind in params if kind is _P.VAR_KEYWORD), None)

    def call(kw: Mapping[str, Any]) -> Any:
        args = [kw[cur] if cur in kw else node.get_default_for(cur) for cur, _ in positional]
        if varargs is not None and varargs in kw:
            extra = kw[varargs]
            if not isinstance(extra, (list, tuple)):
                raise TypeError(
                    f"Node '{node.name}': the value for *{varargs} must be a list or tuple, "
                    f"got {type(extra).__name__}. How to fix: pass e.g. [a, b]."
                )
            args.extend(extra)
        kwargs = {par: kw[cur] for cur, par in keywords if cur in kw}
        if varkw is not None and varkw in kw:
            kwargs[varkw_param or varkw] = kw[varkw]
        return func(*args, **kwargs)

    return call


def reject_coroutine(node: FunctionNode, coro: CoroutineType[Any, Any, Any]) -> NoReturn:
    """A ``def`` node that returns a coroutine fails; the coroutine is closed first."""
    coro.close()
    raise TypeError(
        f"Node '{node.name}' is a plain def but returned a coroutine. "
        "How to fix: declare the function `async def` so the runner awaits it."
    )


def drain_sync(gen: Any, stop: Stop | None) -> list[Any]:
    """Drain a sync generator inside ``closing``; stop at the next item once ``stop`` is set."""
    items: list[Any] = []
    with closing(gen):
        if stop is None:
            items.extend(gen)
        else:
            for item in gen:
                if stop.is_set():
                    raise StopRequested
                items.append(item)
    return items


def run_sync_leaf(p: Any, kwargs: Mapping[str, Any], stop: Stop | None = None) -> dict[str, Any]:
    """Run a sync leaf to its outputs; any failure of user code becomes a ``NodeFailure``.

    ``p`` is the node's ``NodePlan``. This is the capture boundary (RELIABILITY §1.3): only
    the body and the checks on what it returned are inside it.
    """
    # sync_value and shape inlined: this runs once per node, and a call is not free.
    try:
        value = p.func(**kwargs) if p.simple else p.caller(kwargs)
        if p.is_generator:
            value = drain_sync(value, stop)
        elif isinstance(value, CoroutineType):
            reject_coroutine(p.node, value)
        if p.gate is not None:
            return {DECISION: decide(p.gate, value)}
        outputs = p.outputs
        if len(outputs) == 1:
            return {outputs[0]: value}
        return unpack(p.name, outputs, value)
    except Exception as exc:
        raise NodeFailure(exc) from None
    except asyncio.CancelledError as exc:
        raise NodeFailure(cancelled_by_body(p.name, exc)) from None


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def async_value(p: Any, kwargs: dict[str, Any], shaped: bool = False) -> Any:
    """Await an async body; any failure of user code becomes a ``NodeFailure``.

    ``p`` is the node's ``NodePlan``. Returns its outputs when ``shaped``, else the raw value
    (an async generator drained) that the cache stores. The async twin of ``run_sync_leaf``'s
    capture boundary, and the one coroutine between the driver and the body.
    """
    try:
        if p.is_generator:
            async with aclosing(p.call(kwargs)) as agen:
                value: Any = [item async for item in agen]
        else:
            value = await p.call(kwargs)
        if not shaped:
            return value
        outputs = p.outputs
        if len(outputs) == 1:
            return {outputs[0]: value}
        return unpack(p.name, outputs, value)
    except asyncio.CancelledError as exc:
        if _being_cancelled():
            raise
        raise NodeFailure(cancelled_by_body(p.name, exc)) from None
    except Exception as exc:
        failure = NodeFailure(exc)
        # An error while we cancel the body (e.g. raised in a generator's finally) is a
        # cleanup error: named in the reported failure's note, never reported itself.
        failure.late = _being_cancelled()
        raise failure from None


def sync_value(p: Any, kwargs: Mapping[str, Any], stop: Stop | None = None) -> Any:
    """A sync body's raw result (a generator drained); ``run_sync_leaf`` without the shaping.

    Not inside the capture boundary: call it through ``guarded``.
    """
    value = p.func(**kwargs) if p.simple else p.caller(kwargs)
    if p.is_generator:
        return drain_sync(value, stop)
    if isinstance(value, CoroutineType):
        reject_coroutine(p.node, value)
    return value


def shape(p: Any, value: Any) -> dict[str, Any]:
    """A body's raw result as the node's outputs: a gate's decision, or unpacked values."""
    if p.gate is not None:
        return {DECISION: decide(p.gate, value)}
    outputs = p.outputs
    if len(outputs) == 1:
        return {outputs[0]: value}
    return unpack(p.name, outputs, value)


def guarded(p: Any, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` inside the capture boundary of node ``p`` (as in ``run_sync_leaf``)."""
    try:
        return fn(*args)
    except Exception as exc:
        raise NodeFailure(exc) from None
    except asyncio.CancelledError as exc:
        raise NodeFailure(cancelled_by_body(p.name, exc)) from None


class Hit(dict[str, Any]):
    """A node's outputs restored from the cache, not computed; ``key`` is the cache key.

    Drivers check ``type(outputs) is Hit`` to emit ``CacheHitEvent`` and
    ``NodeEndEvent(cached=True)``; everything else treats it as the outputs dict.
    """

    __slots__ = ("key",)

    def __init__(self, outputs: dict[str, Any], key: str) -> None:
        super().__init__(outputs)
        self.key = key


def unpack(node_name: str, outputs: tuple[str, ...], value: Any) -> dict[str, Any]:
    """Split a body's return value into ``{output: value}`` (SPEC §4.7 "Unpacking")."""
    k = len(outputs)
    if k == 1:
        return {outputs[0]: value}
    if k == 0:
        return {}
    if not isinstance(value, (tuple, list)):
        raise OutputMismatchError(
            f"Node '{node_name}' has {k} outputs {outputs!r} but returned a value of type "
            f"{type(value).__name__}, which is not unpacked. How to fix: return a tuple of "
            f"{k} values.",
            node_name=node_name,
        )
    if len(value) != k:
        raise OutputMismatchError(
            f"Node '{node_name}' has {k} outputs but returned {len(value)} values "
            f"(outputs {outputs!r}, got a {type(value).__name__} of length {len(value)}). "
            f"How to fix: return exactly {k} values, one per output.",
            node_name=node_name,
        )
    return dict(zip(outputs, value))
