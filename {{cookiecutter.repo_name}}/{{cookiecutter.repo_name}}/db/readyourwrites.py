"""The read-your-writes marker: a small signed cookie naming a commit's WAL position.

A request that commits a write answers with ``Set-Cookie: recent_write=<WAL
position>.<expiry>.<signature>``, kept ``sqlalchemy.read_your_writes_seconds``.
While the browser sends it back, the client's reads go to the primary until
the replica has replayed that position (``replica.py``).

Reading it is deliberately NOT a per-user read (``caching/personal.py``): it
only chooses which copy of the same data a request reads, never what the page
shows. The copy it picks (the primary, or a replica that has replayed the
write) is at least as new as the data version the page is stored under, so
the page is the one anyone would get and may be shared and stored. A forged
or expired marker is ignored: at worst a client sends its own reads to the
primary for a few seconds.
"""

import hashlib
import hmac
import time

from webob.cookies import RequestCookies

COOKIE = "recent_write"
SIGNATURE_CHARS = 16


def _signature(secret, payload):
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256)
    return digest.hexdigest()[:SIGNATURE_CHARS]


def marker(position, secret, seconds, now=None):
    """The cookie value for WAL ``position`` (an int), valid ``seconds``."""
    expires = int((now or time.time()) + seconds)
    payload = f"{position:x}.{expires}"
    return f"{payload}.{_signature(secret, payload)}"


def read_marker(environ, secret, now=None):
    """The WAL position (int) this client wrote up to, or 0 (none, expired, forged)."""
    if COOKIE not in environ.get("HTTP_COOKIE", ""):
        return 0  # the common case, without parsing any cookie
    value = RequestCookies(environ).get(COOKIE) or ""  # untracked: see module doc
    position, _, rest = value.partition(".")
    expires, _, signature = rest.partition(".")
    payload = f"{position}.{expires}"
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        return 0
    try:
        if int(expires) < (now or time.time()):
            return 0
        return int(position, 16)
    except ValueError:
        return 0


def set_marker(response, position, secret, seconds, secure):
    response.set_cookie(
        COOKIE,
        marker(position, secret, seconds),
        max_age=int(seconds),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=secure,
    )
