"""One live execution per workflow id: an OS file lock that dies with its process.

``kill -9`` releases it at once (no heartbeat, no timeout), so a resume right after a crash
proceeds; a second process trying the same id fails fast with ``WorkflowAlreadyRunningError``.
Within one process a registry covers a second call (OS lock semantics between two
descriptors of one process differ across platforms).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
from typing import IO

__all__ = ["WorkflowLock"]

_held: set[tuple[str, str]] = set()  # (database path, workflow id) held in this process
_held_lock = threading.Lock()


class WorkflowLock:
    """A non-blocking lock on one workflow id of one database (``path=None``: in-process only)."""

    def __init__(self, db_path: str | None, workflow_id: str, store: object = None) -> None:
        # An in-memory store is its own database: its ids never collide with another's.
        self.key = (db_path or f"memory:{id(store)}", workflow_id)
        self.file: IO[bytes] | None = None
        self.lock_path: str | None = None
        if db_path is not None:
            name = hashlib.sha256(workflow_id.encode()).hexdigest()[:32]
            self.lock_path = os.path.join(f"{db_path}.locks", f"{name}.lock")

    def acquire(self) -> bool:
        """True if this call now holds the lock; False if someone else does. ``OSError`` if the
        lock directory cannot be created (a read-only location)."""
        with _held_lock:
            if self.key in _held:
                return False
            _held.add(self.key)
        if self.lock_path is None:
            return True
        try:
            os.makedirs(os.path.dirname(self.lock_path), exist_ok=True)
            f = open(self.lock_path, "ab")  # noqa: SIM115 - held until release()
            if not _try_lock(f):
                f.close()
                self._forget()
                return False
        except BaseException:
            self._forget()
            raise
        self.file = f
        return True

    def release(self) -> None:
        if self.file is not None:
            _unlock(self.file)
            self.file.close()
            self.file = None
        self._forget()

    def _forget(self) -> None:
        with _held_lock:
            _held.discard(self.key)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(f: IO[bytes]) -> bool:
        try:
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(f: IO[bytes]) -> None:
        with contextlib.suppress(OSError):
            msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(f: IO[bytes]) -> bool:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(f: IO[bytes]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
