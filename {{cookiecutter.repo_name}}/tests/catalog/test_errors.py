"""Errors never leak details; cookies never go public; pages satisfy the CSP."""

import logging
import re

import pytest
import webtest
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPFound

from {{ cookiecutter.repo_name }} import main
from {{ cookiecutter.repo_name }}.caching import policies


def fail_on_purpose(request):
    raise RuntimeError("secret-detail: password=hunter2")


def redirect_on_purpose(request):
    raise HTTPFound(location="/items")


def remember_visit(request):
    request.session["visited"] = True
    return {"ok": True}


@pytest.fixture(scope="module")
def faulty_app(app_settings):
    """The real app plus a buggy view and a session view cached as PUBLIC."""
    app = main({}, **app_settings)
    config = Configurator(registry=app.registry)
    for name, path in (("boom", "/boom"), ("api_boom", "/api/boom")):
        config.add_route(name, path)
        config.add_view(fail_on_purpose, route_name=name)
    config.add_route("moved", "/moved")
    config.add_view(redirect_on_purpose, route_name="moved")
    config.add_route("visit", "/visit")
    config.add_view(
        remember_visit, route_name="visit", renderer="json", http_cache=policies.PUBLIC
    )
    config.commit()
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})


def test_a_bug_is_a_bare_500_page_and_logged(faulty_app, caplog):
    with caplog.at_level(logging.ERROR):
        response = faulty_app.get("/boom", status=500)
    assert response.content_type == "text/html"
    assert "Something went wrong" in response.text
    assert "secret-detail" not in response.text
    assert "Traceback" not in response.text
    assert "no-store" in response.headers["Cache-Control"]
    assert "secret-detail" in caplog.text  # the traceback is in the log


def test_a_bug_under_the_api_is_a_json_500(faulty_app):
    response = faulty_app.get("/api/boom", status=500)
    assert response.json == {
        "error": "server_error",
        "message": "The error has been logged. Please try again later.",
    }


def test_a_deliberate_http_exception_is_not_a_500(faulty_app):
    response = faulty_app.get("/moved", status=302)
    assert response.location.endswith("/items")


def test_a_form_post_without_csrf_token_is_a_400_page(faulty_app):
    response = faulty_app.post(
        "/visit", {"x": "1"}, headers={"Accept": "text/html"}, status=400
    )
    assert response.content_type == "text/html"
    assert "Traceback" not in response.text


def test_a_cookie_setting_response_is_never_public(faulty_app):
    response = faulty_app.get("/visit", status=200)
    assert "Set-Cookie" in response.headers
    cache_control = response.headers["Cache-Control"]
    assert "public" not in cache_control
    assert "private" in cache_control


def test_a_response_without_cookie_keeps_its_policy(testapp):
    response = testapp.get("/api/items", status=200)
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "max-age=60"


INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)", re.I),  # inline script
    re.compile(r"<style", re.I),  # inline stylesheet
    re.compile(r"\sstyle=", re.I),  # style attribute
    re.compile(r"\son[a-z]+=", re.I),  # event handler attribute
    re.compile(r"javascript:", re.I),
]
FOREIGN = re.compile(r'(?:src|href|action)="(?:https?:)?//(?!example\.com[/"])', re.I)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/items", 200),
        ("/items?page=2", 200),
        ("/items/3", 200),
        ("/items/999999", 404),
        ("/nowhere", 404),
    ],
)
def test_pages_satisfy_the_content_security_policy(testapp, path, status):
    response = testapp.get(path, status=status)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    for pattern in INLINE:
        assert not pattern.search(response.text), pattern.pattern
    assert not FOREIGN.search(response.text)


def test_error_page_satisfies_the_content_security_policy(faulty_app):
    response = faulty_app.get("/boom", status=500)
    for pattern in INLINE:
        assert not pattern.search(response.text), pattern.pattern
