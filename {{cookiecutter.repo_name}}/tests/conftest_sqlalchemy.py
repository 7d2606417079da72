"""Test fixtures: a session-scoped app and database, a rolled-back transaction per test.

The database is built by the shipped Alembic migrations (the same path
production takes); the example's tests (``tests/catalog/``) seed it. Each test
runs inside a doomed transaction that WebTest shares through ``environ``, so
nothing a test writes survives it. Each test also gets a fresh cache
namespace, so no cached page leaks from one test to the next.
"""

import os
import uuid

import alembic.command
import alembic.config
import pytest
import transaction
import webtest
from pyramid.paster import get_appsettings
from sqlalchemy import make_url

from {{ cookiecutter.repo_name }} import main
from {{ cookiecutter.repo_name }}.db import get_tm_session
from {{ cookiecutter.repo_name }}.db.base import Base
from {{ cookiecutter.repo_name }}.db.querystats import assert_max_queries

from .services import require, url_reachable


def pytest_addoption(parser):
    parser.addoption(
        "--ini", action="store", default="testing.ini", help="settings file"
    )


@pytest.fixture(scope="session")
def ini_file(request):
    return os.path.abspath(request.config.option.ini)


@pytest.fixture(scope="session")
def app_settings(ini_file, tmp_path_factory):
    settings = dict(get_appsettings(ini_file))
    url = os.environ.get("TEST_DATABASE_URL") or settings["sqlalchemy.url"]
    if make_url(url).get_backend_name() == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    else:
        require(url_reachable(url, 5432), f"PostgreSQL not reachable at {url}")
    settings["sqlalchemy.url"] = url
    if os.environ.get("TEST_CACHE_URL"):
        settings["cache.url"] = os.environ["TEST_CACHE_URL"]
    return settings


def migrate(ini_file, settings, revision="head"):
    config = alembic.config.Config(ini_file)
    config.attributes["settings"] = settings
    alembic.command.upgrade(config, revision)
    return config


@pytest.fixture(scope="session")
def app(app_settings):
    return main({}, **app_settings)


@pytest.fixture(scope="session")
def dbengine(app, ini_file, app_settings):
    engine = app.registry["dbengine"]
    Base.metadata.drop_all(bind=engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    migrate(ini_file, app_settings)
    yield engine
    Base.metadata.drop_all(bind=engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


@pytest.fixture
def tm():
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    tm.doom()
    yield tm
    tm.abort()


@pytest.fixture
def dbsession(app, dbengine, tm):
    return get_tm_session(app.registry["dbsession_factory"], tm)


@pytest.fixture(autouse=True)
def fresh_cache_namespace(app):
    """A namespace per test: cached data never outlives the test that made it."""
    cache = app.registry.cache
    original = cache.namespace
    cache.namespace = f"{original}-test-{uuid.uuid4().hex[:8]}"
    yield cache
    cache.drop_generations()  # they never expire on Redis or Memcached
    cache.namespace = original


@pytest.fixture
def testapp(app, tm, dbsession):
    return webtest.TestApp(
        app,
        extra_environ={
            "HTTP_HOST": "example.com",
            "tm.active": True,
            "tm.manager": tm,
            "app.dbsession": dbsession,
        },
    )


@pytest.fixture
def max_queries():
    """``with max_queries(2): ...`` fails when the block runs more queries."""
    return assert_max_queries


@pytest.fixture
def committing_app(app, dbengine, app_settings):
    """``make(**settings)``: a TestApp whose requests really commit.

    For what happens after a commit (the cache generation is bumped by an
    after-commit hook, which the doomed per-test transaction never reaches).
    With settings it builds another app instance over the same database, like a
    second process. The test deletes what it wrote (``tests/catalog/`` does it
    for the example's rows).
    """
    extra_apps = []

    def make(**settings):
        instance = app
        if settings:
            instance = main({}, **{**app_settings, **settings})
            extra_apps.append(instance)
        return webtest.TestApp(instance, extra_environ={"HTTP_HOST": "example.com"})

    yield make
    for instance in extra_apps:
        instance.registry["dbengine"].dispose()
