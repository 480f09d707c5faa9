"""The public surface of ``run()``: signatures, keyword shorthand, fresh results, capabilities,
``error_handling`` values and ``AsyncRunner(sync_nodes=...)`` (SPEC RUN-01 ... RUN-04, TYPE-03)."""

import asyncio
import inspect
import re
import threading

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, BaseRunner, SyncRunner
from hypergraph_types import (
    HypergraphError,
    InvalidInputError,
    RunnerCapabilities,
    RunResult,
    RunStatus,
    UnknownInputError,
)

RUN_ID = re.compile(r"run-[0-9a-f]{12}")


def add_graph(calls: list[str]) -> Graph:
    @node(output_name="total")
    def add(x, y):
        calls.append("add")
        return x + y

    return Graph([add])


def failing_graph() -> Graph:
    @node(output_name="y")
    def boom(x):
        raise ValueError("boom")

    return Graph([boom])


# -- signatures ------------------------------------------------------------------------------


def _params(func):
    return inspect.signature(func).parameters


@pytest.mark.parametrize("runner_cls", [SyncRunner, AsyncRunner])
def test_run_signature(runner_cls):
    params = _params(runner_cls.run)
    names = list(params)
    assert names[:3] == ["self", "graph", "values"]
    assert params["values"].default is None
    assert params["values"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    for name, default in [("select", None), ("max_iterations", None)]:
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert params[name].default is default
    assert params["error_handling"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["error_handling"].default == "continue"


@pytest.mark.parametrize("runner_cls", [SyncRunner, AsyncRunner])
def test_map_signature(runner_cls):
    params = _params(runner_cls.map)
    assert list(params)[:3] == ["self", "graph", "values"]
    assert params["values"].default is None
    assert params["map_over"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["map_over"].default is inspect.Parameter.empty
    assert params["map_mode"].default == "zip"
    assert params["select"].default is None
    assert params["max_iterations"].default is None
    assert params["error_handling"].default == "continue"


def test_only_async_runner_takes_max_concurrency():
    for method in (AsyncRunner.run, AsyncRunner.map):
        param = _params(method)["max_concurrency"]
        assert param.kind is inspect.Parameter.KEYWORD_ONLY
        assert param.default is None
    for method in (SyncRunner.run, SyncRunner.map):
        assert "max_concurrency" not in _params(method)


def test_async_runner_methods_are_coroutine_functions_and_sync_ones_are_not():
    assert inspect.iscoroutinefunction(AsyncRunner.run)
    assert inspect.iscoroutinefunction(AsyncRunner.map)
    assert not inspect.iscoroutinefunction(SyncRunner.run)
    assert not inspect.iscoroutinefunction(SyncRunner.map)


def test_runners_are_base_runners_and_base_runner_is_abstract():
    assert isinstance(SyncRunner(), BaseRunner)
    assert isinstance(AsyncRunner(), BaseRunner)
    with pytest.raises(TypeError):
        BaseRunner()  # type: ignore[abstract]


def test_sync_runner_takes_no_constructor_arguments():
    with pytest.raises(TypeError):
        SyncRunner(1)  # type: ignore[call-arg]


def test_async_runner_sync_nodes_is_keyword_only():
    with pytest.raises(TypeError):
        AsyncRunner("thread")  # type: ignore[misc]


# -- results ---------------------------------------------------------------------------------


def test_run_returns_completed_run_result(run, calls):
    result = run(add_graph(calls), {"x": 1, "y": 2})
    assert isinstance(result, RunResult)
    assert result.status is RunStatus.COMPLETED
    assert result.values == {"total": 3}
    assert result.error is None
    assert result.failed_node is None
    assert result.workflow_id is None
    assert RUN_ID.fullmatch(result.run_id)


def test_every_run_returns_a_new_result_with_a_fresh_run_id(run, calls):
    graph = add_graph(calls)
    results = [run(graph, {"x": 1, "y": 2}) for _ in range(5)]
    assert len({id(r) for r in results}) == 5
    assert len({r.run_id for r in results}) == 5
    assert all(RUN_ID.fullmatch(r.run_id) for r in results)
    assert calls == ["add"] * 5


def test_failed_results_also_get_fresh_run_ids(run):
    graph = failing_graph()
    first = run(graph, {"x": 1})
    second = run(graph, {"x": 1})
    assert first.status is second.status is RunStatus.FAILED
    assert first.run_id != second.run_id
    assert RUN_ID.fullmatch(first.run_id) and RUN_ID.fullmatch(second.run_id)
    assert first.workflow_id is None


def test_one_runner_instance_serves_many_calls():
    calls: list[str] = []
    graph = add_graph(calls)
    runner = SyncRunner()
    assert runner.run(graph, {"x": 1, "y": 2})["total"] == 3
    assert runner.run(graph, {"x": 10, "y": 20})["total"] == 30

    arunner = AsyncRunner()
    assert asyncio.run(arunner.run(graph, {"x": 1, "y": 2}))["total"] == 3
    assert asyncio.run(arunner.run(graph, {"x": 5, "y": 5}))["total"] == 10


# -- keyword shorthand -----------------------------------------------------------------------


def test_keyword_shorthand_inputs(run, calls):
    result = run(add_graph(calls), x=1, y=2)
    assert result["total"] == 3


def test_keyword_shorthand_merged_with_values(run, calls):
    result = run(add_graph(calls), {"x": 1}, y=2)
    assert result["total"] == 3


def test_keyword_shorthand_with_options(run, calls):
    result = run(add_graph(calls), x=1, y=2, select=["total"], error_handling="raise")
    assert result.values == {"total": 3}


def test_keyword_shorthand_values_are_passed_by_reference(run):
    seen = []

    @node(output_name="out")
    def keep(obj):
        seen.append(obj)
        return obj

    payload = {"deep": [1, 2]}
    result = run(Graph([keep]), obj=payload)
    assert seen[0] is payload
    assert result["out"] is payload


def test_same_key_in_values_and_keywords_is_invalid(run, calls):
    with pytest.raises(InvalidInputError) as excinfo:
        run(add_graph(calls), {"x": 1, "y": 2}, y=3)
    assert "'y'" in str(excinfo.value)
    assert "'x'" not in str(excinfo.value).splitlines()[0]
    assert calls == []


def test_same_key_twice_even_with_equal_values_is_invalid(run, calls):
    with pytest.raises(InvalidInputError, match="'x'"):
        run(add_graph(calls), {"x": 1}, x=1, y=2)
    assert calls == []


def test_misspelled_input_is_unknown_input_error_as_keyword_or_in_values(run, calls):
    # One mistake, one exception type: the keyword shorthand used to raise TypeError here.
    errors = []
    for kwargs in ({"values": {"x": 1, "yy": 2}}, {"x": 1, "yy": 2}):
        values = kwargs.pop("values", None)
        with pytest.raises(UnknownInputError) as excinfo:
            run(add_graph(calls), values, **kwargs)
        errors.append(excinfo.value)
    assert [e.unknown for e in errors] == [["yy"], ["yy"]]
    assert str(errors[0]) == str(errors[1])
    assert "Did you mean 'y'?" in str(errors[1])
    assert calls == []


def test_unknown_keyword_far_from_everything_is_unknown_input_error(run, calls):
    with pytest.raises(UnknownInputError) as excinfo:
        run(add_graph(calls), x=1, y=2, z=3)
    assert excinfo.value.unknown == ["z"]
    assert calls == []


def test_misspelled_option_is_type_error_listing_the_runners_options(run, calls, runner_kind):
    with pytest.raises(TypeError) as excinfo:
        run(add_graph(calls), x=1, y=2, max_iteration=3)
    text = str(excinfo.value)
    assert not isinstance(excinfo.value, HypergraphError)
    assert "Did you mean 'max_iterations'?" in text
    options = next(line for line in text.splitlines() if "options:" in line)
    assert ("max_concurrency" in options) is (runner_kind == "async")
    assert calls == []


def test_sync_runner_has_no_max_concurrency():
    calls: list[str] = []
    for key in ("max_concurrency", "max_concurency"):
        with pytest.raises(TypeError) as excinfo:
            SyncRunner().run(add_graph(calls), {"x": 1, "y": 2}, **{key: 2})
        text = str(excinfo.value)
        assert "SyncRunner has no 'max_concurrency'; AsyncRunner takes max_concurrency" in text
        assert "Did you mean 'max_concurrency'" not in text
        assert "How to fix: drop max_concurrency, or run the graph with AsyncRunner" in text
    with pytest.raises(TypeError) as excinfo:
        SyncRunner().run(add_graph(calls), {"x": 1, "y": 2}, selct="out")
    options = next(line for line in str(excinfo.value).splitlines() if "options:" in line)
    assert "select" in options and "max_concurrency" not in options
    assert calls == []


def test_keyword_shorthand_takes_internal_names(run):
    @node(output_name="y")
    def a(x):
        return x

    @node(output_name="z")
    def b(y):
        return y + 1

    with pytest.warns(UserWarning, match="'y'"):
        result = run(Graph([a, b]), y=1)
    assert result.values == {"y": 1, "z": 2}


def test_values_none_means_no_values(run):
    @node(output_name="out")
    def const():
        return 42

    assert run(Graph([const]), None)["out"] == 42
    assert run(Graph([const]))["out"] == 42


# -- capabilities (TYPE-03) ------------------------------------------------------------------


def test_sync_runner_capabilities():
    caps = SyncRunner().capabilities
    assert caps == RunnerCapabilities(True, False, False, False)
    assert caps.supports_cycles is True
    assert caps.supports_async_nodes is False
    assert caps.supports_streaming is False
    assert caps.returns_coroutine is False


@pytest.mark.parametrize("sync_nodes", ["thread", "inline"])
def test_async_runner_capabilities(sync_nodes):
    caps = AsyncRunner(sync_nodes=sync_nodes).capabilities
    assert caps == RunnerCapabilities(True, True, False, True)
    assert caps.supports_cycles is True
    assert caps.supports_async_nodes is True
    assert caps.supports_streaming is False
    assert caps.returns_coroutine is True


@pytest.mark.parametrize("runner", [SyncRunner(), AsyncRunner()], ids=["sync", "async"])
def test_capabilities_are_frozen(runner):
    caps = runner.capabilities
    assert isinstance(caps, RunnerCapabilities)
    with pytest.raises(AttributeError):
        caps.supports_async_nodes = not caps.supports_async_nodes  # type: ignore[misc]
    assert runner.capabilities == caps


# -- error_handling (RUN-04) -----------------------------------------------------------------


def test_error_handling_continue_is_the_default(run):
    result = run(failing_graph(), {"x": 1})
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, ValueError)


def test_error_handling_continue_returns_failed_result(run):
    result = run(failing_graph(), {"x": 1}, error_handling="continue")
    assert result.status is RunStatus.FAILED
    assert str(result.error) == "boom"


def test_error_handling_raise_raises(run):
    with pytest.raises(ValueError) as excinfo:
        run(failing_graph(), {"x": 1}, error_handling="raise")
    assert str(excinfo.value) == "boom"


def test_error_handling_raise_on_success_returns_result(run, calls):
    result = run(add_graph(calls), {"x": 1, "y": 1}, error_handling="raise")
    assert result.status is RunStatus.COMPLETED
    assert result["total"] == 2


@pytest.mark.parametrize(
    "value", ["ignore", "RAISE", "Continue", "", "stop", None, 0, 1, True, ["raise"]]
)
def test_other_error_handling_values_are_invalid_before_any_node_runs(run, calls, value):
    with pytest.raises(InvalidInputError) as excinfo:
        run(add_graph(calls), {"x": 1, "y": 2}, error_handling=value)
    text = str(excinfo.value)
    assert "error_handling" in text
    assert "'continue'" in text and "'raise'" in text
    assert calls == []


def test_invalid_error_handling_is_not_a_node_failure(run):
    # A validation error is raised even for a graph that would fail at run time.
    with pytest.raises(InvalidInputError):
        run(failing_graph(), {"x": 1}, error_handling="ignore")


# -- AsyncRunner(sync_nodes=...) -------------------------------------------------------------


@pytest.mark.parametrize("value", ["process", "Thread", "", None, 1, True, "threads"])
def test_sync_nodes_other_values_are_invalid(value):
    with pytest.raises(InvalidInputError) as excinfo:
        AsyncRunner(sync_nodes=value)
    assert isinstance(excinfo.value, HypergraphError)
    assert isinstance(excinfo.value, ValueError)
    text = str(excinfo.value)
    assert "sync_nodes" in text
    assert "'thread'" in text and "'inline'" in text


def _thread_graph(seen: list[str]) -> Graph:
    @node(output_name="out")
    def where(x):
        seen.append(threading.current_thread().name)
        return x

    return Graph([where])


def test_sync_nodes_inline_runs_def_bodies_on_the_loop_thread():
    seen: list[str] = []
    result = asyncio.run(AsyncRunner(sync_nodes="inline").run(_thread_graph(seen), {"x": 1}))
    assert result["out"] == 1
    assert seen == [threading.current_thread().name]


def test_sync_nodes_thread_runs_def_bodies_in_a_worker_thread():
    seen: list[str] = []
    for runner in (AsyncRunner(), AsyncRunner(sync_nodes="thread")):
        result = asyncio.run(runner.run(_thread_graph(seen), {"x": 1}))
        assert result["out"] == 1
    assert len(seen) == 2
    assert all(name.startswith("hypergraph-") for name in seen)


def test_sync_runner_runs_def_bodies_in_the_callers_thread():
    seen: list[str] = []
    SyncRunner().run(_thread_graph(seen), {"x": 1})
    assert seen == [threading.current_thread().name]


# -- AsyncRunner raises validation errors at the await (RELIABILITY F11) --------------------


async def test_async_validation_errors_are_raised_at_the_await():
    calls: list[str] = []
    coro = AsyncRunner().run(add_graph(calls), {"x": 1})  # "y" missing
    assert inspect.iscoroutine(coro)
    with pytest.raises(InvalidInputError):
        await coro
    assert calls == []
