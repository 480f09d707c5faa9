"""Every script in ``examples/`` runs to completion (STYLE item 14: examples run in CI).

Each script runs in a fresh interpreter (``sys.executable``), so a crash, a hang or a leaked
non-daemon thread fails it. Scripts with a documented result also have a key line checked.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))

# A line each script must print (exactly, after stripping), proving it did its job.
KEY_LINES = {
    "approval_loop.py": [
        "answer: 'approve' (as 'verdict')",
        "published after 3 rounds: 'We are happy to announce the new office opening. "
        "It opens on Monday. Coffee is on us.'",
        "AsyncRunner: same trace and values: True",
        "durable: completed after 3 rounds, same: True",
        "answered up front: completed, published 'We are happy to announce the new office "
        "opening.'",
    ],
    "quickstart.py": [
        "sync:    completed {'cleaned': 'hello world', 'words': ['hello', 'world'], 'count': 2}",
        "select:  {'count': 3}",
    ],
    "rag_pipeline.py": [
        "Indexed 4 documents into 12 chunks:",
        "A: Cats sleep up to sixteen hours a day. (from 1 passage)  [sources: cats#0]",
        "!  failed at node 'generate': no relevant documents for 'Which planet has rings?'",
        "3 answered, 1 failed",
        "20 model calls, never more than 4 at once",
    ],
    "chat_loop.py": [
        "tool: France: Paris",
        "assistant: It is Paris.",
        "assistant: You're welcome!",
        "AsyncRunner gives the same messages: True",
    ],
    # executors: a Dask LocalCluster of 2 processes, then a ProcessPoolExecutor
    "scale_out.py": [
        "dask: partial, 1 failed",
        "item 17: ValueError: empty document",
        "total score: 2498",
        "process pool: total score 2498",
    ],
}


def run_script(name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=EXAMPLES.parent,
        capture_output=True,
        text=True,
        timeout=60,  # scale_out.py starts a 2-process Dask cluster
    )


def test_examples_exist() -> None:
    assert {"quickstart.py", "rag_pipeline.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_runs(name: str) -> None:
    done = run_script(name)
    assert done.returncode == 0, f"examples/{name} exited with {done.returncode}\n{done.stderr}"
    assert not done.stderr, f"examples/{name} wrote to stderr:\n{done.stderr}"
    lines = [line.strip() for line in done.stdout.splitlines()]
    for expected in KEY_LINES.get(name, []):
        assert expected in lines, f"examples/{name} did not print {expected!r}:\n{done.stdout}"


def test_rag_pipeline_is_deterministic() -> None:
    first, second = run_script("rag_pipeline.py"), run_script("rag_pipeline.py")
    assert first.stdout == second.stdout
