"""What each package ships and says about itself: the license, a README that tells what it holds
and how to install it alone (and whose examples print what they claim), and a changelog."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file())


def project(package: Path) -> dict:
    return tomllib.loads((package / "pyproject.toml").read_text())["project"]


def internal_closure(name: str) -> set[str]:
    """The package and every internal package it needs, transitively."""
    found, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        deps = project(ROOT / "packages" / current)["dependencies"]
        todo += [
            re.split(r"[<>=\[ ;]", d, maxsplit=1)[0] for d in deps if d.startswith("hypergraph")
        ]
    return found


def test_license_is_mit_at_the_top() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_each_package_ships_the_license(package: Path) -> None:
    assert (package / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    meta = project(package)
    assert meta["license"] == "MIT"
    assert meta["license-files"] == ["LICENSE"]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_each_readme_says_how_to_install_it_alone_and_links_the_docs(package: Path) -> None:
    text = (package / "README.md").read_text()
    assert len(text.splitlines()) > 10, "a README says what the package holds"
    installs = [line for line in text.splitlines() if line.startswith("pip install ./packages/")]
    assert installs, "no install-from-a-clone line"
    paths = {Path(w.strip("'").split("[")[0]).name for w in installs[0].split()[2:]}
    assert paths == internal_closure(package.name), installs[0]
    links = re.findall(r"\]\(([^)#]+)[^)]*\)", text)
    assert any("docs/" in link for link in links)
    for link in links:
        if "://" not in link:
            assert (package / link).exists(), f"broken link {link}"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_each_readme_example_prints_what_it_claims(package: Path) -> None:
    for block in re.findall(r"```python\n(.*?)```", (package / "README.md").read_text(), re.S):
        for module in re.findall(r"^from (\w+) import", block, re.M):
            if importlib.util.find_spec(module) is None:
                pytest.skip(f"{module} is not installed")
        expected = [m.group(1).strip() for m in re.finditer(r"print\(.*\)\s+# (.*)", block)]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(package / "README.md"), "exec", dont_inherit=True), {})
        assert out.getvalue().splitlines() == expected


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_each_package_has_a_changelog_entry_for_its_version(package: Path) -> None:
    text = (package / "CHANGELOG.md").read_text()
    version = re.escape(project(package)["version"])
    assert re.search(rf"^## {version} - (unreleased|\d{{4}}-\d{{2}}-\d{{2}})$", text, re.M)
