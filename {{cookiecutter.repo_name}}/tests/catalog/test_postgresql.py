"""PostgreSQL only: retries, the read replica, timeouts and PgBouncer settings.

These tests commit, so they use databases of their own (``<test db>_primary``
and ``<test db>_replica``), never the shared test database. The replica is
simulated by a second database reached through a read-only role: what a GET
shows comes from there, and nothing can be written there.
"""

import pytest
import webtest
from pyramid.config import Configurator
from sqlalchemy import create_engine, insert, make_url, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from {{ cookiecutter.repo_name }} import main
from {{ cookiecutter.repo_name }}.catalog.models import Category, Item
from {{ cookiecutter.repo_name }}.catalog.seed import seed
from {{ cookiecutter.repo_name }}.db.engine import make_engine

from ..conftest import migrate

PRIMARY_ITEMS = 12
REPLICA_ITEMS = 3


def as_string(url):
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def databases(app_settings, ini_file):
    """A primary and a "replica" (own data, read-only role); dropped afterwards."""
    url = make_url(app_settings["sqlalchemy.url"])
    names = {"primary": f"{url.database}_primary", "replica": f"{url.database}_replica"}
    reader = f"{url.database}_reader"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def drop_all(connection):
        for name in names.values():
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'DROP ROLE IF EXISTS "{reader}"'))

    with admin.connect() as connection:
        drop_all(connection)
        for name in names.values():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        connection.execute(text(f'CREATE ROLE "{reader}" LOGIN'))
        connection.execute(
            text(f'ALTER ROLE "{reader}" SET default_transaction_read_only = on')
        )
    urls = {role: as_string(url.set(database=name)) for role, name in names.items()}
    for role, items in (("primary", PRIMARY_ITEMS), ("replica", REPLICA_ITEMS)):
        settings = {**app_settings, "sqlalchemy.url": urls[role]}
        migrate(ini_file, settings)
        engine = make_engine(settings)
        with Session(engine) as session, session.begin():
            seed(session, items)
            session.execute(
                text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{reader}"')
            )
        engine.dispose()
    urls["replica_reader"] = as_string(make_url(urls["replica"]).set(username=reader))
    yield urls
    with admin.connect() as connection:
        drop_all(connection)
    admin.dispose()


@pytest.fixture
def replicated_app(app_settings, databases):
    app = main(
        {},
        **{
            **app_settings,
            "sqlalchemy.url": databases["primary"],
            "sqlalchemy.replica_url": databases["replica_reader"],
            "cache.url": "none://",
        },
    )
    yield webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
    app.registry["dbengine"].dispose()
    app.registry["dbengine_read"].dispose()


def test_gets_read_the_replica_and_writes_go_to_the_primary(replicated_app, databases):
    listing = replicated_app.get("/api/items", status=200).json
    assert len(listing["items"]) == REPLICA_ITEMS  # the replica's data
    created = replicated_app.post_json(
        "/api/items",
        {"name": "Kettle", "price_cents": 2500, "category_id": 2, "tags": ["new"]},
        status=201,
    ).json
    # Read after write in the same request: the primary's row, its tags, its id.
    assert created["id"] == PRIMARY_ITEMS + 1 and created["tags"] == ["new"]
    # Our "replica" never receives it (like lag, forever): GETs read there.
    replicated_app.get(f"/api/items/{created['id']}", status=404)
    primary = create_engine(databases["primary"])
    with primary.connect() as connection:
        name = connection.scalar(select(Item.name).where(Item.id == created["id"]))
    primary.dispose()
    assert name == "Kettle"


def test_the_replica_role_cannot_write(databases):
    engine = create_engine(databases["replica_reader"])
    refused = pytest.raises(DBAPIError, match="read-only transaction")
    with refused, engine.begin() as connection:
        connection.execute(insert(Category).values(name="nope"))
    engine.dispose()


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
