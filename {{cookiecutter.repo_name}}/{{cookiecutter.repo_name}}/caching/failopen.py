"""Fail-open: a down or slow cache server turns into misses, never errors.

Every backend call goes through ``FailOpen``. Added latency while the server is
down, per process: calls fail fast on a refused connection; a server that does
not answer costs at most ``2 * cache.timeout`` (connect + read) for the calls
in flight when it goes, then the ``CircuitBreaker`` skips the backend (about a
microsecond per call) and lets one probe call through every
``cache.retry_after`` seconds. One warning is logged per interval,
``/healthz`` says ``degraded``, and the first successful probe closes the
breaker: no restart.

A write the server *refuses* while it is up (Redis out of memory under
``maxmemory`` with ``noeviction``, Memcached's "object too large") is logged
(once per interval) and skipped: the value is simply not cached, and reads
keep using the server. Only failures to reach the server open the breaker.
"""

import functools
import logging
import threading
import time

import orjson
from dogpile.cache.api import NO_VALUE
from dogpile.cache.proxy import ProxyBackend

log = logging.getLogger(__name__)


def well_formed(data):
    """dogpile frames entries as ``<json metadata>|<payload>`` and parses the
    metadata *outside* its CantDeserializeException guard: check it here."""
    if not isinstance(data, bytes):
        return False
    metadata, separator, _ = data.partition(b"|")
    if not separator:
        return False
    try:
        return isinstance(orjson.loads(metadata), dict)
    except orjson.JSONDecodeError:
        return False


@functools.cache
def refused_writes():
    """The errors a server that is up answers a write with (installed clients)."""
    errors = []
    try:
        from redis.exceptions import ResponseError

        errors.append(ResponseError)
    except ImportError:  # pragma: no cover - the redis extra is not installed
        pass
    try:
        from pymemcache.exceptions import MemcacheClientError, MemcacheServerError

        errors += [MemcacheClientError, MemcacheServerError]
    except ImportError:  # pragma: no cover - the memcached extra is not installed
        pass
    return tuple(errors)


class CircuitBreaker:
    """Skip a failing backend for ``retry_after`` seconds, then probe once.

    Thread-safe; state is per process. ``report`` marks the cache degraded (for
    ``/healthz`` and the log) without opening, for partial failures such as one
    dead server of a Memcached pool.
    """

    def __init__(self, retry_after, clock=time.monotonic):
        self.retry_after = retry_after
        self.clock = clock
        self._lock = threading.Lock()
        self._open = False
        self._retry_at = 0.0
        self._partial_until = 0.0
        self._warn_after = 0.0

    @property
    def healthy(self):
        return not self._open and self.clock() >= self._partial_until

    @property
    def skipping(self):
        """Open and not yet due for a probe."""
        return self._open and self.clock() < self._retry_at

    def allow(self):
        """May this call reach the backend? One probe per interval when open."""
        if not self._open:
            return True
        with self._lock:
            now = self.clock()
            if now < self._retry_at:
                return False
            self._retry_at = now + self.retry_after  # others skip meanwhile
            return True

    def succeeded(self):
        if self._open:
            with self._lock:
                if self._open:
                    self._open = False
                    log.warning("cache backend is back: caching resumed")

    def _warn_now(self, now):
        """One warning per interval, however many calls fail."""
        if now < self._warn_after:
            return False
        self._warn_after = now + self.retry_after
        return True

    def failed(self, error):
        with self._lock:
            now = self.clock()
            self._open = True
            self._retry_at = now + self.retry_after
            warn = self._warn_now(now)
        if warn:
            log.warning(
                "cache backend failed, serving without it (next try in %ss): %r",
                self.retry_after,
                error,
            )

    def refused(self, error):
        """A write the server refused: logged once per interval, nothing opens."""
        with self._lock:
            warn = self._warn_now(self.clock())
        if warn:
            log.warning("cache server refused a write (value not cached): %r", error)

    def report(self, error):
        with self._lock:
            now = self.clock()
            self._partial_until = now + self.retry_after
            warn = self._warn_now(now)
        if warn:
            log.warning("cache partly degraded: %r", error)


