"""Behind reverse proxies: the client's address and scheme, from proxies we trust.

A proxy that ends TLS (nginx, Caddy, a load balancer) talks plain HTTP to the
app from its own address. ``proxy.trusted_addresses`` (``FORWARDED_ALLOW_IPS``)
lists the proxies: addresses or CIDR ranges (``10.0.0.0/8 fd00::/8``), default
``127.0.0.1 ::1`` as gunicorn's. For a request from one of them:

* ``REMOTE_ADDR`` becomes the client's address: ``X-Forwarded-For`` read from
  the right, the first hop that is not a trusted proxy. Each proxy appends the
  address it was connected from; what stands left of that was sent by the
  client and may be forged. (If every hop is trusted, the left-most one.)
* ``wsgi.url_scheme`` comes from ``X-Forwarded-Proto``: the value the trusted
  proxy the client connected to set, counted from the right (one value per
  trusted proxy passed; a single value when the proxies overwrite it), never a
  value the client sent ahead of it. Anything but ``http``/``https`` is ignored.

From any other address both headers are ignored. ``X-Forwarded-For`` is always
taken out of the environ (kept as ``proxy.forwarded_for``): WebOb's
``request.client_addr`` would believe its first value, which any client can
send; it is ``REMOTE_ADDR`` now. ``*`` trusts every peer (an app that only the
proxy can reach); hops inside ``X-Forwarded-For`` are then trusted only when a
listed range holds them, so the client is the address the proxy saw. The proxy
must forward ``Host`` unchanged.

Why a WSGI wrapper of our own rather than the servers' handling: it must work
under both production servers and in the tests (WebTest, no server at all).
gunicorn's ``forwarded_allow_ips`` is applied by gunicorn's own HTTP parser,
which the ``gevent_pywsgi`` worker does not use (gevent's pywsgi parses the
request), so it does nothing here. granian's ``wrap_wsgi_with_proxy_headers``
(granian.utils.proxies) is installed only with the threads server, changes the
scheme only when ``X-Forwarded-For`` is present, accepts only a single
``X-Forwarded-Proto`` value, and with ``*`` takes the left-most (client-sent)
address. The parsing here is the standard library's ``ipaddress``.
"""

import ipaddress
from functools import lru_cache

from ..settings import SettingsError

SCHEMES = frozenset({"http", "https"})
DEFAULT_TRUSTED = "127.0.0.1 ::1"
ANY_PEER = "*"
MEMO_LENGTH = 256  # forwarded headers longer than this are not remembered


def ip_address(value):
    """``value`` as an IP address (IPv4-mapped IPv6 as IPv4), or None."""
    try:
        ip = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    return getattr(ip, "ipv4_mapped", None) or ip


def networks(trusted):
    """The CIDR ranges of ``trusted`` (a single address is a /32 or /128)."""
    result = []
    for value in trusted:
        if value == ANY_PEER:
            continue
        try:
            result.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise SettingsError(
                f"proxy.trusted_addresses: {value!r} is not an IP address or "
                "CIDR range (10.0.0.0/8)"
            ) from None
    return tuple(result)


class TrustedProxy:
    """WSGI wrapper: ``REMOTE_ADDR`` and ``wsgi.url_scheme`` from trusted proxies."""

    def __init__(self, app, trusted):
        self.app = app
        self.registry = app.registry
        self.any_peer = ANY_PEER in trusted
        self.networks = networks(trusted)
        # Per address string: the peers are few; X-Forwarded-For values are
        # anything a client sends, hence the bound.
        self.trusts = lru_cache(maxsize=4096)(self._trusts)
        self.remembered = lru_cache(maxsize=4096)(self.forwarded)

    def _trusts(self, value):
        ip = ip_address(value)
        return ip is not None and any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        if "HTTP_X_FORWARDED_FOR" in environ:
            forwarded_for = environ["proxy.forwarded_for"] = environ.pop(
                "HTTP_X_FORWARDED_FOR"
            )
        elif "HTTP_X_FORWARDED_PROTO" in environ:
            forwarded_for = None
        else:  # nothing forwarded (a direct client): nothing to check
            return self.app(environ, start_response)
        if self.any_peer or self.trusts(environ.get("REMOTE_ADDR", "")):
            self.resolve(environ, forwarded_for)
        return self.app(environ, start_response)

    def resolve(self, environ, forwarded_for):
        """The request came from a trusted proxy: take the client's address and
        the scheme it used from the headers the proxies set."""
        forwarded_proto = environ.get("HTTP_X_FORWARDED_PROTO")
        # The same few proxies send the same values again and again: worked
        # out once (parsing addresses costs more than the rest of a cached page).
        short = len(forwarded_for or "") + len(forwarded_proto or "") <= MEMO_LENGTH
        forwarded = self.remembered if short else self.forwarded
        client, scheme = forwarded(forwarded_for, forwarded_proto)
        if client is not None:
            environ["REMOTE_ADDR"] = client
        if scheme is not None:
            environ["wsgi.url_scheme"] = scheme

    def forwarded(self, forwarded_for, forwarded_proto):
        """``(client address, scheme)`` that a trusted peer's headers give,
        each None when they give none."""
        address = scheme = None
        proxies = 1  # trusted proxies passed: the peer, then hops from the right
        if forwarded_for:
            hops = [hop.strip() for hop in forwarded_for.split(",")]
            client = hops[0]  # when every hop is trusted
            for hop in reversed(hops):
                if not self.trusts(hop):
                    client = hop
                    break
                proxies += 1
            else:
                proxies -= 1  # the left-most hop counts as the client
            ip = ip_address(client)
            if ip is not None:  # else ("unknown"...) keep the nearest proxy's
                address = str(ip)
        if forwarded_proto:
            values = forwarded_proto.split(",")
            scheme = values[max(len(values) - proxies, 0)].strip().lower()
        return address, scheme if scheme in SCHEMES else None


def trusted_addresses(settings):
    value = settings.get("proxy.trusted_addresses", DEFAULT_TRUSTED)
    return value.replace(",", " ").split()


def wrap(app):
    """``app`` behind a ``TrustedProxy`` (also with nothing trusted: it still
    takes out the ``X-Forwarded-For`` a client sent)."""
    return TrustedProxy(app, trusted_addresses(app.registry.settings))
