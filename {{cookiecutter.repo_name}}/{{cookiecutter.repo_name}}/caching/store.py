"""The app's cache: namespaced, generation-versioned keys over one dogpile region.

Invalidation works across processes by *generations*: each data set has a
token stored in the cache itself; keys embed it, and a write replaces it
(``Cache.bump``), so every process sharing the backend stops reading the old
keys at once. Parts of a data set (scopes, ``scopes.py``) have generations of
their own, which stored pages compare (``pagecache.current``). Generations
never expire on the server (``backends.LASTING``); the keys that embed them
do. Values are stored as JSON (orjson) in the shared
backends: plain data survives deploys, and an entry that cannot be decoded
(corrupt bytes, old format) is a miss, never a 500.
"""

import logging
import time
import uuid

from dogpile.cache import make_region
from dogpile.cache.api import NO_VALUE
from pyramid.settings import asbool

from . import backends
from .failopen import CircuitBreaker, FailOpen
from .request import RequestCache
from .scopes import WHOLE, scope_name

log = logging.getLogger(__name__)

# Generations a process remembers reading (``Cache._remember``).
RECENT_LIMIT = 100_000

DEFAULTS = {
    "cache.url": "memory://",
    "cache.expiration_time": "300",
    "cache.memory_size": "10000",
    "cache.timeout": "0.25",
    "cache.retry_after": "5",
    # Connections per process to Redis (per server to Memcached); the gevent
    # server raises it to match worker_connections (scripts/serve.py), since an
    # exhausted pool raises.
    "cache.max_connections": "100",
}


