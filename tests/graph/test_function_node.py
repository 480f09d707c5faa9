"""FunctionNode and @node: accepted callables, inputs, defaults, annotations, outputs, hashing,
calling and repr (SPEC NODE-02, NODE-03, NODE-04).

No ``from __future__ import annotations`` here: the annotations of the functions under test
must be real objects unless a test writes them as strings on purpose.
"""

import functools
import hashlib
import inspect
import typing
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterable, Iterator
from typing import Annotated

import pytest

from hypergraph_graph import FunctionNode, HyperNode, node
from hypergraph_types import GraphConfigError

# --- accepted callables ------------------------------------------------------------------


def plain(a, b):
    return a + b


async def coro_fn(x):
    return x


def gen_fn(x):
    yield x


async def agen_fn(x):
    yield x


class Methods:
    def method(self, x, y=2):
        return x + y

    async def amethod(self, x):
        return x


class Adder:
    def __call__(self, x, y):
        return x + y


class AsyncCallable:
    async def __call__(self, x):
        return x


class GenCallable:
    def __call__(self, x):
        yield x


class AsyncGenCallable:
    async def __call__(self, x):
        yield x


def test_plain_function_becomes_a_node_named_after_it() -> None:
    n = FunctionNode(plain, output_name="s")
    assert isinstance(n, HyperNode)
    assert n.func is plain
    assert n.name == "plain"
    assert n.inputs == ("a", "b")
    assert n.outputs == ("s",)


def test_lambda_is_accepted_with_its_lambda_name() -> None:
    n = FunctionNode(lambda x, y=1: x + y, output_name="z")
    assert n.name == "<lambda>"
    assert n.inputs == ("x", "y")
    assert n.defaults == {"y": 1}


def test_bound_method_excludes_self() -> None:
    obj = Methods()
    n = FunctionNode(obj.method, output_name="r")
    assert n.name == "method"
    assert n.inputs == ("x", "y")
    assert n.defaults == {"y": 2}
    assert n(1) == 3


def test_callable_instance_needs_a_name_and_excludes_self() -> None:
    n = FunctionNode(Adder(), name="adder", output_name="total")
    assert n.name == "adder"
    assert n.inputs == ("x", "y")
    assert n(2, 3) == 5


def test_callable_instance_without_name_raises_type_error() -> None:
    with pytest.raises(TypeError, match="name="):
        FunctionNode(Adder(), output_name="total")


def test_partial_excludes_applied_arguments() -> None:
    n = FunctionNode(functools.partial(plain, 10), name="add_ten", output_name="s")
    assert n.inputs == ("b",)
    assert n(5) == 15


def test_partial_without_name_raises_type_error() -> None:
    with pytest.raises(TypeError, match="name="):
        FunctionNode(functools.partial(plain, 10), output_name="s")


# --- async and generator detection (NODE-03) ---------------------------------------------


def returns_generator(x):
    return (i for i in range(x))


def returns_coroutine(x):
    return coro_fn(x)


def has_nested_generator(x):
    def inner():
        yield x

    return list(inner())


DETECTION = [
    pytest.param(plain, None, False, False, id="def"),
    pytest.param(coro_fn, None, True, False, id="async-def"),
    pytest.param(gen_fn, None, False, True, id="generator"),
    pytest.param(agen_fn, None, True, True, id="async-generator"),
    pytest.param(lambda x: x, None, False, False, id="lambda"),
    pytest.param(lambda x: (i for i in x), None, False, False, id="lambda-returning-genexp"),
    pytest.param(returns_generator, None, False, False, id="returns-a-generator"),
    pytest.param(returns_coroutine, None, False, False, id="returns-a-coroutine"),
    pytest.param(has_nested_generator, None, False, False, id="nested-generator-function"),
    pytest.param(functools.partial(coro_fn), "p", True, False, id="partial-async"),
    pytest.param(functools.partial(gen_fn), "p", False, True, id="partial-generator"),
    pytest.param(functools.partial(agen_fn), "p", True, True, id="partial-async-generator"),
    pytest.param(
        functools.partial(functools.partial(agen_fn)), "p", True, True, id="partial-of-partial"
    ),
    pytest.param(functools.partial(plain, 1), "p", False, False, id="partial-plain"),
    pytest.param(Adder(), "c", False, False, id="callable-instance"),
    pytest.param(AsyncCallable(), "c", True, False, id="async-callable-instance"),
    pytest.param(GenCallable(), "c", False, True, id="generator-callable-instance"),
    pytest.param(AsyncGenCallable(), "c", True, True, id="async-generator-callable-instance"),
    pytest.param(
        functools.partial(AsyncCallable()), "c", True, False, id="partial-of-async-instance"
    ),
    pytest.param(Methods().amethod, None, True, False, id="async-bound-method"),
    pytest.param(Methods().method, None, False, False, id="bound-method"),
]


