"""The SQLAlchemy engines, built from typed ``sqlalchemy.*`` settings.

``engine_from_config`` passes some values through as strings: ``pool_pre_ping =
false`` would arrive as the truthy string "false". Every setting is converted
once here (``DatabaseSettings``) instead.
"""

import logging
import os
from dataclasses import dataclass

from pyramid.settings import asbool
from sqlalchemy import create_engine, event, make_url

from . import querystats

log = logging.getLogger(__name__)

POOL_SETTINGS = {
    # setting: (converter, default)
    "pool_size": (int, 5),
    "max_overflow": (int, 10),
    "pool_timeout": (float, 10.0),
    "pool_recycle": (int, 1800),
    "pool_pre_ping": (asbool, True),
}


def engine_options(settings):
    options = {}
    for name, (convert, default) in POOL_SETTINGS.items():
        options[name] = convert(settings.get(f"sqlalchemy.{name}", default))
    return options


@dataclass(frozen=True)
class DatabaseSettings:
    url: str
    replica_url: str | None
    pool: dict
    statement_timeout_ms: int
    lock_timeout_ms: int
    connect_timeout_seconds: int
    pgbouncer: bool
    slow_query_ms: float
    slow_query_plan: bool

    @classmethod
    def from_settings(cls, settings):
        return cls(
            url=settings["sqlalchemy.url"],
            replica_url=settings.get("sqlalchemy.replica_url", "").strip() or None,
            pool=engine_options(settings),
            statement_timeout_ms=int(
                settings.get("sqlalchemy.statement_timeout_ms", 5000)
            ),
            lock_timeout_ms=int(settings.get("sqlalchemy.lock_timeout_ms", 2000)),
            connect_timeout_seconds=int(
                settings.get("sqlalchemy.connect_timeout_seconds", 5)
            ),
            pgbouncer=asbool(settings.get("sqlalchemy.pgbouncer", False)),
            slow_query_ms=float(settings.get("sqlalchemy.slow_query_ms", 250)),
            slow_query_plan=asbool(settings.get("sqlalchemy.slow_query_plan", False)),
        )


def postgresql_connect_args(db_settings):
    """psycopg 3 connection arguments: timeouts, and PgBouncer compatibility."""
    # A host that hangs (a dead replica behind a firewall, a full backlog)
    # fails after these seconds instead of holding the worker indefinitely.
    connect = {"connect_timeout": db_settings.connect_timeout_seconds}
    if db_settings.pgbouncer:
        # Transaction pooling hands each transaction to any server connection:
        # a prepared statement made on one is missing on the next, so psycopg
        # must never prepare. PgBouncer also rejects the "options" startup
        # parameter; set the timeouts on the role instead:
        #   ALTER ROLE app SET statement_timeout = '5s';
        #   ALTER ROLE app SET lock_timeout = '2s';
        return {**connect, "prepare_threshold": None}
    # A runaway query is cancelled by the server instead of holding a worker;
    # a write stuck behind a lock fails fast instead of piling up requests.
    return {
        **connect,
        "options": (
            f"-c statement_timeout={db_settings.statement_timeout_ms}"
            f" -c lock_timeout={db_settings.lock_timeout_ms}"
        ),
    }


def make_engine(settings, url=None):
    """The engine for ``sqlalchemy.url`` (or ``url``, e.g. the read replica)."""
    db_settings = DatabaseSettings.from_settings(settings)
    url = make_url(url or db_settings.url)
    options = dict(db_settings.pool)
    if url.get_backend_name() == "postgresql":
        options["connect_args"] = postgresql_connect_args(db_settings)
    engine = create_engine(url, **options)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    querystats.instrument(
        engine,
        slow_query_ms=db_settings.slow_query_ms,
        explain_slow_queries=db_settings.slow_query_plan,
    )
    # A forked worker must not reuse the parent's connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


def _sqlite_pragmas(dbapi_connection, connection_record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
