"""The exception tree (SPEC §3.7): bases, constructor attributes, messages and pickling."""

from __future__ import annotations

import copy
import pickle
import re
import sys
from collections.abc import Callable

import pytest

import hypergraph_types
from hypergraph_types import (
    ConflictError,
    GraphConfigError,
    HypergraphError,
    IncompatibleRunnerError,
    InfiniteLoopError,
    InvalidInputError,
    MissingInputError,
    NodeCancelledError,
    OutputMismatchError,
    RenameError,
    RunFailedError,
    UnknownInputError,
    _errors,
)
from hypergraph_types._errors import missing_input_error

BASES: dict[type[BaseException], tuple[type[BaseException], ...]] = {
    HypergraphError: (Exception,),
    GraphConfigError: (HypergraphError, ValueError),
    RenameError: (HypergraphError, ValueError),
    InvalidInputError: (HypergraphError, ValueError),
    MissingInputError: (InvalidInputError,),
    UnknownInputError: (InvalidInputError,),
    IncompatibleRunnerError: (HypergraphError, TypeError),
    OutputMismatchError: (HypergraphError, ValueError),
    ConflictError: (HypergraphError, RuntimeError),
    InfiniteLoopError: (HypergraphError, RuntimeError),
    NodeCancelledError: (HypergraphError, RuntimeError),
    RunFailedError: (HypergraphError, KeyError),
    # executors (issue 19)
    hypergraph_types.RemoteError: (HypergraphError, RuntimeError),
    hypergraph_types.WorkerLostError: (HypergraphError, RuntimeError),
}
# checkpoint and resume (issue 17)
BASES.update(
    {
        hypergraph_types.CheckpointError: (HypergraphError,),
        hypergraph_types.InputOverrideRequiresForkError: (
            hypergraph_types.CheckpointError,
            ValueError,
        ),
        hypergraph_types.WorkflowAlreadyCompletedError: (
            hypergraph_types.CheckpointError,
            RuntimeError,
        ),
        hypergraph_types.WorkflowAlreadyRunningError: (
            hypergraph_types.CheckpointError,
            RuntimeError,
        ),
        hypergraph_types.GraphChangedError: (hypergraph_types.CheckpointError, ValueError),
        hypergraph_types.CheckpointValueError: (hypergraph_types.CheckpointError, TypeError),
        hypergraph_types.CheckpointIntegrityError: (hypergraph_types.CheckpointError, ValueError),
        hypergraph_types.CheckpointStorageError: (hypergraph_types.CheckpointError, OSError),
    }
)


def exported_error_classes() -> list[type[BaseException]]:
    return [
        obj
        for name in hypergraph_types.__all__
        if isinstance(obj := getattr(hypergraph_types, name), type)
        and issubclass(obj, BaseException)
    ]


# --- the tree ----------------------------------------------------------------------------


def test_every_exported_error_is_in_the_spec_table() -> None:
    assert set(exported_error_classes()) == set(BASES)


@pytest.mark.parametrize(("cls", "bases"), BASES.items(), ids=lambda v: getattr(v, "__name__", ""))
def test_bases_match_spec(cls: type[BaseException], bases: tuple[type, ...]) -> None:
    assert cls.__bases__ == bases
    assert issubclass(cls, HypergraphError)
    assert issubclass(cls, Exception)


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (GraphConfigError, ValueError),
        (RenameError, ValueError),
        (InvalidInputError, ValueError),
        (MissingInputError, ValueError),
        (UnknownInputError, ValueError),
        (IncompatibleRunnerError, TypeError),
        (OutputMismatchError, ValueError),
        (ConflictError, RuntimeError),
        (InfiniteLoopError, RuntimeError),
        (NodeCancelledError, RuntimeError),
        (RunFailedError, KeyError),
    ],
    ids=lambda v: v.__name__,
)
def test_builtin_except_clauses_keep_working(
    cls: type[BaseException], builtin: type[BaseException]
) -> None:
    err = SAMPLES[cls]()
    with pytest.raises(builtin):
        raise err
    with pytest.raises(HypergraphError):
        raise err


