"""Server-side cache: one dogpile.cache region configured from ``cache.url``.

``cache.url`` (``CACHE_URL`` in production) picks the backend:

* ``memory://``       in-process LRU, bounded by ``cache.memory_size``; per process
* ``redis://host:port/db``            shared by every process and machine
* ``memcached://host:port[,host:port]`` shared, consistent hashing over the servers
* ``none://``         same API, nothing stored

The cache is an optimisation, never a dependency: every backend call goes
through ``FailOpen``, so a down or slow cache server turns into cache misses
(served from the database) instead of errors. Invalidation works across
processes by *generations*: each data set ("items") has a token stored in the
cache itself; keys embed it, and a write replaces it, so every process sharing
the backend stops reading the old keys at once.
"""

import logging
import threading
import time
import uuid
from urllib.parse import urlsplit

from dogpile.cache import make_region
from dogpile.cache.api import NO_VALUE, CantDeserializeException
from dogpile.cache.proxy import ProxyBackend
from dogpile.cache.util import sha1_mangle_key
from pyramid.settings import asbool

log = logging.getLogger(__name__)

DEFAULTS = {
    "cache.url": "memory://",
    "cache.expiration_time": "300",
    "cache.memory_size": "10000",
    "cache.timeout": "0.25",
    "cache.retry_after": "5",
    # Connections per process to Redis; the gevent server raises it to match
    # worker_connections (serve.py), since an exhausted pool raises.
    "cache.max_connections": "100",
}


class LockedLRU:
    """A bounded LRU dict that is safe under threads (and greenlets).

    dogpile's memory backend uses a plain dict: unbounded and, with cachetools'
    LRU in its place, not thread-safe, because LRU reads reorder entries.
    """

    def __init__(self, maxsize):
        from cachetools import LRUCache

        self._data = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            return self._data.get(key, default)

    def __setitem__(self, key, value):
        with self._lock:
            self._data[key] = value

    def pop(self, key, default=None):
        with self._lock:
            return self._data.pop(key, default)

    def __len__(self):
        return len(self._data)

    def clear(self):
        with self._lock:
            self._data.clear()


def _redis_arguments(url, expiration_time, timeout, max_connections=100):
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return "dogpile.cache.redis", {
        "url": url,
        # Short timeouts and no retries: redis-py 8's defaults stall ~4 s per
        # call when the server is down, which would hang every request.
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "connection_kwargs": {
            "retry": Retry(NoBackoff(), 0),
            "health_check_interval": 30,
            "max_connections": max_connections,
        },
        # Redis drops keys a while after dogpile considers them stale, so one
        # process regenerates while the others keep serving the old value.
        "redis_expiration_time": expiration_time * 2,
        # One creator per key across all processes (stampede protection).
        "distributed_lock": True,
        "thread_local_lock": False,
        "lock_timeout": 30,
    }


def _memcached_arguments(url, expiration_time, timeout):
    servers = [server for server in url.netloc.split(",") if server]
    return "dogpile.cache.pymemcache", {
        "url": servers,
        "memcached_expire_time": expiration_time * 2,
        "connect_timeout": timeout,
        "timeout": timeout,
        # HashClient: a server that fails is skipped for dead_timeout seconds
        # and its share of keys misses; the others keep hitting.
        "hashclient_retry_attempts": 1,
        "hashclient_retry_timeout": 1,
        "hashclient_dead_timeout": 5,
    }


def backend_from_url(
    url, *, expiration_time, memory_size, timeout, max_connections=100
):
    """Translate ``cache.url`` into a dogpile backend name and its arguments."""
    parts = urlsplit(url)
    if parts.scheme == "memory":
        return "dogpile.cache.memory", {"cache_dict": LockedLRU(memory_size)}
    if parts.scheme == "redis":
        return _redis_arguments(url, expiration_time, timeout, max_connections)
    if parts.scheme == "memcached":
        return _memcached_arguments(parts, expiration_time, timeout)
    if parts.scheme == "none":
        return "dogpile.cache.null", {}
    raise ValueError(
        f"cache.url {url!r}: scheme must be memory, redis, memcached or none"
    )


