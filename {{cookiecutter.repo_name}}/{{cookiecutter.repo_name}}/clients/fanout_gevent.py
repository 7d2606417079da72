"""Fan-out: call several slow backends at once from one request (gevent).

A view that needs the database, the cache and an HTTP API pays the sum of their
latencies when it calls them in turn, and only the slowest with ``gather``::

    results = fanout.gather(
        {"search": lambda: search.query(text), "cache": request.cache.ping},
        timeout=2.0,
    )
    if results["search"].ok: ...

Each call runs in its own greenlet (cheap: no pool to size) with a copy of the
caller's ``contextvars`` (so per-request query counting still sees it). The
monkey-patched socket libraries (psycopg 3, redis-py, pymemcache, urllib3)
yield while waiting, so the calls overlap. A call that raises or misses the
deadline comes back as a ``Result`` with ``error`` set; late greenlets are
killed; ``gather`` itself never raises.
"""

import contextvars
from dataclasses import dataclass

import gevent


@dataclass(frozen=True)
class Result:
    value: object = None
    error: BaseException | None = None

    @property
    def ok(self):
        return self.error is None


def gather(calls, timeout):
    """Run every callable of ``calls`` concurrently; return ``{name: Result}``."""
    greenlets = {
        name: gevent.spawn(contextvars.copy_context().run, call)
        for name, call in calls.items()
    }
    gevent.joinall(list(greenlets.values()), timeout=timeout)
    results = {}
    for name, greenlet in greenlets.items():
        if not greenlet.ready():
            greenlet.kill(block=False)
            results[name] = Result(error=TimeoutError(f"{name}: over {timeout}s"))
        elif greenlet.successful():
            results[name] = Result(value=greenlet.value)
        else:
            results[name] = Result(error=greenlet.exception)
    return results
