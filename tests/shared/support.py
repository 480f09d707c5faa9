"""Helpers shared by the runner and reliability tests (importable as ``support``).

Only the standard library is imported, so every package's tests can use this module with
nothing but that package installed (scripts/isolation). ``tests/shared`` is on pytest's
``pythonpath`` (with ``strategies``); test files themselves are imported in importlib mode.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

__all__ = [
    "DEADLINE",
    "MESSAGE_LIMIT",
    "Approval",
    "Calls",
    "HugeRepr",
    "Tally",
    "UnprintableRepr",
    "assert_short_message",
    "hypergraph_notes",
    "pool_threads",
    "run_in_threads",
    "within",
]

T = TypeVar("T")

#: Seconds: a deadlock fails the test long before pytest-timeout fires.
DEADLINE = 10


async def within(aw: Awaitable[T]) -> T:
    """Await ``aw``, failing with ``TimeoutError`` after ``DEADLINE`` seconds."""
    return await asyncio.wait_for(aw, DEADLINE)


def pool_threads() -> list[str]:
    """Names of the runners' worker threads still alive (they are named ``hypergraph-...``)."""
    return [t.name for t in threading.enumerate() if t.name.startswith("hypergraph-")]


def run_in_threads(n: int, target: Callable[[int], Any], join_timeout: float = 60) -> list[Any]:
    """``target(i)`` in ``n`` threads; the first exception is re-raised; results by index."""
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def wrap(i: int) -> None:
        try:
            results[i] = target(i)
        except BaseException as exc:  # handed to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(i,), name=f"test-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(join_timeout)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
    if errors:
        raise errors[0]
    return results


class Tally:
    """Thread-safe hit counts by key; an unknown key reads 0."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def hit(self, key: str) -> None:
        with self.lock:
            self.counts[key] += 1

    def __getitem__(self, key: str) -> int:
        return self.counts[key]


class Calls:
    """A thread-safe log of node calls (def bodies run in worker threads under AsyncRunner)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: list[object] = []

    def add(self, item: object) -> None:
        with self._lock:
            self.items.append(item)

    def __len__(self) -> int:
        return len(self.items)


def hypergraph_notes(exc: BaseException) -> list[str]:
    """The notes the runners added to ``exc`` (they start with ``hypergraph:``)."""
    return [n for n in getattr(exc, "__notes__", []) if n.startswith("hypergraph:")]


#: Characters: a message shows a value in at most a few hundred (issue 13 case 11).
MESSAGE_LIMIT = 2_000


class HugeRepr:
    """A value whose ``repr`` is five megabytes long (hashable: it can be a key)."""

    def __repr__(self) -> str:
        return "x" * 5_000_000


class UnprintableRepr:
    """A value whose ``repr`` (and ``str``) raises."""

    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")

    __str__ = __repr__


def assert_short_message(error: BaseException) -> None:
    """``error``'s message is short and was built without the value's failing ``repr``."""
    text = str(error)
    assert len(text) < MESSAGE_LIMIT, f"message of {len(text):,} characters"
    assert "repr exploded" not in text


@dataclass(frozen=True)
class Approval:
    """A question for interrupts (issue 18) whose answer is a ``bool``."""

    prompt: str
    options: tuple[str, ...] | None = None
    evidence: tuple[Any, ...] = ()
    answer_type: ClassVar[type] = bool