class Cache:
    """The app's cache: namespaced, generation-versioned keys over one region."""

    def __init__(self, region, breaker, namespace, *, clock=time.monotonic):
        self.region = region
        self.breaker = breaker
        self.namespace = namespace
        backend = region.actual_backend
        # Values are kept as objects (memory, none), not serialized to bytes;
        # and per process: generations, ETags and invalidations are too.
        self.in_process = backends.in_process(backend)
        self.shared = not self.in_process
        self.keeps_data = backends.keeps_data(backend)  # False for none://
        self.expiration_time = region.expiration_time
        self.clock = clock
        # generation key -> (generation, self.clock() when this process read it)
        self._recent = {}

    def _remember(self, generations):
        """Note ``{generation key: generation}`` as read or made now.

        Bounded: with a scope per row a process may touch millions; past
        ``RECENT_LIMIT`` it starts over (a forgotten one is asked for again).
        """
        if len(self._recent) + len(generations) > RECENT_LIMIT:
            self._recent.clear()
        now = self.clock()
        self._recent.update((key, (value, now)) for key, value in generations.items())

    @property
    def healthy(self):
        return self.breaker.healthy

    def ping(self):
        """One round trip to the backend; False if it failed (or is skipped)."""
        self.region.get(f"{self.namespace}:ping")
        self.region.backend.ping()
        return self.healthy

    def _generation_key(self, dataset):
        # Lasting: no server-side expiry, only a write replaces it.
        return f"{backends.LASTING}{self.namespace}:gen:{dataset}"

    def generation(self, dataset):
        """The current token of ``dataset``; created on first use (or after loss)."""
        key = self._generation_key(dataset)
        generation = self.region.get_or_create(key, new_generation, expiration_time=-1)
        self._remember({key: generation})
        return generation

    def bump(self, dataset, position=None, scopes=(WHOLE,)):
        """Retire ``scopes`` of ``dataset`` in every process sharing the backend.

        ``scopes`` (opaque strings, see ``scope_name``) each have a generation
        of their own; ``WHOLE`` (the default) is one every stored page depends
        on, so it retires all of the data set. The data set's own generation
        (the coarse "something changed") is replaced before and after them: a
        page rendered before the write then never passes the store-time check
        (``pagecache.page_cache_view``) with the scopes' new generations, and
        a page re-validated while the write is under way keeps the older
        coarse generation, so it is checked again. ``position``: the commit
        the new generation stands for (see ``request.COMMIT_POSITION``), kept
        after an ``@`` in its token.
        """
        key = self._generation_key(dataset)
        suffix = f"@{position}" if position else ""
        scoped = {
            self._generation_key(scope_name(dataset, scope)): new_generation()
            for scope in scopes
        }
        # Three calls, in this order on every backend (one multi-key write may
        # reach several servers in any order).
        self.region.set(key, new_generation() + suffix)
        self.region.set_multi(scoped)
        generation = new_generation() + suffix
        self.region.set(key, generation)
        self._remember({**scoped, key: generation})

    def scope_generations(self, dataset, scopes):
        """``{scope name: generation}`` of ``scopes`` and ``WHOLE``, in one round trip.

        Missing ones are created (set, not compared: two processes creating the
        same one at once only make a page look changed once, never unchanged).
        """
        names = [scope_name(dataset, scope) for scope in (WHOLE, *scopes)]
        found = self.generations(names)
        missing = {name: new_generation() for name in names if name not in found}
        if missing:
            created = {
                self._generation_key(name): value for name, value in missing.items()
            }
            self.region.set_multi(created)
            self._remember(created)
        return {**found, **missing}

    def generations(self, names):
        """``{name: generation}`` of those of ``names`` that exist: one round trip."""
        values = self.region.get_multi(
            [self._generation_key(name) for name in names], ignore_expiration=True
        )
        return {
            name: value
            for name, value in zip(names, values, strict=True)
            if value is not NO_VALUE
        }

    def drop_generations(self):
        """Delete this namespace's generation keys that this process used.

        They never expire on the server, so whatever makes throwaway
        namespaces (tests) removes them when done.
        """
        prefix = self._generation_key("")
        used = [key for key in self._recent if key.startswith(prefix)]
        if used:
            self.region.delete_multi(used)
        for key in used:
            del self._recent[key]

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

        Missing ones are left out (None for the value; ``key=None`` reads
        generations only); nothing is created and nothing is checked for age:
        the caller's value carries its own expiry.
        """
        generation_keys = [self._generation_key(dataset) for dataset in datasets]
        keys = list(generation_keys)
        if key is not None:
            keys.append(f"{self.namespace}:{key}")
        values = self.region.get_multi(keys, ignore_expiration=True)
        value = NO_VALUE if key is None else values.pop()
        found, read = {}, {}
        for dataset, generation_key, generation in zip(
            datasets, generation_keys, values, strict=True
        ):
            if generation is not NO_VALUE:
                found[dataset] = read[generation_key] = generation
        self._remember(read)
        return found, None if value is NO_VALUE else value


def new_generation():
    return uuid.uuid4().hex[:12]


def cache_from_settings(settings, namespace):
    settings = {**DEFAULTS, **settings}
    expiration_time = int(settings["cache.expiration_time"])
    breaker = CircuitBreaker(retry_after=float(settings["cache.retry_after"]))
    backend, arguments = backends.backend_from_url(
        settings["cache.url"],
        expiration_time=expiration_time,
        memory_size=int(settings["cache.memory_size"]),
        timeout=float(settings["cache.timeout"]),
        breaker=breaker,
        max_connections=int(settings["cache.max_connections"]),
    )
    region = make_region(key_mangler=backends.mangle_key).configure(
        backend,
        expiration_time=expiration_time,
        arguments=arguments,
        wrap=[FailOpen(breaker)],
    )
    cache = Cache(region, breaker, namespace)
    if cache.shared:  # server backends store JSON, not dogpile's default pickle
        region.serializer = backends.serialize
        region.deserializer = backends.deserialize
    elif cache.keeps_data and not asbool(settings.get("cache.quiet")):
        log.info(
            "cache: in-process memory, per process: NOT shared between workers "
            "or machines (a write elsewhere is not seen here until it expires)"
        )
    return cache


def includeme(config):
    settings = config.get_settings()
    namespace = settings.get("cache.namespace", "{{ cookiecutter.repo_name }}")
    config.registry.cache = cache_from_settings(settings, namespace)
    config.add_request_method(
        lambda request: RequestCache(request.registry.cache, request),
        "cache",
        reify=True,
    )