def test_errors_module_docstring_draws_the_tree() -> None:
    """Every exported error appears in the docstring tree under its real parent."""
    doc = _errors.__doc__
    assert doc is not None
    parents: dict[str, str] = {}
    builtins: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        match = re.match(r"^(\s*)(?:[│ ]*)(?:[├└]── )?(\w+)\s*(?:\((\w+)\))?", line)
        if not match or ("──" not in line and match.group(2) != "Exception"):
            continue
        depth = line.index(match.group(2))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        name = match.group(2)
        if stack:
            parents[name] = stack[-1][1]
        builtins[name] = match.group(3)
        stack.append((depth, name))
    for cls in exported_error_classes():
        name = cls.__name__
        assert name in parents, f"{name} missing from the docstring tree"
        assert parents[name] == cls.__bases__[0].__name__, name
        extra = [b.__name__ for b in cls.__bases__[1:]]
        assert builtins[name] == (extra[0] if extra else None), name


# --- one sample of each class, for the grids below ---------------------------------------

SAMPLES: dict[type[BaseException], Callable[[], BaseException]] = {
    HypergraphError: lambda: HypergraphError("base"),
    GraphConfigError: lambda: GraphConfigError("bad graph"),
    RenameError: lambda: RenameError("bad rename"),
    InvalidInputError: lambda: InvalidInputError("bad input"),
    MissingInputError: lambda: MissingInputError(["b", "a"], ["x"]),
    UnknownInputError: lambda: UnknownInputError(["texx"], ["text", "query"]),
    IncompatibleRunnerError: lambda: IncompatibleRunnerError(
        "needs async", node_name="fetch", capability="supports_async_nodes"
    ),
    OutputMismatchError: lambda: OutputMismatchError("wrong shape", node_name="split"),
    ConflictError: lambda: ConflictError("clash", value_name="v", producers=["a", "b"]),
    InfiniteLoopError: lambda: InfiniteLoopError(7, nodes=["step", "check"]),
    NodeCancelledError: lambda: NodeCancelledError("cancelled", node_name="slow"),
    RunFailedError: lambda: RunFailedError("gone", key="answer", node_name="rag.embed"),
    # checkpoint and resume (issue 17)
    hypergraph_types.CheckpointError: lambda: hypergraph_types.CheckpointError(
        "ckpt", workflow_id="w"
    ),
    hypergraph_types.InputOverrideRequiresForkError: lambda: (
        hypergraph_types.InputOverrideRequiresForkError("differ", workflow_id="w", names=["x"])
    ),
    hypergraph_types.WorkflowAlreadyCompletedError: lambda: (
        hypergraph_types.WorkflowAlreadyCompletedError("done", workflow_id="w")
    ),
    hypergraph_types.WorkflowAlreadyRunningError: lambda: (
        hypergraph_types.WorkflowAlreadyRunningError("busy", workflow_id="w")
    ),
    hypergraph_types.GraphChangedError: lambda: hypergraph_types.GraphChangedError(
        "changed", workflow_id="w", structural=["node 'a' added"], code=["b"]
    ),
    hypergraph_types.CheckpointValueError: lambda: hypergraph_types.CheckpointValueError(
        "unstorable", node_name="f", output="y", path="y['k']", type_name="lock"
    ),
    hypergraph_types.CheckpointIntegrityError: lambda: hypergraph_types.CheckpointIntegrityError(
        "corrupt", workflow_id="w"
    ),
    hypergraph_types.CheckpointStorageError: lambda: hypergraph_types.CheckpointStorageError(
        "readonly"
    ),
    # executors (issue 19)
    hypergraph_types.RemoteError: lambda: hypergraph_types.RemoteError(
        "holds a lock", type_name="app.LockedError", traceback_text="Traceback...", notes=["n"]
    ),
    hypergraph_types.WorkerLostError: lambda: hypergraph_types.WorkerLostError(
        "lost", first=0, last=9
    ),
}

