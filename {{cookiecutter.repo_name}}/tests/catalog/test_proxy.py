"""web/proxy.py on the example pages: links take the scheme a trusted proxy gave."""

import pytest

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
