"""MapResult (issue 15): a read-only ``Sequence[RunResult]`` with batch helpers."""

from __future__ import annotations

import pickle
from collections.abc import Sequence

import pytest

from hypergraph_types import MapResult, RunFailedError, RunResult, RunStatus


def ok(**values: object) -> RunResult:
    return RunResult(dict(values), RunStatus.COMPLETED)


def bad(error: BaseException | None = None, node: str | None = "f", **values: object) -> RunResult:
    error = error if error is not None else ValueError("boom")
    return RunResult(dict(values), RunStatus.FAILED, error=error, failed_node=node)


# --- a sequence, equal to a list (v1.3 code keeps working) -----------------------------------


def test_is_a_sequence_of_the_results_in_order() -> None:
    a, b, c = ok(y=1), bad(), ok(y=3)
    mapped = MapResult([a, b, c])
    assert isinstance(mapped, Sequence)
    assert len(mapped) == 3
    assert list(mapped) == [a, b, c]
    assert mapped[0] is a and mapped[1] is b and mapped[-1] is c
    assert mapped.results == (a, b, c)
    assert isinstance(mapped.results, tuple)
    assert list(reversed(mapped)) == [c, b, a]
    assert mapped.index(b) == 1
    assert b in mapped
    assert [r.status for r in mapped] == [
        RunStatus.COMPLETED,
        RunStatus.FAILED,
        RunStatus.COMPLETED,
    ]


def test_out_of_range_index_raises_index_error() -> None:
    with pytest.raises(IndexError):
        MapResult([ok()])[1]


def test_compares_equal_to_a_list_a_tuple_and_another_map_result() -> None:
    a, b = ok(y=1), bad()
    mapped = MapResult([a, b])
    assert mapped == [a, b]
    assert [a, b] == mapped
    assert mapped == (a, b)
    assert mapped == MapResult([a, b])
    assert mapped != [b, a]
    assert mapped != [a]
    assert mapped != "ab"
    assert MapResult([]) == []


def test_is_unhashable_like_a_list() -> None:
    with pytest.raises(TypeError):
        hash(MapResult([]))


def test_empty_is_falsy() -> None:
    assert not MapResult([])
    assert MapResult([ok()])


def test_slice_is_a_map_result_of_those_items() -> None:
    a, b, c = ok(y=1), bad(), ok(y=3)
    part = MapResult([a, b, c])[1:]
    assert isinstance(part, MapResult)
    assert part == [b, c]
    assert part.status is RunStatus.PARTIAL


def test_concatenation_gives_a_plain_list() -> None:
    a, b = ok(y=1), ok(y=2)
    mapped = MapResult([a])
    after = mapped + [b]  # noqa: RUF005  # the operator is what is tested
    before = [b] + mapped  # noqa: RUF005
    assert after == [a, b] and type(after) is list
    assert before == [b, a] and type(before) is list
    assert mapped + MapResult([b]) == [a, b]
    with pytest.raises(TypeError):
        mapped + 1  # type: ignore[operator]


def test_pickles() -> None:
    mapped = MapResult([ok(y=1), bad(ValueError("x"))])
    copy = pickle.loads(pickle.dumps(mapped))
    assert [r.values for r in copy] == [{"y": 1}, {}]
    assert copy.status is RunStatus.PARTIAL


# --- status, failures, counts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "status"),
    [
        ([], RunStatus.COMPLETED),
        ([ok()], RunStatus.COMPLETED),
        ([ok(), ok()], RunStatus.COMPLETED),
        ([bad()], RunStatus.FAILED),
        ([bad(), bad()], RunStatus.FAILED),
        ([ok(), bad()], RunStatus.PARTIAL),
        ([bad(), ok()], RunStatus.PARTIAL),
        # issue 18: any paused item makes the map PAUSED (it needs answers to complete)
        ([ok(), RunResult({}, RunStatus.PAUSED)], RunStatus.PAUSED),
        ([bad(), RunResult({}, RunStatus.PAUSED)], RunStatus.PAUSED),
        ([RunResult({}, RunStatus.STOPPED)], RunStatus.PARTIAL),
    ],
)
def test_status(results: list[RunResult], status: RunStatus) -> None:
    assert MapResult(results).status is status


