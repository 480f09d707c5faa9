"""Running map items on an executor: a ``concurrent.futures.Executor``, a Dask ``Client``,
or anything implementing ``MapExecutor`` (``SyncRunner(executor=...)``,
``AsyncRunner(executor=...)``; docs/scaling-out.md).

- ``_protocol``: the ``MapExecutor`` protocol, the ``concurrent.futures`` adapter and the
  runners' ``executor=`` / ``chunksize=`` / ``max_in_flight=`` options;
- ``_dask``: the Dask adapter (imports ``distributed``; loaded only for a Client);
- ``_job``: what a fan-out's items share, shipped once, and the function a worker runs;
- ``_window``: chunks, the window, ordering and failure rules, and the two drivers;
- ``_transport``: results and exceptions across processes (cloudpickle, tblib);
- ``_entry``: the calls ``_sync`` / ``_async`` make.

Importing this package imports no engine and no serialiser.
"""

from __future__ import annotations

from .._context import in_worker as in_worker
from ._protocol import MapExecutor as MapExecutor
from ._protocol import Options as Options
from ._protocol import options as options

__all__ = ["MapExecutor", "Options", "in_worker", "options"]
