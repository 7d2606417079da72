"""Cache-Control policies for ``@view_config(http_cache=...)`` (Pyramid's deriver).

* ``PUBLIC``: browsers and shared caches reuse it for a minute, then revalidate.
  ``max-age`` alone makes it storable everywhere; ``public`` is not sent: it
  only lets a shared cache store responses to requests with ``Authorization``
  (RFC 9111 section 5.2.2.9), exactly the ones that must not be shared.
* ``REVALIDATE``: stored, but revalidated on every use (cheap with ETag/304).
  Not ``http_cache=0``: Pyramid turns 0 into ``no-store``, which forbids that.
* ``PRIVATE``: only the user's own browser may keep it (sessions, cookies, users).
* ``NO_STORE``: never stored (writes, health checks, errors).

Safety net: a response whose view read the session is made ``private`` with
``Vary: Cookie`` whatever its policy said (and ``web/security.py`` does the
same for responses that set a cookie), so a shared cache never hands one
user's page to another.

Compression of dynamic responses belongs to the reverse proxy (nginx ``gzip on;
gzip_vary on;``, Caddy ``encode``): it runs in C next to TLS, and keeps the
app's tween chain minimal. Static files are precompressed (``web/staticfiles.py``).
"""

from pyramid.events import NewResponse

PUBLIC_MAX_AGE = 60

PUBLIC = (PUBLIC_MAX_AGE, {})
REVALIDATE = (None, {"no_cache": True})
PRIVATE = (None, {"private": True, "no_cache": True})
NO_STORE = (None, {"no_store": True})


def make_session_pages_private(event):
    """A response built from the session depends on the cookie: never shared.

    (``web/security.py`` does the same for responses that set a cookie.)
    """
    if "session" not in event.request.__dict__:  # the reified property never ran
        return
    response = event.response
    cache_control = response.cache_control
    if cache_control.no_store:
        return
    cache_control.public = False
    cache_control.s_maxage = None
    cache_control.private = True
    response.vary = tuple(dict.fromkeys([*(response.vary or ()), "Cookie"]))


def includeme(config):
    config.add_subscriber(make_session_pages_private, NewResponse)
