"""HSTS only on responses to https requests (RFC 6797 section 7.2)."""

import pytest
import webtest

from .test_tweens import production_app

HSTS = "Strict-Transport-Security"


@pytest.fixture(scope="module")
def production(app_settings):
    return webtest.TestApp(production_app(app_settings))


@pytest.mark.parametrize("path", ["/", "/healthz"])
@pytest.mark.parametrize(
    ("environ", "sent"),
    [
        ({}, False),
        ({"wsgi.url_scheme": "https"}, True),
        # through the trusted proxy (127.0.0.1 by default) ...
        ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_PROTO": "https"}, True),
        ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_PROTO": "http"}, False),
        # ... but not from any other client
        ({"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_PROTO": "https"}, False),
    ],
)
def test_hsts_only_over_https(production, path, environ, sent):
    for _ in range(2):  # the second from the page cache, where there is one
        response = production.get(path, extra_environ=environ, status="*")
        assert (HSTS in response.headers) is sent


def test_no_hsts_outside_production(testapp):
    response = testapp.get("/healthz", extra_environ={"wsgi.url_scheme": "https"})
    assert HSTS not in response.headers
