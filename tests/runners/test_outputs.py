"""How a node's return value becomes its outputs (SPEC §4.7 "Kinds" and "Unpacking", NODE-03,
RELIABILITY F4, F5)."""

import asyncio
import gc
import inspect
import warnings

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner
from hypergraph_types import HypergraphError, OutputMismatchError, RunStatus

# -- unpacking -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [(1, 2), [1, 2]], ids=["tuple", "list"])
def test_two_outputs_unpack_a_tuple_or_list_by_position(run, value):
    @node(output_name=("a", "b"))
    def pair():
        return value

    assert run(Graph([pair])).values == {"a": 1, "b": 2}


def test_unpacked_items_are_the_returned_objects(run):
    first, second = object(), object()

    @node(output_name=("a", "b"))
    def pair():
        return first, second

    result = run(Graph([pair]))
    assert result["a"] is first
    assert result["b"] is second


@pytest.mark.parametrize(
    ("returned", "k", "m"),
    [((1, 2, 3), 2, 3), ([1], 2, 1), ((), 2, 0), ((1, 2), 3, 2), ([1, 2, 3, 4], 3, 4)],
)
def test_wrong_length_is_output_mismatch(run, returned, k, m):
    names = tuple(f"o{i}" for i in range(k))

    @node(output_name=names)
    def shaped():
        return returned

    result = run(Graph([shaped]))
    assert result.status is RunStatus.FAILED
    err = result.error
    assert isinstance(err, OutputMismatchError)
    assert isinstance(err, HypergraphError) and isinstance(err, ValueError)
    assert f"has {k} outputs but returned {m} values" in str(err)
    assert "shaped" in str(err)
    assert err.node_name == "shaped"
    assert result.failed_node == "shaped"
    assert result.values == {}


def test_output_mismatch_message_example(run):
    @node(output_name=("a", "b"))
    def three():
        return 1, 2, 3

    result = run(Graph([three]))
    assert "has 2 outputs but returned 3 values" in str(result.error)
    assert "'a'" in str(result.error) and "'b'" in str(result.error)


@pytest.mark.parametrize(
    "returned",
    [
        "ab",
        b"ab",
        bytearray(b"ab"),
        {"a": 1, "b": 2},
        {1, 2},
        frozenset({1, 2}),
        range(2),
        None,
        12,
    ],
    ids=["str", "bytes", "bytearray", "dict", "set", "frozenset", "range", "None", "int"],
)
def test_non_tuple_values_are_never_unpacked(run, returned):
    @node(output_name=("a", "b"))
    def shaped():
        return returned

    result = run(Graph([shaped]))
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, OutputMismatchError)
    assert type(returned).__name__ in str(result.error)
    assert "a" not in result and "b" not in result


def test_returned_generator_object_is_not_unpacked(run):
    @node(output_name=("a", "b"))
    def lazy():
        return (i for i in range(2))

    result = run(Graph([lazy]))
    assert isinstance(result.error, OutputMismatchError)
    assert "generator" in str(result.error)


def test_output_mismatch_raised_under_raise_mode(run):
    @node(output_name=("a", "b"))
    def shaped():
        return "ab"

    with pytest.raises(OutputMismatchError):
        run(Graph([shaped]), error_handling="raise")


@pytest.mark.parametrize("value", [(1, 2), (), [1, 2], "text", {"k": "v"}, None])
def test_single_output_is_the_returned_value_unchanged(run, value):
    @node(output_name="out")
    def one():
        return value

    result = run(Graph([one]))
    assert result["out"] is value


def test_single_output_tuple_stays_a_tuple(run):
    @node(output_name="pair")
    def one():
        return (1, 2)

    out = run(Graph([one]))["pair"]
    assert type(out) is tuple and out == (1, 2)


def test_zero_outputs_discard_the_return_value(run, calls):
    @node
    def side(x):
        calls.append("side")
        return "ignored"

    @node(output_name="y")
    def main(x):
        return x

    result = run(Graph([side, main]), {"x": 1})
    assert result.status is RunStatus.COMPLETED
    assert calls == ["side"]
    assert result.values == {"y": 1}
    assert "ignored" not in result.values.values()


# -- generators ------------------------------------------------------------------------------


def test_generator_is_drained_into_a_list(run):
    @node(output_name="items")
    def gen(n):
        yield from range(n)

    out = run(Graph([gen]), {"n": 3})["items"]
    assert type(out) is list and out == [0, 1, 2]


def test_empty_generator_gives_empty_list(run):
    @node(output_name="items")
    def gen():
        return
        yield

    assert run(Graph([gen]))["items"] == []


def test_generator_with_several_outputs_unpacks_the_drained_list(run):
    @node(output_name=("a", "b"))
    def gen():
        yield "first"
        yield "second"

    assert run(Graph([gen])).values == {"a": "first", "b": "second"}


