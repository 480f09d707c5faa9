"""``MapResult``: what ``runner.map()`` returns, a read-only sequence of per-item ``RunResult``s.

It is a ``Sequence[RunResult]`` that compares equal to a list of the same results, so code
written when ``map()`` returned a plain list (v1.3) keeps working: ``results[0]``, ``len``,
iteration, ``results == [...]`` and ``results + more`` (a plain list). On top of that it
answers the questions one asks of a batch: ``status``, ``failures``, ``completed``/``failed``
counts, ``map_result["name"]`` (one value per item) and ``summary()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar, overload

from ._errors import RunFailedError
from ._format import did_you_mean, fmt_names, message, quote
from ._result import RunResult, RunStatus

__all__ = ["MapResult"]

_COMPLETED = RunStatus.COMPLETED
_FAILED = RunStatus.FAILED
_PAUSED = RunStatus.PAUSED


class MapResult(Sequence[RunResult]):
    """The results of one ``map()`` call, one ``RunResult`` per item, in item order.

    Example:
        >>> ok = RunResult({"y": 2}, RunStatus.COMPLETED)
        >>> bad = RunResult({}, RunStatus.FAILED, error=ValueError("boom"), failed_node="f")
        >>> results = MapResult([ok, bad])
        >>> results.status, results.completed, results.failed
        (<RunStatus.PARTIAL: 'partial'>, 1, 1)
        >>> results[0]["y"], results == [ok, bad], results.failures == (bad,)
        (2, True, True)
        >>> results.summary()
        "2 items: 1 completed, 1 failed; first failure: item 1 at node 'f': ValueError: boom"
    """

    __slots__ = ("_counts", "_results")
    # Equal to a list, so unhashable like one (RunResult itself is unhashable too).
    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    def __init__(self, results: Iterable[RunResult]) -> None:
        self._results = tuple(results)
        self._counts: tuple[int, int] | None = None  # counted on first use: map() stays cheap

    def _count(self) -> tuple[int, int]:
        """How many items completed and how many failed."""
        counts = self._counts
        if counts is None:
            completed = failed = 0
            for result in self._results:
                status = result.status
                if status is _COMPLETED:
                    completed += 1
                elif status is _FAILED:
                    failed += 1
            self._counts = counts = (completed, failed)
        return counts

    @property
    def results(self) -> tuple[RunResult, ...]:
        """Every item's ``RunResult``, in item order."""
        return self._results

    @property
    def status(self) -> RunStatus:
        """``PAUSED`` when any item paused at an interrupt; else ``COMPLETED`` when every item
        completed (or there are none), ``FAILED`` when every item failed, ``PARTIAL``
        otherwise."""
        total = len(self._results)
        completed, failed = self._count()
        if completed + failed != total and any(r.status is _PAUSED for r in self._results):
            return _PAUSED
        if completed == total:
            return _COMPLETED
        if failed == total:
            return _FAILED
        return RunStatus.PARTIAL

    @property
    def failures(self) -> tuple[RunResult, ...]:
        """The results of the items that failed, in item order."""
        return tuple(r for r in self._results if r.status is _FAILED)

    @property
    def paused(self) -> tuple[int, ...]:
        """The indices of the items that paused at an interrupt, in item order."""
        return tuple(i for i, r in enumerate(self._results) if r.status is _PAUSED)

    @property
    def completed(self) -> int:
        """How many items completed."""
        return self._count()[0]

    @property
    def failed(self) -> int:
        """How many items failed."""
        return self._count()[1]

    def __len__(self) -> int:
        return len(self._results)

    def __iter__(self) -> Iterator[RunResult]:
        return iter(self._results)

    @overload
    def __getitem__(self, key: int) -> RunResult: ...
    @overload
    def __getitem__(self, key: slice) -> MapResult: ...
    @overload
    def __getitem__(self, key: str) -> list[Any]: ...
    def __getitem__(self, key: int | slice | str) -> RunResult | MapResult | list[Any]:
        """``[i]``: item ``i``'s result; ``[a:b]``: a ``MapResult`` of those items;
        ``["name"]``: the value of ``name`` in each item, a list in item order."""
        if isinstance(key, str):
            return self._column(key)
        if isinstance(key, slice):
            return MapResult(self._results[key])
        return self._results[key]

    def _column(self, key: str) -> list[Any]:
        column = []
        for index, result in enumerate(self._results):
            values = result.values
            if key not in values:
                raise self._missing(key, index, result)
            column.append(values[key])
        return column

    def _missing(self, key: str, index: int, result: RunResult) -> RunFailedError:
        available = list(result.values)
        details: list[str | None]
        if result.status is _FAILED:
            details = [f"item {index} failed{_describe(result)}"]
        else:
            details = [did_you_mean(key, available)]
        details.append(f"item {index}'s outputs: {fmt_names(available)}")
        text = message(
            f"map_result[{key!r}]: item {index} of {len(self._results)} has no {quote(key)}",
            details,
            [
                "check map_result.status / map_result.failures before reading a column",
                "or read the items that have it: [r[name] for r in map_result if name in r]",
            ],
        )
        error = RunFailedError(text, key=key, node_name=result.failed_node)
        error.__cause__ = result.error
        return error

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MapResult):
            return self._results == other._results
        if isinstance(other, tuple):
            return self._results == other
        if isinstance(other, list):
            return list(self._results) == other
        return NotImplemented

    def __add__(self, other: Sequence[RunResult]) -> list[RunResult]:
        """Concatenation gives a plain list, as it did when ``map()`` returned one."""
        if not isinstance(other, (MapResult, list, tuple)):
            return NotImplemented
        return [*self._results, *other]

    def __radd__(self, other: Sequence[RunResult]) -> list[RunResult]:
        if not isinstance(other, (list, tuple)):
            return NotImplemented
        return [*other, *self._results]

    def summary(self) -> str:
        """One line: the item count, how many completed and failed, and the first failure."""
        total = len(self._results)
        completed, failed = self._count()
        parts = [f"{completed} completed", f"{failed} failed"]
        if total - completed - failed:  # paused or stopped items (interrupts)
            others: dict[str, int] = {}
            for result in self._results:
                if result.status is not _COMPLETED and result.status is not _FAILED:
                    others[result.status.value] = others.get(result.status.value, 0) + 1
            parts.extend(f"{count} {status}" for status, count in others.items())
        text = f"{_items(total)}: {', '.join(parts)}"
        for index, result in enumerate(self._results):
            if result.status is _FAILED:
                return f"{text}; first failure: item {index}{_describe(result)}"
        return text

    def __repr__(self) -> str:
        completed, failed = self._count()
        return (
            f"<MapResult {self.status.value}: {_items(len(self._results))}, "
            f"{completed} completed, {failed} failed>"
        )


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def _describe(result: RunResult) -> str:
    """`` at node 'f': ValueError: boom``: where and why an item failed, on one short line."""
    where = f" at node {quote(result.failed_node)}" if result.failed_node else ""
    error = result.error
    if error is None:
        return where
    lines = str(error).splitlines()
    first = lines[0] if lines else ""
    if len(first) > 100:
        first = first[:100] + "..."
    return (
        f"{where}: {type(error).__name__}: {first}" if first else f"{where}: {type(error).__name__}"
    )
