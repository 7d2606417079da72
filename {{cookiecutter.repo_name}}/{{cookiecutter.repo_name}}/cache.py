"""Server-side cache: one dogpile.cache region configured from ``cache.url``.

``cache.url`` (``CACHE_URL`` in production) picks the backend:

* ``memory://``       in-process LRU, bounded by ``cache.memory_size``; per process
* ``redis://[:password@]host:port/db`` (``rediss://`` for TLS)  shared
* ``redis+sentinel://host:port,host:port/service_name/db``  shared, Sentinel failover
* ``redis+cluster://host:port,host:port``  shared, Redis Cluster
* ``memcached://host:port[,host:port]``  shared, consistent hashing over the servers
* ``none://``         same API, nothing stored

The cache is an optimisation, never a dependency. Every backend call goes
through ``FailOpen``: a down or slow server turns into cache misses (served from
the database) instead of errors.

Added latency while the server is down, per process: calls fail fast on a
refused connection; a server that does not answer costs at most
``2 * cache.timeout`` (connect + read) for the calls in flight when it goes,
then the breaker skips the backend (about a microsecond per call) and lets one
probe call through every ``cache.retry_after`` seconds. So at most one request
per process per ``retry_after`` seconds pays up to ``2 * cache.timeout``. One
warning is logged per interval, ``/healthz`` says ``degraded``, and the first
successful probe closes the breaker: no restart.

Invalidation works across processes by *generations*: each data set ("items")
has a token stored in the cache itself; keys embed it, and a write replaces it,
so every process sharing the backend stops reading the old keys at once.
Values are stored as JSON (orjson): plain data survives deploys, and an entry
that cannot be decoded (corrupt bytes, old format) is a miss, never a 500.
"""

import hashlib
import importlib
import logging
import threading
import time
import uuid
from urllib.parse import urlsplit

import orjson
from dogpile.cache import make_region
from dogpile.cache.api import NO_VALUE, CantDeserializeException
from dogpile.cache.proxy import ProxyBackend
from dogpile.cache.util import sha1_mangle_key
from markupsafe import Markup
from pyramid.renderers import render
from pyramid.settings import asbool

log = logging.getLogger(__name__)

DEFAULTS = {
    "cache.url": "memory://",
    "cache.expiration_time": "300",
    "cache.memory_size": "10000",
    "cache.timeout": "0.25",
    "cache.retry_after": "5",
    # Connections per process to Redis (per server to Memcached); the gevent
    # server raises it to match worker_connections (serve.py), since an
    # exhausted pool raises.
    "cache.max_connections": "100",
}
TEMPLATES = "{{ cookiecutter.repo_name }}:templates/"


# -- serialization ---------------------------------------------------------


def serialize(value):
    return orjson.dumps(value)


def deserialize(data):
    """JSON payload -> value; anything undecodable is a miss (regenerated)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise CantDeserializeException() from error


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


# -- in-process backend ------------------------------------------------------


class LockedLRU:
    """A bounded LRU dict that is safe under threads and greenlets.

    dogpile's memory backend uses a plain dict: unbounded. cachetools' LRU in
    its place is not thread-safe (reads reorder entries), hence the lock; under
    gevent's monkey patching ``threading.Lock`` is a greenlet lock.
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


# -- circuit breaker -----------------------------------------------------------


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


# -- backends from URLs -----------------------------------------------------

# Redis and Memcached support live in their own modules, generated only for
# the chosen backend (their client libraries are only installed then).
BACKEND_MODULES = {
    "redis": "cache_redis",
    "rediss": "cache_redis",
    "redis+sentinel": "cache_redis",
    "redis+cluster": "cache_redis",
    "memcached": "cache_memcached",
}


def backend_from_url(
    url, *, expiration_time, memory_size, timeout, breaker, max_connections=100
):
    """Translate ``cache.url`` into a dogpile backend name and its arguments."""
    parts = urlsplit(url)
    if parts.scheme == "memory":
        return "dogpile.cache.memory", {"cache_dict": LockedLRU(memory_size)}
    if parts.scheme == "none":
        return "dogpile.cache.null", {}
    if parts.scheme not in BACKEND_MODULES:
        raise ValueError(
            f"cache.url {url!r}: scheme must be memory, none, "
            + ", ".join(BACKEND_MODULES)
        )
    try:
        module = importlib.import_module(
            f".{BACKEND_MODULES[parts.scheme]}", __package__
        )
    except ImportError:
        raise ValueError(
            f"cache.url {url!r}: this project was generated without support "
            f"for {parts.scheme} (regenerate with that cache_backend)"
        ) from None
    return module.backend(
        parts,
        expiration_time=expiration_time,
        timeout=timeout,
        breaker=breaker,
        max_connections=max_connections,
    )


# -- the app's cache -------------------------------------------------------------


