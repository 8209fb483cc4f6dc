"""Count inputs on a Dask distributed cluster: the same counting per file on its workers, added up here.

Counting is a merge of partial tallies (``Tally.update``), so where the work runs changes nothing in the
result. Dask is optional (``pip install 'honeycast[dask]'``); nothing here is imported without ``--dask``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .cores import usable_cores
from .errors import InputError

LOCAL = "local"
"""``--dask local``: a cluster of worker processes on this machine, one per core."""
CONNECT_TIMEOUT = "10s"
"""How long to keep trying to reach a scheduler."""


@contextmanager
def client(address: str) -> Iterator[Any]:
    """Connect to the scheduler at ``address`` (``tcp://host:8786``), or start a local cluster for ``local``."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(f"--dask {address}: Dask is not installed (pip install 'honeycast[dask]')") from None
    if address == LOCAL:
        with (
            LocalCluster(
                n_workers=usable_cores(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as connected,
        ):
            yield connected
        return
    try:
        connected = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(f"--dask {address}: cannot reach the scheduler: {error}") from None
    with connected:
        yield connected


def map_jobs(address: str, work: Callable[..., Any], jobs: list[Any], **shared: Any) -> Iterator[Any]:
    """Run ``work(job, **shared)`` for every job on the cluster; yield the results in the order of the jobs."""
    with client(address) as connected:
        futures = connected.map(work, jobs, pure=False, **shared)
        try:
            for future in futures:
                yield future.result()
        finally:
            connected.cancel(futures)
