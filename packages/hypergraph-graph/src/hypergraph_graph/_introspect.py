"""Reading a callable: its kind (async, generator), parameters, annotations and source hash."""

from __future__ import annotations

import collections.abc as cabc
import functools
import hashlib
import inspect
import sys
import typing
from collections.abc import Callable
from typing import Any

__all__ = [
    "annotations_of",
    "generator_item_type",
    "source_hash",
    "target_function",
]


def target_function(func: Callable[..., Any]) -> Any:
    """The function whose code runs: partials unwrapped, a callable instance's ``__call__``."""
    while isinstance(func, functools.partial):
        func = func.func
    if inspect.isfunction(func) or inspect.ismethod(func) or inspect.isbuiltin(func):
        return func
    if not isinstance(func, type) and hasattr(type(func), "__call__"):  # noqa: B004
        call = type(func).__call__
        if inspect.isfunction(call):
            return call
    return func


def annotations_of(func: Callable[..., Any], sig: inspect.Signature) -> dict[str, Any]:
    """Resolved annotations by parameter name, plus ``"return"``.

    Uses ``typing.get_type_hints``; when that fails, each annotation is evaluated on its own and
    the ones that still fail become ``typing.ForwardRef`` objects.
    """
    target = target_function(func)
    wanted = {p.name: p.annotation for p in sig.parameters.values()}
    wanted["return"] = sig.return_annotation
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except Exception:
        hints = None
    globalns = getattr(inspect.unwrap(target), "__globals__", None)
    if globalns is None:
        module = sys.modules.get(getattr(target, "__module__", "") or "")
        globalns = vars(module) if module is not None else {}
    result: dict[str, Any] = {}
    for name, raw in wanted.items():
        if raw is inspect.Parameter.empty:
            continue
        if hints is not None and name in hints:
            result[name] = hints[name]
        else:
            result[name] = _evaluate(raw, globalns)
    return result


def _evaluate(raw: Any, globalns: dict[str, Any]) -> Any:
    """``raw`` evaluated until it is no longer a string; ``ForwardRef`` of the last string.

    Under PEP 563 a quoted annotation is a string of a string (``"'Missing'"``): one ``eval``
    yields the string ``'Missing'``, which is still an annotation to resolve, not a type.
    """
    while isinstance(raw, str):
        try:
            value = eval(raw, globalns)  # PEP 563 string annotations
        except Exception:
            return typing.ForwardRef(raw)
        if value == raw:  # a string that evaluates to itself cannot make progress
            return typing.ForwardRef(raw)
        raw = value
    return raw


_ITERATOR_ORIGINS = {
    cabc.Iterator,
    cabc.Iterable,
    cabc.Generator,
    cabc.AsyncIterator,
    cabc.AsyncIterable,
    cabc.AsyncGenerator,
}


def generator_item_type(annotation: Any) -> tuple[bool, Any]:
    """``(True, Y)`` for ``Iterator[Y]``, ``Generator[Y, ...]`` and async kin.

    Anything else gives ``(False, None)``.
    """
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in _ITERATOR_ORIGINS:
        args = typing.get_args(annotation)
        if args:
            return True, args[0]
    return False, None


def source_hash(func: Callable[..., Any]) -> str:
    """SHA-256 of the function's source; a stable fallback when there is no source."""
    target = func
    while isinstance(target, functools.partial):
        target = target.func
    try:
        text = inspect.getsource(target)
    except (OSError, TypeError):
        code = getattr(inspect.unwrap(target_function(target)), "__code__", None)
        parts = [
            str(getattr(target, "__module__", None)),
            str(getattr(target, "__qualname__", type(target).__qualname__)),
        ]
        if code is not None:
            parts.append(code.co_code.hex())
        text = "\0".join(parts)
    return hashlib.sha256(text.encode()).hexdigest()
