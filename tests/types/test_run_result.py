"""RunResult (TYPE-01): fields, run ids, read access and the errors for absent keys."""

from __future__ import annotations

import os
import random
import re
import warnings

import msgspec
import pytest

from hypergraph_types import HypergraphError, RunFailedError, RunResult, RunStatus

RUN_ID = re.compile(r"run-[0-9a-f]{12}")


def completed(**values: object) -> RunResult:
    return RunResult(values=dict(values), status=RunStatus.COMPLETED)


def failed(error: BaseException, failed_node: str | None = "embed", **values: object) -> RunResult:
    return RunResult(
        values=dict(values), status=RunStatus.FAILED, error=error, failed_node=failed_node
    )


# --- fields and construction -------------------------------------------------------------


def test_fields_in_spec_order() -> None:
    names = [f.name for f in msgspec.structs.fields(RunResult)]
    assert names[:6] == ["values", "status", "run_id", "workflow_id", "error", "failed_node"]
    # checkpoint fields (issue 17) and interrupts' pauses: keyword-only, with defaults
    assert names[6:] == ["restored", "checkpoint_ok", "checkpoint_errors", "pauses"]


def test_defaults() -> None:
    result = RunResult({"a": 1}, RunStatus.COMPLETED)
    assert result.values == {"a": 1}
    assert result.status is RunStatus.COMPLETED
    assert result.workflow_id is None
    assert result.error is None
    assert result.failed_node is None


def test_positional_construction_accepts_every_field() -> None:
    error = ValueError("boom")
    result = RunResult({"a": 1}, RunStatus.FAILED, "run-explicit", "wf-1", error, "outer.inner")
    assert result.values == {"a": 1}
    assert result.status is RunStatus.FAILED
    assert result.run_id == "run-explicit"
    assert result.workflow_id == "wf-1"
    assert result.error is error
    assert result.failed_node == "outer.inner"


def test_keyword_construction_accepts_every_field() -> None:
    error = ValueError("boom")
    result = RunResult(
        failed_node="n",
        error=error,
        workflow_id="wf",
        run_id="run-000000000000",
        status=RunStatus.FAILED,
        values={},
    )
    assert (result.run_id, result.workflow_id, result.error, result.failed_node) == (
        "run-000000000000",
        "wf",
        error,
        "n",
    )


def test_values_dict_is_stored_not_copied() -> None:
    values = {"a": 1}
    assert RunResult(values, RunStatus.COMPLETED).values is values


def test_result_is_mutable() -> None:
    result = completed(a=1)
    result.values = {"b": 2}
    result.failed_node = "x"
    assert result["b"] == 2
    assert result.failed_node == "x"


def test_too_many_positional_arguments_is_type_error() -> None:
    with pytest.raises(TypeError):
        RunResult({}, RunStatus.COMPLETED, "run-a", None, None, None, "extra")  # type: ignore[call-arg]


# --- run_id ------------------------------------------------------------------------------


def test_generated_run_id_format() -> None:
    run_id = completed().run_id
    assert len(run_id) == 16
    assert RUN_ID.fullmatch(run_id), run_id


