"""``FunctionNode`` and the ``@node`` decorator (NODE-02, NODE-03, NODE-04)."""

from __future__ import annotations

import inspect
import types
import warnings
from collections.abc import Callable, Mapping
from typing import Any, overload

from hypergraph_types import GraphConfigError, RenameError
from hypergraph_types._internal import did_you_mean, fmt_names, message, short_repr, user_stacklevel

from ._introspect import annotations_of, generator_item_type, read_callable, source_hash
from ._node import HyperNode
from ._ordering import check_ordering, ordering_names

__all__ = ["FunctionNode", "node"]

_NO_ORDERING: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())


def _type_label(tp: Any) -> str:
    return tp.__qualname__ if isinstance(tp, type) else short_repr(tp).replace("typing.", "")


def _check_callable(source: Any) -> Callable[..., Any]:
    if inspect.iscoroutine(source) or inspect.isgenerator(source) or inspect.isasyncgen(source):
        if inspect.iscoroutine(source):
            source.close()  # never awaited: close it so Python does not warn later
        raise TypeError(
            f"FunctionNode expected a callable, got the result of calling one "
            f"({type(source).__name__} object). How to fix: pass the function itself, "
            f"e.g. node(f) rather than node(f())."
        )
    if not callable(source):
        raise TypeError(
            f"FunctionNode expected a callable, got {type(source).__name__}. "
            f"How to fix: pass a function, e.g. @node(output_name=...) on a def."
        )
    return source  # type: ignore[no-any-return]


def _output_names(output_name: Any, func_name: str) -> tuple[str, ...]:
    if output_name is None:
        return ()
    if isinstance(output_name, str):
        return (output_name,)
    if isinstance(output_name, (tuple, list)) and all(isinstance(o, str) for o in output_name):
        names = tuple(output_name)
        repeated = sorted({o for o in names if names.count(o) > 1})
        if repeated:
            raise GraphConfigError(
                f"Repeated output name {fmt_names(repeated)} in function '{func_name}'\n"
                f"  -> output_name={short_repr(names)}\n"
                "How to fix: give every output of the node a distinct name."
            )
        return names
    raise TypeError(
        f"output_name must be a str or a tuple of str, got {type(output_name).__name__} "
        f"({short_repr(output_name)}) for function '{func_name}'. "
        "How to fix: pass output_name='name' or output_name=('first', 'second')."
    )


