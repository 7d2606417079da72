"""Redis for the cache: one server, Sentinel or Cluster, all failing fast.

``cache.url`` forms (``CACHE_URL`` in production):

* ``redis://[:password@]host:port/db`` (``rediss://`` for TLS)
* ``redis+sentinel://[:password@]host:port,host:port/service_name/db``
* ``redis+cluster://[:password@]host:port,host:port``

All use dogpile.cache's own Redis backends with the same short timeouts, no
retries (the breaker in ``failopen.py`` decides when to try again) and
dogpile's distributed lock against stampedes.
"""

import threading
from urllib.parse import unquote

from dogpile.cache import register_backend
from dogpile.cache.api import NO_VALUE
from dogpile.cache.backends.redis import (
    RedisBackend,
    RedisClusterBackend,
    RedisSentinelBackend,
)

from .backends import lasting


def connection_kwargs(timeout, max_connections=100):
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # Short timeouts and no retries: redis-py 8's defaults stall ~4 s per call
    # when the server is down, which would hang every request.
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": 30,
        "max_connections": max_connections,
    }


def common_arguments(expiration_time, timeout, max_connections):
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "connection_kwargs": connection_kwargs(timeout, max_connections),
        # Redis drops keys a while after dogpile considers them stale, so one
        # process regenerates while the others keep serving the old value
        # (all but the generations: LastingKeys).
        "redis_expiration_time": expiration_time * 2,
        # One creator per key across all processes (stampede protection).
        "distributed_lock": True,
        "thread_local_lock": False,
        "lock_timeout": 30,
    }


def servers(parts, default_port):
    netloc = parts.netloc.rsplit("@", 1)[-1]
    result = []
    for server in filter(None, netloc.split(",")):
        host, _, port = server.rpartition(":") if ":" in server else (server, "", "")
        result.append((host or "127.0.0.1", int(port or default_port)))
    return result


class LastingKeys:
    """Lasting keys (data-set generations, ``backends.LASTING``) are stored
    without ``redis_expiration_time``: a write replaces them."""

    def set_serialized(self, key, value):
        if lasting(key):
            self.writer_client.set(key, value)
        else:
            super().set_serialized(key, value)

    def set_serialized_multi(self, mapping):
        if not any(lasting(key) for key in mapping):
            super().set_serialized_multi(mapping)
            return
        pipe = self.writer_client.pipeline()
        for key, value in mapping.items():
            if lasting(key) or not self.redis_expiration_time:
                pipe.set(key, value)
            else:
                pipe.setex(key, self.redis_expiration_time, value)
        pipe.execute()


class ServerBackend(LastingKeys, RedisBackend):
    """dogpile's Redis backend (one server)."""


class SentinelBackend(LastingKeys, RedisSentinelBackend):
    """dogpile's Sentinel backend, reading from the master too.

    Replicas lag: a generation read from one could serve data older than a
    write another process just made. The master gives read-after-write.
    """

    def _create_client(self):
        super()._create_client()
        self.reader_client = self.writer_client


class ClusterBackend(LastingKeys, RedisClusterBackend):
    """dogpile's Cluster backend, connecting on first use.

    ``RedisCluster()`` contacts the nodes at once; a cluster that is down when
    the app starts must give cache misses, not an app that cannot start.
    """

    _client = None
    _client_lock = threading.Lock()

    def _create_client(self):
        pass

    @property
    def writer_client(self):
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    RedisClusterBackend._create_client(self)
        return self._client

    @writer_client.setter
    def writer_client(self, client):
        self._client = client

    reader_client = writer_client

    def get_serialized_multi(self, keys):
        # One page lookup reads keys of several hash slots; plain MGET refuses.
        values = self.reader_client.mget_nonatomic(keys)
        return [NO_VALUE if value is None else value for value in values]


SERVER = f"{__package__}.redis"
SENTINEL = f"{__package__}.sentinel"
CLUSTER = f"{__package__}.cluster"
register_backend(SERVER, __name__, "ServerBackend")
register_backend(SENTINEL, __name__, "SentinelBackend")
register_backend(CLUSTER, __name__, "ClusterBackend")


def backend(parts, *, expiration_time, timeout, breaker, max_connections=100):
    """dogpile backend name and arguments for a ``redis*://`` URL."""
    arguments = common_arguments(expiration_time, timeout, max_connections)
    password = unquote(parts.password) if parts.password else None
    if parts.scheme in ("redis", "rediss"):
        return SERVER, {"url": parts.geturl(), **arguments}
    if parts.scheme == "redis+cluster":
        from redis.cluster import ClusterNode

        arguments["startup_nodes"] = [
            ClusterNode(host, port) for host, port in servers(parts, 6379)
        ]
        # The cluster client takes every option through connection_kwargs.
        arguments["connection_kwargs"]["password"] = password
        return CLUSTER, arguments
    path = [segment for segment in parts.path.split("/") if segment]
    if not path:
        raise ValueError("redis+sentinel:// URL needs /service_name[/db]")
    db = int(path[1]) if len(path) > 1 else 0
    return SENTINEL, {
        **arguments,
        "sentinels": servers(parts, 26379),
        "service_name": path[0],
        "db": db,
        "password": password,
        # Sentinels have no databases and their own (optional) password.
        "sentinel_kwargs": {**connection_kwargs(timeout), "db": 0, "password": None},
    }
