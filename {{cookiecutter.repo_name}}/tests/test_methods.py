"""Methods: a 405 with ``Allow`` and no view names; TRACE refused everywhere."""

import pytest
import webtest
from pyramid.response import Response

from {{ cookiecutter.repo_name }} import make_app, make_config


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/session", "GET, HEAD, POST"),
        ("PUT", "/healthz", "GET, HEAD"),
        ("OPTIONS", "/", "GET, HEAD"),
        ("TRACE", "/", "GET, HEAD"),
        ("TRACE", "/session", "GET, HEAD, POST"),
        ("TRACE", "/healthz", "GET, HEAD"),
    ],
)
def test_a_method_the_url_does_not_take_is_a_405(testapp, method, path, allow):
    response = testapp.request(path, method=method, status=405)
    assert response.headers["Allow"] == allow
    for name in (b"show_session", b"healthz", b"predicate"):
        assert name not in response.body


def test_trace_is_refused_where_a_view_takes_any_method(testapp):
    response = testapp.request("/anything", method="TRACE", status=405)
    assert response.headers["Allow"] == ""


def test_head_is_answered_like_get(testapp):
    assert testapp.head("/", status=200).body == b""


@pytest.fixture(scope="module")
def probe_app(app_settings):
    """The app plus a route whose only view also needs ``?x``."""
    config = make_config(app_settings)
    config.add_route("probe", "/probe")
    config.add_view(
        lambda request: Response("probe"), route_name="probe", request_param="x"
    )
    return webtest.TestApp(make_app(config))


def test_another_predicate_that_does_not_match_is_a_plain_404(probe_app):
    assert probe_app.get("/probe?x=1").text == "probe"
    for method in ("GET", "POST"):
        response = probe_app.request("/probe", method=method, status=404)
        assert b"predicate" not in response.body and b"lambda" not in response.body
