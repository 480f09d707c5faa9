"""Where the user's code called into Hypergraph, so that every warning points at that line.

A warning is most useful at the user's line (``Graph([...])``, ``runner.run(...)``), never at
the library line that noticed the problem. Frames of the Hypergraph packages are skipped, and
so are asyncio's: a coroutine passed to ``asyncio.run`` or ``asyncio.wait_for`` then points at
that call. Runners emit some warnings from worker threads and tasks, whose stacks do not lead
to the user's code, so a call captures its ``CallSite`` once, at the start, and warns there.
"""

from __future__ import annotations

import sys
import warnings
from contextvars import ContextVar
from types import FrameType

__all__ = ["HANDED_SITE", "CallSite", "user_stacklevel"]

_LIBRARY = frozenset({"hypergraph", "hypergraph_types", "hypergraph_graph", "hypergraph_runners"})
_USER, _OURS, _ASYNCIO = 0, 1, 2
_kinds: dict[str, int] = {}  # module name -> kind; a call walks a few frames, so cache


def _kind(frame: FrameType) -> int:
    name = frame.f_globals.get("__name__")
    if not isinstance(name, str):
        return _USER
    kind = _kinds.get(name)
    if kind is None:
        package = name.partition(".")[0]
        kind = _OURS if package in _LIBRARY else _ASYNCIO if package == "asyncio" else _USER
        _kinds[name] = kind
    return kind


def user_stacklevel() -> int:
    """The ``stacklevel`` that points a ``warnings.warn`` made by our caller at the user's line.

    Call it in the ``warnings.warn(...)`` call itself: level 1 is the function calling it.
    """
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and _kind(frame) != _USER:
        frame = frame.f_back
        level += 1
    return level


#: Set by ``AsyncRunner.iter`` around creating the task that runs the call: that task's stack
#: leads to the event loop, not to the ``async for`` line, so the iter call's site is handed
#: over (tasks copy the context they are created in).
HANDED_SITE: ContextVar[CallSite | None] = ContextVar("hypergraph_call_site", default=None)


class CallSite:
    """The user's line that made the current call, found when constructed.

    Construct it inside the library, synchronously with the user's call; ``warn`` may then be
    called from any thread or task while the call lasts (the user's frame waits on that line).
    """

    __slots__ = ("_frame",)
    _frame: FrameType | None

    def __init__(self) -> None:
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            kind = _kind(frame)
            if kind == _USER:
                break
            if kind == _ASYNCIO:
                handed = HANDED_SITE.get()
                if handed is not None:  # the bottom of the task ``AsyncRunner.iter`` runs a call in
                    frame = handed._frame
                    break
            frame = frame.f_back
        self._frame = frame

    def warn(self, text: str, category: type[Warning]) -> None:
        """``warnings.warn`` as if called at the user's line."""
        frame = self._frame
        if frame is None:  # no user frame at all: where ``warnings.warn`` would point
            filename, lineno, globals_ = "sys", 1, sys.__dict__
        else:
            filename, lineno, globals_ = frame.f_code.co_filename, frame.f_lineno, frame.f_globals
        registry = globals_.setdefault("__warningregistry__", {})
        module = globals_.get("__name__")
        warnings.warn_explicit(text, category, filename, lineno, module, registry, globals_)
