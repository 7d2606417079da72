"""The query tools on a table of the test's own: plans, counts, slow-query log.

``db/explain.py`` and ``db/querystats.py`` are for the project's own queries,
so they are tested here on a temporary table that no model declares (the
example's tests use them on its tables too; ``make remove-example`` keeps
these). Runs on the test database: SQLite, or PostgreSQL with
``TEST_DATABASE_URL``.
"""

import logging

import pytest
from sqlalchemy import Column, Index, Integer, MetaData, Table, insert, select

from {{ cookiecutter.repo_name }}.db.engine import make_engine
from {{ cookiecutter.repo_name }}.db.explain import (
    full_scans,
    prefer_indexes,
    query_plan_sql,
)
from {{ cookiecutter.repo_name }}.db.querystats import assert_max_queries, collect

metadata = MetaData()
notes = Table(
    "query_tool_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("author", Integer, nullable=False),
    Column("words", Integer, nullable=False),
    Index("ix_query_tool_notes_author", "author"),
    prefixes=["TEMPORARY"],  # dies with the connection: nothing to clean up
)


@pytest.fixture
def engine(app_settings):
    """An engine like the app's, logging every SELECT as slow, with its plan."""
    settings = {
        **app_settings,
        "sqlalchemy.slow_query_ms": "0.000001",
        "sqlalchemy.slow_query_plan": "true",
    }
    engine = make_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    with engine.connect() as connection:
        metadata.create_all(connection)
        rows = [{"author": n % 7, "words": n} for n in range(200)]
        connection.execute(insert(notes), rows)
        yield connection


def test_an_indexed_filter_searches_and_an_unindexed_one_scans(connection):
    by_author = select(notes.c.id).where(notes.c.author == 3)
    by_words = select(notes.c.id).where(notes.c.words == 3)
    with prefer_indexes(connection):
        assert full_scans(connection, by_author, {"query_tool_notes"}) == []
        assert full_scans(connection, by_words, {"query_tool_notes"}) == [
            "query_tool_notes"
        ]


def test_only_the_tables_asked_about_are_reported(connection):
    by_words = select(notes.c.id).where(notes.c.words == 3)
    assert full_scans(connection, by_words, {"some_other_table"}) == []


def test_a_captured_statement_gets_its_plan_too(connection):
    placeholder = "?" if connection.dialect.name == "sqlite" else "%(author)s"
    parameters = (3,) if placeholder == "?" else {"author": 3}
    sql = f"SELECT id FROM query_tool_notes WHERE author = {placeholder}"
    with prefer_indexes(connection):
        plan = query_plan_sql(connection, sql, parameters)
    assert any("ix_query_tool_notes_author" in line for line in plan), plan


def test_counts_nest_and_the_limit_lists_the_queries(connection):
    with collect() as outer:
        with collect() as inner:
            connection.execute(select(notes.c.id).limit(1)).all()
        connection.execute(select(notes.c.words).limit(1)).all()
    assert (outer.count, inner.count) == (2, 1)
    limit = assert_max_queries(1)
    with pytest.raises(AssertionError, match="2 queries, at most 1") as failure, limit:
        connection.execute(select(notes.c.id).limit(1)).all()
        connection.execute(select(notes.c.words).limit(1)).all()
    assert "query_tool_notes" in str(failure.value)


def test_slow_selects_are_logged_with_their_plan_and_writes_without(connection, caplog):
    with caplog.at_level(logging.WARNING):
        connection.execute(select(notes.c.id).where(notes.c.author == 3)).all()
        connection.execute(notes.update().where(notes.c.id == -1).values(words=0))
    slow = [r.getMessage() for r in caplog.records if "slow query" in r.getMessage()]
    select_log, update_log = slow[-2:]
    assert "ix_query_tool_notes_author" in select_log
    assert update_log.startswith("slow query") and "\n" not in update_log