def test_generator_with_wrong_item_count_is_output_mismatch(run):
    @node(output_name=("a", "b"))
    def gen():
        yield from range(3)

    result = run(Graph([gen]))
    assert isinstance(result.error, OutputMismatchError)
    assert "has 2 outputs but returned 3 values" in str(result.error)


def test_generator_output_feeds_consumers_as_a_list(run):
    @node(output_name="items")
    def gen(n):
        yield from range(n)

    @node(output_name="total")
    def total(items):
        assert isinstance(items, list)
        return sum(items)

    assert run(Graph([gen, total]), {"n": 4})["total"] == 6


@pytest.mark.parametrize("k", [0, 1, 3])
def test_generator_raising_after_k_items_fails_without_partial_list(run, k):
    state = {"closed": False}
    err = RuntimeError("mid-stream")

    @node(output_name="items")
    def gen():
        try:
            yield from range(k)
            raise err
        finally:
            state["closed"] = True

    @node(output_name="n")
    def count(items):
        return len(items)

    result = run(Graph([gen, count]))
    assert result.status is RunStatus.FAILED
    assert result.error is err
    assert result.failed_node == "gen"
    assert state["closed"] is True
    assert "items" not in result
    assert "n" not in result
    assert result.values == {}


def test_generator_raising_under_raise_mode_has_run_its_finally(run):
    state = {"closed": False}

    @node(output_name="items")
    def gen():
        try:
            yield 1
            raise KeyError("k")
        finally:
            state["closed"] = True

    with pytest.raises(KeyError):
        run(Graph([gen]), error_handling="raise")
    assert state["closed"] is True


# -- async generators (AsyncRunner only: under SyncRunner they are async nodes) --------------


def arun(graph, values=None, **kwargs):
    return asyncio.run(AsyncRunner().run(graph, values, **kwargs))


def test_async_generator_is_drained_into_a_list():
    @node(output_name="items")
    async def agen(n):
        for i in range(n):
            await asyncio.sleep(0)
            yield i

    out = arun(Graph([agen]), {"n": 3})["items"]
    assert type(out) is list and out == [0, 1, 2]


def test_empty_async_generator_gives_empty_list():
    @node(output_name="items")
    async def agen():
        return
        yield

    assert arun(Graph([agen]))["items"] == []


def test_async_generator_with_several_outputs_unpacks():
    @node(output_name=("a", "b"))
    async def agen():
        yield 1
        yield 2

    assert arun(Graph([agen])).values == {"a": 1, "b": 2}


@pytest.mark.parametrize("k", [0, 2])
def test_async_generator_raising_after_k_items_fails_without_partial_list(k):
    state = {"closed": False}
    err = ValueError("async mid-stream")

    @node(output_name="items")
    async def agen():
        try:
            for i in range(k):
                yield i
            raise err
        finally:
            state["closed"] = True

    result = arun(Graph([agen]))
    assert result.status is RunStatus.FAILED
    assert result.error is err
    assert state["closed"] is True
    assert "items" not in result
    assert result.values == {}


def test_async_function_result_is_unpacked_like_a_sync_one():
    @node(output_name=("a", "b"))
    async def pair():
        return [1, 2]

    @node(output_name=("c", "d"))
    async def bad():
        return "cd"

    assert arun(Graph([pair])).values == {"a": 1, "b": 2}
    assert isinstance(arun(Graph([bad])).error, OutputMismatchError)


# -- a def node returning a coroutine (§4.7, §7 item 18) -------------------------------------


def test_def_returning_a_coroutine_fails_with_type_error(run):
    made = []
    ran = []

    async def work():
        ran.append(True)
        return 1

    @node(output_name="y")
    def sneaky():
        made.append(work())
        return made[-1]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(Graph([sneaky]))
        gc.collect()

    assert result.status is RunStatus.FAILED
    assert type(result.error) is TypeError
    assert "async def" in str(result.error)
    assert "sneaky" in str(result.error)
    assert result.failed_node == "sneaky"
    assert "y" not in result
    assert ran == []
    assert inspect.getcoroutinestate(made[0]) == inspect.CORO_CLOSED
    assert not [w for w in caught if "never awaited" in str(w.message)]


def test_def_returning_a_coroutine_with_raise_mode(run):
    async def work():
        return 1

    @node(output_name="y")
    def sneaky():
        return work()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(TypeError, match="async def"):
            run(Graph([sneaky]), error_handling="raise")
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]


def test_def_returning_a_coroutine_among_several_outputs(run):
    async def work():
        return 1, 2

    @node(output_name=("a", "b"))
    def sneaky():
        return work()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(Graph([sneaky]))
        gc.collect()
    assert type(result.error) is TypeError
    assert "async def" in str(result.error)
    assert not [w for w in caught if "never awaited" in str(w.message)]
