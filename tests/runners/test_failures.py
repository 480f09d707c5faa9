"""Node failures in both modes (SPEC §4.11, §4.12, TYPE-01; RELIABILITY F1, F3, F9, §1.3)."""

import asyncio

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import HypergraphError, RunFailedError, RunResult, RunStatus
from support import hypergraph_notes


class Boom(BaseException):
    """A private BaseException that is not an Exception, like KeyboardInterrupt."""


def chain(calls: list[str], raised: list[BaseException], make_error=None) -> Graph:
    """``a(x) -> y``, ``b(y) -> z`` raises, ``c(z) -> w``."""
    make_error = make_error or (lambda: ValueError("service returned 503"))

    @node(output_name="y")
    def a(x):
        calls.append("a")
        return x + 1

    @node(output_name="z")
    def b(y):
        calls.append("b")
        err = make_error()
        raised.append(err)
        raise err

    @node(output_name="w")
    def c(z):
        calls.append("c")
        return z

    return Graph([a, b, c])


# -- F1 / F9: the FAILED result --------------------------------------------------------------


def test_failed_result_holds_the_identical_error(run, calls):
    raised: list[BaseException] = []
    result = run(chain(calls, raised), {"x": 1})
    assert result.status is RunStatus.FAILED
    assert result.error is raised[0]
    assert type(result.error) is ValueError
    assert str(result.error) == "service returned 503"
    assert result.failed_node == "b"
    assert result.workflow_id is None
    assert calls == ["a", "b"]


def test_failure_gets_exactly_one_note_naming_the_node(run, calls):
    raised: list[BaseException] = []
    result = run(chain(calls, raised), {"x": 1})
    notes = result.error.__notes__
    assert len(notes) == 1
    assert "hypergraph: node 'b' failed" in notes[0]


def test_failure_keeps_the_users_own_notes(run, calls):
    raised: list[BaseException] = []

    def make():
        err = ValueError("with a note")
        err.add_note("user note")
        return err

    result = run(chain(calls, raised, make), {"x": 1})
    assert result.error.__notes__[0] == "user note"
    assert len(hypergraph_notes(result.error)) == 1
    assert len(result.error.__notes__) == 2


def test_partial_values_hold_completed_supersteps_and_not_the_failing_node(run, calls):
    raised: list[BaseException] = []
    result = run(chain(calls, raised), {"x": 1})
    assert result.values == {"y": 2}
    assert "z" not in result
    assert "w" not in result


def test_no_node_starts_after_a_failure(run, calls):
    raised: list[BaseException] = []
    run(chain(calls, raised), {"x": 1})
    assert "c" not in calls


def test_failure_inside_a_cycle_keeps_the_latest_completed_values(run):
    @node(output_name="count")
    def step(count):
        if count == 2:
            raise ValueError("two")
        return count + 1

    result = run(Graph([step]), {"count": 0})
    assert result.status is RunStatus.FAILED
    assert result.failed_node == "step"
    assert result.values == {"count": 2}


def test_failing_multi_output_node_contributes_no_outputs(run):
    @node(output_name=("p", "q"))
    def split(x):
        raise RuntimeError("no")

    result = run(Graph([split]), {"x": 1})
    assert result.values == {}
    assert "p" not in result and "q" not in result


def test_sync_runner_stops_at_once_within_a_superstep(calls):
    @node(output_name="p")
    def first(x):
        calls.append("first")
        return "P"

    @node(output_name="q")
    def middle(x):
        calls.append("middle")
        raise ValueError("middle")

    @node(output_name="r")
    def last(x):
        calls.append("last")
        return "R"

    result = SyncRunner().run(Graph([first, middle, last]), {"x": 1})
    assert calls == ["first", "middle"]
    assert result.values == {"p": "P"}
    assert result.failed_node == "middle"


def test_completed_sibling_of_a_failing_node_is_kept_under_async_runner():
    calls: list[str] = []

    async def main():
        done = asyncio.Event()

        @node(output_name="p")
        async def sibling(x):
            calls.append("sibling")
            done.set()
            return "P"

        @node(output_name="q")
        async def failing(x):
            await done.wait()  # the sibling has finished before this node raises
            calls.append("failing")
            raise ValueError("late")

        @node(output_name="r")
        async def downstream(p):
            calls.append("downstream")
            return p

        return await AsyncRunner().run(Graph([failing, sibling, downstream]), {"x": 1})

    result = asyncio.run(main())
    assert result.status is RunStatus.FAILED
    assert result.failed_node == "failing"
    assert result.values == {"p": "P"}
    assert "downstream" not in calls


def test_present_partial_values_are_correct_under_both_runners(run):
    @node(output_name="p")
    def left(x):
        return x + 1

    @node(output_name="q")
    def broken(x):
        raise ValueError("broken")

    @node(output_name="r")
    def right(x):
        return x * 3

    result = run(Graph([left, broken, right]), {"x": 2})
    assert result.status is RunStatus.FAILED
    assert "q" not in result
    expected = {"p": 3, "r": 6}
    for key, value in result.values.items():
        assert expected[key] == value


# -- reading an absent key -------------------------------------------------------------------


def test_absent_key_of_failed_result_raises_run_failed_error(run, calls):
    raised: list[BaseException] = []
    result = run(chain(calls, raised), {"x": 1})
    with pytest.raises(RunFailedError) as excinfo:
        result["w"]
    err = excinfo.value
    assert isinstance(err, KeyError) and isinstance(err, HypergraphError)
    assert err.__cause__ is result.error
    assert err.key == "w"
    assert err.node_name == "b"
    text = str(err)
    assert text == err.args[0]  # no KeyError quoting
    assert "'w'" in text
    assert "'b'" in text
    assert "ValueError" in text and "service returned 503" in text
    assert "'y'" in text  # the completed outputs
    assert "How to fix:" in text
    assert "result.status" in text
    assert 'error_handling="raise"' in text