class Cache:
    """The app's cache: namespaced, generation-versioned keys over one region."""

    def __init__(
        self,
        region,
        breaker,
        namespace,
        *,
        in_process=False,
        keeps_data=True,
        clock=time.monotonic,
    ):
        self.region = region
        self.breaker = breaker
        self.namespace = namespace
        # Values are kept as objects (memory, none), not serialized to bytes.
        self.in_process = in_process
        self.keeps_data = keeps_data  # False for none://
        self.expiration_time = region.expiration_time
        self.clock = clock
        # generation key -> (generation, self.clock() when this process read it)
        self._recent = {}

    @property
    def healthy(self):
        return self.breaker.healthy

    def ping(self):
        """One round trip to the backend; False if it failed (or is skipped)."""
        self.region.get(f"{self.namespace}:ping")
        self.region.backend.ping()
        return self.healthy

    def _generation_key(self, dataset):
        return f"{self.namespace}:gen:{dataset}"

    def generation(self, dataset):
        """The current token of ``dataset``; created on first use (or after loss)."""
        key = self._generation_key(dataset)
        generation = self.region.get_or_create(key, new_generation, expiration_time=-1)
        self._recent[key] = (generation, self.clock())
        return generation

    def bump(self, dataset):
        """Invalidate every key of ``dataset`` in every process sharing the backend."""
        key = self._generation_key(dataset)
        generation = new_generation()
        self.region.set(key, generation)
        self._recent[key] = (generation, self.clock())

    def recent_generation(self, dataset, max_age):
        """The generation this process read or made within ``max_age`` seconds.

        None when older (or never read): ask the backend. A write in this
        process replaces it at once; another process's write is seen once it
        is older than ``max_age``.
        """
        seen = self._recent.get(self._generation_key(dataset))
        if seen is not None and self.clock() - seen[1] < max_age:
            return seen[0]
        return None

    def key(self, dataset, key, generation=None):
        generation = generation or self.generation(dataset)
        return f"{self.namespace}:{dataset}:{generation}:{key}"

    def get_or_create(self, dataset, key, creator, generation=None):
        """Cached ``creator()`` for ``key`` in the current generation of ``dataset``."""
        return self.region.get_or_create(self.key(dataset, key, generation), creator)

    def get(self, key):
        """The value stored under ``key`` (already versioned by the caller), or None."""
        value = self.region.get(f"{self.namespace}:{key}")
        return None if value is NO_VALUE else value

    def set(self, key, value):
        self.region.set(f"{self.namespace}:{key}", value)

    def peek(self, datasets, key):
        """``({dataset: generation}, value under key)`` in one round trip.

        Missing ones are left out (None for the value); nothing is created and
        nothing is checked for age: the caller's value carries its own expiry.
        """
        keys = [self._generation_key(dataset) for dataset in datasets]
        keys.append(f"{self.namespace}:{key}")
        *generations, value = self.region.get_multi(keys, ignore_expiration=True)
        found, now = {}, self.clock()
        for dataset, key, generation in zip(datasets, keys, generations, strict=False):
            if generation is not NO_VALUE:
                found[dataset] = generation
                self._recent[key] = (generation, now)
        return found, None if value is NO_VALUE else value


class RequestCache:
    """``request.cache``: the app's cache, reading each generation once per request.

    One request then sees one consistent version of a data set, and a page with
    many cached fragments pays one generation lookup, not one per fragment.
    """

    def __init__(self, cache, request):
        self.cache = cache
        self.request = request
        self.generations = {}

    @property
    def healthy(self):
        return self.cache.healthy

    def ping(self):
        return self.cache.ping()

    def generation(self, dataset):
        if dataset not in self.generations:
            self.generations[dataset] = self.cache.generation(dataset)
        return self.generations[dataset]

    def bump(self, dataset):
        self.generations.pop(dataset, None)
        self.cache.bump(dataset)

    def get_or_create(self, dataset, key, creator):
        return self.cache.get_or_create(
            dataset, key, creator, generation=self.generation(dataset)
        )

    @property
    def in_process(self):
        return self.cache.in_process

    def get(self, key):
        return self.cache.get(key)

    def set(self, key, value):
        self.cache.set(key, value)

    def fragment(self, template, key, dataset="items", **values):
        """Render ``template`` with ``values`` once per ``key`` and data version.

        One line in any template engine, e.g. ``request.cache.fragment(
        "item_row.jinja2", item["id"], item=item)``. The result is ``Markup``, so
        Jinja2, Chameleon and Mako insert it without escaping it again. The key
        includes the application URL, since fragments often hold absolute links.
        """
        spec = template if ":" in template else TEMPLATES + template
        site = hashlib.sha1(self.request.application_url.encode()).hexdigest()[:8]
        html = self.get_or_create(
            dataset,
            f"fragment:{spec}:{site}:{key}",
            lambda: str(render(spec, values, request=self.request)),
        )
        return Markup(html)


def new_generation():
    return uuid.uuid4().hex[:12]


def cache_from_settings(settings, namespace):
    settings = {**DEFAULTS, **settings}
    expiration_time = int(settings["cache.expiration_time"])
    breaker = CircuitBreaker(retry_after=float(settings["cache.retry_after"]))
    backend, arguments = backend_from_url(
        settings["cache.url"],
        expiration_time=expiration_time,
        memory_size=int(settings["cache.memory_size"]),
        timeout=float(settings["cache.timeout"]),
        breaker=breaker,
        max_connections=int(settings["cache.max_connections"]),
    )
    in_process = backend in ("dogpile.cache.memory", "dogpile.cache.null")
    region = make_region(
        key_mangler=sha1_mangle_key,
        # Byte backends store JSON; the in-process ones keep the objects.
        serializer=None if in_process else serialize,
        deserializer=None if in_process else deserialize,
    ).configure(
        backend,
        expiration_time=expiration_time,
        arguments=arguments,
        wrap=[FailOpen(breaker)],
    )
    if backend == "dogpile.cache.memory" and not asbool(settings.get("cache.quiet")):
        log.info(
            "cache: in-process memory, per process: NOT shared between workers "
            "or machines (a write elsewhere is not seen here until it expires)"
        )
    return Cache(
        region,
        breaker,
        namespace,
        in_process=in_process,
        keeps_data=backend != "dogpile.cache.null",
    )


def includeme(config):
    settings = config.get_settings()
    namespace = settings.get("cache.namespace", "{{ cookiecutter.repo_name }}")
    config.registry.cache = cache_from_settings(settings, namespace)
    config.add_request_method(
        lambda request: RequestCache(request.registry.cache, request),
        "cache",
        reify=True,
    )
