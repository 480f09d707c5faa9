"""Validation of ``run()`` arguments before any node runs, in the order of SPEC §6.5, plus
values for internal names (§4.6) and the ``MissingInputError`` layout (ERR-01)."""

import asyncio
import warnings

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner
from hypergraph_types import (
    HypergraphError,
    IncompatibleRunnerError,
    InvalidInputError,
    MissingInputError,
    UnknownInputError,
)


def counted_graph(calls: list[str]) -> Graph:
    """``a(x) -> y``, ``b(y, k=1) -> z``: one required input, one optional, one internal."""

    @node(output_name="y")
    def a(x):
        calls.append("a")
        return x + 1

    @node(output_name="z")
    def b(y, k=1):
        calls.append("b")
        return y * k

    return Graph([a, b])


# -- §6.5 row 1: argument types --------------------------------------------------------------


@pytest.mark.parametrize("bad", ["node", "function", "none", "list"])
def test_graph_that_is_not_a_graph_is_type_error(run, bad):
    @node(output_name="y")
    def f(x):
        return x

    def plain(x):
        return x

    obj = {"node": f, "function": plain, "none": None, "list": [f]}[bad]
    with pytest.raises(TypeError) as excinfo:
        run(obj, {"x": 1})
    assert not isinstance(excinfo.value, HypergraphError)
    assert type(obj).__name__ in str(excinfo.value)
    assert "Graph(" in str(excinfo.value)


@pytest.mark.parametrize("values", [[("x", 1)], "x=1", 5, {("x", 1)}])
def test_values_not_a_mapping_is_type_error(run, calls, values):
    with pytest.raises(TypeError) as excinfo:
        run(counted_graph(calls), values)
    assert not isinstance(excinfo.value, HypergraphError)
    assert type(values).__name__ in str(excinfo.value)
    assert calls == []


@pytest.mark.parametrize("key", [1, None, ("x",), b"x"])
def test_non_str_key_is_type_error(run, calls, key):
    with pytest.raises(TypeError) as excinfo:
        run(counted_graph(calls), {"x": 1, key: 2})
    assert repr(key) in str(excinfo.value)
    assert calls == []


def test_any_mapping_is_accepted(run, calls):
    from types import MappingProxyType

    result = run(counted_graph(calls), MappingProxyType({"x": 1}))
    assert result["z"] == 2


@pytest.mark.parametrize("select", [5, [1], ["z", 2], b"z", {"z"}, {"z": 1}, object()], ids=repr)
def test_bad_select_is_type_error(run, calls, select):
    with pytest.raises(TypeError) as excinfo:
        run(counted_graph(calls), {"x": 1}, select=select)
    assert "select" in str(excinfo.value)
    assert calls == []


@pytest.mark.parametrize("value", [True, 1.5, "2"])
def test_async_max_concurrency_of_wrong_type_is_type_error(value):
    calls: list[str] = []
    with pytest.raises(TypeError, match="max_concurrency"):
        asyncio.run(AsyncRunner().run(counted_graph(calls), {"x": 1}, max_concurrency=value))
    assert calls == []


@pytest.mark.parametrize("value", [0, -1])
def test_async_max_concurrency_below_one_is_invalid(value):
    calls: list[str] = []
    with pytest.raises(InvalidInputError, match="max_concurrency"):
        asyncio.run(AsyncRunner().run(counted_graph(calls), {"x": 1}, max_concurrency=value))
    assert calls == []


# -- the order of the rows -------------------------------------------------------------------


def test_graph_type_is_checked_before_values(run):
    @node(output_name="y")
    def f(x):
        return x

    with pytest.raises(TypeError, match="FunctionNode"):
        run(f, "not a mapping")


def test_values_are_checked_before_select(run, calls):
    with pytest.raises(TypeError, match="list"):
        run(counted_graph(calls), [("x", 1)], select=5)


def test_argument_types_are_checked_before_runner_compatibility(calls):
    from hypergraph_runners import SyncRunner

    @node(output_name="y")
    async def slow(x):
        return x

    with pytest.raises(TypeError) as excinfo:
        SyncRunner().run(Graph([slow]), {"x": 1}, select=5)
    assert not isinstance(excinfo.value, IncompatibleRunnerError)


def test_runner_compatibility_is_checked_before_input_names():
    from hypergraph_runners import SyncRunner

    @node(output_name="y")
    async def slow(x):
        return x

    with pytest.raises(IncompatibleRunnerError):
        SyncRunner().run(Graph([slow]), {"nope": 1})