@pytest.mark.parametrize(("func", "name", "is_async", "is_generator"), DETECTION)
def test_async_and_generator_detection(func, name, is_async, is_generator) -> None:
    n = FunctionNode(func, name=name)
    assert n.is_async is is_async
    assert n.is_generator is is_generator


def test_detection_survives_copies() -> None:
    n = FunctionNode(agen_fn, output_name="items").with_name("other").with_inputs(x="y")
    assert n.is_async is True
    assert n.is_generator is True


# --- inputs and defaults -----------------------------------------------------------------


def every_kind(a, /, b, *args, c, d=4, **kwargs):
    return a


def test_inputs_cover_every_parameter_kind_in_order() -> None:
    n = FunctionNode(every_kind)
    assert n.inputs == ("a", "b", "args", "c", "d", "kwargs")


def defaults_everywhere(a=1, /, b=2, *args, c=3, d, **kwargs):
    return a


def test_defaults_list_only_declared_defaults_and_never_var_parameters() -> None:
    n = FunctionNode(defaults_everywhere)
    assert n.defaults == {"a": 1, "b": 2, "c": 3}
    assert n.has_default_for("a")
    assert not n.has_default_for("d")
    assert not n.has_default_for("args")
    assert not n.has_default_for("kwargs")
    assert not n.has_default_for("nope")


def test_get_default_for_returns_the_very_object() -> None:
    sentinel = object()

    def f(x=sentinel):
        return x

    n = FunctionNode(f)
    assert n.get_default_for("x") is sentinel


def test_get_default_for_missing_raises_key_error() -> None:
    n = FunctionNode(plain)
    with pytest.raises(KeyError, match="No default for 'a'"):
        n.get_default_for("a")


def test_defaults_follow_renames() -> None:
    def f(x, y=5):
        return x

    n = FunctionNode(f).with_inputs(y="why")
    assert n.defaults == {"why": 5}
    assert n.has_default_for("why")
    assert n.get_default_for("why") == 5
    assert not n.has_default_for("y")
    with pytest.raises(KeyError, match="No default for 'y'"):
        n.get_default_for("y")


# --- parameter annotations ---------------------------------------------------------------


def annotated(a: int, b: "str", c, *args: float, d: Annotated[int, "meta"] = 1, **kw: bytes):
    return a


def test_parameter_annotations_are_resolved_and_restricted_to_parameters() -> None:
    n = FunctionNode(annotated)
    assert n.parameter_annotations == {
        "a": int,
        "b": str,
        "args": float,
        "d": Annotated[int, "meta"],
        "kw": bytes,
    }
    assert n.get_input_type("a") is int
    assert n.get_input_type("c") is None
    assert n.get_input_type("nope") is None


def unresolvable(x: "NoSuchType", y: int, z: "list[int]"):  # noqa: F821
    return x


def test_unresolvable_annotation_falls_back_to_forward_ref() -> None:
    n = FunctionNode(unresolvable)
    fwd = n.parameter_annotations["x"]
    assert isinstance(fwd, typing.ForwardRef)
    assert fwd.__forward_arg__ == "NoSuchType"
    # The others are still evaluated one by one.
    assert n.parameter_annotations["y"] is int
    assert n.parameter_annotations["z"] == list[int]


def test_annotations_of_callable_instances_and_partials() -> None:
    class Typed:
        def __call__(self, x: int, y: str) -> bool:
            return True

    def f(a: int, b: str) -> None:
        return None

    assert FunctionNode(Typed(), name="t", output_name="r").parameter_annotations == {
        "x": int,
        "y": str,
    }
    assert FunctionNode(Typed(), name="t", output_name="r").output_annotation == {"r": bool}
    assert FunctionNode(functools.partial(f, 1), name="p").parameter_annotations == {"b": str}


def test_annotations_follow_renames() -> None:
    n = FunctionNode(annotated).with_inputs(a="alpha")
    assert n.get_input_type("alpha") is int
    assert n.get_input_type("a") is None
    assert "a" not in n.parameter_annotations


