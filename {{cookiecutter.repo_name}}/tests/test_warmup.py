"""Warm-up requests at start: made once when enabled, never fatal."""

import logging

from pyramid.config import Configurator
from pyramid.response import Response


def make_app(enabled, paths):
    """A minimal app with the warm-up part, a page that counts its requests and
    one that fails."""
    seen = []

    def page(request):
        seen.append(request.path_qs)
        return Response("ok")

    def broken(request):
        seen.append(request.path_qs)
        raise RuntimeError("database down")

    settings = {"warm_up.enabled": str(enabled).lower()}
    with Configurator(settings=settings) as config:
        config.include("{{ cookiecutter.repo_name }}.web.warmup")
        config.add_route("page", "/page")
        config.add_view(page, route_name="page")
        config.add_route("broken", "/broken")
        config.add_view(broken, route_name="broken")
        for path in paths:
            config.add_warm_up_request(path)
    app = config.make_wsgi_app()
    return app, seen


def test_each_warm_up_page_is_requested_once_at_start():
    app, seen = make_app(True, ["/page", "/page?n=2"])
    assert seen == ["/page", "/page?n=2"]
    assert app.registry.warm_up_paths == ["/page", "/page?n=2"]


def test_disabled_warm_up_requests_nothing():
    _, seen = make_app(False, ["/page"])
    assert seen == []


def test_failing_warm_up_is_logged_and_the_start_goes_on(caplog):
    with caplog.at_level(logging.WARNING):
        _, seen = make_app(True, ["/broken", "/missing", "/page"])
    assert seen == ["/broken", "/page"]  # the failure did not stop the others
    messages = [record.getMessage() for record in caplog.records]
    assert "warm-up GET /broken failed" in messages
    assert "warm-up GET /missing answered 404 Not Found" in messages
