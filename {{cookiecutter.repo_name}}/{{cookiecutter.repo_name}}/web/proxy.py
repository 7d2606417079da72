"""Behind a reverse proxy: the scheme the client used, from proxies we trust.

A proxy that ends TLS (nginx, Caddy, a load balancer) talks plain HTTP to the
app. Without this, ``request.route_url`` builds ``http://`` links on an HTTPS
site, and the page cache would store them. Requests from
``proxy.trusted_addresses`` (``FORWARDED_ALLOW_IPS``; default ``127.0.0.1
::1``, as gunicorn's) take ``wsgi.url_scheme`` from the first value of
``X-Forwarded-Proto``. From any other address the header is ignored: every
client can send it. ``*`` trusts all addresses, for an app that only the proxy
can reach. The proxy must forward ``Host`` unchanged.
"""

SCHEMES = frozenset({"http", "https"})
DEFAULT_TRUSTED = "127.0.0.1 ::1"


class TrustedProxy:
    """WSGI wrapper: ``wsgi.url_scheme`` from a trusted ``X-Forwarded-Proto``."""

    def __init__(self, app, trusted):
        self.app = app
        self.registry = app.registry
        self.trust_all = "*" in trusted
        self.trusted = frozenset(trusted)

    def __call__(self, environ, start_response):
        forwarded = environ.get("HTTP_X_FORWARDED_PROTO")
        if forwarded and (self.trust_all or environ.get("REMOTE_ADDR") in self.trusted):
            scheme = forwarded.split(",")[0].strip().lower()
            if scheme in SCHEMES:
                environ["wsgi.url_scheme"] = scheme
        return self.app(environ, start_response)


def trusted_addresses(settings):
    value = settings.get("proxy.trusted_addresses", DEFAULT_TRUSTED)
    return value.replace(",", " ").split()


def wrap(app):
    """``app`` behind a ``TrustedProxy``, or unchanged when no address is trusted."""
    trusted = trusted_addresses(app.registry.settings)
    return TrustedProxy(app, trusted) if trusted else app