# --- outputs and output_annotation (NODE-04) ----------------------------------------------


def test_output_name_forms() -> None:
    assert FunctionNode(plain).outputs == ()
    assert FunctionNode(plain, output_name="s").outputs == ("s",)
    assert FunctionNode(plain, output_name=("s", "t")).outputs == ("s", "t")
    assert FunctionNode(plain, output_name=["s", "t"]).outputs == ("s", "t")


@pytest.mark.parametrize("bad", [3, ("a", 1), {"a"}, b"a"])
def test_output_name_of_another_type_raises_type_error(bad) -> None:
    with pytest.raises(TypeError, match="output_name"):
        FunctionNode(plain, output_name=bad)


def test_repeated_output_name_raises_graph_config_error_naming_it() -> None:
    with pytest.raises(GraphConfigError, match="'dup'") as info:
        FunctionNode(plain, output_name=("dup", "other", "dup"))
    assert "plain" in str(info.value)


def ret_int() -> int:
    return 1


def ret_pair() -> tuple[int, str]:
    return 1, "a"


def ret_typing_pair() -> typing.Tuple[int, str]:  # noqa: UP006
    return 1, "a"


def ret_var_tuple() -> tuple[int, ...]:
    return (1, 2)


def ret_triple() -> tuple[int, str, float]:
    return 1, "a", 1.0


def ret_list() -> list[int]:
    return [1, 2]


def ret_none_annotation() -> None:
    return None


def no_annotation():
    return 1


def gen_iterator() -> Iterator[int]:
    yield 1


def gen_typing_iterator() -> typing.Iterator[int]:
    yield 1


def gen_iterable() -> Iterable[str]:
    yield "a"


def gen_generator() -> Generator[float, None, None]:
    yield 1.0


def gen_list() -> list[int]:
    yield 1


def gen_unannotated():
    yield 1


async def agen_iterator() -> AsyncIterator[int]:
    yield 1


async def agen_generator() -> AsyncGenerator[bytes, None]:
    yield b""


async def coro_int() -> int:
    return 1


OUTPUT_ANNOTATIONS = [
    pytest.param(no_annotation, "r", {}, id="no-annotation"),
    pytest.param(ret_int, "r", {"r": int}, id="one-output"),
    pytest.param(ret_pair, "r", {"r": tuple[int, str]}, id="one-output-tuple-kept-whole"),
    pytest.param(ret_pair, ("a", "b"), {"a": int, "b": str}, id="tuple-unpacked"),
    pytest.param(ret_typing_pair, ("a", "b"), {"a": int, "b": str}, id="typing-tuple-unpacked"),
    pytest.param(ret_var_tuple, ("a", "b"), {}, id="variadic-tuple"),
    pytest.param(ret_triple, ("a", "b"), {}, id="tuple-arity-mismatch"),
    pytest.param(ret_list, ("a", "b"), {}, id="not-a-tuple"),
    pytest.param(coro_int, "r", {"r": int}, id="async-one-output"),
    pytest.param(gen_iterator, "r", {"r": list[int]}, id="generator-iterator"),
    pytest.param(gen_typing_iterator, "r", {"r": list[int]}, id="generator-typing-iterator"),
    pytest.param(gen_iterable, "r", {"r": list[str]}, id="generator-iterable"),
    pytest.param(gen_generator, "r", {"r": list[float]}, id="generator-generator"),
    pytest.param(gen_iterator, ("a", "b"), {"a": int, "b": int}, id="generator-several"),
    pytest.param(gen_list, "r", {}, id="generator-other-annotation"),
    pytest.param(gen_unannotated, "r", {}, id="generator-unannotated"),
    pytest.param(agen_iterator, "r", {"r": list[int]}, id="async-generator-iterator"),
    pytest.param(agen_generator, "r", {"r": list[bytes]}, id="async-generator-generator"),
]


@pytest.mark.parametrize(("func", "output_name", "expected"), OUTPUT_ANNOTATIONS)
def test_output_annotation(func, output_name, expected) -> None:
    n = FunctionNode(func, output_name=output_name)
    assert n.output_annotation == expected
    for out in n.outputs:
        assert n.get_output_type(out) == expected.get(out)


def test_output_annotation_empty_without_outputs() -> None:
    n = FunctionNode(ret_none_annotation)
    assert n.outputs == ()
    assert n.output_annotation == {}


