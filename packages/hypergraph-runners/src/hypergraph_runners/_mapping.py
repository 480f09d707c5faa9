"""What ``runner.map`` and a mapped ``GraphNode`` share: checking mapped values and making items.

Items are generated lazily (``itertools.product`` is never materialised), so memory beyond
the results does not grow with the number of items.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence, Set
from typing import Any

from hypergraph_types import InvalidInputError
from hypergraph_types._internal import message, quote

__all__ = ["count_items", "item_values", "mapped_lists"]


def _check_sequence(name: str, value: Any, where: str) -> None:
    if isinstance(value, (str, bytes, bytearray)):
        reason = "mapping a string iterates its characters; wrap it as [s]"
    elif isinstance(value, Mapping):
        reason = "a dict iterates its keys; pass list(d.values()) or list(d.items())"
    elif isinstance(value, Set):
        reason = "a set has no order; pass sorted(s) or list(s)"
    elif not hasattr(value, "__iter__"):
        kind = type(value).__name__
        raise TypeError(
            message(
                f"Cannot map over {quote(name)} {where}: got {kind} {value!r:.60}, "
                "which is not a sequence",
                ["map_over values must be lists or tuples: one item per run"],
                f"pass a list, e.g. {{{quote(name)}: [{value!r:.60}]}}, or leave "
                f"{quote(name)} out of map_over to give every item the same value",
            )
        )
    elif not hasattr(value, "__len__"):
        reason = "iterators and generators can be consumed only once; pass list(...)"
    else:
        return
    raise TypeError(
        f"Cannot map over {name!r} {where}: got {type(value).__name__}. How to fix: {reason}."
    )


def mapped_lists(
    values: Mapping[str, Any], names: Sequence[str], mode: str, where: str
) -> dict[str, list[Any]]:
    """Each mapped value as a list, after checking it is a proper sequence (and lengths, zip)."""
    for name in names:
        _check_sequence(name, values[name], where)
    lists = {name: list(values[name]) for name in names}
    if mode == "zip":
        lengths = {name: len(v) for name, v in lists.items()}
        if len(set(lengths.values())) > 1:
            raise InvalidInputError(
                message(
                    f"zip mapping {where} needs equal lengths",
                    [f"{name!r}: length {n}" for name, n in lengths.items()],
                    "pass lists of equal length, or use product mode for every combination",
                )
            )
    return lists


def count_items(lists: Mapping[str, list[Any]], mode: str) -> int:
    lengths = [len(v) for v in lists.values()]
    if mode == "zip":
        return lengths[0] if lengths else 0
    count = 1
    for n in lengths:
        count *= n
    return count


def item_values(lists: Mapping[str, list[Any]], mode: str) -> Iterator[dict[str, Any]]:
    """One ``{mapped name: element}`` per item, in item order (product: first name slowest)."""
    names = list(lists)
    columns = zip(*lists.values()) if mode == "zip" else itertools.product(*lists.values())
    for combo in columns:
        yield dict(zip(names, combo))