ATTRIBUTES: dict[type[BaseException], tuple[str, ...]] = {
    HypergraphError: (),
    GraphConfigError: (),
    RenameError: (),
    InvalidInputError: (),
    MissingInputError: ("missing", "provided", "message"),
    UnknownInputError: ("unknown", "valid", "suggestions", "message"),
    IncompatibleRunnerError: ("message", "node_name", "capability"),
    OutputMismatchError: ("message", "node_name"),
    ConflictError: ("message", "value_name", "producers"),
    InfiniteLoopError: ("max_iterations", "message", "nodes"),
    NodeCancelledError: ("message", "node_name"),
    RunFailedError: ("message", "key", "node_name"),
    # checkpoint and resume (issue 17)
    hypergraph_types.CheckpointError: ("message", "workflow_id"),
    hypergraph_types.InputOverrideRequiresForkError: ("message", "workflow_id", "names"),
    hypergraph_types.WorkflowAlreadyCompletedError: ("message", "workflow_id"),
    hypergraph_types.WorkflowAlreadyRunningError: ("message", "workflow_id"),
    hypergraph_types.GraphChangedError: ("message", "workflow_id", "structural", "code"),
    hypergraph_types.CheckpointValueError: ("message", "node_name", "output", "path", "type_name"),
    hypergraph_types.CheckpointIntegrityError: ("message", "workflow_id"),
    hypergraph_types.CheckpointStorageError: ("message", "workflow_id"),
    # executors (issue 19)
    hypergraph_types.RemoteError: ("message", "type_name", "traceback_text", "notes"),
    hypergraph_types.WorkerLostError: ("message", "first", "last"),
}


def test_samples_cover_every_class() -> None:
    assert set(SAMPLES) == set(BASES) == set(ATTRIBUTES)


@pytest.mark.parametrize(
    "roundtrip",
    [
        lambda e: pickle.loads(pickle.dumps(e)),
        lambda e: pickle.loads(pickle.dumps(e, protocol=0)),
        copy.copy,
        copy.deepcopy,
    ],
    ids=["pickle", "pickle-protocol-0", "copy", "deepcopy"],
)
@pytest.mark.parametrize("cls", list(SAMPLES), ids=lambda c: c.__name__)
def test_roundtrip_keeps_type_message_and_attributes(
    cls: type[BaseException], roundtrip: Callable[[BaseException], BaseException]
) -> None:
    err = SAMPLES[cls]()
    err.add_note("hypergraph: node 'x' failed")
    clone = roundtrip(err)
    assert type(clone) is cls
    assert clone is not err
    assert str(clone) == str(err)
    assert clone.args == err.args
    assert clone.__notes__ == ["hypergraph: node 'x' failed"]
    for attr in ATTRIBUTES[cls]:
        assert getattr(clone, attr) == getattr(err, attr), attr


@pytest.mark.parametrize(
    "cls",
    [c for c, attrs in ATTRIBUTES.items() if "message" in attrs],
    ids=lambda c: c.__name__,
)
def test_str_equals_message_attribute(cls: type[BaseException]) -> None:
    err = SAMPLES[cls]()
    assert str(err) == err.message  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "cls", [GraphConfigError, RenameError, InvalidInputError], ids=lambda c: c.__name__
)
def test_message_only_errors(cls: type[BaseException]) -> None:
    assert str(cls("line one\nline two")) == "line one\nline two"


# --- MissingInputError (ERR-01) ----------------------------------------------------------


def test_missing_input_error_attributes() -> None:
    err = MissingInputError(["b", "c", "a"], ["y", "x"])
    assert err.missing == ["a", "b", "c"]
    assert sorted(err.provided) == ["x", "y"]
    assert isinstance(err.missing, list)
    assert isinstance(err.provided, list)
    assert str(err) == err.message


