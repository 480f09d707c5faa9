"""The benchmark harness keeps working: ``scripts/bench.py --smoke`` runs every scenario once.

This checks that the harness runs, not how fast anything is (timing belongs to the harness, not
to tests). It needs pipefunc from the ``bench`` dependency group, which the default test
environment does not install: there it is skipped, and ``bash scripts/bench --smoke`` is the way to
run the smoke mode with the group.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pipefunc")

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = [
    "chain",
    "wide",
    "map",
    "async-sleep",
    "nested",
    "build",
    "nodes",
    "async-nodes",
    "def-nodes",
    "hop",
    "dataflow",
    "cache",
    "checkpoint",
    "import",
    "executor",
]


def test_smoke_mode_runs_every_scenario(tmp_path: Path) -> None:
    dump = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--smoke", "--json", str(dump)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=50,  # the executor scenario starts a 2-process Dask cluster
    )
    assert proc.returncode == 0, proc.stderr
    for name in SCENARIOS:
        assert f"[{name}]" in proc.stdout
        assert f"| {name} |" in proc.stdout
    rows = json.loads(dump.read_text(encoding="utf-8"))["rows"]
    assert {row["scenario"] for row in rows} == set(SCENARIOS)
    assert "pipefunc: 0.93" in proc.stdout  # the pinned peer really ran
