"""The SQLite schema (version 1), the connection settings, and storage errors with a fix.

Tables: ``workflows`` (one row per workflow: header, status, inputs), ``steps`` (one row per
committed superstep), ``nodes`` (node executions: committed, or pending when their superstep
never committed), ``writes`` (the names a superstep changed, with versions and blob digests),
``blobs`` (values, content-addressed) and ``records`` (extra per-superstep records a feature
built on top, such as durable interrupts, commits in the same transaction). Nothing stores a
full state: a superstep adds what it changed. No secondary index: a superstep's commit stays a
few B-tree inserts, and a restore folds one workflow's rows (a primary-key range) in Python.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from typing import NoReturn

from hypergraph_types import CheckpointStorageError
from hypergraph_types._internal import message, quote

__all__ = ["SCHEMA_VERSION", "connect", "storage_error"]

SCHEMA_VERSION = 1

_TABLES = """
CREATE TABLE IF NOT EXISTS workflows(
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, graph_name TEXT,
    parent TEXT, forked_from TEXT, fork_superstep INTEGER, structure TEXT NOT NULL,
    manifest TEXT NOT NULL, inputs TEXT NOT NULL, item_digest TEXT, parent_step INTEGER,
    run_id TEXT, result TEXT,
    created REAL NOT NULL, updated REAL NOT NULL, error TEXT);
CREATE INDEX IF NOT EXISTS workflows_parent ON workflows(parent);
CREATE TABLE IF NOT EXISTS steps(
    workflow_id TEXT NOT NULL, superstep INTEGER NOT NULL, cycle_steps INTEGER NOT NULL,
    core TEXT, committed REAL NOT NULL, PRIMARY KEY(workflow_id, superstep)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nodes(
    workflow_id TEXT NOT NULL, superstep INTEGER NOT NULL, node TEXT NOT NULL,
    committed INTEGER NOT NULL, input_versions TEXT NOT NULL, outputs TEXT NOT NULL,
    decision TEXT, fingerprint TEXT NOT NULL,
    PRIMARY KEY(workflow_id, superstep, node)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS writes(
    workflow_id TEXT NOT NULL, superstep INTEGER NOT NULL, name TEXT NOT NULL,
    version INTEGER NOT NULL, digest TEXT NOT NULL,
    PRIMARY KEY(workflow_id, superstep, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs(digest TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS records(
    workflow_id TEXT NOT NULL, superstep INTEGER NOT NULL, kind TEXT NOT NULL,
    key TEXT NOT NULL, data BLOB, PRIMARY KEY(workflow_id, superstep, kind, key)) WITHOUT ROWID;
"""


def connect(path: str) -> sqlite3.Connection:
    """A connection with the schema checked (created on first use), in autocommit mode.

    WAL with ``synchronous=NORMAL``: a commit survives a killed process; a power loss may
    lose the last commits (never corrupt the file). Writers take ``BEGIN IMMEDIATE``.
    """
    try:
        # Used by one thread at a time (the store's lock), not always the one that made it.
        conn = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
    except sqlite3.Error as exc:
        storage_error(exc, path, "open")
    # Processes opening a new file together race on the first-use set-up (switching to WAL,
    # creating the tables): SQLite may refuse one with "database is locked" at once instead
    # of waiting (it will not wait where waiting could deadlock). The set-up is idempotent,
    # so a refused one is retried for as long as the busy timeout would have waited.
    deadline = time.monotonic() + 30.0
    pause = 0.01
    while True:
        try:
            _set_up(conn, path)
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if ("locked" in text or "busy" in text) and time.monotonic() < deadline:
                with contextlib.suppress(sqlite3.Error):
                    conn.rollback()
                time.sleep(pause)
                pause = min(pause * 2, 0.25)
                continue
            conn.close()
            storage_error(exc, path, "open")
        except sqlite3.Error as exc:
            conn.close()
            storage_error(exc, path, "open")
        return conn


def _set_up(conn: sqlite3.Connection, path: str) -> None:
    """Check the schema version, switch to WAL, create the tables on first use."""
    conn.execute("PRAGMA busy_timeout = 30000")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        conn.close()
        raise CheckpointStorageError(
            message(
                f"Checkpoint database {quote(path)} has schema version {version}; this "
                f"Hypergraph reads version {SCHEMA_VERSION}",
                ["it was written by a newer Hypergraph"],
                "upgrade Hypergraph, or use another database file",
            )
        )
    if path != ":memory:":
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    # Fold the WAL into the file every ~40 MB (10,000 pages) rather than every 4 MB: a
    # superstep rewrites the same few B-tree pages, so a rarer checkpoint copies each of
    # them once for many commits (commits measured ~40% cheaper); close() truncates it.
    conn.execute("PRAGMA wal_autocheckpoint = 10000")
    if version < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            for statement in _TABLES.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")


def storage_error(exc: sqlite3.Error, path: str, action: str) -> NoReturn:
    """Raise ``CheckpointStorageError`` for an sqlite3 error, with what to do about it."""
    text = str(exc)
    low = text.lower()
    if "readonly" in low or "read-only" in low:
        fix = "make the file and its directory writable, or use another path"
    elif "full" in low:
        fix = "free disk space (or raise the quota), then resume the workflow"
    elif "not a database" in low or "malformed" in low or "corrupt" in low:
        fix = "point the checkpointer at another file; restore this one from a backup if needed"
    elif "unable to open" in low:
        fix = "check that the directory exists and is writable"
    elif "locked" in low or "busy" in low:
        fix = "another process holds the database for too long; retry, or use separate files"
    else:
        fix = "check the file, or use another path"
    raise CheckpointStorageError(
        message(
            f"Checkpoint database {quote(path)}: cannot {action} ({type(exc).__name__}: {text})",
            [f"file: {path}"],
            fix,
        )
    ) from exc
