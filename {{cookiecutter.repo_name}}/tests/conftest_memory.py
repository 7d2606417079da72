"""Test fixtures: a session-scoped app (no database).

Each test gets a fresh cache namespace, so nothing a test caches survives it;
the example's tests (``tests/catalog/``) also get a fresh catalog.
"""

import os
import uuid

import pytest
import webtest
from pyramid.paster import get_appsettings

from {{ cookiecutter.repo_name }} import main


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
    if os.environ.get("TEST_CACHE_URL"):
        settings["cache.url"] = os.environ["TEST_CACHE_URL"]
    return settings


@pytest.fixture(scope="session")
def app(app_settings):
    return main({}, **app_settings)


@pytest.fixture(autouse=True)
def fresh_cache_namespace(app):
    """A namespace per test: cached data never outlives the test that made it."""
    cache = app.registry.cache
    original = cache.namespace
    cache.namespace = f"{original}-test-{uuid.uuid4().hex[:8]}"
    yield
    cache.drop_generations()  # they never expire on Redis or Memcached
    cache.namespace = original


@pytest.fixture
def testapp(app):
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})


@pytest.fixture
def committing_app(app, app_settings):
    """``make(**settings)``: a TestApp; with settings, another app instance,
    like a second process (same fixture as the SQLAlchemy one).
    """

    def make(**settings):
        instance = app
        if settings:
            instance = main({}, **{**app_settings, **settings})
        return webtest.TestApp(instance, extra_environ={"HTTP_HOST": "example.com"})

    return make
