"""Every package above hypergraph_types keeps an honest ``__all__`` (SPEC §1.4, §1.5).

Written against the rules, not the current contents, so it keeps working as the packages grow.
Each package is skipped when it is not installed (per-package isolation runs).
"""

from __future__ import annotations

import importlib.metadata
import types

import pytest

PACKAGES = [
    "hypergraph_graph",
    "hypergraph_runners",
    "hypergraph",
    "hypergraph_runners.cache",
    "hypergraph.cache",
    "hypergraph_runners.checkpoint",  # issue 17
    "hypergraph.checkpointers",
]
# The facade re-exports the lower layers (SPEC §1.5).
LOWER_LAYERS = ["hypergraph_types", "hypergraph_graph", "hypergraph_runners"]


def public_attributes(module: types.ModuleType) -> set[str]:
    """Names a user sees in ``dir(module)``: not private, not submodules, not __future__ flags."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and type(value).__module__ != "__future__"
    }


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_a_tuple_of_unique_strings(package: str) -> None:
    module = pytest.importorskip(package)
    exported = module.__all__
    assert isinstance(exported, tuple)
    assert all(isinstance(name, str) for name in exported)
    assert len(set(exported)) == len(exported), [n for n in exported if exported.count(n) > 1]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_in_all_exists(package: str) -> None:
    module = pytest.importorskip(package)
    assert [n for n in module.__all__ if not hasattr(module, n)] == []


@pytest.mark.parametrize("package", PACKAGES)
def test_all_names_are_public(package: str) -> None:
    module = pytest.importorskip(package)
    allowed = {"__version__"} if package == "hypergraph" else set()
    assert [n for n in module.__all__ if n.startswith("_") and n not in allowed] == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_attribute_is_in_all(package: str) -> None:
    module = pytest.importorskip(package)
    assert public_attributes(module) - set(module.__all__) == set()


@pytest.mark.parametrize("package", PACKAGES)
def test_star_import_gives_exactly_all(package: str) -> None:
    module = pytest.importorskip(package)
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)
    namespace.pop("__builtins__")
    assert set(namespace) == set(module.__all__)


def test_facade_exports_its_version() -> None:
    hypergraph = pytest.importorskip("hypergraph")
    assert "__version__" in hypergraph.__all__
    assert isinstance(hypergraph.__version__, str)
    assert hypergraph.__version__ == importlib.metadata.version("hypergraph-runtime")


@pytest.mark.parametrize("layer", LOWER_LAYERS)
def test_facade_reexports_are_the_same_objects(layer: str) -> None:
    hypergraph = pytest.importorskip("hypergraph")
    lower = pytest.importorskip(layer)
    shared = set(hypergraph.__all__) & set(lower.__all__)
    for name in shared:
        assert getattr(hypergraph, name) is getattr(lower, name), name


def test_errors_print_as_the_name_users_import() -> None:
    # Tracebacks show ``hypergraph.MissingInputError``, importable as printed, and pickles of
    # every exported error still round-trip.
    import pickle
    import traceback

    hypergraph = pytest.importorskip("hypergraph")
    errors = [
        getattr(hypergraph, n)
        for n in hypergraph.__all__
        if isinstance(getattr(hypergraph, n), type)
        and issubclass(getattr(hypergraph, n), hypergraph.HypergraphError)
    ]
    assert len(errors) >= 12
    for cls in errors:
        assert cls.__module__ == "hypergraph", cls
        assert getattr(hypergraph, cls.__qualname__) is cls
    err = hypergraph.MissingInputError(["x"])
    line = traceback.format_exception_only(err)[0]
    assert line.startswith("hypergraph.MissingInputError: Missing required inputs: 'x'")
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is hypergraph.MissingInputError and str(clone) == str(err)


def test_facade_cache_module_reexports_the_runners_cache() -> None:
    facade = pytest.importorskip("hypergraph.cache")
    lower = pytest.importorskip("hypergraph_runners.cache")
    assert set(facade.__all__) == set(lower.__all__)
    for name in facade.__all__:
        assert getattr(facade, name) is getattr(lower, name), name


def test_facade_checkpointers_module_reexports_the_runners_checkpoint() -> None:
    facade = pytest.importorskip("hypergraph.checkpointers")
    lower = pytest.importorskip("hypergraph_runners.checkpoint")
    assert set(facade.__all__) == set(lower.__all__)
    for name in facade.__all__:
        assert getattr(facade, name) is getattr(lower, name), name
