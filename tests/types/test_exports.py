"""hypergraph_types keeps an honest ``__all__`` (SPEC §1.4, §1.5)."""

from __future__ import annotations

import importlib
import pkgutil
import types

import hypergraph_types

SPEC_EXPORTS = {
    # checkpoint and resume (issue 17)
    "CheckpointError",
    "CheckpointIntegrityError",
    "CheckpointStorageError",
    "CheckpointValueError",
    "GraphChangedError",
    "InputOverrideRequiresForkError",
    "Run",
    "StepRecord",
    "WorkflowAlreadyCompletedError",
    "WorkflowAlreadyRunningError",
    "WorkflowStatus",
    # executors (issue 19)
    "RemoteError",
    "WorkerLostError",
    "RunStatus",
    "RunResult",
    "RunnerCapabilities",
    "InputSpec",
    "RenameEntry",
    "GraphState",
    "NodeExecution",
    "HypergraphError",
    "GraphConfigError",
    "RenameError",
    "InvalidInputError",
    "MissingInputError",
    "UnknownInputError",
    "IncompatibleRunnerError",
    "OutputMismatchError",
    "ConflictError",
    "InfiniteLoopError",
    "NodeCancelledError",
    "RunFailedError",
    # the newer original's surface (issue 15)
    "MapResult",
    # events (issue 8)
    "Event",
    "AnyEvent",
    "EventStatus",
    "RunStartEvent",
    "RunEndEvent",
    "SuperstepStartEvent",
    "NodeStartEvent",
    "NodeEndEvent",
    "NodeErrorEvent",
    "MapItemStartEvent",
    "MapItemEndEvent",
    # result caching (issue 16)
    "CacheHitEvent",
    # interrupts (issue 18)
    "InterruptEvent",
    "PauseInfo",
}


def public_attributes(module: types.ModuleType) -> set[str]:
    """Names a user sees in ``dir(module)``: not private, not submodules, not __future__ flags."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and type(value).__module__ != "__future__"
    }


def test_all_is_a_tuple_of_unique_strings() -> None:
    exported = hypergraph_types.__all__
    assert isinstance(exported, tuple)
    assert all(isinstance(name, str) for name in exported)
    assert len(set(exported)) == len(exported)


def test_all_equals_the_spec_list() -> None:
    assert set(hypergraph_types.__all__) == SPEC_EXPORTS


def test_every_name_in_all_exists() -> None:
    missing = [n for n in hypergraph_types.__all__ if not hasattr(hypergraph_types, n)]
    assert missing == []


def test_every_public_attribute_is_in_all() -> None:
    assert public_attributes(hypergraph_types) - set(hypergraph_types.__all__) == set()


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from hypergraph_types import *", namespace)
    namespace.pop("__builtins__")
    assert set(namespace) == SPEC_EXPORTS


def home_of(name: str) -> str:
    """The module defining an export. A type alias (a union, a ``Literal``) reports ``types`` or
    ``typing`` as its module, and an error reports ``hypergraph`` once the facade is imported
    (for tracebacks), so its home is the submodule whose ``__all__`` lists that object."""
    value = getattr(hypergraph_types, name)
    home: str = value.__module__
    if home in ("types", "typing", "hypergraph"):
        for module in submodules():
            if name in getattr(module, "__all__", ()) and getattr(module, name) is value:
                return module.__name__
    return home


def test_exports_are_defined_in_private_modules_of_the_package() -> None:
    for name in hypergraph_types.__all__:
        home = home_of(name)
        assert home.startswith("hypergraph_types._"), (name, home)


def submodules() -> list[types.ModuleType]:
    return [
        importlib.import_module(f"hypergraph_types.{info.name}")
        for info in pkgutil.iter_modules(hypergraph_types.__path__)
    ]


def test_package_has_implementation_modules() -> None:
    names = [m.__name__ for m in submodules()]
    assert names, "no submodules found"
    assert all(n.split(".")[-1].startswith("_") for n in names), names


def test_every_module_declares_an_honest_all() -> None:
    for module in submodules():
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"{module.__name__} has no __all__"
        assert len(set(exported)) == len(exported), module.__name__
        absent = [n for n in exported if not hasattr(module, n)]
        assert absent == [], (module.__name__, absent)


def test_every_exported_name_is_exported_by_its_home_module() -> None:
    for name in hypergraph_types.__all__:
        home = importlib.import_module(home_of(name))
        assert name in home.__all__, (name, home.__name__)
