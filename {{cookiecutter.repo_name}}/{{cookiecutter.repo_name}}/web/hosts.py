"""Allowed hosts: which ``Host`` values this site answers to, and its origin.

Links (``request.route_url``) and stored pages are built from the request's
``Host``, which every client chooses. ``app.allowed_hosts`` (``ALLOWED_HOSTS``
in production, comma-separated host names without port) lists the real ones.
``AllowedHosts`` wraps the app (outside the page cache) and, per request:

* **production**, a host not listed: ``400``, before any cache lookup;
  elsewhere it is answered, but nothing of it is stored;
* a listed host: ``Host`` is rewritten to its canonical form (lowercase, no
  trailing dot, no default port), so every absolute link uses the same
  origin, and ``environ[ORIGIN]`` (``scheme://host[:port]/script``) is set for
  the page cache's keys. A port other than the scheme's default or the
  server's own is answered without ``ORIGIN``: keys stay bounded by the
  listed hosts, whatever ports clients name.

The development and test defaults list the localhost forms (and the tests'
``example.com``).
"""

import logging

log = logging.getLogger(__name__)

ORIGIN = "app.origin"  # environ: the canonical origin, when pages may be stored
DEFAULT_PORTS = {"http": "80", "https": "443"}
KNOWN_HOSTS = 256  # forms of allowed hosts remembered (a dict lookup per request)
BAD_HOST = b"400 Bad Request: unknown Host (see app.allowed_hosts / ALLOWED_HOSTS)\n"


def split_host(environ):
    """``(host, port or None)``, lowercase; ``(None, None)`` when malformed."""
    value = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    )
    value = value.strip().lower()
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None, None
        port = rest[1:] or None
    elif value.count(":") == 1:
        host, port = value.split(":")
        port = port or None
    else:
        host, port = value, None
    host = host.rstrip(".")
    if not host or (port is not None and not port.isdecimal()) or " " in host:
        return None, None
    return host, port


class AllowedHosts:
    """WSGI wrapper: check ``Host``, make it canonical, set ``environ[ORIGIN]``."""

    def __init__(self, app, hosts, production):
        self.app = app
        self.registry = app.registry
        self.hosts = frozenset(hosts)
        self.production = production
        self._known = {}  # (Host, scheme, port, script) -> (canonical, origin)

    def __call__(self, environ, start_response):
        seen = (
            environ.get("HTTP_HOST"),
            environ["wsgi.url_scheme"],
            environ.get("SERVER_PORT"),
            environ.get("SCRIPT_NAME", ""),
        )
        known = self._known.get(seen)  # an allowed host seen before: no parsing
        if known is not None:
            environ["HTTP_HOST"], origin = known
            if origin is not None:
                environ[ORIGIN] = origin
            return self.app(environ, start_response)
        host, port = split_host(environ)
        if host not in self.hosts:
            if self.production:
                log.debug("refused Host %r", environ.get("HTTP_HOST"))
                start_response(
                    "400 Bad Request",
                    [
                        ("Content-Type", "text/plain; charset=utf-8"),
                        ("Content-Length", str(len(BAD_HOST))),
                        ("Cache-Control", "no-store"),
                        ("X-Content-Type-Options", "nosniff"),
                    ],
                )
                return [BAD_HOST]
            return self.app(environ, start_response)
        scheme = environ["wsgi.url_scheme"]
        name = f"[{host}]" if ":" in host else host
        default_port = port is None or port == DEFAULT_PORTS.get(scheme)
        canonical = name if default_port else f"{name}:{port}"
        environ["HTTP_HOST"] = canonical
        origin = None
        if default_port or port == environ.get("SERVER_PORT"):
            script = environ.get("SCRIPT_NAME", "")
            origin = environ[ORIGIN] = f"{scheme}://{canonical}{script}"
        if len(self._known) < KNOWN_HOSTS:  # allowed hosts only: a few forms
            self._known[seen] = (canonical, origin)
        return self.app(environ, start_response)


def wrap(app):
    app_settings = app.registry.app_settings
    return AllowedHosts(app, app_settings.allowed_hosts, app_settings.production)
