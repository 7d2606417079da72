"""``cache.url`` -> a dogpile.cache backend, and whether it is shared.

``cache.url`` (``CACHE_URL`` in production) picks the backend:

* ``memory://``       in-process LRU, bounded by ``cache.memory_size``; per process
* ``redis://[:password@]host:port/db`` (``rediss://`` for TLS)  shared
* ``redis+sentinel://host:port,host:port/service_name/db``  shared, Sentinel failover
* ``redis+cluster://host:port,host:port``  shared, Redis Cluster
* ``memcached://host:port[,host:port]``  shared, consistent hashing over the servers
* ``none://``         same API, nothing stored but this process's data-set generations

Every project carries every backend's module; a server backend needs its client
library, installed with the project's extra (``pip install -e '.[redis]'`` or
``'.[memcached]'``), so switching is a setting plus an extra.
"""

import importlib
from urllib.parse import urlsplit

import orjson
from dogpile.cache import register_backend
from dogpile.cache.api import NO_VALUE, CantDeserializeException
from dogpile.cache.backends.memory import MemoryBackend
from dogpile.cache.backends.null import NullBackend
from dogpile.cache.util import sha1_mangle_key

from .lru import LockedLRU

# scheme -> (module of this package, the extra that installs its client)
SERVER_BACKENDS = {
    "redis": ("backend_redis", "redis"),
    "rediss": ("backend_redis", "redis"),
    "redis+sentinel": ("backend_redis", "redis"),
    "redis+cluster": ("backend_redis", "redis"),
    "memcached": ("backend_memcached", "memcached"),
}
CLIENT_LIBRARIES = {"redis": "redis", "memcached": "pymemcache"}


def backend_from_url(
    url, *, expiration_time, memory_size, timeout, breaker, max_connections=100
):
    """Translate ``cache.url`` into a dogpile backend name and its arguments."""
    parts = urlsplit(url)
    if parts.scheme == "memory":
        return "dogpile.cache.memory", {"cache_dict": LockedLRU(memory_size)}
    if parts.scheme == "none":
        return NONE, {}
    if parts.scheme not in SERVER_BACKENDS:
        raise ValueError(
            f"cache.url {url!r}: scheme must be memory, none, "
            + ", ".join(SERVER_BACKENDS)
        )
    module_name, extra = SERVER_BACKENDS[parts.scheme]
    try:
        importlib.import_module(CLIENT_LIBRARIES[extra])
    except ImportError:
        raise ValueError(
            f"cache.url {url!r} needs the {CLIENT_LIBRARIES[extra]} client: "
            f"pip install -e '.[{extra}]'"
        ) from None
    module = importlib.import_module(f".{module_name}", __package__)
    return module.backend(
        parts,
        expiration_time=expiration_time,
        timeout=timeout,
        breaker=breaker,
        max_connections=max_connections,
    )


# -- keys ------------------------------------------------------------------------

# The server backends give every entry a server-side expiry (2 x
# cache.expiration_time) except lasting keys: the data-set generations
# (store.py). A generation lives until the next write replaces it; if it lapsed,
# every ETag would change and every page re-render without any write. There is
# one per data set, so they cannot pile up.
LASTING = "lasting:"


def mangle_key(key):
    """sha1 of ``key`` (short, no spaces: Memcached takes it); lasting keys keep
    their marker, for the backend to see."""
    if key.startswith(LASTING):
        return LASTING + sha1_mangle_key(key[len(LASTING) :])
    return sha1_mangle_key(key)


def lasting(key):
    """Is ``key`` (as mangled) stored without expiry?"""
    return key.startswith(LASTING)


NONE_GENERATIONS = 10_000  # generations none:// keeps per process


class NoneBackend(NullBackend):
    """``none://``: stores nothing but this process's data-set generations.

    Like ``memory://`` for ETags: a generation that stays put lets this process
    reuse the data set's source version for ``httpcache.version_ttl`` instead of
    querying it on every request, while a write here still replaces it at once.
    Bounded (scopes have generations too, one per row a page names): one that
    is dropped is made anew, which only retires what depended on it.
    """

    def __init__(self, arguments):
        super().__init__(arguments)
        self._generations = LockedLRU(NONE_GENERATIONS)

    def get(self, key):
        return self._generations.get(key, NO_VALUE)

    def get_multi(self, keys):
        return [self.get(key) for key in keys]

    def set(self, key, value):
        if lasting(key):
            self._generations[key] = value

    def set_multi(self, mapping):
        for key, value in mapping.items():
            self.set(key, value)

    def delete(self, key):
        self._generations.pop(key, None)

    def delete_multi(self, keys):
        for key in keys:
            self.delete(key)


NONE = f"{__package__}.none"
register_backend(NONE, __name__, "NoneBackend")


def in_process(backend):
    """Does ``backend`` (a dogpile backend object) keep values in this process?

    The one place that decides whether the cache is shared: an in-process
    backend is per worker, so its generations, ETags and invalidations are too.
    """
    return isinstance(backend, (MemoryBackend, NullBackend))


def keeps_data(backend):
    return not isinstance(backend, NullBackend)


# -- serialization of the shared backends -------------------------------------


def serialize(value):
    return orjson.dumps(value)


def deserialize(data):
    """JSON payload -> value; anything undecodable is a miss (regenerated)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise CantDeserializeException() from error
