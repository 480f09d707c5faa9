"""Every package declares the CPython versions CI tests (``scripts/pythons``): ``requires-python``
starts at the oldest one and the classifiers name each of them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted((ROOT / "packages").glob("*/pyproject.toml"))


def _tested_versions() -> list[str]:
    script = (ROOT / "scripts" / "pythons").read_text(encoding="utf-8")
    found = re.search(r"^supported=\(([^)]*)\)", script, re.MULTILINE)
    assert found, "scripts/pythons lists the supported versions as supported=(...)"
    return found.group(1).split()


@pytest.mark.parametrize("pyproject", PACKAGES, ids=lambda p: p.parent.name)
def test_package_declares_the_tested_versions(pyproject: Path) -> None:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    versions = _tested_versions()
    assert project["requires-python"] == f">={versions[0]}"
    declared = [
        c.rpartition(" :: ")[2]
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert declared == versions