class FailOpenMutex:
    """A distributed lock whose server may vanish: errors mean "go ahead".

    dogpile keeps a key's mutex while it is in use, so the breaker is checked
    here too, not only when the mutex is made.
    """

    def __init__(self, mutex, breaker):
        self.mutex = mutex
        self.breaker = breaker

    def acquire(self, wait=True):
        if not self.breaker.allow():
            return True  # regenerate without the lock rather than wait
        try:
            acquired = self.mutex.acquire(wait)
        except refused_writes() as error:  # out of memory: go on without the lock
            self.breaker.refused(error)
            return True
        except Exception as error:  # any backend error: the cache is optional
            self.breaker.failed(error)
            return True
        self.breaker.succeeded()
        return acquired

    def release(self):
        if self.breaker.skipping:
            return  # the lock expires by itself on the server
        try:
            self.mutex.release()
        except Exception:  # not held, or the server went away
            log.debug("cache lock release failed", exc_info=True)

    def locked(self):
        if self.breaker.skipping:
            return False
        try:
            return self.mutex.locked()
        except Exception:  # unknown: report free
            return False


class FailOpen(ProxyBackend):
    """Turn backend failures and undecodable entries into misses."""

    def __init__(self, breaker):
        super().__init__()
        self.breaker = breaker

    @property
    def healthy(self):
        return self.breaker.healthy

    def _call(self, method, *args, default=NO_VALUE):
        if not self.breaker.allow():
            return default
        try:
            result = method(*args)
        except Exception as error:  # any backend error: the cache is optional
            self.breaker.failed(error)
            return default
        self.breaker.succeeded()
        return result

    def _write(self, method, *args):
        """Like ``_call`` for writes; a refusal (``refused_writes``) is skipped."""
        if not self.breaker.allow():
            return
        try:
            method(*args)
        except refused_writes() as error:
            self.breaker.refused(error)
            return
        except Exception as error:  # any backend error: the cache is optional
            self.breaker.failed(error)
            return
        self.breaker.succeeded()

    def get_serialized(self, key):
        data = self._call(self.proxied.get_serialized, key)
        if data is NO_VALUE or data is None or well_formed(data):
            return data
        return NO_VALUE

    def get_serialized_multi(self, keys):
        values = self._call(
            self.proxied.get_serialized_multi, keys, default=[NO_VALUE] * len(keys)
        )
        return [
            data if data is NO_VALUE or data is None or well_formed(data) else NO_VALUE
            for data in values
        ]

    def set_serialized(self, key, value):
        self._write(self.proxied.set_serialized, key, value)

    def set_serialized_multi(self, mapping):
        self._write(self.proxied.set_serialized_multi, mapping)

    def get(self, key):
        return self._call(self.proxied.get, key)

    def get_multi(self, keys):
        return self._call(self.proxied.get_multi, keys, default=[NO_VALUE] * len(keys))

    def set(self, key, value):
        self._write(self.proxied.set, key, value)

    def set_multi(self, mapping):
        self._write(self.proxied.set_multi, mapping)

    def delete(self, key):
        self._call(self.proxied.delete, key, default=None)

    def delete_multi(self, keys):
        self._call(self.proxied.delete_multi, keys, default=None)

    def ping(self):
        """Ask every server of a pool (backends that can); see Cache.ping."""
        ping = getattr(self.proxied, "ping", None)
        if ping is not None:
            self._call(ping, default=None)

    def get_mutex(self, key):
        # None makes dogpile fall back to its in-process lock.
        mutex = self._call(self.proxied.get_mutex, key, default=None)
        return None if mutex is None else FailOpenMutex(mutex, self.breaker)