def test_malformed_address_is_checked_before_unknown_names(run, calls):
    with pytest.raises(InvalidInputError) as excinfo:
        run(counted_graph(calls), {"x": 1, "nope": 1, "a..b": 2})
    assert not isinstance(excinfo.value, UnknownInputError)
    assert "a..b" in str(excinfo.value)


def test_unknown_names_are_checked_before_partial_internal_values(run):
    @node(output_name=("p", "q"))
    def split(x):
        return x, x

    with pytest.raises(UnknownInputError):
        run(Graph([split]), {"x": 1, "p": 1, "nope": 2})


def test_partial_internal_values_are_checked_before_missing_inputs(run):
    @node(output_name=("p", "q"))
    def split(x):
        return x, x

    @node(output_name="r")
    def use(p, w):
        return p

    with pytest.raises(InvalidInputError) as excinfo:
        run(Graph([split, use]), {"p": 1})
    assert not isinstance(excinfo.value, MissingInputError)


def test_unknown_names_are_checked_before_missing_inputs(run, calls):
    with pytest.raises(UnknownInputError):
        run(counted_graph(calls), {"nope": 1})


# -- row 5: UnknownInputError ----------------------------------------------------------------


def rag_graph(calls: list[str]) -> Graph:
    @node(output_name="answer")
    def answer(query, top_k=3):
        calls.append("answer")
        return query * top_k

    return Graph([answer])


def test_unknown_input_with_did_you_mean(run, calls):
    with pytest.raises(UnknownInputError) as excinfo:
        run(rag_graph(calls), {"query": "q", "top_kk": 5})
    err = excinfo.value
    text = str(err)
    assert isinstance(err, InvalidInputError) and isinstance(err, ValueError)
    assert "'top_kk'" in text
    assert "Did you mean 'top_k'?" in text
    assert "Valid inputs:" in text
    assert err.unknown == ["top_kk"]
    assert set(err.valid) == {"query", "top_k"}
    assert err.suggestions == {"top_kk": "top_k"}
    assert calls == []


def test_every_unknown_name_is_quoted(run, calls):
    with pytest.raises(UnknownInputError) as excinfo:
        run(rag_graph(calls), {"query": "q", "zzz": 1, "qquery": 2})
    text = str(excinfo.value)
    assert "'zzz'" in text and "'qquery'" in text
    assert sorted(excinfo.value.unknown) == ["qquery", "zzz"]
    assert "Did you mean 'query'?" in text
    assert "zzz" not in excinfo.value.suggestions


def test_unknown_input_without_a_close_match_has_no_suggestion(run, calls):
    with pytest.raises(UnknownInputError) as excinfo:
        run(rag_graph(calls), {"query": "q", "completely_different": 1})
    assert "Did you mean" not in str(excinfo.value)
    assert excinfo.value.suggestions == {}
    assert "Valid inputs:" in str(excinfo.value)


def test_unknown_input_lists_the_missing_inputs_too(run, calls):
    with pytest.raises(UnknownInputError) as excinfo:
        run(rag_graph(calls), {"qeury": "q"})
    missing_lines = [ln for ln in str(excinfo.value).splitlines() if "missing" in ln.lower()]
    assert missing_lines, str(excinfo.value)
    assert any("'query'" in ln for ln in missing_lines)


def test_graph_node_name_as_key_hints_at_dotted_addresses(run):
    @node(output_name="doubled")
    def double(x):
        return 2 * x

    inner = Graph([double], name="inner")

    @node(output_name="final")
    def post(doubled):
        return doubled

    outer = Graph([inner.as_node(), post])
    with pytest.raises(UnknownInputError) as excinfo:
        run(outer, {"x": 1, "inner": 5})
    text = str(excinfo.value)
    assert "'inner'" in text
    assert "'inner.<input>'" in text or "'inner.x'" in text


# -- row 6: values for internal names (§4.6) -------------------------------------------------


def test_internal_value_bypasses_its_producer(run, calls):
    supplied = [5]
    with pytest.warns(UserWarning) as record:
        result = run(counted_graph(calls), {"y": supplied})
    assert calls == ["b"]  # "a" never ran, and "x" was not required
    assert result["y"] is supplied
    assert result["z"] == [5]
    assert list(result.values) == ["y", "z"]
    assert len(record) == 1
    text = str(record[0].message)
    assert "'y'" in text and "'a'" in text


