"""web/proxy.py: the client's address and scheme, believed only from trusted proxies."""

import pytest
import webtest
from pyramid.request import Request

from {{ cookiecutter.repo_name }}.settings import SettingsError
from {{ cookiecutter.repo_name }}.web import proxy


def seen_through(trusted, remote_addr, forwarded_for=None, forwarded_proto=None):
    """(REMOTE_ADDR, scheme, request.client_addr) the app sees."""
    seen = {}

    def app(environ, start_response):
        request = Request(environ)
        seen.update(
            peer=environ["REMOTE_ADDR"],
            scheme=environ["wsgi.url_scheme"],
            client_addr=request.client_addr,
        )

    app.registry = None
    environ = {"wsgi.url_scheme": "http", "REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded_for
    if forwarded_proto is not None:
        environ["HTTP_X_FORWARDED_PROTO"] = forwarded_proto
    proxy.TrustedProxy(app, proxy.trusted_addresses(trusted))(environ, None)
    assert seen["client_addr"] == seen["peer"]  # WebOb's no longer reads the header
    return seen["peer"], seen["scheme"]


def setting(value):
    return {"proxy.trusted_addresses": value}


@pytest.mark.parametrize(
    ("trusted", "remote_addr", "forwarded_for", "forwarded_proto", "expected"),
    [
        pytest.param(
            "127.0.0.1 ::1",
            "127.0.0.1",
            "198.51.100.7",
            "https",
            ("198.51.100.7", "https"),
            id="default-localhost",
        ),
        pytest.param(
            "10.0.0.0/8",
            "10.1.2.3",
            "198.51.100.7",
            "https",
            ("198.51.100.7", "https"),
            id="cidr-range",
        ),
        pytest.param(
            "fd00::/8",
            "fd12::1",
            "2001:db8::7",
            "https",
            ("2001:db8::7", "https"),
            id="ipv6-range",
        ),
        pytest.param(
            "10.0.0.0/8",
            "::ffff:10.1.2.3",
            "198.51.100.7",
            "https",
            ("198.51.100.7", "https"),
            id="ipv4-mapped-peer",
        ),
        pytest.param(
            "10.0.0.0/8",
            "203.0.113.9",
            "198.51.100.7",
            "https",
            ("203.0.113.9", "http"),
            id="untrusted-peer-ignored",
        ),
        pytest.param(
            "10.0.0.0/8",
            "10.0.0.2",
            "6.6.6.6, 198.51.100.7, 10.0.0.1",
            "https",
            ("198.51.100.7", "https"),
            id="right-most-untrusted-hop",
        ),
        pytest.param(
            "10.0.0.0/8",
            "10.0.0.2",
            "10.0.0.4, 10.0.0.3",
            None,
            ("10.0.0.4", "http"),
            id="all-hops-trusted",
        ),
        pytest.param(
            "127.0.0.1",
            "127.0.0.1",
            "unknown",
            None,
            ("127.0.0.1", "http"),
            id="not-an-address",
        ),
        # the client's own X-Forwarded-Proto ahead of the proxy's value
        pytest.param(
            "127.0.0.1",
            "127.0.0.1",
            "198.51.100.7",
            "https, http",
            ("198.51.100.7", "http"),
            id="scheme-of-the-trusted-hop",
        ),
        # two proxies appending theirs: the one the client connected to counts
        pytest.param(
            "10.0.0.0/8",
            "10.0.0.2",
            "198.51.100.7, 10.0.0.1",
            "http, https, http",
            ("198.51.100.7", "https"),
            id="scheme-of-the-outer-proxy",
        ),
        # two proxies, the outer one setting it, the inner passing it on
        pytest.param(
            "10.0.0.0/8",
            "10.0.0.2",
            "198.51.100.7, 10.0.0.1",
            "HTTPS",
            ("198.51.100.7", "https"),
            id="one-value-for-the-chain",
        ),
        pytest.param(
            "127.0.0.1",
            "127.0.0.1",
            None,
            "https",
            ("127.0.0.1", "https"),
            id="scheme-without-forwarded-for",
        ),
        pytest.param(
            "127.0.0.1",
            "127.0.0.1",
            None,
            "gopher",
            ("127.0.0.1", "http"),
            id="unknown-scheme",
        ),
        # any peer, but hops inside the header only from listed ranges
        pytest.param(
            "*",
            "203.0.113.9",
            "6.6.6.6, 198.51.100.7",
            "https",
            ("198.51.100.7", "https"),
            id="any-peer",
        ),
        pytest.param(
            "",
            "127.0.0.1",
            "6.6.6.6",
            "https",
            ("127.0.0.1", "http"),
            id="nothing-trusted",
        ),
    ],
)
def test_client_address_and_scheme(
    trusted, remote_addr, forwarded_for, forwarded_proto, expected
):
    assert (
        seen_through(setting(trusted), remote_addr, forwarded_for, forwarded_proto)
        == expected
    )


@pytest.mark.parametrize(
    ("value", "trusted"),
    [
        ("127.0.0.1 ::1", ["127.0.0.1", "::1"]),
        ("10.0.0.0/8,192.168.1.1", ["10.0.0.0/8", "192.168.1.1"]),
        ("*", ["*"]),
        ("", []),
    ],
)
def test_trusted_addresses_setting(value, trusted):
    assert proxy.trusted_addresses(setting(value)) == trusted


@pytest.mark.parametrize("value", ["localhost", "10.0.0.0/33", "10.0.0.1/8x"])
def test_a_setting_that_is_no_address_stops_the_start(value):
    with pytest.raises(SettingsError, match=r"proxy\.trusted_addresses"):
        proxy.networks(proxy.trusted_addresses(setting(value)))


def test_the_app_is_wrapped_and_keeps_the_header_aside(app):
    assert isinstance(app, proxy.TrustedProxy)
    response = webtest.TestApp(app).get(
        "/healthz",
        headers={"X-Forwarded-For": "6.6.6.6"},
        extra_environ={"REMOTE_ADDR": "203.0.113.9"},
        status="*",
    )
    assert response.request.environ["proxy.forwarded_for"] == "6.6.6.6"
    assert response.request.client_addr == "203.0.113.9"


def test_what_trusted_proxies_forward_is_worked_out_once_per_value():
    seen = []

    def app(environ, start_response):
        seen.append((environ["REMOTE_ADDR"], environ["wsgi.url_scheme"]))

    app.registry = None
    wrapper = proxy.TrustedProxy(app, ["10.0.0.0/8"])
    chain = ", ".join(["10.0.0.9"] * 40)  # longer than what is remembered
    for peer in ["10.0.0.2", "203.0.113.9", "10.0.0.2"]:
        for forwarded_for in ["198.51.100.7", f"198.51.100.8, {chain}"]:
            environ = {
                "wsgi.url_scheme": "http",
                "REMOTE_ADDR": peer,
                "HTTP_X_FORWARDED_FOR": forwarded_for,
                "HTTP_X_FORWARDED_PROTO": "https",
            }
            wrapper(environ, None)

    from_proxy = [("198.51.100.7", "https"), ("198.51.100.8", "https")]
    untrusted = [("203.0.113.9", "http")] * 2  # the same headers, never believed
    assert seen == from_proxy + untrusted + from_proxy
    remembered = wrapper.remembered.cache_info()
    assert (remembered.hits, remembered.currsize) == (1, 1)