def test_generated_run_ids_differ_per_instance() -> None:
    ids = [completed().run_id for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(RUN_ID.fullmatch(i) for i in ids)


def test_run_ids_do_not_follow_the_global_random_seed() -> None:
    # Users seed `random` for reproducibility; run ids must stay unique anyway.
    random.seed(1234)
    first = completed().run_id
    random.seed(1234)
    assert completed().run_id != first


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_does_not_repeat_the_parents_run_ids() -> None:
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():  # 3.12+ warns about forking a process that has threads
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: report its next ids, then leave without running pytest's exit
        try:
            os.write(write_end, " ".join(completed().run_id for _ in range(50)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    parent_ids = {completed().run_id for _ in range(50)}
    with os.fdopen(read_end) as pipe:
        child_ids = set(pipe.read().split())
    os.waitpid(pid, 0)
    assert len(child_ids) == 50
    assert not parent_ids & child_ids


def test_explicit_run_id_is_kept() -> None:
    assert RunResult({}, RunStatus.COMPLETED, run_id="run-abc").run_id == "run-abc"


# --- equality ----------------------------------------------------------------------------


def test_equal_when_all_fields_equal() -> None:
    error = ValueError("x")
    a = RunResult({"a": [1]}, RunStatus.FAILED, "run-1", None, error, "n")
    b = RunResult({"a": [1]}, RunStatus.FAILED, "run-1", None, error, "n")
    assert a == b


@pytest.mark.parametrize(
    "change",
    [
        {"values": {"a": 2}},
        {"status": RunStatus.FAILED},
        {"run_id": "run-2"},
        {"workflow_id": "wf"},
        {"error": ValueError("x")},
        {"failed_node": "n"},
    ],
)
def test_unequal_when_one_field_differs(change: dict[str, object]) -> None:
    base = RunResult({"a": 1}, RunStatus.COMPLETED, "run-1")
    other = msgspec.structs.replace(base, **change)
    assert base != other


def test_generated_run_ids_make_results_unequal() -> None:
    assert completed(a=1) != completed(a=1)


# --- read access -------------------------------------------------------------------------


def test_getitem_returns_value() -> None:
    obj = object()
    assert completed(a=obj)["a"] is obj


def test_getitem_returns_stored_none() -> None:
    assert completed(a=None)["a"] is None


def test_getitem_on_failed_result_returns_partial_value() -> None:
    assert failed(ValueError("x"), a=1)["a"] == 1


def test_contains_tests_membership_in_values() -> None:
    result = completed(a=1, b=None)
    assert "a" in result
    assert "b" in result
    assert "c" not in result
    assert 1 not in result


def test_contains_does_not_raise_on_failed_result() -> None:
    result = failed(ValueError("x"), a=1)
    assert "a" in result
    assert "zzz" not in result


@pytest.mark.parametrize("status", list(RunStatus))
def test_get_returns_value_or_default(status: RunStatus) -> None:
    result = RunResult({"a": 1, "n": None}, status)
    assert result.get("a") == 1
    assert result.get("a", 5) == 1
    assert result.get("n", 5) is None
    assert result.get("missing") is None
    sentinel = object()
    assert result.get("missing", sentinel) is sentinel
    assert result.get("missing", default=7) == 7


@pytest.mark.parametrize("consume", [iter, list, tuple, lambda r: [x for x in r]])
def test_not_iterable(consume: object) -> None:
    with pytest.raises(TypeError):
        consume(completed(a=1))  # type: ignore[operator]


def test_has_no_keys_and_no_len() -> None:
    result = completed(a=1)
    assert not hasattr(result, "keys")
    with pytest.raises(TypeError):
        len(result)  # type: ignore[arg-type]


# --- absent key on a COMPLETED result ----------------------------------------------------


def test_absent_key_on_completed_raises_key_error() -> None:
    with pytest.raises(KeyError) as info:
        completed(alpha=1)["zzz"]
    assert not isinstance(info.value, RunFailedError)


def test_absent_key_on_completed_lists_available_keys_with_did_you_mean() -> None:
    with pytest.raises(KeyError) as info:
        completed(alpha=1, beta=2)["alpah"]
    text = str(info.value)
    assert "'alpah'" in text
    assert "'alpha'" in text
    assert "'beta'" in text
    assert "Did you mean 'alpha'?" in text


def test_absent_key_on_completed_without_close_match_has_no_did_you_mean() -> None:
    with pytest.raises(KeyError) as info:
        completed(alpha=1, beta=2)["zzzzzz"]
    text = str(info.value)
    assert "Did you mean" not in text
    assert "'alpha'" in text
    assert "'beta'" in text


# --- absent key on a FAILED result -------------------------------------------------------


def test_absent_key_on_failed_raises_run_failed_error() -> None:
    error = ValueError("embedding service down")
    result = failed(error, "rag.embed", query="q", docs=[1])
    with pytest.raises(RunFailedError) as info:
        result["answer"]
    exc = info.value
    assert isinstance(exc, KeyError)
    assert isinstance(exc, HypergraphError)
    assert exc.__cause__ is error
    assert exc.key == "answer"
    assert exc.node_name == "rag.embed"


def test_run_failed_error_message_contents_and_layout() -> None:
    error = ValueError("embedding service down")
    result = failed(error, "rag.embed", query="q", docs=[1])
    with pytest.raises(RunFailedError) as info:
        result["answer"]
    text = str(info.value)
    assert text == info.value.message  # no KeyError repr-quoting
    assert text != repr(info.value.message)
    fix = text.rindex("How to fix:")
    for part in (
        "'answer'",
        "rag.embed",
        "ValueError",
        "embedding service down",
        "'query'",
        "'docs'",
    ):
        assert part in text[:fix], part
    remedy = text[fix:]
    assert "result.status" in remedy
    assert 'error_handling="raise"' in remedy


def test_run_failed_error_without_failed_node() -> None:
    error = RuntimeError("cycle budget spent")
    result = failed(error, None)
    with pytest.raises(RunFailedError) as info:
        result["x"]
    assert info.value.node_name is None
    assert info.value.__cause__ is error
    text = str(info.value)
    assert "'x'" in text
    assert "RuntimeError" in text
    assert "How to fix:" in text


def test_run_failed_error_message_with_no_completed_outputs() -> None:
    with pytest.raises(RunFailedError) as info:
        failed(ValueError("x"))["a"]
    assert "How to fix:" in str(info.value)


# --- status helpers (issue 15) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "flags"),
    [
        (RunStatus.COMPLETED, (True, False, False)),
        (RunStatus.FAILED, (False, True, False)),
        (RunStatus.PAUSED, (False, False, True)),
        (RunStatus.STOPPED, (False, False, False)),
        (RunStatus.PARTIAL, (False, False, False)),
    ],
)
def test_completed_failed_paused_follow_status(
    status: RunStatus, flags: tuple[bool, bool, bool]
) -> None:
    result = RunResult({}, status)
    assert (result.completed, result.failed, result.paused) == flags


def test_failure_is_the_error_or_none() -> None:
    error = ValueError("boom")
    assert failed(error).failure is error
    assert completed(a=1).failure is None


def test_status_helpers_are_not_values() -> None:
    result = completed(completed=5, failure="f")
    assert result.completed is True
    assert result["completed"] == 5
    assert result.failure is None
    assert result["failure"] == "f"


# --- interrupts (issue 18) ---------------------------------------------------------------


def test_pause_info_is_a_frozen_record() -> None:
    from hypergraph_types import PauseInfo

    info = PauseInfo("outer/review", {"prompt": "?"}, "approved")
    assert (info.node_name, info.value, info.response_key) == (
        "outer/review",
        {"prompt": "?"},
        "approved",
    )
    assert info == PauseInfo(
        node_name="outer/review", value={"prompt": "?"}, response_key="approved"
    )
    with pytest.raises(AttributeError):
        info.node_name = "x"  # type: ignore[misc]


def test_a_paused_result_names_what_it_waits_for() -> None:
    from hypergraph_types import PauseInfo
    from hypergraph_types._errors import OutputNotFoundError

    first, second = PauseInfo("a", 1, "x"), PauseInfo("b", 2, "y")
    paused = RunResult({"done": 1}, RunStatus.PAUSED, pauses=(first, second))
    assert paused.paused and paused.pause is first and paused.pauses == (first, second)
    assert RunResult({}, RunStatus.COMPLETED).pause is None
    with pytest.raises(OutputNotFoundError) as info:
        paused["missing"]
    text = str(info.value)
    assert "paused" in text and "'x'" in text and "'y'" in text and "How to fix:" in text
