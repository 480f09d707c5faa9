"""Message formatting shared by every Hypergraph package.

All error messages follow one recipe (SPEC §6.1): a first line saying *what* is wrong with the
culprit quoted, detail lines prefixed ``  -> `` saying *where* and what is *valid* (with a
did-you-mean when a close match exists), and a final ``How to fix:`` section. The helpers here
keep that recipe in one place; the sibling packages import them, users never need to.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean", "fmt_names", "message", "quote", "suggest"]

_MAX_NAME = 100


def quote(name: object) -> str:
    """Quote a name as ``'name'``, shortening names longer than 100 characters."""
    text = str(name)
    if len(text) > _MAX_NAME:
        text = text[:_MAX_NAME] + "..."
    return f"'{text}'"


def fmt_names(names: Iterable[object]) -> str:
    """Quote and comma-join names; ``(none)`` for an empty collection."""
    joined = ", ".join(quote(n) for n in names)
    return joined or "(none)"


def suggest(name: str, candidates: Iterable[str]) -> list[str]:
    """Close matches for ``name`` among ``candidates``, never ``name`` itself."""
    pool = [c for c in dict.fromkeys(candidates) if c != name]
    return difflib.get_close_matches(name, pool, n=3, cutoff=0.6)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """``Did you mean 'x'?`` for the best close match, or ``None`` when there is none."""
    matches = suggest(name, candidates)
    if not matches:
        return None
    return f"Did you mean {quote(matches[0])}?"


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
