"""One call's use of the runner's cache: lookup, else run the body, then store.

``run_cached_leaf`` is the single place where a sync body meets the cache; both drivers call
it (SyncRunner inline, AsyncRunner in a worker thread or inline). ``run_cached_async`` is the
same sequence around an awaited body for AsyncRunner: backends that do I/O (``blocking``)
are called in the call's thread pool, never on the event loop.

Rules kept here:
- the key is computed once per execution; an input the digest cannot read skips the cache
  for that execution, with one ``CacheWarning`` per node and input per call;
- a hit goes through the same shaping as a computed value (unpacking, a gate's decision), so
  it behaves exactly as the body would have;
- only a value that was shaped without error is stored: failures are never cached;
- a backend that raises is a miss (or a lost store) with one warning per node per call.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from hypergraph_graph._internal import FingerprintError

from .._leaf import Hit, Stop, guarded, shape, sync_value
from .._tasks import in_thread
from ._backend import CacheWarning
from ._digest import Memo
from ._key import UncacheableInput, key_of, static_part

if TYPE_CHECKING:
    from .._context import AsyncContext
    from .._plan import NodePlan

__all__ = ["Session", "off_loop", "run_cached_async", "run_cached_leaf", "sync_raw"]


_warn_lock = threading.Lock()  # warnings are rare: one lock for every session


class Session:
    """The runner's backend for one ``run()`` / ``map()`` call, with its warn-once memory."""

    __slots__ = ("_warned", "backend", "blocking", "memo")

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.memo: Memo | None = None  # large inputs digested in this call, made on demand
        # Unknown backends may do I/O: AsyncRunner keeps them off the loop unless they say not.
        self.blocking = getattr(backend, "blocking", True) is not False
        self._warned: set[tuple[str, ...]] | None = None  # made at the first warning

    def run(self, p: NodePlan, kwargs: dict[str, Any]) -> dict[str, Any]:
        """``run_cached_leaf`` in the calling thread (SyncRunner's driver)."""
        return run_cached_leaf(self, p, kwargs)

    def warn_once(self, topic: tuple[str, ...], text: str) -> None:
        with _warn_lock:
            if self._warned is None:
                self._warned = set()
            if topic in self._warned:
                return
            self._warned.add(topic)
        warnings.warn(text, CacheWarning, stacklevel=2)

    def key(self, p: NodePlan, kwargs: dict[str, Any]) -> str | None:
        try:
            part = p.key_part
            if part is None:
                part = p.key_part = static_part(p.node)  # type: ignore[arg-type]
            memo = self.memo
            if memo is None:
                memo = self.memo = {}
            return key_of(p.node, kwargs, part, memo)  # type: ignore[arg-type]  # a leaf
        except UncacheableInput as exc:
            self.warn_once(("input", p.name, exc.param), str(exc))
        except FingerprintError as exc:
            self.warn_once(("key", p.name), f"Node '{p.name}' runs uncached: {exc}.")
        except Exception as exc:
            self.warn_once(
                ("key", p.name),
                f"Node '{p.name}': its cache key could not be computed "
                f"({type(exc).__name__}: {exc}); it runs uncached. How to fix: report this, "
                "or set cache=False on the node.",
            )
        return None

    def get(self, p: NodePlan, key: str, stop: object = None) -> tuple[bool, Any]:
        try:
            found, value = self.backend.get(key)
        except Exception as exc:
            self._broken(p, "get", exc)
            return False, None
        return bool(found), value

    def set(self, p: NodePlan, key: str, value: Any, stop: object = None) -> None:
        try:
            self.backend.set(key, value)
        except Exception as exc:
            self._broken(p, "set", exc)

    def _broken(self, p: NodePlan, op: str, exc: Exception) -> None:
        name = type(self.backend).__name__
        self.warn_once(
            (op, p.name),
            f"Node '{p.name}': cache {name}.{op}() failed ({type(exc).__name__}: {exc}); "
            f"{'the node ran as on a miss' if op == 'get' else 'the result was not stored'}. "
            "How to fix: check the backend (disk space, permissions), or clear() it.",
        )


def run_cached_leaf(
    session: Session, p: NodePlan, kwargs: dict[str, Any], stop: Stop | None = None
) -> dict[str, Any]:
    """A sync body with the cache: a ``Hit`` when found, else the computed (and stored) outputs."""
    key = session.key(p, kwargs)
    if key is not None:
        found, value = session.get(p, key)
        if found:
            return Hit(guarded(p, shape, p, value), key)
    value = guarded(p, sync_value, p, kwargs, stop)
    outputs: dict[str, Any] = guarded(p, shape, p, value)
    if key is not None:
        session.set(p, key, value)
    return outputs


def sync_raw(p: NodePlan, kwargs: dict[str, Any], stop: Stop | None = None) -> Any:
    """A sync body's raw value inside the node's capture boundary (for ``off_loop``)."""
    return guarded(p, sync_value, p, kwargs, stop)


async def off_loop(ctx: AsyncContext, fn: Callable[..., Any], *args: Any) -> Any:
    """``in_thread`` for a part of a cached node, never its outputs.

    A cancelled ``in_thread`` may carry the thread's result as ``settled`` for a sibling to
    keep as its outputs; a lookup, a store or a raw value are not outputs, so it is dropped
    (the node then counts as cancelled).
    """
    try:
        return await in_thread(ctx, fn, *args)
    except asyncio.CancelledError as cancel:
        if hasattr(cancel, "settled"):
            del cancel.settled
        raise


async def run_cached_async(
    session: Session,
    ctx: AsyncContext,
    p: NodePlan,
    kwargs: dict[str, Any],
    body: Callable[[], Awaitable[Any]],
) -> dict[str, Any]:
    """An awaited body with the cache; ``body()`` returns the raw value or raises NodeFailure."""
    key = session.key(p, kwargs)
    if key is not None:
        if session.blocking:
            found, value = await off_loop(ctx, session.get, p, key)
        else:
            found, value = session.get(p, key)
        if found:
            return Hit(guarded(p, shape, p, value), key)
    value = await body()
    outputs: dict[str, Any] = guarded(p, shape, p, value)
    if key is not None:
        if session.blocking:
            await off_loop(ctx, session.set, p, key, value)
        else:
            session.set(p, key, value)
    return outputs
