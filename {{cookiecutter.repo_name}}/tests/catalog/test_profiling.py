"""On-demand profiling: only with ?profile=1 and the right token."""

import pytest
from pyramid.request import Request

from {{ cookiecutter.repo_name }}.settings import SettingsError
from {{ cookiecutter.repo_name }}.web.profiling import (
    ProfilingSettings,
    profiling_tween_factory,
)


@pytest.fixture
def token(app):
    return app.registry.settings["profiling.token"]


def is_report(response):
    return "pyinstrument" in response.text


def test_the_token_in_a_header_returns_the_report(testapp, token):
    response = testapp.get(
        "/api/items?profile=1", headers={"X-Profile-Token": token}, status=200
    )
    assert response.content_type == "text/html"
    assert is_report(response)
    assert "no-store" in response.headers["Cache-Control"]


def test_the_token_in_the_query_returns_the_report(testapp, token):
    response = testapp.get(f"/?profile=1&profile_token={token}", status=200)
    assert is_report(response)


@pytest.mark.parametrize(
    "query, headers",
    [
        ("profile=1", {}),
        ("profile=1&profile_token=wrong", {}),
        ("profile=1", {"X-Profile-Token": "wrong"}),
        ("profile=1", {"X-Profile-Token": ""}),
        ("profile=yes", None),
    ],
)
def test_without_the_right_token_the_request_is_served_as_usual(
    testapp, token, query, headers
):
    if headers is None:
        headers = {"X-Profile-Token": token}
    response = testapp.get(f"/api/items?{query}", headers=headers, status=200)
    assert response.content_type == "application/json"
    assert not is_report(response)


def test_disabled_profiling_is_not_in_the_chain(app):
    registry = type(app.registry)()
    registry.settings = {"profiling.enabled": "false"}

    def handler(request):
        return None

    assert profiling_tween_factory(handler, registry) is handler


@pytest.mark.parametrize("token", ["", "short"])
def test_enabling_without_a_strong_token_is_refused(token):
    with pytest.raises(SettingsError, match=r"profiling\.token"):
        ProfilingSettings.from_settings(
            {"profiling.enabled": "true", "profiling.token": token}
        )


def test_only_profile_1_asks_for_a_profile():
    profiling = ProfilingSettings(enabled=True, token="t" * 16, interval=0.001)
    request = Request.blank("/?profile=0", headers={"X-Profile-Token": "t" * 16})
    assert not profiling.authorizes(request)


def test_a_malformed_query_string_is_not_a_profile_request():
    profiling = ProfilingSettings(enabled=True, token="t" * 16, interval=0.001)
    request = Request.blank("/", environ={"QUERY_STRING": "profile=%ff%fe"})
    assert not profiling.authorizes(request)
