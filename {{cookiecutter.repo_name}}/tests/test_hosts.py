"""Allowed hosts (web/hosts.py): 400 for others in production, canonical links."""

import secrets

import pytest
import webtest

from {{ cookiecutter.repo_name }} import make_app, make_config
from {{ cookiecutter.repo_name }}.settings import (
    AppSettings,
    SettingsError,
    parse_hosts,
    settings_from_environment,
)
from {{ cookiecutter.repo_name }}.web import hosts


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", ("example.com", None)),
        ("Example.COM.:8080", ("example.com", "8080")),
        ("[::1]:6543", ("::1", "6543")),
        ("[::1]", ("::1", None)),
        ("::1", ("::1", None)),
        ("[::1", (None, None)),
        ("[::1]x", (None, None)),
        ("example.com:http", (None, None)),
        ("a b", (None, None)),
        ("", ("internal", "80")),
    ],
)
def test_split_host(host, expected):
    environ = {"HTTP_HOST": host, "SERVER_NAME": "internal", "SERVER_PORT": "80"}
    assert hosts.split_host(environ) == expected


def test_allowed_hosts_setting():
    assert parse_hosts("Example.com, www.example.com. [::1]") == (
        "example.com",
        "www.example.com",
        "::1",
    )
    for bad in ("https://example.com", "example.com:443"):
        with pytest.raises(SettingsError, match="allowed_hosts"):
            parse_hosts(bad)
    local = ("localhost", "127.0.0.1", "::1")
    assert AppSettings.from_settings({}).allowed_hosts == local
    merged = settings_from_environment(
        {"settings.from_environment": "true"},
        {"ALLOWED_HOSTS": "example.com,www.example.com", "PAGE_CACHE": "0"},
    )
    assert merged["app.allowed_hosts"] == "example.com,www.example.com"
    assert merged["pagecache.enabled"] == "0"


@pytest.fixture
def production(app_settings):
    settings = {
        **app_settings,
        "app.environment": "production",
        # Production reads its secrets from the environment, not .local_secrets.json.
        "secret_key": secrets.token_urlsafe(32),
        "profiling.token": secrets.token_urlsafe(32),
        "app.allowed_hosts": "example.com, www.example.com",
    }
    config = make_config(settings)
    config.add_route("link", "/link")
    config.add_view(
        lambda request: {"url": request.route_url("link")},
        route_name="link",
        renderer="json",
    )
    app = make_app(config)
    yield app
    engine = app.registry.get("dbengine")
    if engine is not None:
        engine.dispose()


def test_production_refuses_an_unknown_host_before_anything_else(production):
    client = webtest.TestApp(production, extra_environ={"HTTP_HOST": "evil.example"})
    response = client.get("/link", status=400)

    assert b"ALLOWED_HOSTS" in response.body
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("host", "link"),
    [
        ("example.com", "http://example.com/link"),
        ("WWW.Example.com.", "http://www.example.com/link"),
        ("example.com:80", "http://example.com/link"),
        ("example.com:8080", "http://example.com:8080/link"),
    ],
)
def test_links_use_the_canonical_origin(production, host, link):
    client = webtest.TestApp(production, extra_environ={"HTTP_HOST": host})

    assert client.get("/link").json == {"url": link}


def test_only_the_default_or_the_servers_port_makes_an_origin():
    seen = []

    def app(environ, start_response):
        seen.append(environ.get(hosts.ORIGIN))
        start_response("200 OK", [])
        return []

    app.registry = None
    wrapper = hosts.AllowedHosts(app, ("example.com",), production=False)
    base = {"wsgi.url_scheme": "https", "SERVER_PORT": "8443", "SCRIPT_NAME": "/s"}
    for host in ("example.com:443", "example.com:8443", "example.com:1", "other"):
        wrapper({**base, "HTTP_HOST": host}, lambda *args: None)

    assert seen == ["https://example.com/s", "https://example.com:8443/s", None, None]
