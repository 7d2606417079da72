"""Test fixtures: a session-scoped app over the in-process catalog.

Each test gets a fresh cache namespace and a fresh catalog, so nothing a test
writes or caches survives it.
"""

import os
import uuid

import pytest
import webtest
from pyramid.paster import get_appsettings

from {{ cookiecutter.repo_name }} import main
from {{ cookiecutter.repo_name }}.catalog import MemoryCatalog

SEEDED_ITEMS = 120


def pytest_addoption(parser):
    parser.addoption(
        "--ini", action="store", default="testing.ini", help="settings file"
    )


@pytest.fixture(scope="session")
def ini_file(request):
    return os.path.abspath(request.config.option.ini)


@pytest.fixture(scope="session")
def app_settings(ini_file):
    settings = dict(get_appsettings(ini_file))
    settings["catalog.items"] = str(SEEDED_ITEMS)
    if os.environ.get("TEST_CACHE_URL"):
        settings["cache.url"] = os.environ["TEST_CACHE_URL"]
    return settings


@pytest.fixture(scope="session")
def app(app_settings):
    return main({}, **app_settings)


@pytest.fixture(autouse=True)
def fresh_state(app):
    """A fresh catalog and cache namespace per test."""
    app.registry.catalog = MemoryCatalog(SEEDED_ITEMS)
    cache = app.registry.cache
    original = cache.namespace
    cache.namespace = f"{original}-test-{uuid.uuid4().hex[:8]}"
    yield
    cache.namespace = original


@pytest.fixture
def testapp(app):
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})


@pytest.fixture
def committing_app(app, app_settings):
    """``make(**settings)``: a TestApp; with settings, another app instance over
    the same catalog, like a second process (same fixture as the SQLAlchemy one).
    """

    def make(**settings):
        instance = app
        if settings:
            instance = main({}, **{**app_settings, **settings})
            instance.registry.catalog = app.registry.catalog
        return webtest.TestApp(instance, extra_environ={"HTTP_HOST": "example.com"})

    return make