def test_output_annotation_follows_output_renames() -> None:
    n = FunctionNode(ret_pair, output_name=("a", "b")).with_outputs(a="first")
    assert n.output_annotation == {"first": int, "b": str}
    assert n.get_output_type("first") is int
    assert n.get_output_type("a") is None


# --- the return-annotation warning -------------------------------------------------------


def _user_warnings(func, **kwargs) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FunctionNode(func, **kwargs)
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def test_return_annotation_without_output_name_warns_exactly_once() -> None:
    texts = _user_warnings(ret_int)
    assert len(texts) == 1
    assert "has return type" in texts[0]
    assert "output_name" in texts[0]
    assert "ret_int" in texts[0]


def test_return_annotation_warning_through_decorator() -> None:
    with pytest.warns(UserWarning, match="has return type") as record:

        @node
        def compute(x) -> int:
            return x

    assert len(record) == 1
    assert "compute" in str(record[0].message)
    assert compute.outputs == ()


def string_none() -> "None":
    return None


@pytest.mark.parametrize(
    ("func", "kwargs"),
    [
        pytest.param(ret_none_annotation, {}, id="none-annotation"),
        pytest.param(string_none, {}, id="string-none-annotation"),
        pytest.param(no_annotation, {}, id="no-annotation"),
        pytest.param(ret_int, {"output_name": "r"}, id="with-output-name"),
    ],
)
def test_no_return_warning(func, kwargs) -> None:
    assert _user_warnings(func, **kwargs) == []


# --- repr --------------------------------------------------------------------------------


def foo(x):
    return x


def test_repr_exact_format() -> None:
    n = FunctionNode(foo, output_name="result")
    assert repr(n) == "FunctionNode(foo, outputs=('result',))"
    assert repr(n.with_name("bar")) == "FunctionNode(foo as 'bar', outputs=('result',))"
    assert repr(FunctionNode(foo)) == "FunctionNode(foo, outputs=())"
    assert (
        repr(FunctionNode(foo, output_name=("a", "b"))) == "FunctionNode(foo, outputs=('a', 'b'))"
    )


def test_repr_uses_function_name_not_node_name() -> None:
    assert repr(FunctionNode(foo, name="bar", output_name="r")) == (
        "FunctionNode(foo as 'bar', outputs=('r',))"
    )
    assert (
        repr(FunctionNode(foo).with_name("bar").with_name("foo")) == "FunctionNode(foo, outputs=())"
    )


# --- definition_hash ---------------------------------------------------------------------


def test_definition_hash_is_sha256_of_the_source() -> None:
    expected = hashlib.sha256(inspect.getsource(foo).encode()).hexdigest()
    assert FunctionNode(foo).definition_hash == expected


def test_definition_hash_ignores_name_renames_outputs_and_cache() -> None:
    base = FunctionNode(foo, output_name="a")
    other = (
        FunctionNode(foo, name="other", output_name=("b", "c"), cache=True)
        .with_inputs(x="y")
        .with_outputs(b="d")
        .with_name("third")
    )
    assert base.definition_hash == other.definition_hash
    assert base.definition_hash == FunctionNode(foo).definition_hash


def test_definition_hash_differs_for_different_source() -> None:
    def f1(x):
        return x + 1

    def f2(x):
        return x + 2

    assert FunctionNode(f1).definition_hash != FunctionNode(f2).definition_hash


