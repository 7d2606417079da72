"""Request bodies: a size limit and a read deadline, enforced before the app runs.

``BodyGuard`` wraps the whole application (``make_app``), so it runs before
the page cache, Pyramid, the CSRF check (which reads ``request.POST``) or any
view can touch ``wsgi.input``. Requests without a body pass straight through.

* **Size**: a body over ``app.max_body_bytes`` (``MAX_BODY_BYTES``, default
  1 MiB) is a ``413``. A ``Content-Length`` over it is answered at once,
  nothing read; a chunked body is read up to the limit, then refused. Views
  may set lower limits of their own (the JSON API: 64 KiB).
* **Time**: the body is read here, whole, within ``app.body_timeout`` seconds
  (``BODY_TIMEOUT``, default 20), else a ``408``. The pieces read follow the
  client's pace (they start at one byte and at most double), so a client
  trickling a byte a second is cut off within about a second of the
  deadline. A blocking read cannot be interrupted: a client that sends fast,
  then stops in the middle of a piece, holds its reader until the piece
  arrives or the connection drops.
* **Readers**: at most ``app.max_body_readers`` (``MAX_BODY_READERS``, default
  32) requests per process read their bodies at once; the next get a ``503``
  with ``Retry-After`` at once. Slow uploads therefore never take more than
  that many of the server's threads (granian's ``BLOCKING_THREADS``, 128 by
  default): everything else is still served.

The app then reads the body from memory, with an exact ``CONTENT_LENGTH``. In
production a buffering reverse proxy in front (nginx ``proxy_request_buffering
on;`` and ``client_max_body_size 1m;``) receives slow bodies itself and hands
them over at once; this guard is the second line (README, "Security").
"""

import io
import threading
import time

from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPRequestEntityTooLarge,
    HTTPRequestTimeout,
    HTTPServiceUnavailable,
)

from .security import SECURITY_HEADERS

PIECE = 64 * 1024  # the largest single read
SLICE = 0.25  # seconds one read should take at the client's pace
NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TooLarge(Exception):
    pass


class TooSlow(Exception):
    pass


def read_body(stream, length, max_bytes, timeout, clock=time.monotonic):
    """The whole body; ``length`` None: until EOF (chunked). Raises ``TooLarge``
    past ``max_bytes``, ``TooSlow`` past ``timeout`` seconds."""
    wanted = max_bytes + 1 if length is None else length
    body = bytearray()
    start = clock()
    piece = 1
    while len(body) < wanted:
        elapsed = clock() - start
        if elapsed > timeout:
            raise TooSlow
        pace = len(body) / max(elapsed, 0.001) * SLICE
        piece = int(max(1, min(2 * piece, pace, PIECE, wanted - len(body))))
        data = stream.read(piece)
        if not data:
            break
        body += data
    if len(body) > max_bytes:
        raise TooLarge
    return bytes(body)


class BodyGuard:
    """WSGI wrapper: bodies read whole, within a size and time budget."""

    def __init__(self, app, max_bytes, timeout, readers):
        self.app = app
        self.registry = app.registry
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.readers = threading.BoundedSemaphore(readers)

    def __call__(self, environ, start_response):
        declared = environ.get("CONTENT_LENGTH") or ""
        chunked = "HTTP_TRANSFER_ENCODING" in environ
        if declared in ("", "0") and not chunked:
            if declared or environ.get("REQUEST_METHOD") in NO_BODY_METHODS:
                return self.app(environ, start_response)
            if not environ.get("wsgi.input_terminated"):
                return self.app(environ, start_response)  # no length: no body
        length = None
        if declared and not chunked:
            if not declared.isdecimal():
                error = HTTPBadRequest("Invalid Content-Length.")
                return refuse(error, environ, start_response)
            length = int(declared)
            if length > self.max_bytes:
                return self.too_large(environ, start_response)
        if not self.readers.acquire(blocking=False):
            error = HTTPServiceUnavailable(
                "Too many uploads at once; try again.", headers={"Retry-After": "1"}
            )
            return refuse(error, environ, start_response)
        try:
            stream = environ["wsgi.input"]
            body = read_body(stream, length, self.max_bytes, self.timeout)
        except TooLarge:
            return self.too_large(environ, start_response)
        except TooSlow:
            error = HTTPRequestTimeout("The request body arrived too slowly.")
            return refuse(error, environ, start_response)
        finally:
            self.readers.release()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)

    def too_large(self, environ, start_response):
        error = HTTPRequestEntityTooLarge(f"At most {self.max_bytes} bytes.")
        return refuse(error, environ, start_response)


def refuse(error, environ, start_response):
    """An error answered here, before Pyramid: its subscriber never adds the
    security headers, so they are added the same way, and nothing stores it."""
    for name, value in SECURITY_HEADERS.items():
        error.headers.setdefault(name, value)
    error.cache_control.no_store = True
    return error(environ, start_response)


def wrap(app):
    settings = app.registry.app_settings
    return BodyGuard(
        app,
        max_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout,
        readers=settings.max_body_readers,
    )