class FailOpen(ProxyBackend):
    """Turn backend failures into misses, with a circuit breaker.

    After a failure the backend is skipped for ``retry_after`` seconds (every
    call is an instant miss), so a dead server costs at most one timeout per
    interval per process, and the log gets one warning per interval. When the
    interval is over the next call tries again: recovery needs no restart.
    """

    def __init__(self, retry_after):
        super().__init__()
        self.retry_after = retry_after
        self.open_until = 0.0

    @property
    def healthy(self):
        return time.monotonic() >= self.open_until

    def _call(self, method, *args, default=NO_VALUE):
        if not self.healthy:
            return default
        try:
            return method(*args)
        except CantDeserializeException:
            return NO_VALUE
        except Exception as error:  # any backend error: the cache is optional
            self.open_until = time.monotonic() + self.retry_after
            log.warning(
                "cache backend failed, serving without it for %ss: %r",
                self.retry_after,
                error,
            )
            return default

    def get_serialized(self, key):
        return self._call(self.proxied.get_serialized, key)

    def get_serialized_multi(self, keys):
        return self._call(
            self.proxied.get_serialized_multi, keys, default=[NO_VALUE] * len(keys)
        )

    def set_serialized(self, key, value):
        self._call(self.proxied.set_serialized, key, value, default=None)

    def set_serialized_multi(self, mapping):
        self._call(self.proxied.set_serialized_multi, mapping, default=None)

    def get(self, key):
        return self._call(self.proxied.get, key)

    def get_multi(self, keys):
        return self._call(self.proxied.get_multi, keys, default=[NO_VALUE] * len(keys))

    def set(self, key, value):
        self._call(self.proxied.set, key, value, default=None)

    def set_multi(self, mapping):
        self._call(self.proxied.set_multi, mapping, default=None)

    def delete(self, key):
        self._call(self.proxied.delete, key, default=None)

    def get_mutex(self, key):
        # None makes dogpile fall back to its in-process lock.
        return self._call(self.proxied.get_mutex, key, default=None)


class Cache:
    """The app's cache: namespaced, generation-versioned keys over one region."""

    def __init__(self, region, fail_open, namespace):
        self.region = region
        self.fail_open = fail_open
        self.namespace = namespace

    @property
    def healthy(self):
        return self.fail_open.healthy

    def ping(self):
        """One round trip to the backend; False if it failed (or is skipped)."""
        self.region.get(f"{self.namespace}:ping")
        return self.healthy

    def generation(self, dataset):
        """The current token of ``dataset``; created on first use (or after loss)."""
        return self.region.get_or_create(
            f"{self.namespace}:gen:{dataset}", new_generation, expiration_time=-1
        )

    def bump(self, dataset):
        """Invalidate every key of ``dataset`` in every process sharing the backend."""
        self.region.set(f"{self.namespace}:gen:{dataset}", new_generation())

    def get_or_create(self, dataset, key, creator):
        """Cached ``creator()`` for ``key`` in the current generation of ``dataset``."""
        full_key = f"{self.namespace}:{dataset}:{self.generation(dataset)}:{key}"
        return self.region.get_or_create(full_key, creator)


def new_generation():
    return uuid.uuid4().hex[:12]


def cache_from_settings(settings, namespace):
    settings = {**DEFAULTS, **settings}
    expiration_time = int(settings["cache.expiration_time"])
    backend, arguments = backend_from_url(
        settings["cache.url"],
        expiration_time=expiration_time,
        memory_size=int(settings["cache.memory_size"]),
        timeout=float(settings["cache.timeout"]),
        max_connections=int(settings["cache.max_connections"]),
    )
    fail_open = FailOpen(retry_after=float(settings["cache.retry_after"]))
    region = make_region(key_mangler=sha1_mangle_key).configure(
        backend,
        expiration_time=expiration_time,
        arguments=arguments,
        wrap=[fail_open],
    )
    if backend == "dogpile.cache.memory" and not asbool(settings.get("cache.quiet")):
        log.info("cache: in-process memory (per process: not shared between workers)")
    return Cache(region, fail_open, namespace)


def includeme(config):
    settings = config.get_settings()
    namespace = settings.get("cache.namespace", "{{ cookiecutter.repo_name }}")
    config.registry.cache = cache_from_settings(settings, namespace)
    config.add_request_method(
        lambda request: request.registry.cache, "cache", reify=True
    )
