"""Small records: RunStatus (TYPE-02), RunnerCapabilities (TYPE-03), InputSpec (TYPE-04),
RenameEntry (NODE-01) and NodeExecution (TYPE-05)."""

from __future__ import annotations

import enum

import msgspec
import pytest

from hypergraph_types import InputSpec, NodeExecution, RenameEntry, RunnerCapabilities, RunStatus

# --- RunStatus ---------------------------------------------------------------------------


def test_run_status_members_and_values() -> None:
    assert [(m.name, m.value) for m in RunStatus] == [
        ("COMPLETED", "completed"),
        ("FAILED", "failed"),
        ("PARTIAL", "partial"),
        ("PAUSED", "paused"),
        ("STOPPED", "stopped"),
    ]


def test_run_status_is_a_plain_enum() -> None:
    assert issubclass(RunStatus, enum.Enum)
    assert not issubclass(RunStatus, str)
    assert RunStatus.COMPLETED != "completed"  # type: ignore[comparison-overlap]
    assert RunStatus.FAILED != "failed"  # type: ignore[comparison-overlap]
    assert RunStatus.COMPLETED != RunStatus.FAILED  # type: ignore[comparison-overlap]


def test_run_status_lookup_by_value() -> None:
    assert RunStatus("completed") is RunStatus.COMPLETED
    assert RunStatus("failed") is RunStatus.FAILED
    with pytest.raises(ValueError):
        RunStatus("COMPLETED")


# --- RunnerCapabilities ------------------------------------------------------------------


def test_runner_capabilities_defaults() -> None:
    caps = RunnerCapabilities()
    assert caps.supports_cycles is True
    assert caps.supports_async_nodes is False
    assert caps.supports_streaming is False
    assert caps.returns_coroutine is False


def test_runner_capabilities_positional_order() -> None:
    names = [f.name for f in msgspec.structs.fields(RunnerCapabilities)]
    assert names == [
        "supports_cycles",
        "supports_async_nodes",
        "supports_streaming",
        "returns_coroutine",
    ]
    caps = RunnerCapabilities(False, True, False, True)
    assert (
        caps.supports_cycles,
        caps.supports_async_nodes,
        caps.supports_streaming,
        caps.returns_coroutine,
    ) == (False, True, False, True)


def test_runner_capabilities_equality() -> None:
    assert RunnerCapabilities() == RunnerCapabilities(True, False, False, False)
    assert RunnerCapabilities(supports_async_nodes=True, returns_coroutine=True) == (
        RunnerCapabilities(True, True, False, True)
    )
    assert RunnerCapabilities() != RunnerCapabilities(supports_cycles=False)


@pytest.mark.parametrize(
    "field",
    ["supports_cycles", "supports_async_nodes", "supports_streaming", "returns_coroutine"],
)
def test_runner_capabilities_frozen(field: str) -> None:
    caps = RunnerCapabilities()
    with pytest.raises(AttributeError):
        setattr(caps, field, True)
    assert caps == RunnerCapabilities()


def test_runner_capabilities_hashable() -> None:
    assert len({RunnerCapabilities(), RunnerCapabilities(True, False, False, False)}) == 1


# --- InputSpec ---------------------------------------------------------------------------


def spec() -> InputSpec:
    return InputSpec(("r1", "r2"), ("o1",), ("s1", "s2"), {"o1": 5})


def test_input_spec_positional_and_keyword_construction() -> None:
    by_keyword = InputSpec(
        required=("r1", "r2"), optional=("o1",), seeds=("s1", "s2"), bound={"o1": 5}
    )
    assert spec() == by_keyword
    assert by_keyword.required == ("r1", "r2")
    assert by_keyword.optional == ("o1",)
    assert by_keyword.seeds == ("s1", "s2")
    assert by_keyword.bound == {"o1": 5}


def test_input_spec_all_is_required_optional_seeds_in_order() -> None:
    assert spec().all == ("r1", "r2", "o1", "s1", "s2")
    assert InputSpec((), (), (), {}).all == ()
    assert InputSpec((), ("b",), ("a",), {}).all == ("b", "a")


@pytest.mark.parametrize("field", ["required", "optional", "seeds", "bound"])
def test_input_spec_frozen(field: str) -> None:
    s = spec()
    with pytest.raises(AttributeError):
        setattr(s, field, ())
    assert s == spec()


def test_input_spec_all_is_read_only() -> None:
    with pytest.raises(AttributeError):
        spec().all = ()  # type: ignore[misc]


@pytest.mark.parametrize("consume", [iter, list, tuple, set])
def test_input_spec_not_iterable(consume: object) -> None:
    with pytest.raises(TypeError):
        consume(spec())  # type: ignore[operator]


def test_input_spec_equality_compares_fields() -> None:
    assert spec() == spec()
    assert spec() != InputSpec(("r1", "r2"), ("o1",), ("s1", "s2"), {"o1": 6})
    assert spec() != InputSpec(("r2", "r1"), ("o1",), ("s1", "s2"), {"o1": 5})


# --- RenameEntry -------------------------------------------------------------------------


def test_rename_entry_fields_and_default_batch_id() -> None:
    entry = RenameEntry("inputs", "a", "x")
    assert (entry.kind, entry.old, entry.new, entry.batch_id) == ("inputs", "a", "x", None)
    assert RenameEntry("outputs", "a", "x", 3).batch_id == 3
    assert RenameEntry(kind="name", old="f", new="g", batch_id=None) == RenameEntry(
        "name", "f", "g"
    )


@pytest.mark.parametrize("field", ["kind", "old", "new", "batch_id"])
def test_rename_entry_frozen(field: str) -> None:
    entry = RenameEntry("inputs", "a", "x", 1)
    with pytest.raises(AttributeError):
        setattr(entry, field, "z")
    assert entry == RenameEntry("inputs", "a", "x", 1)


def test_rename_entry_hashable_by_value() -> None:
    entries = {
        RenameEntry("inputs", "a", "x", 1),
        RenameEntry("inputs", "a", "x", 1),
        RenameEntry("inputs", "a", "x", 2),
    }
    assert len(entries) == 2
    assert hash(RenameEntry("name", "f", "g")) == hash(RenameEntry("name", "f", "g"))


# --- NodeExecution -----------------------------------------------------------------------


def test_node_execution_positional_keyword_and_mutable() -> None:
    record = NodeExecution("embed", {"text": 1}, {"embedding": [0.5]})
    assert record == NodeExecution(
        node_name="embed", input_versions={"text": 1}, outputs={"embedding": [0.5]}
    )
    record.input_versions = {"text": 2}
    assert record.input_versions == {"text": 2}
    assert record != NodeExecution("embed", {"text": 1}, {"embedding": [0.5]})
