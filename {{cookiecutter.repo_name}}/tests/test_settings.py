"""Typed settings, environment overrides and the production secret check."""

import secrets

import pytest

from {{ cookiecutter.repo_name }}.settings import (
    AppSettings,
    SettingsError,
    settings_from_environment,
)
from {{ cookiecutter.repo_name }}.web.security import check_secret


def test_environment_overrides_only_when_enabled():
    environ = {"CACHE_URL": "none://", "SERVER_TIMING": "1"}
    assert settings_from_environment({"cache.url": "memory://"}, environ) == {
        "cache.url": "memory://"
    }
    merged = settings_from_environment(
        {"settings.from_environment": "true", "cache.url": "memory://"}, environ
    )
    assert merged["cache.url"] == "none://"
    assert merged["server_timing"] == "1"


def test_settings_are_typed():
    app_settings = AppSettings.from_settings(
        {"app.environment": "testing", "server_timing": "false", "secret_key": " s "}
    )
    assert app_settings.server_timing is False
    assert app_settings.secret_key == "s"
    assert not app_settings.production


def test_unknown_environment_is_refused():
    with pytest.raises(SettingsError, match=r"app\.environment"):
        AppSettings.from_settings({"app.environment": "prod"})


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "changeme",
        "short",
        # long enough, too little variety
        "a" * 32,
        "changeme" * 4,
        "12345678" * 4,
    ],
)
def test_production_refuses_a_placeholder_or_weak_secret(secret):
    app_settings = AppSettings.from_settings(
        {"app.environment": "production", "secret_key": secret}
    )
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        check_secret(app_settings)


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param(secrets.token_urlsafe(32), id="token_urlsafe"),
        pytest.param(secrets.token_hex(32), id="token_hex"),
        pytest.param("0123456789" * 4, id="ten-different"),  # the bare minimum
    ],
)
def test_production_accepts_a_real_secret(secret):
    app_settings = AppSettings.from_settings(
        {"app.environment": "production", "secret_key": secret}
    )
    assert check_secret(app_settings) == secret
