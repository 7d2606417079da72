"""The SQLAlchemy engine, built from typed ``sqlalchemy.*`` settings.

``engine_from_config`` passes some values through as strings: ``pool_pre_ping =
false`` would arrive as the truthy string "false". Every pool setting is
converted here instead.
"""

import os

from pyramid.settings import asbool
from sqlalchemy import create_engine, event, make_url

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


def make_engine(settings):
    url = make_url(settings["sqlalchemy.url"])
    options = engine_options(settings)
    if url.get_backend_name() == "postgresql":
        # A runaway query is cancelled by the server instead of holding a worker.
        timeout_ms = int(settings.get("sqlalchemy.statement_timeout_ms", 5000))
        options["connect_args"] = {"options": f"-c statement_timeout={timeout_ms}"}
    engine = create_engine(url, **options)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    # A forked worker must not reuse the parent's connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


def _sqlite_pragmas(dbapi_connection, connection_record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
