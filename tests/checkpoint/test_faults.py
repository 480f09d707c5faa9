"""Faults with real processes: kill -9 mid-superstep and resume in a new process, two processes
racing on one id, a killed holder, many workflows from several processes; and in-process: a
full disk, a read-only database, a corrupt blob, a database from a newer version.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import SyncRunner
from hypergraph_runners.checkpoint import SqliteCheckpointer, _store
from hypergraph_types import (
    CheckpointIntegrityError,
    CheckpointStorageError,
    WorkflowAlreadyRunningError,
)

SCRIPT = textwrap.dedent(
    """
    import asyncio, os, sys, time
    from hypergraph_graph import Graph, node
    from hypergraph_runners import AsyncRunner, SyncRunner
    from hypergraph_runners.checkpoint import SqliteCheckpointer
    from hypergraph_types import WorkflowAlreadyRunningError

    db, log, kind, wf, block = sys.argv[1:6]

    def note(line):
        with open(log, "a") as f:
            f.write(line + "\\n")
            f.flush()
            os.fsync(f.fileno())

    def wait_for_release():
        while block != "-" and not os.path.exists(block):
            time.sleep(0.02)

    @node(output_name="a")
    def first(x: int) -> int:
        note("done first")
        return x + 1

    @node(output_name="b")
    def quick(a: int) -> int:
        note("done quick")
        return a * 2

    @node(output_name="c")
    def slow(a: int) -> int:
        note("start slow")
        wait_for_release()
        note("done slow")
        return a * 3

    @node(output_name="d")
    def last(b: int, c: int) -> int:
        note("done last")
        return b + c

    graph = Graph([first, quick, slow, last], name="faults")
    runner_cls = SyncRunner if kind == "sync" else AsyncRunner
    runner = runner_cls(checkpointer=SqliteCheckpointer(db))
    try:
        if kind == "sync":
            result = runner.run(graph, {"x": 1}, workflow_id=wf)
        else:
            result = asyncio.run(runner.run(graph, {"x": 1}, workflow_id=wf))
    except WorkflowAlreadyRunningError:
        print("BUSY")
        sys.exit(3)
    print("RESULT", result.status.value, result.values, result.restored)
    """
)


def start(tmp: Path, kind: str, wf: str, block: str = "-") -> subprocess.Popen[str]:
    script = tmp / "job.py"
    if not script.exists():
        script.write_text(SCRIPT)
    args = [str(tmp / "runs.db"), str(tmp / "log.txt"), kind, wf, block]
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def log_lines(tmp: Path) -> list[str]:
    path = tmp / "log.txt"
    return path.read_text().splitlines() if path.exists() else []


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def pending_rows(tmp: Path, wf: str) -> list[str]:
    with closing(sqlite3.connect(tmp / "runs.db", timeout=30)) as conn:
        try:
            rows = conn.execute(
                "SELECT node FROM nodes WHERE workflow_id = ? AND committed = 0", (wf,)
            ).fetchall()
        except sqlite3.OperationalError:
            return []
    return [r[0] for r in rows]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_kill_9_mid_superstep_then_resume_in_a_new_process(tmp_path: Path, kind: str) -> None:
    victim = start(tmp_path, kind, "k", block=str(tmp_path / "never"))
    # `quick` finished and its completion is recorded; `slow`, its sibling, is running.
    wait_until(lambda: "start slow" in log_lines(tmp_path), "slow to start")
    wait_until(lambda: pending_rows(tmp_path, "k") == ["quick"], "quick's pending record")
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    assert log_lines(tmp_path) == ["done first", "done quick", "start slow"] or sorted(
        log_lines(tmp_path)
    ) == ["done first", "done quick", "start slow"]
    resumed = start(tmp_path, kind, "k")
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    # nothing that finished ran again; the killed node ran again; nothing was lost
    assert out.startswith("RESULT completed {'x': 1, 'a': 2, 'b': 4, 'c': 6, 'd': 10}") or (
        "'d': 10" in out and "completed" in out
    ), out
    lines = log_lines(tmp_path)
    assert lines.count("done first") == 1 and lines.count("done quick") == 1
    assert lines.count("start slow") == 2 and lines.count("done last") == 1
    assert "'quick'" in out and "'first'" in out  # listed in RunResult.restored


def test_two_processes_racing_on_one_id_and_a_killed_holder(tmp_path: Path) -> None:
    release = tmp_path / "release"
    holder = start(tmp_path, "sync", "race", block=str(release))
    wait_until(lambda: "start slow" in log_lines(tmp_path), "the holder to run")
    rival = start(tmp_path, "sync", "race")
    out, _ = rival.communicate(timeout=60)
    assert rival.returncode == 3 and "BUSY" in out
    assert log_lines(tmp_path).count("done first") == 1  # the rival ran nothing
    holder.send_signal(signal.SIGKILL)  # the lock dies with its process
    holder.communicate(timeout=30)
    release.write_text("go")
    again = start(tmp_path, "sync", "race")
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0 and "'d': 10" in out, err
    assert log_lines(tmp_path).count("done first") == 1


def test_same_id_from_two_processes_started_together(tmp_path: Path) -> None:
    release = tmp_path / "release"
    jobs = [start(tmp_path, "sync", "dup", block=str(release)) for _ in range(2)]
    wait_until(lambda: any(j.poll() is not None for j in jobs), "one of them to give up")
    release.write_text("go")
    outs = [j.communicate(timeout=60) for j in jobs]
    codes = sorted(j.returncode for j in jobs)
    assert codes == [0, 3], outs
    assert log_lines(tmp_path).count("done first") == 1


WORKER = textwrap.dedent(
    """
    import sys
    from hypergraph_graph import Graph, node
    from hypergraph_runners import SyncRunner
    from hypergraph_runners.checkpoint import SqliteCheckpointer

    db, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

    @node(output_name="y")
    def f(x: int) -> int:
        return x * 2

    @node(output_name="z")
    def g(y: int) -> int:
        return y + 1

    runner = SyncRunner(checkpointer=SqliteCheckpointer(db))
    graph = Graph([f, g])
    for i in range(count):
        n = worker * 1000 + i
        assert runner.run(graph, {"x": n}, workflow_id=f"w{worker}-{i}")["z"] == 2 * n + 1
    print("ok")
    """
)


@pytest.mark.parametrize(("processes", "per_process"), [(4, 25)])
def test_many_workflows_on_one_file_from_several_processes(
    tmp_path: Path, processes: int, per_process: int
) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    db = tmp_path / "runs.db"
    jobs = [
        subprocess.Popen(
            [sys.executable, str(script), str(db), str(w), str(per_process)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(processes)
    ]
    for job in jobs:
        out, err = job.communicate(timeout=120)
        assert job.returncode == 0 and out.strip() == "ok", err
    cp = SqliteCheckpointer(db)
    runs = cp.runs(limit=1000)
    assert len(runs) == processes * per_process
    assert all(r.status.value == "completed" for r in runs)
    assert cp.values("w3-7", "z") == 2 * 3007 + 1
    assert cp.call(lambda conn: conn.execute("PRAGMA integrity_check").fetchone()[0]) == "ok"
    cp.close()


# -- in-process storage faults ---------------------------------------------------------------


def chain() -> Graph:
    @node(output_name="y")
    def f(x: str) -> str:
        return x * 2

    @node(output_name="z")
    def g(y: str) -> str:
        return y + "!"

    return Graph([f, g])


def tweak_connections(monkeypatch: pytest.MonkeyPatch, pragma: str) -> None:
    real = _store.connect

    def connect(path: str) -> sqlite3.Connection:
        conn = real(path)
        conn.execute(pragma)
        return conn

    monkeypatch.setattr(_store, "connect", connect)


def test_disk_full_fails_the_run_with_durability_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cp = SqliteCheckpointer(tmp_path / "runs.db")
    SyncRunner(checkpointer=cp).run(chain(), {"x": "a"})  # tables created, file sized
    cp.close()
    with closing(sqlite3.connect(tmp_path / "runs.db")) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    tweak_connections(monkeypatch, f"PRAGMA max_page_count = {pages + 2}")
    cp = SqliteCheckpointer(tmp_path / "runs.db")
    big = "x" * 200_000  # needs far more pages than are left
    with pytest.raises(CheckpointStorageError, match="full") as info:
        SyncRunner(checkpointer=cp).run(chain(), {"x": big}, workflow_id="full")
    assert "How to fix: free disk space" in str(info.value)
    cp.close()


def test_disk_full_mid_run_fails_the_run_or_reports_with_durability_async(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for durability in ("sync", "async"):
        db = tmp_path / f"{durability}.db"
        cp = SqliteCheckpointer(db)
        SyncRunner(checkpointer=cp).run(chain(), {"x": "a"})
        cp.close()
        with closing(sqlite3.connect(db)) as conn:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
        tweak_connections(monkeypatch, f"PRAGMA max_page_count = {pages + 8}")
        cp = SqliteCheckpointer(db, durability=durability)  # type: ignore[arg-type]

        # the input fits; the node's output (100x larger) does not
        def grow(x: str) -> str:
            return x * 100

        result = SyncRunner(checkpointer=cp).run(
            Graph([node(output_name="y")(grow)]), {"x": "q" * 2000}
        )
        if durability == "sync":
            assert result.failed and isinstance(result.error, CheckpointStorageError)
        else:
            assert result.completed and result["y"] == "q" * 200_000
            assert not result.checkpoint_ok and "full" in result.checkpoint_errors[0]
        cp.close()
        monkeypatch.undo()


def test_read_only_database_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "runs.db"
    cp = SqliteCheckpointer(db)
    SyncRunner(checkpointer=cp).run(chain(), {"x": "a"}, workflow_id="old")
    cp.close()
    if os.geteuid() == 0:  # root ignores file modes: make the connection itself read-only
        tweak_connections(monkeypatch, "PRAGMA query_only = ON")
    else:
        db.chmod(0o444)
    cp = SqliteCheckpointer(db)
    with pytest.raises(CheckpointStorageError, match=r"readonly|read-only") as info:
        SyncRunner(checkpointer=cp).run(chain(), {"x": "b"}, workflow_id="new")
    assert "How to fix:" in str(info.value) and str(db) in str(info.value)
    assert cp.values("old", "z") == "aa!"  # reading still works
    cp.close()


def test_corrupt_blob_is_detected_not_decoded(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    cp = SqliteCheckpointer(db)
    calls: list[str] = []

    @node(output_name="y")
    def f(x: str) -> str:
        return x * 2

    @node(output_name="z")
    def g(y: str) -> str:
        calls.append(y)
        raise ValueError("fails, to be resumed")

    SyncRunner(checkpointer=cp).run(Graph([f, g]), {"x": "abc"}, workflow_id="w")
    cp.close()
    with sqlite3.connect(db) as conn:
        digest, data = conn.execute(
            "SELECT digest, data FROM blobs WHERE digest = "
            "(SELECT digest FROM writes WHERE workflow_id = 'w' AND name = 'y')"
        ).fetchone()
        flipped = data[:-1] + bytes([data[-1] ^ 0x01])  # one bit of the stored value
        conn.execute("UPDATE blobs SET data = ? WHERE digest = ?", (flipped, digest))
    conn.close()
    cp = SqliteCheckpointer(db)
    with pytest.raises(CheckpointIntegrityError, match="'w'") as info:
        SyncRunner(checkpointer=cp).run(Graph([f, g]), workflow_id="w")
    assert "'y'" in str(info.value) and "How to fix:" in str(info.value)
    assert len(calls) == 1  # nothing ran on the corrupt state
    cp.close()


def test_newer_schema_and_not_a_database(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    cp = SqliteCheckpointer(newer)
    with pytest.raises(CheckpointStorageError, match="schema version 99"):
        cp.runs()
    cp.close()
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(8192))
    cp = SqliteCheckpointer(junk)
    with pytest.raises(CheckpointStorageError, match="not a database") as info:
        cp.runs()
    assert "How to fix:" in str(info.value)
    cp.close()


def test_second_handle_on_one_file_sees_the_lock(tmp_path: Path) -> None:
    cp = SqliteCheckpointer(tmp_path / "runs.db")
    seen: list[Any] = []
    holder: dict[str, Graph] = {}

    other = SqliteCheckpointer(tmp_path / "runs.db")  # another handle on the same file

    @node(output_name="y")
    def inner(x: int) -> int:
        try:
            SyncRunner(checkpointer=other).run(holder["g"], workflow_id="w")
        except WorkflowAlreadyRunningError as exc:
            seen.append(exc)
        return x

    holder["g"] = Graph([inner])
    assert SyncRunner(checkpointer=cp).run(holder["g"], {"x": 1}, workflow_id="w").completed
    assert len(seen) == 1
    # released at the end: the other handle may run it now (it is completed, so it says so)
    with pytest.raises(Exception, match="already completed"):
        SyncRunner(checkpointer=other).run(holder["g"], workflow_id="w")
    cp.close()
    other.close()
