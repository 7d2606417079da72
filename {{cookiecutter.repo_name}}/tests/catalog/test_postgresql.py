"""PostgreSQL only: retries, timeouts and PgBouncer settings.

These tests commit, so they use a database of their own (``<test db>_primary``),
never the shared test database. The read replica runs for real (streaming
replication) in ``test_replication.py``.
"""

import socket
import time

import pytest
import webtest
from pyramid.config import Configurator
from sqlalchemy import create_engine, make_url, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from {{ cookiecutter.repo_name }}.catalog.models import Item
from {{ cookiecutter.repo_name }}.catalog.seed import seed
from {{ cookiecutter.repo_name }}.db.engine import make_engine

from ..conftest import migrate

PRIMARY_ITEMS = 12


def as_string(url):
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def databases(app_settings, ini_file):
    """A database of its own, migrated and seeded; dropped afterwards."""
    url = make_url(app_settings["sqlalchemy.url"])
    name = f"{url.database}_primary"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    urls = {"primary": as_string(url.set(database=name))}
    settings = {**app_settings, "sqlalchemy.url": urls["primary"]}
    migrate(ini_file, settings)
    engine = make_engine(settings)
    with Session(engine) as session, session.begin():
        seed(session, PRIMARY_ITEMS)
    engine.dispose()
    yield urls
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def reprice_view(request):
    """Read a price, then write it back +100, under SERIALIZABLE isolation."""
    attempts = request.registry["attempts"]
    db = request.dbsession
    db.execute(text("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"))
    price = db.scalar(select(Item.price_cents).where(Item.id == 1))
    attempts.append(price)
    if len(attempts) == 1:
        # Another client commits a change to the same row meanwhile.
        with request.registry["dbengine"].begin() as other:
            other.execute(update(Item).where(Item.id == 1).values(price_cents=1))
    db.execute(update(Item).where(Item.id == 1).values(price_cents=price + 100))
    return {"attempts": len(attempts)}


def test_serialization_failure_is_retried(app_settings, databases):
    settings = {**app_settings, "sqlalchemy.url": databases["primary"]}
    with Configurator(settings=settings) as config:
        # the 503 page needs templating, routes and its stylesheet link
        concerns = (
            "settings",
            "web.health",
            "rendering",
            "web.staticfiles",
            "routes",
            "db",
            "web.tweens",
        )
        for concern in concerns:
            config.include(f"{{ cookiecutter.repo_name }}.{concern}")
        config.add_route("reprice", "/reprice")
        config.add_view(reprice_view, route_name="reprice", renderer="json")
        config.registry["attempts"] = []
    app = config.make_wsgi_app()
    response = webtest.TestApp(app).post("/reprice", status=200)
    # Attempt 1 hit "could not serialize access"; pyramid_retry ran it again
    # on a fresh transaction, which saw the other client's price (1).
    assert response.json == {"attempts": 2}
    assert config.registry["attempts"][1] == 1
    engine = app.registry["dbengine"]
    with engine.connect() as connection:
        assert connection.scalar(select(Item.price_cents).where(Item.id == 1)) == 101
    engine.dispose()


def test_timeouts_are_set_per_connection(app_settings):
    settings = {
        **app_settings,
        "sqlalchemy.statement_timeout_ms": "150",
        "sqlalchemy.lock_timeout_ms": "100",
    }
    engine = make_engine(settings)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "150ms"
        assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "100ms"
        with pytest.raises(DBAPIError, match="statement timeout"):
            connection.exec_driver_sql("SELECT pg_sleep(2)")
    engine.dispose()


def test_a_host_that_never_answers_fails_after_the_connect_timeout(app_settings):
    # A listening socket nobody accepts from: the TCP handshake completes (the
    # kernel's backlog) but the server's startup reply never comes, like a
    # hung host. Without connect_timeout libpq would wait for ever.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        url = make_url(app_settings["sqlalchemy.url"]).set(host="127.0.0.1", port=port)
        settings = {**app_settings, "sqlalchemy.connect_timeout_seconds": "1"}
        engine = make_engine(settings, url=as_string(url))
        started = time.monotonic()
        with pytest.raises(DBAPIError, match="timeout"):
            engine.connect()
        # Generous: the point is "fails", not "fails in exactly 1 s".
        assert time.monotonic() - started < 30
    engine.dispose()


def test_pgbouncer_mode_never_prepares_statements(app_settings, databases):
    settings = {**app_settings, "sqlalchemy.url": databases["primary"]}
    engine = make_engine({**settings, "sqlalchemy.pgbouncer": "true"})
    with engine.connect() as connection:
        for _ in range(6):  # psycopg would prepare from the 5th run by default
            connection.execute(select(Item.id).where(Item.id == 1))
        assert connection.connection.dbapi_connection.prepare_threshold is None
        # Neither do the timeouts travel in the startup packet PgBouncer rejects.
        assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "0"
        prepared = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_prepared_statements"
        )
        assert prepared.scalar() == 0
    engine.dispose()