def test_failures_and_counts() -> None:
    a, b, c, d = ok(), bad(), ok(), bad(KeyError("k"))
    mapped = MapResult([a, b, c, d])
    assert mapped.failures == (b, d)
    assert mapped.failures[0] is b
    assert mapped.completed == 2
    assert mapped.failed == 2
    empty = MapResult([])
    assert (empty.failures, empty.completed, empty.failed) == ((), 0, 0)


def test_accepts_any_iterable_once() -> None:
    mapped = MapResult(r for r in [ok(), bad()])
    assert len(mapped) == 2 and mapped.completed == 1 and mapped.failed == 1


# --- map_result["name"] ----------------------------------------------------------------------


def test_column_lists_one_value_per_item_in_order() -> None:
    mapped = MapResult([ok(y=1, z="a"), ok(y=2, z="b"), ok(y=None, z="c")])
    assert mapped["y"] == [1, 2, None]
    assert mapped["z"] == ["a", "b", "c"]
    assert MapResult([])["anything"] == []


def test_column_names_the_first_failed_item_without_the_value() -> None:
    error = ValueError("embedding service down")
    mapped = MapResult([ok(y=1), bad(error, node="embed", x=5), bad(node="g")])
    with pytest.raises(RunFailedError) as info:
        mapped["y"]
    text = str(info.value)
    assert "item 1 of 3 has no 'y'" in text
    assert "failed at node 'embed': ValueError: embedding service down" in text
    assert "item 1's outputs: 'x'" in text
    assert "How to fix:" in text
    assert info.value.key == "y"
    assert info.value.node_name == "embed"
    assert info.value.__cause__ is error
    assert isinstance(info.value, KeyError)


def test_column_names_a_completed_item_lacking_the_name_with_a_suggestion() -> None:
    mapped = MapResult([ok(answer=1), ok(answer=2, extra=3)])
    with pytest.raises(RunFailedError) as info:
        mapped["answr"]
    text = str(info.value)
    assert "item 0 of 2 has no 'answr'" in text
    assert "Did you mean 'answer'?" in text
    assert info.value.__cause__ is None
    assert MapResult([ok(answer=1), ok(answer=2, extra=3)])[1]["extra"] == 3
    with pytest.raises(RunFailedError, match="item 0 of 2 has no 'extra'"):
        mapped["extra"]


# --- summary and repr ------------------------------------------------------------------------


def test_summary_is_one_line() -> None:
    assert MapResult([]).summary() == "0 items: 0 completed, 0 failed"
    assert MapResult([ok()]).summary() == "1 item: 1 completed, 0 failed"
    multi = ValueError("first line\nsecond line")
    mapped = MapResult([ok(), bad(multi, node="embed"), bad()])
    assert mapped.summary() == (
        "3 items: 1 completed, 2 failed; first failure: item 1 at node 'embed': "
        "ValueError: first line"
    )
    paused = MapResult([ok(), RunResult({}, RunStatus.PAUSED), RunResult({}, RunStatus.PAUSED)])
    assert paused.summary() == "3 items: 1 completed, 0 failed, 2 paused"


def test_summary_shortens_long_errors_and_handles_graph_level_failures() -> None:
    long = bad(RuntimeError("x" * 300), node=None)
    line = MapResult([long]).summary()
    assert "\n" not in line
    assert line.startswith("1 item: 0 completed, 1 failed; first failure: item 0: RuntimeError: ")
    assert line.endswith("x" * 100 + "...")


def test_repr_is_short() -> None:
    mapped = MapResult([ok(y=list(range(1000))), bad()])
    assert repr(mapped) == "<MapResult partial: 2 items, 1 completed, 1 failed>"
    assert repr(MapResult([])) == "<MapResult completed: 0 items, 0 completed, 0 failed>"
