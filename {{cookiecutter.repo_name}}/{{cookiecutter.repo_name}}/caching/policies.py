"""Cache-Control policies for ``@view_config(http_cache=...)`` (Pyramid's deriver).

* ``PUBLIC``: browsers and shared caches reuse it for a minute, then revalidate.
  ``max-age`` alone makes it storable everywhere; ``public`` is not sent: it
  only lets a shared cache store responses to requests with ``Authorization``
  (RFC 9111 section 5.2.2.9), exactly the ones that must not be shared.
* ``REVALIDATE``: stored, but revalidated on every use (cheap with ETag/304).
  Not ``http_cache=0``: Pyramid turns 0 into ``no-store``, which forbids that.
* ``PRIVATE``: only the user's own browser may keep it (sessions, cookies, users).
* ``NO_STORE``: never stored (writes, health checks, errors).

Safety net: a response made from a per-user input (cookies, the session, the
credentials, the identity, a request header: the rule is in ``personal.py``)
is made ``private`` with a ``Vary`` on what was read, whatever its policy said
(and ``web/security.py`` does the same for responses that set a cookie), so a
shared cache never hands one user's page to another.

Compression of dynamic responses belongs to the reverse proxy (nginx ``gzip on;
gzip_vary on;``, Caddy ``encode``): it runs in C next to TLS, and keeps the
app's tween chain minimal. Static files are precompressed (``web/staticfiles.py``).
"""

from pyramid.events import NewResponse

from .personal import personal_inputs

# After every default-order action: subscribers to one event class run in the
# order they were registered, so this one runs after the project's own and
# sees what they read too (one adding the user's name to a header, say).
LAST = 100

PUBLIC_MAX_AGE = 60

PUBLIC = (PUBLIC_MAX_AGE, {})
REVALIDATE = (None, {"no_cache": True})
PRIVATE = (None, {"private": True, "no_cache": True})
NO_STORE = (None, {"no_store": True})


def make_personal_pages_private(event):
    """A response built from a per-user input (``personal.py``): never shared.

    (``web/security.py`` does the same for responses that set a cookie.)
    """
    reads = personal_inputs(event.request)
    if not reads:
        return
    response = event.response
    cache_control = response.cache_control
    if cache_control.no_store:
        return
    cache_control.public = False
    cache_control.s_maxage = None
    cache_control.private = True
    varies = [name for name in reads.values() if name]
    response.vary = tuple(dict.fromkeys([*(response.vary or ()), *varies])) or None


def includeme(config):
    registry = config.registry

    def register_last():
        # For the class, as add_subscriber does: zope calls subscribers of a
        # more general interface (INewResponse) before the class's own.
        registry.registerHandler(make_personal_pages_private, (NewResponse,))

    config.action(None, register_last, order=LAST)
