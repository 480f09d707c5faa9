"""Name rules and rename batches shared by every node class (NODE-01, SPEC §6.2)."""

from __future__ import annotations

import itertools
import keyword
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from hypergraph_types import RenameEntry, RenameError
from hypergraph_types._internal import did_you_mean, fmt_names, message, quote, short_repr

__all__ = [
    "identifier_problem",
    "merge_renames",
    "next_batch_id",
    "plan_renames",
    "valid_identifiers",
]

_batch_ids = itertools.count(1)
_batch_lock = threading.Lock()


def next_batch_id() -> int:
    """A process-wide increasing id shared by the renames of one ``rename_*`` call."""
    with _batch_lock:
        return next(_batch_ids)


def identifier_problem(name: str) -> str | None:
    """Why ``name`` cannot be a node, input or output name, or ``None`` if it can.

    Soft keywords (``match``, ``type``, ``case``, ``_``) are valid: ``keyword.iskeyword`` does
    not list them.
    """
    if not name.isidentifier():
        return "names must be valid Python identifiers"
    if keyword.iskeyword(name):
        return f"{name!r} is a Python keyword; names must be valid Python identifiers, not keywords"
    return None


def valid_identifiers(names: Iterable[str]) -> bool:
    """True if ``identifier_problem`` finds nothing wrong with any of ``names`` (fast path)."""
    names = list(names)
    try:
        return all(map(str.isidentifier, names)) and not any(map(keyword.iskeyword, names))
    except TypeError:  # not a str: the slow path reports it
        return False


def merge_renames(
    mapping: Mapping[str, str] | None, renames: Mapping[str, str], what: str
) -> dict[str, str]:
    """Merge the positional mapping and keyword renames (keywords win); check their types."""
    if mapping is not None and not isinstance(mapping, Mapping):
        raise TypeError(
            f"{what} expects a mapping of old -> new names, got {type(mapping).__name__}. "
            "How to fix: pass a dict such as {'old': 'new'} or keywords such as old='new'."
        )
    merged = dict(mapping or {})
    merged.update(renames)
    for old, new in merged.items():
        if not isinstance(old, str) or not isinstance(new, str):
            raise TypeError(
                f"{what} expects str -> str renames, got {short_repr(old)} -> {short_repr(new)} "
                f"({type(old).__name__} -> {type(new).__name__}). "
                "How to fix: use strings for both the current and the new name."
            )
    return merged


def _chain(key: str, kind: str, history: Sequence[RenameEntry]) -> list[str] | None:
    """The names ``key`` went through in ``history``, or ``None`` if it was never renamed."""
    chain = [key]
    last_batch: object = None
    for entry in history:
        # One batch is applied simultaneously: after following a rename, skip the rest of
        # its batch (in {a: b, b: c}, 'a' became 'b'; the b -> c entry is another input).
        if entry.batch_id is not None and entry.batch_id == last_batch:
            continue
        if entry.kind == kind and entry.old == chain[-1] and entry.new != entry.old:
            chain.append(entry.new)
            last_batch = entry.batch_id
    return chain if len(chain) > 1 else None


def plan_renames(
    node_name: str,
    kind: str,
    current: tuple[str, ...],
    renames: Mapping[str, str],
    history: Sequence[RenameEntry],
) -> tuple[str, ...]:
    """Apply one batch of renames to ``current`` simultaneously, or raise ``RenameError``.

    Every key must be a current name; the result must not contain a name twice.
    """
    unknown = [k for k in renames if k not in current]
    label = "Current inputs" if kind == "inputs" else "Current outputs"
    if unknown:
        lines = []
        for key in unknown:
            chain = _chain(key, kind, history)
            if chain is None:
                lines.append(f"{quote(key)} not found")
            else:
                lines.append(f"{quote(key)} was renamed: {'→'.join(chain)}")
        hints = [
            did_you_mean(key, current) for key in unknown if _chain(key, kind, history) is None
        ]
        raise RenameError(
            message(
                f"Cannot rename {kind} of node '{node_name}': " + "; ".join(lines),
                [*hints, f"{label}: {short_repr(current)}"],
                f"rename one of the current {kind} (renames compose: use the latest name)",
            )
        )
    result = tuple(renames.get(n, n) for n in current)
    duplicated = [n for n, count in Counter(result).items() if count > 1]
    if duplicated:
        raise RenameError(
            message(
                f"Renaming {kind} of node '{node_name}' would duplicate {fmt_names(duplicated)}",
                [f"{label}: {short_repr(current)}", f"Requested: {short_repr(dict(renames))}"],
                f"choose new names that are not already {kind} of this node",
            )
        )
    return result