def test_bypassed_producer_does_not_run_even_when_its_inputs_are_given(run, calls):
    with pytest.warns(UserWarning):
        result = run(counted_graph(calls), {"x": 1, "y": 10})
    assert calls == ["b"]
    assert result.values == {"y": 10, "z": 10}


def test_internal_value_warning_is_emitted_once_per_call(run):
    @node(output_name="p")
    def make_p(x):
        return x

    @node(output_name="q")
    def make_q(x):
        return x

    @node(output_name="r")
    def use(p, q):
        return p + q

    graph = Graph([make_p, make_q, use])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(graph, {"p": 1, "q": 2})
    user = [w for w in caught if issubclass(w.category, UserWarning)]
    assert len(user) == 1
    text = str(user[0].message)
    for fragment in ("'p'", "'q'", "'make_p'", "'make_q'"):
        assert fragment in text
    assert result["r"] == 3


def test_internal_values_covering_every_output_bypass_a_multi_output_node(run, calls):
    @node(output_name=("p", "q"))
    def split(x):
        calls.append("split")
        return x, x

    @node(output_name="r")
    def join(p, q):
        return p + q

    with pytest.warns(UserWarning, match="split"):
        result = run(Graph([split, join]), {"p": "P", "q": "Q"})
    assert calls == []
    assert result.values == {"p": "P", "q": "Q", "r": "PQ"}


def test_internal_values_covering_some_outputs_are_invalid(run, calls):
    @node(output_name=("p", "q", "s"))
    def split(x):
        calls.append("split")
        return x, x, x

    @node(output_name="r")
    def join(p, q, s):
        calls.append("join")
        return p

    with pytest.raises(InvalidInputError) as excinfo:
        run(Graph([split, join]), {"x": 1, "p": 1, "s": 3})
    text = str(excinfo.value)
    assert not isinstance(excinfo.value, (MissingInputError, UnknownInputError))
    for fragment in ("'split'", "'p'", "'q'", "'s'"):
        assert fragment in text
    assert calls == []


def test_graph_input_consumed_only_by_bypassed_nodes_is_not_required(run, calls):
    @node(output_name="y")
    def a(x):
        calls.append("a")
        return x

    @node(output_name="z")
    def b(y):
        calls.append("b")
        return y

    graph = Graph([a, b])
    assert graph.inputs.required == ("x",)
    with pytest.warns(UserWarning):
        result = run(graph, {"y": 1})
    assert result.values == {"y": 1, "z": 1}
    assert calls == ["b"]


def test_graph_input_also_consumed_by_a_running_node_stays_required(run, calls):
    @node(output_name="y")
    def a(x):
        return x

    @node(output_name="z")
    def b(y, x):
        calls.append("b")
        return y

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(MissingInputError) as excinfo:
            run(Graph([a, b]), {"y": 1})
    assert excinfo.value.missing == ["x"]
    assert calls == []


def test_nodes_feeding_a_bypassed_node_still_run(run, calls):
    @node(output_name="x")
    def pre(w):
        calls.append("pre")
        return w

    @node(output_name="y")
    def a(x):
        calls.append("a")
        return x

    @node(output_name="z")
    def b(y):
        calls.append("b")
        return y

    with pytest.warns(UserWarning):
        result = run(Graph([pre, a, b]), {"w": "W", "y": "Y"})
    assert sorted(calls) == ["b", "pre"]
    assert result.values == {"x": "W", "y": "Y", "z": "Y"}


# -- row 7: MissingInputError (ERR-01) -------------------------------------------------------


def test_missing_inputs_layout(run):
    @node(output_name="out")
    def f(zeta, alpha, c=1):
        return zeta

    with pytest.raises(MissingInputError) as excinfo:
        run(Graph([f]))
    err = excinfo.value
    assert isinstance(err, InvalidInputError) and isinstance(err, ValueError)
    assert err.missing == ["alpha", "zeta"]
    assert err.provided == []
    lines = str(err).splitlines()
    assert "Missing required inputs: 'alpha', 'zeta'" in lines[0]
    assert "How to fix" in str(err)
    assert str(err) == err.message


def test_missing_inputs_lists_what_was_provided(run):
    @node(output_name="out")
    def f(a, b, c=1):
        return a

    with pytest.raises(MissingInputError) as excinfo:
        run(Graph([f]), {"a": 1, "c": 2})
    err = excinfo.value
    assert err.missing == ["b"]
    assert sorted(err.provided) == ["a", "c"]
    assert "Missing required inputs: 'b'" in str(err).splitlines()[0]
    provided = [ln for ln in str(err).splitlines() if "Provided: " in ln]
    assert provided and "'a'" in provided[0] and "'c'" in provided[0]


