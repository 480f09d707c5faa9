"""Reading a callable: its kind (async, generator), parameters, annotations and source hash.

Node construction calls ``read_callable`` once per node, so it is the hot part: a plain
function (the common case) is read straight from its code object, without ``inspect.signature``.
Annotation resolution and source hashing are paid on first use, and remembered per function.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import functools
import hashlib
import inspect
import sys
import types
import typing
import weakref
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

__all__ = [
    "CallableInfo",
    "annotations_of",
    "generator_item_type",
    "read_callable",
    "source_hash",
    "target_function",
]

_P = inspect.Parameter
_EMPTY = _P.empty
_ASYNC_FLAGS = inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
_GENERATOR_FLAGS = inspect.CO_GENERATOR | inspect.CO_ASYNC_GENERATOR
_VAR_FLAGS = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS
# Shared kinds tuples: one object fewer per node for the garbage collector to track and walk.
_POK = (_P.POSITIONAL_OR_KEYWORD,)
_POK_KINDS = [_POK * n for n in range(32)]


class CallableInfo(NamedTuple):
    """What a node needs from a callable's signature, read once at construction."""

    names: tuple[str, ...]  # parameter names in signature order
    kinds: tuple[inspect._ParameterKind, ...]  # their kinds, in the same order
    defaults: dict[str, Any]  # never for *args / **kwargs
    annotations: dict[str, Any]  # raw (unresolved), by parameter name, plus "return"
    is_async: bool
    is_generator: bool


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


def read_callable(func: Callable[..., Any]) -> CallableInfo:
    """Parameters, defaults, raw annotations and kind of ``func``.

    Raises what ``inspect.signature`` raises (``ValueError``, ``TypeError``) when ``func`` has
    no readable signature.
    """
    # A plain function with an empty __dict__ has no __wrapped__, no __signature__ and no
    # coroutine mark: inspect.signature would read exactly its code object, so read it here.
    if type(func) is types.FunctionType and not func.__dict__:
        return _read_function(func)
    # Partials, bound methods, callable instances and wrapped functions: their signature depends
    # on state a cache would have to watch (the inner function, __signature__, the class's
    # __call__), and they are the rare case, so they are read afresh.
    sig = inspect.signature(func)
    target = target_function(func)
    annotations = {p.name: p.annotation for p in sig.parameters.values()}
    annotations["return"] = sig.return_annotation
    return CallableInfo(
        tuple(sig.parameters),
        tuple(p.kind for p in sig.parameters.values()),
        {
            p.name: p.default
            for p in sig.parameters.values()
            if p.default is not _EMPTY and p.kind not in (_P.VAR_POSITIONAL, _P.VAR_KEYWORD)
        },
        {k: v for k, v in annotations.items() if v is not _EMPTY},
        inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target),
        inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target),
    )


def _read_function(func: types.FunctionType) -> CallableInfo:
    code = func.__code__
    flags = code.co_flags
    argcount = code.co_argcount
    defaults: dict[str, Any] = {}
    if code.co_posonlyargcount or code.co_kwonlyargcount or flags & _VAR_FLAGS:
        names, kinds = _code_params(code)
    else:  # the common case: positional-or-keyword parameters only
        names = code.co_varnames[:argcount]
        kinds = _POK_KINDS[argcount] if argcount < len(_POK_KINDS) else _POK * argcount
    positional = func.__defaults__
    if positional:
        defaults.update(zip(names[argcount - len(positional) : argcount], positional))
    if func.__kwdefaults__:
        defaults.update(func.__kwdefaults__)
    return CallableInfo(
        names,
        kinds,
        defaults,
        dict(func.__annotations__),  # a snapshot: the node describes the function as it was
        bool(flags & _ASYNC_FLAGS),
        bool(flags & _GENERATOR_FLAGS),
    )


