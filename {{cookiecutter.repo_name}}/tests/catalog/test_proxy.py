"""proxy.py: the scheme from X-Forwarded-Proto, believed only from trusted proxies."""

import pytest

from {{ cookiecutter.repo_name }}.web import proxy

HTTPS_LINK = "https://example.com/"
HTTP_LINK = "http://example.com/"


def get_items(testapp, remote_addr, forwarded_proto):
    return testapp.get(
        "/items",
        headers={"X-Forwarded-Proto": forwarded_proto},
        extra_environ={"REMOTE_ADDR": remote_addr},
    ).text


def test_a_trusted_proxy_sets_the_scheme_of_links(testapp):
    page = get_items(testapp, "127.0.0.1", "https")

    assert HTTPS_LINK in page and HTTP_LINK not in page


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_proto"),
    [
        pytest.param("203.0.113.9", "https", id="untrusted-address"),
        pytest.param("127.0.0.1", "gopher", id="unknown-scheme"),
    ],
)
def test_the_header_is_ignored_otherwise(testapp, remote_addr, forwarded_proto):
    page = get_items(testapp, remote_addr, forwarded_proto)

    assert HTTP_LINK in page and HTTPS_LINK not in page


def test_pages_for_each_scheme_are_stored_apart(testapp):
    get_items(testapp, "127.0.0.1", "https")  # stored with https links

    assert HTTPS_LINK not in testapp.get("/items").text


def test_the_first_of_several_values_counts():
    seen = {}

    def app(environ, start_response):
        seen["scheme"] = environ["wsgi.url_scheme"]

    app.registry = None
    wrapped = proxy.TrustedProxy(app, ["*"])
    environ = {"wsgi.url_scheme": "http", "HTTP_X_FORWARDED_PROTO": "HTTPS, http"}
    wrapped(environ, None)

    assert seen["scheme"] == "https"


@pytest.mark.parametrize(
    ("value", "trusted"),
    [
        ("127.0.0.1 ::1", ["127.0.0.1", "::1"]),
        ("10.0.0.1,10.0.0.2", ["10.0.0.1", "10.0.0.2"]),
        ("*", ["*"]),
        ("", []),
    ],
)
def test_trusted_addresses_setting(value, trusted):
    assert proxy.trusted_addresses({"proxy.trusted_addresses": value}) == trusted


def test_nothing_trusted_means_no_wrapper(app):
    class App:
        registry = type("Registry", (), {"settings": {"proxy.trusted_addresses": ""}})

    bare = App()
    assert proxy.wrap(bare) is bare
    assert isinstance(app, proxy.TrustedProxy)  # the default trusts localhost