def test_missing_required_and_seed_inputs_are_listed_separately(run):
    @node(output_name="count")
    def step(count, limit):
        return count

    graph = Graph([step])
    assert graph.inputs.required == ("limit",)
    assert graph.inputs.seeds == ("count",)
    with pytest.raises(MissingInputError) as excinfo:
        run(graph)
    err = excinfo.value
    text = str(err)
    assert err.missing == ["count", "limit"]
    assert "Missing required inputs: 'count', 'limit'" in text.splitlines()[0]
    required = [ln for ln in text.splitlines() if "Required: " in ln]
    seeds = [ln for ln in text.splitlines() if "Seeds (for cycles): " in ln]
    assert len(required) == 1 and "'limit'" in required[0] and "'count'" not in required[0]
    assert len(seeds) == 1 and "'count'" in seeds[0] and "'limit'" not in seeds[0]


def test_missing_seed_alone_is_missing(run):
    @node(output_name="count")
    def step(count):
        return count

    with pytest.raises(MissingInputError) as excinfo:
        run(Graph([step]))
    assert excinfo.value.missing == ["count"]
    assert "Missing required inputs: 'count'" in str(excinfo.value)


def test_missing_seed_hint_names_the_seed_and_both_fixes_work(run):
    # The hint used to suggest graph.bind(), which rejects a seed ("bypass its producer").
    @node(output_name="count")
    def step(count, limit):
        return min(count + 1, limit)

    graph = Graph([step])
    with pytest.raises(MissingInputError) as excinfo:
        run(graph, {"limit": 3})
    text = str(excinfo.value)
    assert "'count': cycle seed" in text
    fix = text.split("How to fix:")[1]
    assert "bind" not in fix
    assert "{'count': ...}" in fix
    # The fix the hint names works. (A parameter default does not: seeds ignore defaults.)
    assert run(graph, {"limit": 3, "count": 0})["count"] == 3


def test_missing_input_never_suggests_itself(run):
    @node(output_name="out")
    def f(text, texts):
        return text

    with pytest.raises(MissingInputError) as excinfo:
        run(Graph([f]), {"texts": ["a"]})
    message = str(excinfo.value)
    assert excinfo.value.missing == ["text"]
    assert "Did you mean 'text'" not in message
    assert "Did you mean" not in message


def test_bound_and_defaulted_inputs_are_not_missing(run):
    @node(output_name="out")
    def f(a, b, c=3):
        return a + b + c

    assert run(Graph([f]).bind(b=2), {"a": 1})["out"] == 6


# -- every validation error comes before any node body ---------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        (([("x", 1)],), {}, TypeError),
        (({1: 1},), {}, TypeError),
        (({"x": 1},), {"select": 3}, TypeError),
        (({"x": 1},), {"max_iterations": 0}, InvalidInputError),
        (({"x": 1},), {"max_iterations": 2.0}, TypeError),
        (({"x": 1},), {"error_handling": "ignore"}, InvalidInputError),
        (({"x": 1},), {"x": 2}, InvalidInputError),
        (({"x": 1, "nope": 2},), {}, UnknownInputError),
        (({"x": 1, "y.z": 2},), {}, UnknownInputError),
        (({"k": 1},), {}, MissingInputError),
        (({},), {}, MissingInputError),
    ],
    ids=[
        "values-type",
        "key-type",
        "select",
        "max_iterations-value",
        "max_iterations-type",
        "error_handling",
        "given-twice",
        "unknown",
        "bad-address",
        "missing",
        "empty",
    ],
)
def test_validation_errors_are_raised_before_any_node_runs(run, calls, args, kwargs, error):
    with pytest.raises(error):
        run(counted_graph(calls), *args, **kwargs)
    assert calls == []


def test_partial_internal_values_are_raised_before_any_node_runs(run, calls):
    @node(output_name=("p", "q"))
    def split(x):
        calls.append("split")
        return x, x

    @node(output_name="free")
    def independent(w):
        calls.append("independent")
        return w

    with pytest.raises(InvalidInputError):
        run(Graph([independent, split]), {"w": 1, "x": 1, "q": 2})
    assert calls == []


def test_validation_errors_are_raised_whatever_error_handling_says(run, calls):
    with pytest.raises(MissingInputError):
        run(counted_graph(calls), {}, error_handling="continue")
    with pytest.raises(UnknownInputError):
        run(counted_graph(calls), {"x": 1, "nope": 1}, error_handling="continue")
    assert calls == []
