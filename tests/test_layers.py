"""Cross-package imports go through public names or the one documented ``internal`` module.

hypergraph-types, hypergraph-graph and hypergraph-runners are released separately: a module
of one that imports a private module of another (``hypergraph_types._format``) would break
when that private module changes in a patch release. Each package exposes what its siblings
need in ``<package>._internal`` (underscored: not for users, but a documented contract between
the packages); these tests keep it that way and pin the names in it.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "hypergraph_types": ROOT / "packages/hypergraph-types/src/hypergraph_types",
    "hypergraph_graph": ROOT / "packages/hypergraph-graph/src/hypergraph_graph",
    "hypergraph_runners": ROOT / "packages/hypergraph-runners/src/hypergraph_runners",
    "hypergraph": ROOT / "packages/hypergraph-runtime/src/hypergraph",
}


def private_imports(owner: str, source: Path) -> list[str]:
    """``module:line imported`` for each import of another package's private module."""
    found = []
    for path in sorted(source.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom) and n.module and n.level == 0:
                modules = [n.module]
            elif isinstance(n, ast.Import):
                modules = [a.name for a in n.names]
            else:
                continue
            for module in modules:
                top, _, rest = module.partition(".")
                first = rest.split(".")[0]
                if (
                    top in PACKAGES
                    and top != owner
                    and first.startswith("_")
                    and first != "_internal"
                ):
                    found.append(f"{path.relative_to(source)}:{n.lineno} imports {module}")
    return found


@pytest.mark.parametrize("owner", sorted(PACKAGES))
def test_no_package_imports_a_private_module_of_another(owner: str) -> None:
    assert private_imports(owner, PACKAGES[owner]) == [], (
        "import from the other package's public names or its `_internal` module instead"
    )


#: The contract of each ``internal`` module: removing or renaming a name is a breaking
#: change for the sibling packages (bump the major version and their dependency ranges).
INTERNAL = {
    "hypergraph_types._internal": {
        "HANDED_SITE", "CallSite", "Suggester", "describe_exception", "did_you_mean",
        "exception_text", "fmt_names", "is_same", "message", "missing_input_error",
        "new_run_id", "quote", "short_repr", "suggest", "user_stacklevel",
    },
    "hypergraph_graph._internal": {"FingerprintError", "code_fingerprint", "decide"},
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(INTERNAL))
def test_internal_modules_keep_their_names(module: str) -> None:
    mod = importlib.import_module(module)
    assert INTERNAL[module] <= set(mod.__all__)
    for name in mod.__all__:
        assert hasattr(mod, name), name


def test_the_check_finds_a_private_import(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("import os\nfrom hypergraph_types._format import message\n")
    (tmp_path / "ok.py").write_text("from hypergraph_types._internal import message\n")
    found = private_imports("hypergraph_graph", tmp_path)
    assert found == ["m.py:2 imports hypergraph_types._format"]
    assert private_imports("hypergraph_types", tmp_path) == []  # its own private modules
