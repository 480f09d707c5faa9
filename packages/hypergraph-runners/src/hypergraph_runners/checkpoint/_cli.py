"""``python -m hypergraph runs PATH [list | show ID | steps ID]``: read a checkpoint database."""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Sequence
from typing import TextIO

from hypergraph_types import CheckpointError, Run
from hypergraph_types._internal import short_repr

from ._store import SqliteCheckpointer

__all__ = ["main"]


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """The ``runs`` command; returns the exit status (0 ok, 1 unknown id or unusable file)."""
    out = out or sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m hypergraph runs", description="Inspect checkpointed workflows."
    )
    parser.add_argument("path", help="the SqliteCheckpointer database file")
    parser.add_argument("command", nargs="?", default="list", choices=["list", "show", "steps"])
    parser.add_argument("workflow_id", nargs="?", help="the workflow (for show / steps)")
    parser.add_argument("--status", help="list: only workflows with this status")
    parser.add_argument("--limit", type=int, default=50, help="list: at most this many")
    args = parser.parse_args(argv)
    if args.command != "list" and not args.workflow_id:
        parser.error(f"{args.command} needs a workflow id")
    store = SqliteCheckpointer(args.path)
    try:
        if args.command == "list":
            _list(store, out, args.status, args.limit)
        elif args.command == "show":
            return _show(store, out, args.workflow_id)
        else:
            return _steps(store, out, args.workflow_id)
    except CheckpointError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def _when(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _list(store: SqliteCheckpointer, out: TextIO, status: str | None, limit: int) -> None:
    runs = store.runs(status=status, limit=limit)
    print(
        f"{'WORKFLOW':<32} {'STATUS':<11} {'KIND':<6} {'STEPS':>5}  {'UPDATED (UTC)':<19}  GRAPH",
        file=out,
    )
    for run in runs:
        print(
            f"{run.workflow_id:<32} {run.status.value:<11} {run.kind:<6} {run.supersteps:>5}  "
            f"{_when(run.updated)}  {run.graph_name or ''}",
            file=out,
        )
    if not runs:
        print("(no workflows)", file=out)


def _missing(workflow_id: str) -> int:
    print(
        f"No workflow {workflow_id!r} in this database. How to fix: list them with "
        "'python -m hypergraph runs PATH list'.",
        file=sys.stderr,
    )
    return 1


def _show(store: SqliteCheckpointer, out: TextIO, workflow_id: str) -> int:
    run = store.get_run(workflow_id)
    if run is None:
        return _missing(workflow_id)
    _fields(run, out)
    lineage = store.lineage(workflow_id)
    if len(lineage) > 1:
        print(f"lineage:     {' -> '.join(r.workflow_id for r in lineage)}", file=out)
    children = [r for r in store.runs(children=True, limit=10_000) if r.parent == workflow_id]
    if children:
        print(
            f"children:    {len(children)} ({', '.join(r.workflow_id for r in children[:5])}"
            f"{', ...' if len(children) > 5 else ''})",
            file=out,
        )
    values = store.values(workflow_id)
    print("values:", file=out)
    for name, value in values.items():
        print(f"  {name} = {short_repr(value)}", file=out)
    return 0


def _fields(run: Run, out: TextIO) -> None:
    print(f"workflow:    {run.workflow_id}", file=out)
    print(f"status:      {run.status.value}", file=out)
    print(f"kind:        {run.kind}", file=out)
    print(f"graph:       {run.graph_name or ''}", file=out)
    print(f"supersteps:  {run.supersteps}", file=out)
    print(f"created:     {_when(run.created)} UTC", file=out)
    print(f"updated:     {_when(run.updated)} UTC", file=out)
    if run.forked_from:
        print(f"forked from: {run.forked_from} at superstep {run.fork_superstep}", file=out)
    if run.error:
        print(f"error:       {run.error}", file=out)


def _steps(store: SqliteCheckpointer, out: TextIO, workflow_id: str) -> int:
    if store.get_run(workflow_id) is None:
        return _missing(workflow_id)
    for s in store.steps(workflow_id):
        consumed = ", ".join(f"{k}@{v}" for k, v in s.input_versions.items())
        written = ", ".join(f"{k}@{v}" for k, v in s.written.items())
        mark = "" if s.committed else "  (pending: its superstep never committed)"
        decision = f"  -> {', '.join(s.decision)}" if s.decision is not None else ""
        print(
            f"{s.superstep:>4}  {s.node_name:<24} in: {consumed or '-'}  "
            f"wrote: {written or '-'}{decision}{mark}",
            file=out,
        )
    return 0
