"""Typed settings, parsed once at start-up.

PasteDeploy hands Pyramid a dict of strings. The values every request needs are
converted here once (``AppSettings``), so no view calls ``asbool()`` per request.
Each concern module parses its own section (``cache.*``, ``sqlalchemy.*``) the
same way in its ``includeme``.
"""

import os
from dataclasses import dataclass

from pyramid.settings import asbool

# 12-factor overrides, applied when ``settings.from_environment = true``
# (production.ini). Development and tests use their .ini files only, so a stray
# DATABASE_URL in a developer's shell never points the tests at a real database.
ENVIRONMENT_OVERRIDES = {
    "DATABASE_URL": "sqlalchemy.url",
    "DATABASE_REPLICA_URL": "sqlalchemy.replica_url",
    "DATABASE_PGBOUNCER": "sqlalchemy.pgbouncer",
    "CACHE_URL": "cache.url",
    "SECRET_KEY": "secret_key",
    "ALLOWED_HOSTS": "app.allowed_hosts",
    "PAGE_CACHE": "pagecache.enabled",
    "DEMO_PASSWORD": "accounts.demo_password",
    "SERVER_TIMING": "server_timing",
    "PROFILING_TOKEN": "profiling.token",
    "FORWARDED_ALLOW_IPS": "proxy.trusted_addresses",
    "MAX_BODY_BYTES": "app.max_body_bytes",
    "BODY_TIMEOUT": "app.body_timeout",
    "MAX_BODY_READERS": "app.max_body_readers",
}

ENVIRONMENTS = ("development", "testing", "production")
# Host names a request may name when app.allowed_hosts is not set.
LOCAL_HOSTS = "localhost 127.0.0.1 ::1"


class SettingsError(ValueError):
    """A setting is missing or invalid: the app refuses to start."""


def positive(settings, key, default, kind=int):
    """``settings[key]`` as a positive ``kind``, or a ``SettingsError``."""
    value = settings.get(key, default)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = 0
    if not number > 0:
        raise SettingsError(f"{key} = {value!r}: must be a positive number")
    return number


def settings_from_environment(settings, environ=os.environ):
    """Return ``settings`` with the environment overrides applied (if enabled)."""
    if not asbool(settings.get("settings.from_environment", False)):
        return dict(settings)
    merged = dict(settings)
    for variable, key in ENVIRONMENT_OVERRIDES.items():
        if environ.get(variable):
            merged[key] = environ[variable]
    return merged


@dataclass(frozen=True)
class AppSettings:
    environment: str
    secret_key: str
    server_timing: bool
    max_body_bytes: int  # web/bodies.py
    body_timeout: float
    max_body_readers: int
    # Host names (lowercase, no port) this site answers to; the first one is
    # where absolute links point when a request names none of them.
    allowed_hosts: tuple = tuple(LOCAL_HOSTS.split())

    @property
    def production(self):
        return self.environment == "production"

    @classmethod
    def from_settings(cls, settings):
        environment = settings.get("app.environment", "production")
        if environment not in ENVIRONMENTS:
            raise SettingsError(
                f"app.environment = {environment!r}: must be one of "
                + ", ".join(ENVIRONMENTS)
            )
        return cls(
            environment=environment,
            secret_key=settings.get("secret_key", "").strip(),
            server_timing=asbool(settings.get("server_timing", False)),
            max_body_bytes=positive(settings, "app.max_body_bytes", 1024 * 1024),
            body_timeout=positive(settings, "app.body_timeout", 20.0, float),
            max_body_readers=positive(settings, "app.max_body_readers", 32),
            allowed_hosts=parse_hosts(settings.get("app.allowed_hosts") or LOCAL_HOSTS),
        )


def parse_hosts(value):
    """``"Example.com, www.example.com"`` -> ``("example.com", "www.example.com")``.

    Comma- or space-separated host names, without scheme or port; IPv6
    addresses with or without brackets.
    """
    hosts = []
    for entry in value.replace(",", " ").split():
        host = entry.lower().rstrip(".")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        if "/" in host or (":" in host and host.count(":") < 2):
            raise SettingsError(
                f"app.allowed_hosts: {entry!r} must be a host name without "
                "scheme or port (ALLOWED_HOSTS=example.com,www.example.com)"
            )
        hosts.append(host)
    return tuple(dict.fromkeys(hosts))


def includeme(config):
    config.registry.app_settings = AppSettings.from_settings(config.get_settings())
    config.add_request_method(
        lambda request: request.registry.app_settings, "app_settings", reify=True
    )
