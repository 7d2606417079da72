"""Database performance, proven: plans, constant queries, keyset pages, read path."""

import logging
import re
import uuid

import pytest
import webtest
from pyramid.testing import DummyRequest
from sqlalchemy import event, select

from {{ cookiecutter.repo_name }} import main
from {{ cookiecutter.repo_name }}.catalog.models import Category, Item
from {{ cookiecutter.repo_name }}.catalog.seed import seed
from {{ cookiecutter.repo_name }}.db import ReadOnlyRequest, writes_only
from {{ cookiecutter.repo_name }}.db.engine import (
    DatabaseSettings,
    make_engine,
    postgresql_connect_args,
)
from {{ cookiecutter.repo_name }}.db.explain import (
    full_scans,
    prefer_indexes,
    query_plan,
    query_plan_sql,
    scanned_tables,
)
from {{ cookiecutter.repo_name }}.db.querystats import assert_max_queries, collect

LARGE_TABLES = {"items", "item_tags"}
EXAMPLE_REQUESTS = (
    "/",
    "/items",
    "/items?page=2",
    "/items?page=2&after=50",
    "/items/7",
    "/api/items",
    "/api/items?page=3",
    "/api/items/7",
)
SERVER_TIMING_DB = re.compile(r'db;dur=[\d.]+;desc="(\d+) queries"')


def queries_of(response):
    return int(SERVER_TIMING_DB.search(response.headers["Server-Timing"]).group(1))


@pytest.fixture
def captured_selects(dbengine):
    """Every SELECT the app runs meanwhile, with its parameters."""
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    event.listen(dbengine, "before_cursor_execute", capture)
    yield captured
    event.remove(dbengine, "before_cursor_execute", capture)


def sqlite_ordered_walk(sql):
    # SQLite shows walking the rowid b-tree in id order as "SCAN items"; with no
    # filter and a LIMIT it stops after LIMIT (+ OFFSET) rows. PostgreSQL shows
    # the same walk as an index scan on pk_items and is checked strictly.
    return "WHERE" not in sql and "ORDER BY items.id" in sql and "LIMIT" in sql


def test_no_example_query_scans_a_large_table(testapp, dbsession, captured_selects):
    for path in EXAMPLE_REQUESTS:
        testapp.get(path, status=200)
    testapp.post_json(
        "/api/items",
        {"name": "Lamp", "price_cents": 1, "category_id": 1, "tags": ["new", "x"]},
        status=201,
    )
    assert len(captured_selects) >= 10
    connection = dbsession.connection()
    dialect = connection.dialect.name
    with prefer_indexes(connection):
        for sql, parameters in captured_selects:
            plan = query_plan_sql(connection, sql, parameters)
            scanned = scanned_tables(dialect, plan) & LARGE_TABLES
            if dialect == "sqlite" and sqlite_ordered_walk(sql):
                scanned -= {"items"}
            assert not scanned, f"{sql}\nplan:\n" + "\n".join(plan)


def test_plan_helper_reports_a_scan_and_a_search(dbsession):
    connection = dbsession.connection()
    by_name = select(Item).where(Item.name == "Item 0007")  # name is not indexed
    by_category = select(Item.id).where(Item.category_id == 2)
    with prefer_indexes(connection):
        assert full_scans(connection, by_name, {"items"}) == ["items"]
        assert full_scans(connection, by_category, {"items"}) == []
        assert "ix_items_category_id" in "\n".join(query_plan(connection, by_category))


def test_keyset_page_is_an_index_search_at_any_depth(dbsession):
    connection = dbsession.connection()
    deep = select(Item.id).where(Item.id > 100_000).order_by(Item.id).limit(50)
    with prefer_indexes(connection):
        plan = "\n".join(query_plan(connection, deep))
    assert re.search(r"SEARCH items USING INTEGER PRIMARY KEY|Index .*pk_items", plan)


@pytest.fixture
def app_with_per_page(app_settings, dbengine):
    apps = []

    def build(per_page):
        app = main({}, **{**app_settings, "catalog.per_page": str(per_page)})
        app.registry.cache.namespace = f"per-page-{uuid.uuid4().hex[:8]}"
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.registry["dbengine"].dispose()


@pytest.fixture
def statements(dbengine):
    """``watch(engine)``; ``len(statements)``: every statement sent through them.

    An engine event listener of the test's own, independent of the app's
    counter (``Server-Timing``), which it checks.
    """
    sent, watched = [], []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    def watch(engine):
        event.listen(engine, "before_cursor_execute", count)
        watched.append(engine)

    watch(dbengine)
    yield sent, watch
    for engine in watched:
        event.remove(engine, "before_cursor_execute", count)


def test_queries_per_request_do_not_grow_with_page_size(
    app_with_per_page, tm, dbsession, statements
):
    seed(dbsession, 450)  # rolled back with the test
    sent, watch = statements
    environ = {"tm.active": True, "tm.manager": tm, "app.dbsession": dbsession}
    counts = {}
    for per_page in (5, 200):
        app = app_with_per_page(per_page)
        watch(app.registry["dbengine"])
        testapp = webtest.TestApp(app, extra_environ=environ)
        for path in ("/items", "/items?page=2", "/api/items", "/api/items?page=2"):
            before = len(sent)
            response = testapp.get(path, status=200)
            rows = response.json["items"] if "/api/" in path else None
            assert rows is None or len(rows) == per_page
            counts.setdefault(path, set()).add(len(sent) - before)
            assert queries_of(response) == len(sent) - before  # the app's own count
    assert all(len(found) == 1 for found in counts.values()), counts
    # A bare ?page=N costs exactly one query more than page 1: the lookup of
    # its first id. (Page 1: the keyset query, the tags; other concerns, such
    # as the ETag's version check, may add a constant number.)
    (page_one,), (page_two,) = counts["/items"], counts["/items?page=2"]
    assert page_one >= 2  # the page and its tags: measured, not zero
    assert page_two == page_one + 1


