"""Fan-out: call several slow backends at once from one request (threads).

A view that needs the database, the cache and an HTTP API pays the sum of their
latencies when it calls them in turn, and only the slowest with ``gather``::

    results = fanout.gather(
        {"search": lambda: search.query(text), "cache": request.cache.ping},
        timeout=2.0,
    )
    if results["search"].ok: ...

Each call runs in a small per-process thread pool with a copy of the caller's
``contextvars`` (so per-request query counting still sees it). A call that
raises or misses the deadline comes back as a ``Result`` with ``error`` set;
``gather`` itself never raises. A call past its deadline keeps its pool thread
until it returns: give the backends their own timeouts too.
"""

import contextvars
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

POOL_SIZE = 8

_pool = None
_pool_pid = None
_pool_lock = threading.Lock()


@dataclass(frozen=True)
class Result:
    value: object = None
    error: BaseException | None = None

    @property
    def ok(self):
        return self.error is None


def _executor():
    # One pool per process: threads do not survive a fork.
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(POOL_SIZE, thread_name_prefix="fanout")
            _pool_pid = os.getpid()
        return _pool


def gather(calls, timeout):
    """Run every callable of ``calls`` concurrently; return ``{name: Result}``."""
    executor = _executor()
    futures = {
        name: executor.submit(contextvars.copy_context().run, call)
        for name, call in calls.items()
    }
    results = {}
    for name, future in futures.items():
        try:
            results[name] = Result(value=future.result(timeout=timeout))
        except FutureTimeout:
            results[name] = Result(error=TimeoutError(f"{name}: over {timeout}s"))
        except Exception as error:
            results[name] = Result(error=error)
    return results