def test_missing_input_error_accepts_any_iterables() -> None:
    err = MissingInputError(iter({"b", "a"}), ("x",))
    assert err.missing == ["a", "b"]
    assert err.provided == ["x"]


def test_missing_input_error_provided_defaults_to_empty_list() -> None:
    assert MissingInputError(["a"]).provided == []
    assert MissingInputError(["a"], None).provided == []


def test_missing_input_error_default_message_layout() -> None:
    err = MissingInputError(["b", "a"])
    lines = str(err).splitlines()
    assert "Missing required inputs: 'a', 'b'" in lines[0]
    assert "Provided:" not in str(err)
    assert any(line.startswith("How to fix") for line in lines)
    assert lines[-1].startswith("How to fix")


def test_missing_input_error_default_message_lists_provided() -> None:
    text = str(MissingInputError(["a"], ["x", "y"]))
    assert "Missing required inputs: 'a'" in text.splitlines()[0]
    assert "Provided: 'x', 'y'" in text
    assert "How to fix" in text


def test_missing_input_error_empty_provided_is_not_listed() -> None:
    assert "Provided:" not in str(MissingInputError(["a"], []))


def test_missing_input_error_never_suggests_a_name_for_itself() -> None:
    text = str(MissingInputError(["query", "querys"], ["quer"]))
    assert "Did you mean 'query'" not in text
    assert "Did you mean 'querys'" not in text


def test_missing_input_error_custom_message_is_kept() -> None:
    err = MissingInputError(["a"], ["b"], "custom text")
    assert err.message == "custom text"
    assert str(err) == "custom text"
    assert err.missing == ["a"]
    assert err.provided == ["b"]


def test_missing_input_error_helper_lists_required_and_seeds() -> None:
    err = missing_input_error(["z_req", "a_req"], ["s2", "s1"], ["given"])
    assert isinstance(err, MissingInputError)
    assert err.missing == ["a_req", "s1", "s2", "z_req"]
    assert err.provided == ["given"]
    lines = str(err).splitlines()
    assert "Missing required inputs: 'a_req', 's1', 's2', 'z_req'" in lines[0]
    required = next(line for line in lines if "Required:" in line)
    seeds = next(line for line in lines if "Seeds (for cycles):" in line)
    assert "'a_req', 'z_req'" in required
    assert "'s" not in required
    assert "'s1', 's2'" in seeds
    assert "_req" not in seeds
    assert "Provided: 'given'" in str(err)
    assert lines[-1].startswith("How to fix")


@pytest.mark.parametrize(
    ("required", "seeds"),
    [(["a", "b"], []), ([], ["s"])],
    ids=["only-required", "only-seeds"],
)
def test_missing_input_error_helper_single_kind_has_no_split_lines(
    required: list[str], seeds: list[str]
) -> None:
    err = missing_input_error(required, seeds, [])
    text = str(err)
    assert err.missing == sorted(required + seeds)
    assert "Required:" not in text
    assert "Seeds (for cycles):" not in text
    assert "Provided:" not in text
    assert "How to fix" in text


# --- UnknownInputError -------------------------------------------------------------------


def test_unknown_input_error_attributes() -> None:
    err = UnknownInputError(["texx", "zzzz"], ["text", "query"])
    assert err.unknown == ["texx", "zzzz"]
    assert err.valid == ["text", "query"]
    assert err.suggestions == {"texx": "text"}
    assert str(err) == err.message


def test_unknown_input_error_suggestions_pick_best_match() -> None:
    err = UnknownInputError(["temperatur"], ["temp", "temperature", "tempera"])
    assert err.suggestions == {"temperatur": "temperature"}


def test_unknown_input_error_no_suggestions_without_close_match() -> None:
    assert UnknownInputError(["abc"], ["xyz"]).suggestions == {}
    assert UnknownInputError(["abc"], []).suggestions == {}


