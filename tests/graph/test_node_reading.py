"""How a FunctionNode reads its function: plain functions straight from their code object, agreeing
with ``inspect.signature``; annotations resolved on first use and reused per function while they
stay the same; anything ``inspect.signature`` honours (``__signature__``, ``__wrapped__``,
coroutine marks) still honoured (issue 22 item 1)."""

import functools
import inspect
import sys
import typing

import pytest

from hypergraph_graph import FunctionNode, Graph, node


def positional(a, b=2):
    return a


def every_kind(a, /, b, *args, c, d=4, **kwargs):
    return a


def defaults_everywhere(a=1, /, b=2, *args, c=3, d, **kw):
    return a


def keyword_only(*, k, m=1):
    return k


def posonly_only(a, b=5, /):
    return a


def var_only(*items, **named):
    return items


def locals_after(a, b):
    extra = a + b  # a local variable must not become a parameter
    return extra


def no_params():
    return 1


async def coro(x):
    return x


def gen(x):
    yield x


async def agen(x):
    yield x


SIGNATURES = [
    positional,
    every_kind,
    defaults_everywhere,
    keyword_only,
    posonly_only,
    var_only,
    locals_after,
    no_params,
    coro,
    gen,
    agen,
    lambda x, y=3: x,
]


def _expected(func):
    sig = inspect.signature(func)
    defaults = {
        p.name: p.default
        for p in sig.parameters.values()
        if p.default is not p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    params = tuple((p.name, p.name, p.kind) for p in sig.parameters.values())
    return tuple(sig.parameters), params, defaults


@pytest.mark.parametrize("func", SIGNATURES, ids=lambda f: f.__name__)
def test_plain_functions_read_as_inspect_signature_reads_them(func) -> None:
    n = FunctionNode(func, output_name="out")
    inputs, params, defaults = _expected(func)
    assert n.inputs == inputs
    assert n.parameters == params
    assert n.defaults == defaults
    assert n.is_async is (inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func))
    assert n.is_generator is (inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func))


def test_defaults_are_the_nodes_own() -> None:
    first, second = FunctionNode(positional), FunctionNode(positional)
    first.defaults["b"] = 99
    assert second.defaults == {"b": 2}
    assert positional.__defaults__ == (2,)


def test_explicit_signature_is_honoured() -> None:
    def f(*args, **kwargs):
        return args

    f.__signature__ = inspect.Signature(
        [inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=int)]
    )
    n = FunctionNode(f, output_name="y")
    assert n.inputs == ("x",)
    assert n.get_input_type("x") is int


def test_wrapped_function_shows_the_wrapped_signature() -> None:
    def inner(a: int, b: str = "s") -> int:
        return a

    @functools.wraps(inner)
    def outer(*args, **kwargs):
        return inner(*args, **kwargs)

    n = FunctionNode(outer, output_name="r")
    assert n.inputs == ("a", "b")
    assert n.defaults == {"b": "s"}
    assert n.parameter_annotations == {"a": int, "b": str}


@pytest.mark.skipif(sys.version_info < (3, 12), reason="inspect.markcoroutinefunction is 3.12+")
def test_marked_coroutine_function_is_async() -> None:
    def f(x):
        return x

    n = FunctionNode(inspect.markcoroutinefunction(f), output_name="y")
    assert n.is_async is True


def test_a_replaced_code_object_is_read_again() -> None:
    def f(a, b):
        return a

    assert FunctionNode(f).inputs == ("a", "b")
    f.__code__ = (lambda x, y, z: x).__code__
    assert FunctionNode(f).inputs == ("x", "y", "z")


# --- annotations: resolved on first use --------------------------------------------------


def later(x: "DefinedLater") -> "DefinedLater":  # DefinedLater is defined below the node
    return x


LATER_NODE = FunctionNode(later, output_name="y")


class DefinedLater:
    pass


def test_annotations_resolve_when_first_asked_not_when_built() -> None:
    # Built above, before DefinedLater existed: resolution waits for the first question.
    assert LATER_NODE.get_input_type("x") is DefinedLater
    assert LATER_NODE.output_annotation == {"y": DefinedLater}


def test_unresolved_annotation_is_retried_on_a_new_node() -> None:
    namespace = {}
    exec("def f(x: 'Later') -> int:\n    return 1", namespace)
    f = namespace["f"]
    assert isinstance(FunctionNode(f, output_name="y").get_input_type("x"), typing.ForwardRef)
    namespace["Later"] = bytes
    assert FunctionNode(f, output_name="y").get_input_type("x") is bytes


def test_changed_annotations_are_read_by_the_next_node() -> None:
    def f(x: int) -> int:
        return x

    assert FunctionNode(f, output_name="y").get_input_type("x") is int
    f.__annotations__ = {"x": str, "return": int}
    assert FunctionNode(f, output_name="y").get_input_type("x") is str
    f.__annotations__["x"] = bytes  # changed in place
    assert FunctionNode(f, output_name="y").get_input_type("x") is bytes


def test_a_node_keeps_the_annotations_it_was_built_with() -> None:
    def f(x: int) -> int:
        return x

    n = FunctionNode(f, output_name="y")
    f.__annotations__["x"] = str
    assert n.get_input_type("x") is int


def test_strict_types_still_checks_at_graph_build() -> None:
    @node(output_name="v")
    def produce() -> int:
        return 1

    @node(output_name="w")
    def consume(v: str) -> str:
        return v

    with pytest.raises(Exception, match="Type mismatch on 'v'"):
        Graph([produce, consume], strict_types=True)


def test_unused_return_still_warns_at_construction() -> None:
    def f(x) -> int:
        return x

    with pytest.warns(UserWarning, match="return type 'int' but no output_name"):
        FunctionNode(f)


def test_many_parameters() -> None:
    namespace = {}
    exec(f"def wide({', '.join(f'a{i}' for i in range(300))}):\n    return a0", namespace)
    n = FunctionNode(namespace["wide"], output_name="y")
    assert n.inputs == tuple(f"a{i}" for i in range(300))
    assert {kind for _, _, kind in n.parameters} == {inspect.Parameter.POSITIONAL_OR_KEYWORD}