def _hex64(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _exec_function(body: str):
    namespace: dict = {}
    exec(f"def made(x):\n    return {body}\n", namespace)
    return namespace["made"]


def test_definition_hash_fallback_for_builtins_is_stable() -> None:
    first = FunctionNode(len, output_name="n").definition_hash
    second = FunctionNode(len, output_name="m").definition_hash
    assert _hex64(first)
    assert first == second
    assert first != FunctionNode(abs, output_name="n").definition_hash


def test_definition_hash_fallback_for_exec_code_is_stable() -> None:
    f1 = _exec_function("x + 1")
    with pytest.raises(OSError):
        inspect.getsource(f1)  # the premise: no source available
    h1 = FunctionNode(f1).definition_hash
    assert _hex64(h1)
    assert h1 == FunctionNode(_exec_function("x + 1")).definition_hash
    assert h1 != FunctionNode(_exec_function("x * 2")).definition_hash


def test_definition_hash_never_raises_for_source_less_callables() -> None:
    namespace: dict = {}
    exec("class Made:\n    def __call__(self, x):\n        return x\n", namespace)
    instance = namespace["Made"]()
    h = FunctionNode(instance, name="made").definition_hash
    assert _hex64(h)
    assert h == FunctionNode(instance, name="again").definition_hash
    partial = functools.partial(_exec_function("x"), 1)
    assert _hex64(FunctionNode(partial, name="p").definition_hash)


def test_definition_hash_of_callable_instance_and_method_and_partial() -> None:
    for n in (
        FunctionNode(Adder(), name="a"),
        FunctionNode(Methods().method),
        FunctionNode(functools.partial(plain, 1), name="p"),
    ):
        assert _hex64(n.definition_hash)
        assert n.definition_hash == n.definition_hash


# --- calling -----------------------------------------------------------------------------


def test_call_passes_exactly_the_given_arguments() -> None:
    n = FunctionNode(plain, output_name="s").with_inputs(a="x")
    assert n(1, 2) == 3
    assert n(a=1, b=2) == 3
    with pytest.raises(TypeError):
        n(x=1, b=2)  # no renaming on __call__


async def test_call_of_async_node_returns_a_coroutine() -> None:
    n = FunctionNode(coro_fn, output_name="r")
    result = n(7)
    assert inspect.iscoroutine(result)
    assert await result == 7


def test_call_of_generator_node_returns_a_generator() -> None:
    n = FunctionNode(gen_fn, output_name="r")
    result = n(3)
    assert inspect.isgenerator(result)
    assert list(result) == [3]


# --- map_inputs_to_params ----------------------------------------------------------------


def test_map_inputs_to_params_translates_current_names() -> None:
    n = FunctionNode(plain).with_inputs(a="x")
    assert n.map_inputs_to_params({"x": 1, "b": 2}) == {"a": 1, "b": 2}
    assert n.map_inputs_to_params({"unknown": 3}) == {"unknown": 3}


def test_map_inputs_to_params_without_renames_is_an_unchanged_copy() -> None:
    n = FunctionNode(plain)
    values = {"a": 1, "b": 2}
    mapped = n.map_inputs_to_params(values)
    assert mapped == values
    assert mapped is not values


def test_map_inputs_to_params_after_swap_and_composition() -> None:
    swapped = FunctionNode(plain).with_inputs(a="b", b="a")
    assert swapped.map_inputs_to_params({"a": 1, "b": 2}) == {"b": 1, "a": 2}
    composed = FunctionNode(plain).with_inputs(a="x").with_inputs(x="z")
    assert composed.map_inputs_to_params({"z": 1}) == {"a": 1}


# --- cache -------------------------------------------------------------------------------


def test_cache_is_stored_and_survives_every_copy() -> None:
    assert FunctionNode(foo).cache is False
    n = FunctionNode(foo, output_name="r", cache=True)
    assert n.cache is True
    assert n.with_name("g").cache is True
    assert n.with_inputs(x="y").cache is True
    assert n.with_outputs(r="s").cache is True
    assert node(cache=True)(foo).cache is True


# --- FunctionNode(FunctionNode) ----------------------------------------------------------


def test_function_node_source_reuses_only_func() -> None:
    src = FunctionNode(
        plain, name="other", output_name="s", rename_inputs={"a": "z"}, cache=True
    ).with_name("renamed")
    n = FunctionNode(src)
    assert n.func is plain
    assert n.name == "plain"
    assert n.inputs == ("a", "b")
    assert n.outputs == ()
    assert n.cache is False
    assert n._rename_history == []
    again = FunctionNode(src, output_name="t")
    assert again.outputs == ("t",)


# --- node() ------------------------------------------------------------------------------


def test_node_bare_form() -> None:
    @node
    def bare(x):
        return x

    assert isinstance(bare, FunctionNode)
    assert bare.name == "bare"
    assert bare.outputs == ()


def test_node_called_forms() -> None:
    @node()
    def empty_call(x):
        return x

    @node(output_name="y", rename_inputs={"x": "inp"}, cache=True)
    def full(x):
        return x

    assert isinstance(empty_call, FunctionNode)
    assert empty_call.outputs == ()
    assert full.name == "full"
    assert full.outputs == ("y",)
    assert full.inputs == ("inp",)
    assert full.cache is True
    assert node(foo, "r").outputs == ("r",)
    assert node(foo, output_name=("a", "b")).outputs == ("a", "b")


def test_node_has_no_name_parameter() -> None:
    assert "name" not in inspect.signature(node).parameters
    with pytest.raises(TypeError):
        node(foo, name="bar")  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        node(name="bar")  # type: ignore[call-overload]
