"""Checkpointed agent loops (issue 23's wiring: shared names, ordering edges, emits, several
producers): a crash at any commit, then a resume, gives the uninterrupted run's values and
versions (value-less version keys included)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hypergraph_graph import END, Graph, node, route
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_runners.checkpoint import MemoryCheckpointer, _journal


class Crash(BaseException):
    """The process "dies" at a commit."""


def chat() -> Graph:
    @node(output_name="messages")
    def add_user(messages: list[str], user_turns: list[str]) -> list[str]:
        turn = sum(1 for m in messages if m.startswith("user:"))
        return [*messages, f"user: {user_turns[turn]}"]

    @node(output_name="reply")
    def call_model(messages: list[str]) -> str:
        return f"assistant: re {messages[-1].split(': ', 1)[1]}"

    @node(output_name="messages")
    def add_response(messages: list[str], reply: str) -> list[str]:
        return [*messages, reply]

    @route(targets=["add_user", END])
    def should_continue(messages: list[str], max_turns: int = 3) -> object:
        answered = sum(1 for m in messages if m.startswith("assistant:"))
        return END if answered >= max_turns else "add_user"

    return Graph(
        [add_user, call_model, add_response, should_continue],
        shared=["messages"],
        edges=[(add_user, call_model), (add_response, should_continue)],
        entrypoint="add_user",
    )


def emits() -> Graph:
    @node(output_name="page", emit="fetched")
    def fetch(url: str) -> str:
        return f"<html>{url}</html>"

    @node(output_name="summary", wait_for="fetched")
    def summarize(notes: str) -> str:
        return notes.upper()

    return Graph([summarize, fetch])


CASES = [
    (chat, {"messages": [], "user_turns": ["hi", "how", "bye"]}),
    (emits, {"url": "a", "notes": "n"}),
]


def run(kind: str, cp: Any, graph: Graph, values: Any, **kw: Any) -> Any:
    if kind == "sync":
        return SyncRunner(checkpointer=cp).run(graph, values, **kw)
    return asyncio.run(AsyncRunner(checkpointer=cp).run(graph, values, **kw))


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(("build", "values"), CASES, ids=["chat", "emits"])
def test_crash_at_every_commit_then_resume(
    kind: str, build: Any, values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_cp = MemoryCheckpointer()
    clean = run(kind, clean_cp, build(), values, workflow_id="clean")
    assert clean.completed
    commits = clean_cp.get_run("clean").supersteps  # type: ignore[union-attr]
    real = _journal.commit_step
    for crash_at in range(1, commits + 1):
        seen = [0]

        def dies(*args: Any) -> None:
            seen[0] += 1
            if seen[0] == crash_at:
                raise Crash
            real(*args)

        cp = MemoryCheckpointer()
        monkeypatch.setattr(_journal, "commit_step", dies)
        with pytest.raises(Crash):
            run(kind, cp, build(), values, workflow_id="w")
        monkeypatch.setattr(_journal, "commit_step", real)
        resumed = run(kind, cp, build(), None, workflow_id="w")
        assert resumed.values == clean.values, crash_at
        assert cp.state("w").versions == clean_cp.state("clean").versions, crash_at
        cp.close()
    clean_cp.close()