def test_unknown_input_error_default_message() -> None:
    text = str(UnknownInputError(["texx", "zzzz"], ["text", "query"]))
    assert "'texx'" in text.splitlines()[0]
    assert "'zzzz'" in text.splitlines()[0]
    assert "Valid inputs: 'text', 'query'" in text
    assert "Did you mean 'text'" in text
    assert "How to fix" in text


def test_unknown_input_error_custom_message_keeps_attributes() -> None:
    err = UnknownInputError(["texx"], ["text"], "custom")
    assert str(err) == "custom"
    assert err.suggestions == {"texx": "text"}


# --- the other constructors --------------------------------------------------------------


def test_incompatible_runner_error_attributes() -> None:
    err = IncompatibleRunnerError("m", node_name="n", capability="supports_async_nodes")
    assert (err.message, err.node_name, err.capability) == ("m", "n", "supports_async_nodes")
    assert str(err) == "m"
    bare = IncompatibleRunnerError("m")
    assert (bare.node_name, bare.capability) == (None, None)


def test_incompatible_runner_error_keywords_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        IncompatibleRunnerError("m", "n")  # type: ignore[call-arg]


def test_conflict_error_attributes() -> None:
    err = ConflictError("m", value_name="v", producers=iter(["a", "b"]))
    assert err.value_name == "v"
    assert err.producers == ("a", "b")
    assert isinstance(err.producers, tuple)
    assert str(err) == "m"


def test_conflict_error_requires_value_name_and_producers() -> None:
    with pytest.raises(TypeError):
        ConflictError("m")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ConflictError("m", "v", ("a", "b"))  # type: ignore[call-arg]


def test_infinite_loop_error_attributes_and_default_message() -> None:
    err = InfiniteLoopError(12, nodes=["step", "check"])
    assert err.max_iterations == 12
    assert err.nodes == ("step", "check")
    assert isinstance(err.nodes, tuple)
    text = str(err)
    assert text == err.message
    assert "max_iterations=12" in text
    assert "'step'" in text
    assert "'check'" in text
    assert "How to fix" in text
    assert "converge" in text


def test_infinite_loop_error_defaults() -> None:
    err = InfiniteLoopError(1000)
    assert err.nodes == ()
    assert "max_iterations=1000" in str(err)


def test_infinite_loop_error_custom_message() -> None:
    err = InfiniteLoopError(3, "custom", nodes=("a",))
    assert str(err) == "custom"
    assert err.message == "custom"
    assert (err.max_iterations, err.nodes) == (3, ("a",))


@pytest.mark.parametrize("cls", [OutputMismatchError, NodeCancelledError], ids=lambda c: c.__name__)
def test_node_name_errors(cls: type[OutputMismatchError | NodeCancelledError]) -> None:
    err = cls("m", node_name="outer.inner")
    assert err.node_name == "outer.inner"
    assert str(err) == "m"
    assert cls("m").node_name is None


def test_run_failed_error_attributes_and_unquoted_str() -> None:
    text = "'answer' is not available\nHow to fix: check result.status"
    err = RunFailedError(text, key="answer", node_name="n")
    assert (err.key, err.node_name) == ("answer", "n")
    assert str(err) == text
    assert RunFailedError("m", key="k").node_name is None


@pytest.mark.parametrize("cls", list(SAMPLES), ids=lambda c: c.__name__)
def test_pickles_load_without_the_facade(cls, monkeypatch) -> None:
    # The facade renames every error's __module__ to "hypergraph" for tracebacks; an install
    # without it (hypergraph-graph alone) must still pickle and unpickle the errors.
    monkeypatch.setattr(cls, "__module__", "hypergraph")
    monkeypatch.setitem(sys.modules, "hypergraph", None)  # import hypergraph -> ImportError
    err = SAMPLES[cls]()
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is cls
    assert str(clone) == str(err)
    assert clone.__dict__ == err.__dict__