def _code_params(
    code: types.CodeType,
) -> tuple[tuple[str, ...], tuple[inspect._ParameterKind, ...]]:
    """Names and kinds in signature order, as ``inspect.signature`` gives them."""
    names = code.co_varnames
    posonly, positional, kwonly = code.co_posonlyargcount, code.co_argcount, code.co_kwonlyargcount
    params: list[tuple[str, inspect._ParameterKind]]
    params = [(n, _P.POSITIONAL_ONLY) for n in names[:posonly]]
    params += [(n, _P.POSITIONAL_OR_KEYWORD) for n in names[posonly:positional]]
    at = positional + kwonly  # co_varnames: positional, keyword-only, *args, **kwargs
    if code.co_flags & inspect.CO_VARARGS:
        params.append((names[at], _P.VAR_POSITIONAL))
        at += 1
    params += [(n, _P.KEYWORD_ONLY) for n in names[positional : positional + kwonly]]
    if code.co_flags & inspect.CO_VARKEYWORDS:
        params.append((names[at], _P.VAR_KEYWORD))
    return tuple(n for n, _ in params), tuple(k for _, k in params)


def annotations_of(func: Callable[..., Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Resolved annotations by parameter name, plus ``"return"``, for the ``raw`` ones.

    Uses ``typing.get_type_hints``; when that fails, each annotation is evaluated on its own and
    the ones that still fail become ``typing.ForwardRef`` objects. A full resolution is
    remembered per function while its raw annotations stay the same objects.
    """
    target = target_function(func)
    try:
        seen, resolved = _HINTS[target]
    except (KeyError, TypeError):  # TypeError: not weak-referenceable or not hashable
        pass
    else:
        if len(seen) == len(raw) and all(raw.get(k, _EMPTY) is v for k, v in seen.items()):
            return resolved
    resolved, complete = _resolve(target, raw)
    if complete:
        # A ForwardRef may resolve later (its type defined after the function): retry then.
        with contextlib.suppress(TypeError):  # not weak-referenceable: resolve again next time
            _HINTS[target] = (dict(raw), resolved)
    return resolved


_HINTS: weakref.WeakKeyDictionary[Any, tuple[dict[str, Any], dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _resolve(target: Any, raw: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except Exception:
        hints = None
    globalns = getattr(inspect.unwrap(target), "__globals__", None)
    if globalns is None:
        module = sys.modules.get(getattr(target, "__module__", "") or "")
        globalns = vars(module) if module is not None else {}
    # get_type_hints reads the function's annotations as they are now; where one changed since
    # the node read it, the node's own (raw) annotation wins.
    live = getattr(target, "__annotations__", None) or {}
    result: dict[str, Any] = {}
    complete = True
    for name, value in raw.items():
        if hints is not None and name in hints and live.get(name, _EMPTY) is value:
            result[name] = hints[name]
        else:
            result[name] = resolved = _evaluate(value, globalns)
            if isinstance(resolved, typing.ForwardRef):
                complete = False  # may resolve later, once its type is defined
    return result, complete


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
    """SHA-256 of the function's source; a stable fallback when there is no source.

    Remembered per code object for plain functions: nodes built from one function share it.
    """
    target = func
    while isinstance(target, functools.partial):
        target = target.func
    code = target.__code__ if type(target) is types.FunctionType and not target.__dict__ else None
    if code is not None and code in _SOURCE_HASHES:
        return _SOURCE_HASHES[code]
    try:
        text = inspect.getsource(target)
    except (OSError, TypeError):
        inner = getattr(inspect.unwrap(target_function(target)), "__code__", None)
        parts = [
            str(getattr(target, "__module__", None)),
            str(getattr(target, "__qualname__", type(target).__qualname__)),
        ]
        if inner is not None:
            parts.append(inner.co_code.hex())
        text = "\0".join(parts)
    digest = hashlib.sha256(text.encode()).hexdigest()
    if code is not None:
        _SOURCE_HASHES[code] = digest
    return digest


_SOURCE_HASHES: weakref.WeakKeyDictionary[types.CodeType, str] = weakref.WeakKeyDictionary()
