"""Human in the loop: draft, ask a person to review, revise until they approve.

A writer drafts a short announcement, an *interrupt* asks a reviewer to approve it or to say
what to change, and a ``route`` gate sends the draft back for another round until the
reviewer approves::

    decide(history) --"round"--> round(topic, history) -> history --+
       ^                         (write -> review? -> record)        |
       +-------------------------------------------------------------+

Reaching ``review`` without an answer pauses the run: ``runner.run`` returns a PAUSED result
whose ``pause`` holds the question and the name to answer under (``response_key``). The
caller asks the person, then runs the graph again with the answer and the loop's value as it
was at the pause (a *stateless* resume: nothing is stored between the calls), or, with a
checkpointer, resumes the stored workflow with the answer only (a *durable* resume). Here the
"person" is a script, so the example runs unattended and prints the same trace every time.

Run it with ``uv run python examples/approval_loop.py``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from hypergraph import END, AsyncRunner, Graph, RunResult, SyncRunner, interrupt, node, route
from hypergraph.checkpointers import MemoryCheckpointer

TOPIC = "the new office opening"


class Turn(NamedTuple):
    draft: str
    verdict: str


@dataclass(frozen=True)
class Review:
    """The question the reviewer sees; they answer with a ``str``."""

    prompt: str
    options: tuple[str, ...] | None = None
    evidence: tuple[str, ...] = ()
    answer_type: ClassVar[type] = str  # "approve", or what to change


# -- one round: write, ask, record -----------------------------------------------------------


@node(output_name="draft")
def write(topic: str, history: tuple[Turn, ...]) -> str:
    """A fake writer: the first draft, plus every change a reviewer asked for."""
    notes = [t.verdict for t in history if t.verdict != "approve"]
    return " ".join([f"We are happy to announce {topic}.", *notes])


@interrupt(answer_name="verdict")
def review(draft: str, history: tuple[Turn, ...]) -> Review:
    return Review(
        prompt=f"Round {len(history) + 1}: approve this draft, or say what to add?",
        options=None,
        evidence=(draft,),
    )


@node(output_name="updated")
def record(history: tuple[Turn, ...], draft: str, verdict: str) -> tuple[Turn, ...]:
    return (*history, Turn(draft, verdict))


one_round = Graph([write, review, record], name="round").as_node()
one_round = one_round.rename_outputs(updated="history")


@route(targets={"round": "draft and ask (again)", END: "the reviewer approved"})
def decide(history: tuple[Turn, ...]) -> object:
    return END if history and history[-1].verdict == "approve" else "round"


@node(output_name="published")
def publish(history: tuple[Turn, ...]) -> str | None:
    approved = [t.draft for t in history if t.verdict == "approve"]
    return approved[-1] if approved else None


announce = Graph([decide, one_round, publish], name="announce")


# -- the scripted reviewer --------------------------------------------------------------------

WANTED = ["It opens on Monday.", "Coffee is on us."]


def reviewer(question: Review) -> str:
    """Approves once the draft says everything in WANTED; otherwise asks for the next item."""
    (draft,) = question.evidence
    missing = [w for w in WANTED if w not in draft]
    return missing[0] if missing else "approve"


# -- running it --------------------------------------------------------------------------------


def run_with_reviewer(runner: SyncRunner | AsyncRunner, trace: list[str]) -> RunResult:
    """Run until the graph completes, answering every pause with the scripted reviewer."""
    values: dict[str, Any] = {"topic": TOPIC, "history": ()}

    def call(extra: dict[str, Any]) -> RunResult:
        select = ["history", "published"]  # a paused run's select does not warn
        if isinstance(runner, AsyncRunner):
            return asyncio.run(runner.run(announce, {**values, **extra}, select=select))
        return runner.run(announce, {**values, **extra}, select=select)

    result = call({})
    while result.paused:
        pause = result.pause
        assert pause is not None
        answer = reviewer(pause.value)
        trace.append(f"  {pause.node_name}: {pause.value.prompt}")
        trace.append(f"    draft:  {pause.value.evidence[0]!r}")
        trace.append(f"    answer: {answer!r} (as {pause.response_key!r})")
        # Stateless resume: the loop's value as it was at the pause, plus the answer.
        result = call({"history": result["history"], pause.response_key: answer})
    return result


def main() -> None:
    trace: list[str] = []
    result = run_with_reviewer(SyncRunner(), trace)
    print("== SyncRunner, the reviewer answers each pause")
    print("\n".join(trace))
    print(f"published after {len(result['history'])} rounds: {result['published']!r}")

    again: list[str] = []
    same = run_with_reviewer(AsyncRunner(), again)
    print(f"AsyncRunner: same trace and values: {again == trace and same.values == result.values}")

    # Durable: the paused workflow is stored; each resume gives only the answer (it could
    # come from another process: SqliteCheckpointer("runs.db") instead of memory).
    durable = SyncRunner(checkpointer=MemoryCheckpointer())
    stored = durable.run(announce, topic=TOPIC, history=(), workflow_id="announce-1")
    while stored.paused:
        assert stored.pause is not None
        answer = {stored.pause.response_key: reviewer(stored.pause.value)}
        stored = durable.run(announce, answer, workflow_id="announce-1")
    same = stored["published"] == result["published"]
    print(f"durable: {stored.status.value} after {len(stored['history'])} rounds, same: {same}")

    # Headless / batch: an answer given up front skips the question.
    quick = SyncRunner().run(announce, topic=TOPIC, history=(), verdict="approve")
    print(f"answered up front: {quick.status.value}, published {quick['published']!r}")


if __name__ == "__main__":
    main()
