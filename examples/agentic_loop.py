"""An agentic loop: draft, grade, and route back until the answer is good enough.

A fake LLM writes a draft answer, a fake judge grades it and names what is still missing, and
a ``route`` gate decides from the accumulated history whether to try again or stop::

    decide(history) --"attempt"--> attempt(question, history) -> history --+
       ^                             (generate -> grade -> record)          |
       +--------------------------------------------------------------------+

The gate sits *before* the work ("gate first"): a gate target runs only after the gate decided
for it, so the loop starts with the gate looking at an empty history, and every new
``history`` makes the gate run again and decide again; ``END`` stops the loop. One attempt is
a nested graph (draft, grade, record), so the only value on the loop is ``history``: the loop's
seed, supplied as ``()``.

The "models" are deterministic: each draft covers one more of the points the judge asks for,
so the trace is the same on every run and under both runners.

Run it with ``uv run python examples/agentic_loop.py``.
"""

from __future__ import annotations

import asyncio
import textwrap
import threading
from typing import NamedTuple

from hypergraph import END, AsyncRunner, Graph, RunResult, SyncRunner, node, route

QUESTION = "Why is the sky blue?"

# What a complete answer covers, in the order the judge asks for it: (keyword, hint, sentence).
RUBRIC = [
    ("sunlight", "start from sunlight", "Sunlight is a mix of every colour."),
    (
        "scatter",
        "say what the air does to sunlight",
        "Molecules of air scatter that light in all directions.",
    ),
    (
        "wavelength",
        "explain why blue is scattered most",
        "Short blue wavelengths scatter far more than long red ones.",
    ),
    (
        "violet",
        "explain why the sky is not violet",
        "Violet scatters even more, but our eyes are more sensitive to blue.",
    ),
]


class Draft(NamedTuple):
    round: int
    text: str


class Review(NamedTuple):
    round: int
    score: float
    missing: str | None  # the judge's hint for the next draft, None when nothing is missing


class Turn(NamedTuple):
    draft: Draft
    review: Review


# -- fake model services -------------------------------------------------------------------


class FakeLLM:
    """A writer and a judge that always give the same answer to the same prompt."""

    def __init__(self) -> None:
        self.calls = 0
        self.trace: list[str] = []
        self._lock = threading.Lock()  # AsyncRunner runs def nodes in worker threads

    def log(self, line: str) -> None:
        with self._lock:
            self.trace.append(line)

    def write(self, question: str, hints: list[str]) -> str:
        self.calls += 1
        # The writer covers the first point, plus every point a review asked for.
        asked = {RUBRIC[0][1], *hints}
        covered = [sentence for _, hint, sentence in RUBRIC if hint in asked]
        return " ".join(covered)

    def judge(self, question: str, text: str) -> tuple[float, str | None]:
        self.calls += 1
        found = [keyword in text.lower() for keyword, _, _ in RUBRIC]
        missing = next((hint for (_, hint, _), ok in zip(RUBRIC, found) if not ok), None)
        return sum(found) / len(RUBRIC), missing


llm = FakeLLM()


# -- the graph -------------------------------------------------------------------------------


@node(output_name="draft")
def generate(question: str, history: tuple[Turn, ...]) -> Draft:
    hints = [t.review.missing for t in history if t.review.missing]
    draft = Draft(len(history) + 1, llm.write(question, hints))
    newest = draft.text.split(". ")[-1]  # the sentence this round added
    llm.log(f"  round {draft.round}  draft adds: {newest!r}")
    return draft


@node(output_name="review")
def grade(question: str, draft: Draft) -> Review:
    score, missing = llm.judge(question, draft.text)
    llm.log(f"           grade: {score:.2f}" + (f", next: {missing}" if missing else ", complete"))
    return Review(draft.round, score, missing)


@node(output_name="updated")
def record(history: tuple[Turn, ...], draft: Draft, review: Review) -> tuple[Turn, ...]:
    return (*history, Turn(draft, review))


# One round of the loop, as a nested graph whose new history is the parent's `history`.
attempt = (
    Graph([generate, grade, record], name="attempt").as_node().rename_outputs(updated="history")
)


@route(targets={"attempt": "draft and grade (again)", END: "good enough, or out of rounds"})
def decide(history: tuple[Turn, ...], target_score: float = 0.9, max_rounds: int = 5) -> object:
    best = max((t.review.score for t in history), default=0.0)
    if not history:
        llm.log("  decide   -> attempt (no draft yet)")
        return "attempt"
    if best >= target_score:
        llm.log(f"  decide   -> END (best score {best:.2f} >= {target_score:.2f})")
        return END
    if len(history) >= max_rounds:
        llm.log(f"  decide   -> END (out of rounds: {len(history)} of {max_rounds})")
        return END
    llm.log(f"  decide   -> attempt (best score {best:.2f} < {target_score:.2f})")
    return "attempt"


@node(output_name="answer")
def best_answer(history: tuple[Turn, ...]) -> str | None:
    if not history:
        return None
    best = max(history, key=lambda t: t.review.score)  # the first of equal scores wins
    return best.draft.text


agent = Graph([decide, attempt, best_answer], name="agent")


# -- running it --------------------------------------------------------------------------------


def take_trace() -> list[str]:
    trace, llm.trace = llm.trace, []
    return trace


def show(title: str, result: RunResult, trace: list[str]) -> None:
    print(f"== {title}")
    print(f"Q: {QUESTION}")
    for line in trace:
        print(line)
    history = result["history"]
    print(f"   {len(history)} drafts, best score {max(t.review.score for t in history):.2f}")
    print("A: " + textwrap.fill(result["answer"], width=88, subsequent_indent="   "))
    print()


def main() -> None:
    print("inputs:", agent.inputs.required, "seeds:", agent.inputs.seeds)
    print("has cycles:", agent.has_cycles)
    print()

    values = {"question": QUESTION, "history": ()}
    wanted = ["answer", "history"]

    sync_result = SyncRunner().run(agent, values, select=wanted)
    sync_trace = take_trace()
    show("SyncRunner", sync_result, sync_trace)

    # The same graph under AsyncRunner: the same decisions, drafts and answer.
    async_result = asyncio.run(AsyncRunner().run(agent, values, select=wanted))
    async_trace = take_trace()
    print("== AsyncRunner")
    print("same trace:", async_trace == sync_trace)
    print("same answer:", async_result.values == sync_result.values)
    print()

    # A tighter budget: the gate stops after two rounds and the best draft so far is the answer.
    short = SyncRunner().run(agent, values, max_rounds=2, select=wanted)
    show("SyncRunner, max_rounds=2", short, take_trace())

    print(f"{llm.calls} model calls")


if __name__ == "__main__":
    main()
