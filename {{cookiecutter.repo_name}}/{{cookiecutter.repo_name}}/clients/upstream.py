"""Calling other HTTP services: kept-alive connections, one deadline, clear errors.

    pricing = Upstream("http://pricing.internal:8080", timeout=2.0)
    reply = pricing.get("/prices?ids=1,2")  # Reply(status, headers, body)

A new connection per call (what ``requests.get(url)`` does) pays a TCP
handshake, and often TLS, before every request; a pool (urllib3, requests'
``Session``) adds bookkeeping on each call: urllib3's pool used 1.8 times this
client's CPU per call (the template's ``benchmarks/upstream_cpu.py``). Here each
thread keeps one open connection per upstream and reuses it: under gevent,
whose monkey patching makes thread-locals greenlet-local, each greenlet does.
No pool to size or lock; at most one connection per server thread (greenlet)
per upstream. Measured in the template's benchmark: an I/O-bound view at 200
connections served 1.4 (threads) to 1.7-1.9 (gevent) times the requests/s of
the same view opening a connection per call.

``timeout`` is one deadline for the whole call: connecting, sending, and every
read of the reply wait only for the time left (a server trickling its reply a
byte at a time cannot stretch it; name resolution is not covered). Every
failure (refused, timed out, reset, a malformed reply) raises ``UpstreamError``
naming the upstream; give the view a fallback or let ``fanout.gather`` collect
it. A kept-alive connection
the server closed while idle fails on its next use: a GET or HEAD is then sent
again once on a new connection (it cannot have been processed); other methods
raise, since the server may have acted on them.
"""

import http.client
import io
import threading
import time
from typing import NamedTuple
from urllib.parse import urlsplit

IDEMPOTENT = frozenset({"GET", "HEAD"})
# The connection was reused and failed before any reply: the server closed it.
STALE_CONNECTION = (
    http.client.RemoteDisconnected,
    BrokenPipeError,
    ConnectionResetError,
)


class DeadlineReader(io.RawIOBase):
    """The reply's bytes from ``sock``: each read waits only for the time left."""

    def __init__(self, sock, deadline):
        self.sock, self.deadline = sock, deadline

    def readable(self):
        return True

    def readinto(self, buffer):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


class ReplySocket:
    """What ``http.client.HTTPResponse`` reads from: only ``makefile``."""

    def __init__(self, sock, deadline):
        self.sock, self.deadline = sock, deadline

    def makefile(self, mode):
        return io.BufferedReader(DeadlineReader(self.sock, self.deadline))


class DeadlineConnection:
    """Mixed into http.client's connections: replies are read by ``deadline``."""

    deadline = float("inf")

    def response_class(self, sock, method=None):
        return http.client.HTTPResponse(ReplySocket(sock, self.deadline), method=method)

    def start_call(self, deadline):
        """Connect and send within the time left too."""
        self.deadline = deadline
        self.timeout = max(deadline - time.monotonic(), 0.001)
        if self.sock is not None:
            self.sock.settimeout(self.timeout)


class HTTPConnection(DeadlineConnection, http.client.HTTPConnection):
    pass


class HTTPSConnection(DeadlineConnection, http.client.HTTPSConnection):
    pass


class UpstreamError(Exception):
    """The upstream could not be reached or did not answer properly in time."""


class Reply(NamedTuple):
    status: int
    headers: dict  # lower-cased names
    body: bytes


class Upstream:
    """One HTTP(S) service at ``base_url``; thread-safe, greenlet-safe."""

    def __init__(self, base_url, timeout=2.0):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"upstream URL {base_url!r}: expected http(s)://host[:port]"
            )
        self.base_url = base_url
        self.connection_class = (
            HTTPSConnection if parts.scheme == "https" else HTTPConnection
        )
        self.host, self.port = parts.hostname, parts.port
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._local = threading.local()

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def request(self, method, path, body=None, headers=None):
        """Send one request; the ``Reply`` whatever its status, or ``UpstreamError``."""
        reused = getattr(self._local, "connection", None) is not None
        deadline = time.monotonic() + self.timeout  # for both tries below
        try:
            return self._exchange(method, path, body, headers, deadline)
        except STALE_CONNECTION as error:
            self._drop()
            if not (reused and method in IDEMPOTENT):
                raise self._error(method, path, error) from error
        except (OSError, http.client.HTTPException) as error:  # timeouts included
            self._drop()
            raise self._error(method, path, error) from error
        try:  # the server had closed the kept-alive connection: a new one
            return self._exchange(method, path, body, headers, deadline)
        except (OSError, http.client.HTTPException) as error:
            self._drop()
            raise self._error(method, path, error) from error

    def _exchange(self, method, path, body, headers, deadline):
        connection = self._connection()
        connection.start_call(deadline)
        connection.request(method, self.prefix + path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        if response.will_close:
            self._drop()
        return Reply(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            data,
        )

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self.connection_class(
                self.host, self.port, timeout=self.timeout
            )
            self._local.connection = connection
        return connection

    def _drop(self):
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()

    def _error(self, method, path, error):
        return UpstreamError(f"{method} {self.base_url}{path}: {error!r}")