def test_failing_nodes_own_output_is_absent_with_run_failed_error(run, calls):
    raised: list[BaseException] = []
    result = run(chain(calls, raised), {"x": 1})
    with pytest.raises(KeyError):
        result["z"]


def test_get_and_in_are_unchanged_on_failed_result(run, calls):
    raised: list[BaseException] = []
    result = run(chain(calls, raised), {"x": 1})
    assert result["y"] == 2
    assert "y" in result
    assert "w" not in result
    assert result.get("w") is None
    assert result.get("w", "fallback") == "fallback"
    assert result.get("y") == 2


def test_absent_key_of_completed_result_raises_key_error_listing_outputs(run):
    @node(output_name="answer")
    def f(x):
        return x

    result = run(Graph([f]), {"x": 1})
    with pytest.raises(KeyError) as excinfo:
        result["answr"]
    err = excinfo.value
    assert not isinstance(err, RunFailedError)
    text = str(err)
    assert "'answr'" in text
    assert "'answer'" in text
    assert "Did you mean 'answer'?" in text


# -- error_handling="raise" ------------------------------------------------------------------


def test_raise_mode_raises_the_identical_object(run, calls):
    raised: list[BaseException] = []
    with pytest.raises(ValueError) as excinfo:
        run(chain(calls, raised), {"x": 1}, error_handling="raise")
    err = excinfo.value
    assert err is raised[0]
    assert str(err) == "service returned 503"
    assert len(err.__notes__) == 1
    assert "hypergraph: node 'b' failed" in err.__notes__[0]
    assert calls == ["a", "b"]


def test_raise_mode_leaves_context_untouched_when_raised_outside_except(run, calls):
    raised: list[BaseException] = []
    with pytest.raises(ValueError) as excinfo:
        run(chain(calls, raised), {"x": 1}, error_handling="raise")
    assert excinfo.value.__context__ is None
    assert excinfo.value.__cause__ is None


def test_raise_mode_keeps_the_users_context(run):
    @node(output_name="y")
    def translate(x):
        try:
            {}[x]
        except KeyError:
            raise ValueError("translated") from None

    @node(output_name="z")
    def chained(x):
        try:
            {}[x]
        except KeyError:
            raise ValueError("implicit")  # the implicit context is the point

    with pytest.raises(ValueError) as excinfo:
        run(Graph([translate]), {"x": 1}, error_handling="raise")
    assert excinfo.value.__suppress_context__ is True
    assert isinstance(excinfo.value.__context__, KeyError)

    with pytest.raises(ValueError) as excinfo:
        run(Graph([chained]), {"x": 1}, error_handling="raise")
    assert isinstance(excinfo.value.__context__, KeyError)
    assert excinfo.value.__cause__ is None


def test_continue_mode_leaves_context_untouched(run, calls):
    raised: list[BaseException] = []
    result = run(chain(calls, raised), {"x": 1})
    assert result.error.__context__ is None
    assert result.error.__cause__ is None


def test_traceback_reaches_the_node_body(run, calls):
    raised: list[BaseException] = []
    with pytest.raises(ValueError) as excinfo:
        run(chain(calls, raised), {"x": 1}, error_handling="raise")
    names = [entry.name for entry in excinfo.traceback]
    assert "b" in names


def test_stop_iteration_from_a_def_node_is_reported_unchanged(run):
    err = StopIteration("done")

    @node(output_name="y")
    def f(x):
        raise err

    result = run(Graph([f]), {"x": 1})
    assert result.status is RunStatus.FAILED
    assert result.error is err


def test_each_run_notes_its_own_exception(run):
    @node(output_name="y")
    def b(x):
        raise ValueError(str(x))

    graph = Graph([b])
    first = run(graph, {"x": 1})
    second = run(graph, {"x": 2})
    assert first.error is not second.error
    assert len(first.error.__notes__) == 1
    assert len(second.error.__notes__) == 1


# -- BaseException (§4.12, F3) ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["continue", "raise"])
def test_base_exception_from_a_node_propagates_unchanged(run, calls, mode):
    boom = Boom("stop")

    @node(output_name="y")
    def a(x):
        calls.append("a")
        return x

    @node(output_name="z")
    def b(y):
        calls.append("b")
        raise boom

    @node(output_name="w")
    def c(z):
        calls.append("c")
        return z

    results: list[RunResult] = []
    with pytest.raises(Boom) as excinfo:
        results.append(run(Graph([a, b, c]), {"x": 1}, error_handling=mode))
    assert excinfo.value is boom
    assert not hypergraph_notes(boom)
    assert results == []
    assert calls == ["a", "b"]


def test_base_exception_from_an_async_node_propagates_unchanged():
    boom = Boom("async stop")

    @node(output_name="y")
    async def a(x):
        raise boom

    with pytest.raises(Boom) as excinfo:
        asyncio.run(AsyncRunner().run(Graph([a]), {"x": 1}))
    assert excinfo.value is boom


def test_base_exception_from_a_generator_closes_it(run):
    state = {"closed": False}
    boom = Boom()

    @node(output_name="items")
    def gen():
        try:
            yield 1
            raise boom
        finally:
            state["closed"] = True

    with pytest.raises(Boom):
        run(Graph([gen]))
    assert state["closed"] is True