class FunctionNode(HyperNode):
    """A node that calls a Python function.

    Its inputs are the function's parameters; its outputs are the names given by
    ``output_name`` (none: the node runs for its side effects).

    Example:
        >>> def double(x: int) -> int:
        ...     return 2 * x
        >>> FunctionNode(double, output_name="doubled").inputs
        ('x',)
    """

    # Gates return a decision, not a value: they set this to False.
    _warns_on_unused_return = True

    func: Callable[..., Any]
    defaults: dict[str, Any]

    def __init__(
        self,
        source: Callable[..., Any] | FunctionNode,
        name: str | None = None,
        output_name: str | tuple[str, ...] | None = None,
        *,
        rename_inputs: Mapping[str, str] | None = None,
        cache: bool = False,
        cache_version: str | int | None = None,
        inline: bool = False,
        emit: str | tuple[str, ...] | None = None,
        wait_for: str | tuple[str, ...] | None = None,
    ) -> None:
        if type(source) is types.FunctionType:  # the common case skips the checks below
            func: Callable[..., Any] = source
        elif isinstance(source, FunctionNode):
            func = source.func
        else:
            func = _check_callable(source)
        try:
            info = read_callable(func)
        except (ValueError, TypeError) as exc:
            raise TypeError(
                f"Cannot read the signature of {short_repr(func)}. "
                "How to fix: wrap it in a def with named parameters."
            ) from exc
        func_name = getattr(func, "__name__", None)
        if name is None:
            if not isinstance(func_name, str):
                raise TypeError(
                    f"{short_repr(func)} has no __name__. How to fix: pass name= to FunctionNode."
                )
            name = func_name
        if not isinstance(name, str):
            raise TypeError(
                f"name must be a str, got {type(name).__name__}. "
                "How to fix: pass the node name as a string, e.g. name='step'."
            )
        if not isinstance(cache, bool):
            raise TypeError(
                f"cache must be a bool, got {type(cache).__name__}. "
                "How to fix: pass cache=True or cache=False."
            )
        if cache_version is not None and (
            isinstance(cache_version, bool) or not isinstance(cache_version, (str, int))
        ):
            raise TypeError(
                f"cache_version must be a str or an int, got {type(cache_version).__name__}. "
                "How to fix: pass e.g. cache_version='2' and change it to invalidate entries."
            )
        if not isinstance(inline, bool):
            raise TypeError(
                f"inline must be a bool, got {type(inline).__name__}. "
                "How to fix: pass inline=True or inline=False."
            )
        outputs = _output_names(output_name, name)
        # Most nodes have neither: no call at all.
        emits, waits = (
            _NO_ORDERING
            if emit is None and wait_for is None
            else (ordering_names(emit, "emit", name), ordering_names(wait_for, "wait_for", name))
        )
        if emits or waits:
            check_ordering(name, emits, waits, outputs, info.names)
            outputs += emits
            self.emit = emits
            self.wait_for = waits
            self._wires = self._special = True

        self.func = func
        self.name = name
        self._func_name = func_name if isinstance(func_name, str) else name
        self._cache = cache
        self.cache_version = cache_version  # salt of the cache key, for what code cannot show
        self._rename_history = []
        self._names = info.names
        self._kinds = info.kinds
        self.inputs = info.names
        self.outputs = outputs
        self._param_of = dict(zip(info.names, info.names))  # current input name -> parameter
        self._parameters: tuple[tuple[str, str, inspect._ParameterKind], ...] | None = None
        self._is_async = info.is_async
        self._is_generator = info.is_generator
        if inline and self._is_async:
            raise TypeError(
                f"Node '{name}': inline=True is for plain def nodes, and this one is async. "
                "How to fix: drop inline=True (async def nodes already run on the event loop)."
            )
        self.inline = inline  # AsyncRunner calls the body directly, without a worker thread
        self.defaults = info.defaults
        # Raw annotations; resolving them (get_type_hints) waits for the first type question.
        self._raw_annotations = info.annotations
        self._hints: dict[str, Any] | None = None
        self._hash: str | None = None
        if not outputs and not emits and self._warns_on_unused_return:
            self._warn_unused_return(info.annotations.get("return", inspect.Signature.empty))
        if rename_inputs:
            unknown = [k for k in rename_inputs if k not in self.inputs]
            if unknown:
                raise RenameError(
                    message(
                        f"Cannot rename unknown inputs: {fmt_names(unknown)}. "
                        f"Valid inputs: {fmt_names(self.inputs)}.",
                        [did_you_mean(k, self.inputs) for k in unknown],
                        "use the function's parameter names as rename_inputs keys",
                    )
                )
            renamed = self.rename_inputs(rename_inputs)
            self.__dict__.update(renamed.__dict__)

    def _warn_unused_return(self, ret: Any) -> None:
        if ret is inspect.Signature.empty or ret is None or ret == "None":
            return
        shown = ret if isinstance(ret, str) else _type_label(ret)
        warnings.warn(
            f"Function '{self._func_name}' has return type '{shown}' but no output_name, so "
            "its return value is discarded. How to fix: pass output_name=... to keep it, or "
            "annotate the function with -> None.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )

    # -- annotations, resolved on first use ------------------------------------------------

    def _resolved(self) -> dict[str, Any]:
        hints = self._hints
        if hints is None:
            hints = self._hints = annotations_of(self.func, self._raw_annotations)
        return hints

    @property
    def parameter_annotations(self) -> dict[str, Any]:
        """Resolved annotation by current input name (unannotated inputs are left out)."""
        hints = self._resolved()
        return {cur: hints[param] for cur, param, _ in self.parameters if param in hints}

    @property
    def output_annotation(self) -> dict[str, Any]:
        """Resolved type by output name, where the return annotation says it."""
        ret = self._resolved().get("return", inspect.Signature.empty)
        outs = self.data_outputs
        if not outs or ret is inspect.Signature.empty:
            return {}
        if self._is_generator:
            found, item = generator_item_type(ret)
            if not found:
                return {}
            if len(outs) == 1:
                return {outs[0]: list[item]}  # type: ignore[valid-type]
            return dict.fromkeys(outs, item)
        if len(outs) == 1:
            return {outs[0]: ret}
        args = getattr(ret, "__args__", None)
        origin = getattr(ret, "__origin__", None)
        if origin is tuple and args and len(args) == len(outs) and Ellipsis not in args:
            return dict(zip(outs, args))
        return {}

    # -- HyperNode API ---------------------------------------------------------------------

    @property
    def definition_hash(self) -> str:
        """SHA-256 of the function's source (names, renames and outputs are ignored)."""
        if self._hash is None:
            self._hash = source_hash(self.func)
        return self._hash

    @property
    def is_async(self) -> bool:
        return self._is_async

    @property
    def is_generator(self) -> bool:
        return self._is_generator

    @property
    def cache(self) -> bool:
        return self._cache

    def has_default_for(self, param: str) -> bool:
        return param in self.defaults

    def get_default_for(self, param: str) -> Any:
        try:
            return self.defaults[param]
        except KeyError:
            raise KeyError(f"No default for '{param}' in node '{self.name}'") from None

    def get_input_type(self, param: str) -> Any | None:
        name = self._param_of.get(param)
        return None if name is None else self._resolved().get(name)

    def get_output_type(self, output: str) -> Any | None:
        return self.output_annotation.get(output)

    def map_inputs_to_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        param_of = self._param_of
        return {param_of.get(k, k): v for k, v in values.items()}

    def _renamed(self, kind: str, renames: dict[str, str]) -> None:
        if kind == "inputs":
            self._parameters = None
            self._param_of = {renames.get(k, k): v for k, v in self._param_of.items()}
            self.defaults = {renames.get(k, k): v for k, v in self.defaults.items()}
        # Annotations need nothing: they are keyed by parameter, and outputs by position.

    # -- calling ---------------------------------------------------------------------------

    @property
    def parameters(self) -> tuple[tuple[str, str, inspect._ParameterKind], ...]:
        """``(current input name, parameter name, parameter kind)`` in signature order."""
        # Built on first use and again after a rename (the only way inputs change).
        parameters = self._parameters
        if parameters is None:
            parameters = self._parameters = tuple(zip(self.inputs, self._names, self._kinds))
        return parameters

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the wrapped function with exactly these arguments (no renaming)."""
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        label = self._func_name
        if self.name != label:
            label = f"{label} as '{self.name}'"
        return f"FunctionNode({label}, outputs={self.outputs!r})"


@overload
def node(
    source: Callable[..., Any],
    output_name: str | tuple[str, ...] | None = None,
    *,
    rename_inputs: Mapping[str, str] | None = None,
    cache: bool = False,
    cache_version: str | int | None = None,
    inline: bool = False,
    emit: str | tuple[str, ...] | None = None,
    wait_for: str | tuple[str, ...] | None = None,
) -> FunctionNode: ...
@overload
def node(
    source: None = None,
    output_name: str | tuple[str, ...] | None = None,
    *,
    rename_inputs: Mapping[str, str] | None = None,
    cache: bool = False,
    cache_version: str | int | None = None,
    inline: bool = False,
    emit: str | tuple[str, ...] | None = None,
    wait_for: str | tuple[str, ...] | None = None,
) -> Callable[[Callable[..., Any]], FunctionNode]: ...
def node(
    source: Callable[..., Any] | None = None,
    output_name: str | tuple[str, ...] | None = None,
    *,
    rename_inputs: Mapping[str, str] | None = None,
    cache: bool = False,
    cache_version: str | int | None = None,
    inline: bool = False,
    emit: str | tuple[str, ...] | None = None,
    wait_for: str | tuple[str, ...] | None = None,
) -> FunctionNode | Callable[[Callable[..., Any]], FunctionNode]:
    """Turn a function into a ``FunctionNode``; works bare (``@node``) and called.

    ``inline=True`` (plain ``def`` only): ``AsyncRunner`` calls the body directly instead of
    sending it to a worker thread, as ``AsyncRunner(sync_nodes="inline")`` does for every node;
    for small, fast functions. Where the runner already is in a worker thread (a chain of
    ``def`` nodes, a whole map item) the body runs there. ``SyncRunner`` ignores it.

    ``emit=`` (a name or a tuple) adds ordering-only outputs, produced each time the node
    completes; ``wait_for=`` (a name or a tuple) makes the node wait until each name exists
    and was produced since it last ran (see docs/agent-loops.md).

    Example:
        >>> @node(output_name="cleaned")
        ... def clean(text: str) -> str:
        ...     return text.strip()
        >>> clean.inputs, clean.outputs
        (('text',), ('cleaned',))
    """
    if source is None:

        def decorate(func: Callable[..., Any]) -> FunctionNode:
            return FunctionNode(
                func,
                None,
                output_name,
                rename_inputs=rename_inputs,
                cache=cache,
                cache_version=cache_version,
                inline=inline,
                emit=emit,
                wait_for=wait_for,
            )

        return decorate
    return FunctionNode(
        source,
        None,
        output_name,
        rename_inputs=rename_inputs,
        cache=cache,
        cache_version=cache_version,
        inline=inline,
        emit=emit,
        wait_for=wait_for,
    )
