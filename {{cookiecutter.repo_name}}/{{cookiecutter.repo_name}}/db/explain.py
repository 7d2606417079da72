"""Query plans: does a query search an index, or scan a whole table?

Call ``full_scans(connection, query, tables)`` on your own queries (in a test,
against enough rows) to catch a missing index before production does::

    with engine.connect() as connection:
        assert full_scans(connection, select(Item).where(...), {"items"}) == []

SQLite answers ``EXPLAIN QUERY PLAN`` (``SCAN items`` = every row read,
``SEARCH items USING INDEX ...`` = an index lookup); PostgreSQL answers
``EXPLAIN`` (``Seq Scan on items`` versus ``Index Scan``). PostgreSQL prefers a
sequential scan on a table of a few pages, so run plan checks with enough rows
or with ``SET enable_seqscan = off`` (``prefer_indexes``) as the tests do.
"""

import re
from contextlib import contextmanager

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

# "SCAN items" and "SCAN items AS i" read the table; "SCAN items USING
# [COVERING] INDEX ix" walks an index instead.
SQLITE_SCAN = re.compile(r"^SCAN (\w+)(?: AS \w+)?$")
POSTGRESQL_SCAN = re.compile(r"Seq Scan on (\w+)")


class Explain(Executable, ClauseElement):
    """``EXPLAIN`` of a statement, compiled with the statement's own parameters."""

    inherit_cache = False

    def __init__(self, statement):
        self.statement = statement


def explain_prefix(dialect_name):
    return "EXPLAIN QUERY PLAN " if dialect_name == "sqlite" else "EXPLAIN "


def plan_lines(dialect_name, rows):
    if dialect_name == "sqlite":
        return [row[-1] for row in rows]  # (id, parent, notused, detail)
    return [row[0] for row in rows]


@compiles(Explain)
def _compile_explain(element, compiler, **kw):
    statement = compiler.process(element.statement, **kw)
    return explain_prefix(compiler.dialect.name) + statement


def query_plan(connection, statement):
    """The plan of ``statement`` (a SQLAlchemy ``select``), one line per node."""
    rows = connection.execute(Explain(statement)).all()
    return plan_lines(connection.dialect.name, rows)


def query_plan_sql(connection, sql, parameters):
    """The plan of a SQL string with DBAPI parameters (as logged or captured)."""
    dialect_name = connection.dialect.name
    rows = connection.exec_driver_sql(explain_prefix(dialect_name) + sql, parameters)
    return plan_lines(dialect_name, rows.all())


def scanned_tables(dialect_name, plan):
    """The tables that ``plan`` (from ``query_plan``) reads in full."""
    if dialect_name == "sqlite":
        matches = (SQLITE_SCAN.match(line.strip()) for line in plan)
    else:
        matches = (POSTGRESQL_SCAN.search(line) for line in plan)
    return {match.group(1) for match in matches if match}


def full_scans(connection, statement, tables):
    """The tables among ``tables`` that ``statement`` scans instead of searching."""
    plan = query_plan(connection, statement)
    return sorted(scanned_tables(connection.dialect.name, plan) & set(tables))


@contextmanager
def prefer_indexes(connection):
    """On PostgreSQL, plan as if the tables were large (no-op on SQLite)."""
    if connection.dialect.name != "postgresql":
        yield connection
        return
    connection.exec_driver_sql("SET enable_seqscan = off")
    try:
        yield connection
    finally:
        connection.exec_driver_sql("RESET enable_seqscan")
