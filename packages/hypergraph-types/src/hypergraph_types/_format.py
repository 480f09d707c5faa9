"""Message formatting shared by every Hypergraph package.

All error messages follow one recipe (SPEC §6.1): a first line saying *what* is wrong with the
culprit quoted, detail lines prefixed ``  -> `` saying *where* and what is *valid* (with a
did-you-mean when a close match exists), and a final ``How to fix:`` section. The helpers here
keep that recipe in one place; the sibling packages import them, users never need to.
"""

from __future__ import annotations

import difflib
import heapq
from collections import Counter
from collections.abc import Iterable

__all__ = [
    "Suggester",
    "describe_exception",
    "did_you_mean",
    "exception_text",
    "fmt_names",
    "message",
    "quote",
    "short_repr",
    "suggest",
]

_MAX_NAME = 100
_MAX_VALUE = 200


def _unprintable(value: object, how: str) -> str:
    return f"<{type(value).__name__} object: {how} failed>"


def quote(name: object) -> str:
    """Quote a name as ``'name'``, shortening names longer than 100 characters."""
    try:
        text = str(name)
    except Exception:  # a user object in place of a name: the message must still be built
        return _unprintable(name, "str()")
    if len(text) > _MAX_NAME:
        text = text[:_MAX_NAME] + "..."
    return f"'{text}'"


def short_repr(value: object, limit: int = _MAX_VALUE) -> str:
    """``repr(value)`` for a message: at most ``limit`` characters, and it never raises.

    Every user value a message shows goes through here, so a value with a multi-megabyte
    ``repr`` gives a short message, and one whose ``repr`` raises still gives the intended
    error rather than the ``repr``'s exception.
    """
    try:
        text = repr(value)
    except Exception:
        return _unprintable(value, "repr()")
    if len(text) > limit:
        return f"{text[:limit]}... ({len(text):,} characters)"
    return text


def fmt_names(names: Iterable[object]) -> str:
    """Quote and comma-join names; ``(none)`` for an empty collection."""
    joined = ", ".join(quote(n) for n in names)
    return joined or "(none)"


# Did-you-mean search. Pools up to _EXHAUSTIVE names are searched exactly like
# difflib.get_close_matches(n=3, cutoff=0.6). Larger pools (a graph with thousands of inputs)
# would cost a SequenceMatcher per candidate per typo (400 typos x 4,000 inputs: ~20 s), so a
# bigram index shortlists at most _SHORTLIST candidates per name, reading at most _GRAM_BUDGET
# index entries (rarest bigrams first), and difflib ranks only those: work per name is bounded
# whatever the pool size. A suggestion is a hint: there it is one of the closest names (the
# same ratio as difflib's best in scripts/bench_suggest.py), ties may be broken differently.
_EXHAUSTIVE = 200
_SHORTLIST = 30
_GRAM_BUDGET = 2_000
_CUTOFF = 0.6


def _grams(name: str) -> set[str]:
    padded = f"\0{name}\0"
    return {padded[i : i + 2] for i in range(len(padded) - 1)}


class Suggester:
    """Close-match search over one pool of names, built once and asked for many names."""

    __slots__ = ("_pool", "_postings")

    def __init__(self, candidates: Iterable[str]) -> None:
        self._pool = list(dict.fromkeys(candidates))
        self._postings: dict[str, list[int]] | None = None

    def suggest(self, name: str) -> list[str]:
        """Up to three close matches for ``name``, best first, never ``name`` itself."""
        # difflib.get_close_matches(name, pool, n=3, cutoff=0.6), computing each ratio once.
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(name)
        scored = []
        for candidate in self._shortlist(name):
            if candidate == name:
                continue
            matcher.set_seq1(candidate)
            if matcher.real_quick_ratio() >= _CUTOFF and matcher.quick_ratio() >= _CUTOFF:
                ratio = matcher.ratio()
                if ratio >= _CUTOFF:
                    scored.append((ratio, candidate))
        return [candidate for _, candidate in heapq.nlargest(3, scored)]

    def did_you_mean(self, name: str) -> str | None:
        """``Did you mean 'x'?`` for the best close match, or ``None`` when there is none."""
        matches = self.suggest(name)
        return f"Did you mean {quote(matches[0])}?" if matches else None

    def _shortlist(self, name: str) -> list[str]:
        if len(self._pool) <= _EXHAUSTIVE:
            return self._pool
        if self._postings is None:
            self._postings = {}
            for i, candidate in enumerate(self._pool):
                for gram in _grams(candidate):
                    self._postings.setdefault(gram, []).append(i)
        postings = self._postings
        shared: Counter[int] = Counter()
        budget = _GRAM_BUDGET
        for gram in sorted(_grams(name) & postings.keys(), key=lambda g: len(postings[g])):
            ids = postings[gram][:budget]
            shared.update(ids)
            budget -= len(ids)
            if budget <= 0:
                break
        return [self._pool[i] for i, _ in shared.most_common(_SHORTLIST)]


def suggest(name: str, candidates: Iterable[str]) -> list[str]:
    """Close matches for ``name`` among ``candidates``, never ``name`` itself.

    For many names against one pool, build a ``Suggester`` once instead.
    """
    return Suggester(candidates).suggest(name)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """``Did you mean 'x'?`` for the best close match, or ``None`` when there is none."""
    return Suggester(candidates).did_you_mean(name)


def message(what: str, details: Iterable[str | None] = (), fix: str | Iterable[str] = ()) -> str:
    """Assemble a three-part message: what, ``  -> `` details, ``How to fix:``.

    ``None`` details are skipped so callers can pass optional lines (like a did-you-mean) inline.
    """
    lines = [what]
    lines.extend(f"  -> {d}" for d in details if d)
    fixes = [fix] if isinstance(fix, str) else list(fix)
    if len(fixes) == 1:
        lines.append(f"How to fix: {fixes[0]}")
    elif fixes:
        lines.append("How to fix:")
        lines.extend(f"  - {f}" for f in fixes)
    return "\n".join(lines)


def exception_text(exc: BaseException) -> str:
    """``str(exc)``, or ``<exception str() failed>`` (as tracebacks print it) when that raises.

    A user's exception may have a broken ``__str__``; reporting it must never raise instead.
    """
    try:
        return str(exc)
    except Exception:
        return "<exception str() failed>"


def describe_exception(exc: BaseException) -> str:
    """``"ValueError: the message"``, as safe as ``exception_text``."""
    return f"{type(exc).__name__}: {exception_text(exc)}"