def test_next_link_is_a_keyset_cursor(testapp):
    first = testapp.get("/api/items").json
    assert first["next_after"] == 50
    html = testapp.get("/items").text
    assert 'href="http://example.com/items?page=2&amp;after=50"' in html
    by_cursor = testapp.get("/api/items?page=2&after=50").json
    by_number = testapp.get("/api/items?page=2").json
    assert by_cursor["items"] == by_number["items"]
    assert [item["id"] for item in by_cursor["items"]] == list(range(51, 101))
    testapp.get("/items?page=9&after=100000", status=404)
    assert testapp.get("/api/items?after=x", status=400).json["errors"]["after"]


def test_server_timing_reports_db_and_app(testapp):
    header = testapp.get("/items/3").headers["Server-Timing"]
    assert re.fullmatch(r'db;dur=[\d.]+;desc="\d+ queries", app;dur=[\d.]+', header)


def test_max_queries_fixture(dbsession, max_queries):
    with max_queries(1) as stats:
        dbsession.execute(select(1))
    assert stats.count == 1
    too_many = pytest.raises(AssertionError, match="2 queries, at most 1")
    with too_many, assert_max_queries(1):
        dbsession.execute(select(1))
        dbsession.execute(select(2))


def test_nested_counts_see_inner_queries(dbsession):
    with collect() as outer:
        with collect() as inner:
            dbsession.execute(select(1))
        dbsession.execute(select(1))
    assert (outer.count, inner.count) == (2, 1)


def test_list_query_leaves_the_description_out(testapp, captured_selects):
    testapp.get("/api/items", status=200)
    listing = [sql for sql, _ in captured_selects if "FROM items" in sql]
    assert listing and all("description" not in sql for sql in listing)


def test_slow_queries_are_logged_with_their_plan(app_settings, caplog):
    settings = {
        **app_settings,
        "sqlalchemy.slow_query_ms": "0.000001",
        "sqlalchemy.slow_query_plan": "true",
    }
    engine = make_engine(settings)
    with caplog.at_level(logging.WARNING), engine.connect() as connection:
        connection.execute(select(Item.id).where(Item.category_id == 1)).all()
        connection.execute(Item.__table__.update().where(Item.id == -1))
    engine.dispose()
    slow = [r.getMessage() for r in caplog.records if "slow query" in r.getMessage()]
    assert any("ix_items_category_id" in message for message in slow), slow


def test_reads_skip_the_transaction_and_return_their_connection(app, dbengine):
    assert [writes_only(DummyRequest(method=m)) for m in ("GET", "HEAD", "POST")] == [
        False,
        False,
        True,
    ]
    testapp = webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
    assert testapp.get("/api/items/3", status=200).json["id"] == 3
    assert app.registry["dbengine_read"].pool.checkedout() == 0


def test_a_read_session_refuses_writes(app, dbengine):
    session = app.registry["dbsession_read_factory"]()
    session.add(Category(name="never"))
    with pytest.raises(ReadOnlyRequest):
        session.flush()
    session.close()


def test_settings_are_typed_and_pgbouncer_turns_off_prepared_statements():
    settings = DatabaseSettings.from_settings(
        {"sqlalchemy.url": "sqlite://", "sqlalchemy.pool_pre_ping": "false"}
    )
    assert settings.pool["pool_pre_ping"] is False
    assert settings.replica_url is None
    assert postgresql_connect_args(settings) == {
        "connect_timeout": 5,
        "options": "-c statement_timeout=5000 -c lock_timeout=2000",
    }
    behind_pgbouncer = DatabaseSettings.from_settings(
        {"sqlalchemy.url": "sqlite://", "sqlalchemy.pgbouncer": "true"}
    )
    assert postgresql_connect_args(behind_pgbouncer) == {
        "connect_timeout": 5,
        "prepare_threshold": None,
    }


def test_cold_items_with_no_cache_query_the_version_once_per_ttl(
    app_settings, tm, dbsession
):
    """``cache.url = none://`` renders every page, but reuses the version.

    The ETag's version query runs on the first request, then not again within
    ``httpcache.version_ttl``: the page and its tags are all a page costs.
    """
    seed(dbsession, 120)  # rolled back with the test
    settings = {"cache.url": "none://", "pagecache.enabled": "false"}
    app = main({}, **{**app_settings, **settings, "httpcache.version_ttl": "60"})
    environ = {
        "HTTP_HOST": "example.com",
        "tm.active": True,
        "tm.manager": tm,
        "app.dbsession": dbsession,
    }
    testapp = webtest.TestApp(app, extra_environ=environ)
    paths = ("/items", "/items", "/items?page=2", "/items?page=2")
    counts = [queries_of(testapp.get(path, status=200)) for path in paths]
    assert counts == [3, 2, 3, 3]
    app.registry["dbengine"].dispose()
