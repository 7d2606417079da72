"""Memcached for the cache: a pool of servers with consistent hashing.

``cache.url = memcached://host:port,host:port`` (``CACHE_URL`` in production).
dogpile.cache's pymemcache backend spreads keys over the servers with
pymemcache's ``HashClient`` (rendezvous hashing). When one server dies its
share of keys misses (then moves to the other servers until it is back), while
the rest keep hitting: the client swallows the failure (``ignore_exc``) and
tells the breaker, which logs one warning per interval and makes ``/healthz``
(which asks every server) report ``degraded`` without turning the healthy
servers off.

A dead server leaves the ring at once and is retried after
``cache.retry_after`` seconds. Each process decides this on its own, so
during a partial outage a write can land on a different server than the one
other processes read: keep ``cache.expiration_time`` short enough for such a
window to be acceptable. A restarted memcached is empty, so
nothing stale comes back with it.

Connections: dogpile's memcached backends keep one client per thread
(``threading.local``). Under gevent every request runs in a new greenlet, so
that would be a new connection per request. This backend keeps one client per
process instead, pooling connections per server (``PooledClient``): a request
borrows a connection and returns it, in threads and greenlets alike.
"""

import threading

from dogpile.cache import register_backend
from dogpile.cache.backends.memcached import PyMemcacheBackend

from .backends import lasting


class BytesSerde:
    """Store the region's serialized bytes as they are (no pickle)."""

    def serialize(self, key, value):
        return value, 0

    def deserialize(self, key, value, flags):
        return value


class MemcachedPoolBackend(PyMemcacheBackend):
    """dogpile's pymemcache backend; one dead server is a partial miss."""

    def __init__(self, arguments):
        arguments = dict(arguments)
        self.on_server_failure = arguments.pop("on_server_failure")
        self.max_pool_size = arguments.pop("max_connections")
        self.client_timeouts = {
            "connect_timeout": arguments.pop("connect_timeout"),
            "timeout": arguments.pop("timeout"),
        }
        super().__init__(arguments)
        self._client = None
        self._client_lock = threading.Lock()

    @property
    def client(self):
        """One pooled client per process (made on first use, after the fork)."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = self._create_client()
        return self._client

    def _create_client(self):
        from pymemcache.client.hash import HashClient

        on_server_failure = self.on_server_failure

        class ReportingHashClient(HashClient):
            def _mark_failed_server(self, server):
                super()._mark_failed_server(server)
                on_server_failure(OSError(f"memcached {server} failed"))

            def ping(self):
                """Ask every server, including those out of the ring."""
                for server, client in self.clients.items():
                    try:
                        client.version()
                    except Exception as error:  # down or not answering
                        client.close()
                        on_server_failure(OSError(f"memcached {server}: {error!r}"))

        return ReportingHashClient(
            self.url,
            serde=self.serde,
            default_noreply=self.default_noreply,
            retry_attempts=self.hashclient_retry_attempts,
            retry_timeout=self.hashclient_retry_timeout,
            dead_timeout=self.dead_timeout,
            ignore_exc=True,
            # A connection per server per concurrent request at most, reused;
            # beyond max_pool_size a call fails (a miss, via FailOpen).
            use_pooling=True,
            max_pool_size=self.max_pool_size,
            **self.client_timeouts,
        )

    def set(self, key, value):
        """Lasting keys (data-set generations, ``backends.LASTING``) never
        expire; a write replaces them (memcached may still evict them when
        full, as any entry: a new generation is then made, never a stale one)."""
        if lasting(key):
            self.client.set(key, value, **{**self.set_arguments, "expire": 0})
        else:
            super().set(key, value)

    def set_multi(self, mapping):
        """Lasting keys (scope generations) never expire here either."""
        lasting_ones, others = {}, {}
        for key, value in mapping.items():
            (lasting_ones if lasting(key) else others)[key] = value
        if lasting_ones:
            self.client.set_many(lasting_ones, **{**self.set_arguments, "expire": 0})
        if others:
            super().set_multi(others)

    def ping(self):
        """For ``/healthz``: one ping can hit one server only; a dead server
        stays out of the ring until it is retried, so ask each one."""
        self.client.ping()


NAME = f"{__package__}.memcached"
register_backend(NAME, __name__, "MemcachedPoolBackend")


def servers(parts):
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return [s if ":" in s else f"{s}:11211" for s in netloc.split(",") if s]


def backend(parts, *, expiration_time, timeout, breaker, max_connections, **unused):
    """dogpile backend name and arguments for a ``memcached://`` URL."""
    return NAME, {
        "url": servers(parts),
        "serde": BytesSerde(),
        # Memcached keeps entries past dogpile's expiry: one process
        # regenerates while the others serve the old value (all but the
        # generations: MemcachedPoolBackend.set).
        "memcached_expire_time": expiration_time * 2,
        "connect_timeout": timeout,
        "timeout": timeout,
        # A server that fails leaves the hash ring at once (its keys move to
        # the others) and is tried again after cache.retry_after seconds: one
        # failing call per retry_after per client, like the breaker's probe.
        "hashclient_retry_attempts": 0,
        "hashclient_retry_timeout": breaker.retry_after,
        "hashclient_dead_timeout": breaker.retry_after,
        "on_server_failure": breaker.report,
        "max_connections": max_connections,
    }
