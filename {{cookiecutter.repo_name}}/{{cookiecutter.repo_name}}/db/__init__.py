"""Database wiring: engines, sessions, transactions.

``request.dbsession`` depends on the request method:

* Unsafe methods (POST, PUT, PATCH, DELETE) get a session joined to the
  request's transaction on the primary: pyramid_tm commits it when the view
  returns and aborts it on an exception; pyramid_retry replays requests that
  hit a transient error (serialization failure, deadlock). Every read in such a
  request goes to the primary too, so it sees its own writes.
* Safe methods (GET, HEAD, OPTIONS) skip pyramid_tm (``tm.activate_hook``): its
  bookkeeping costs more than a cached page. They get a plain read-only
  session on the replica (``sqlalchemy.replica_url``, ``DATABASE_REPLICA_URL``)
  or the primary, in autocommit (no BEGIN/ROLLBACK round trips), closed when
  the request ends. Flushing a write there raises
  ``ReadOnlyRequest``: a GET that writes is a bug (crawlers and prefetchers
  replay GETs).
{%- if cookiecutter.__database == "postgresql" %}
  With a replica, each read goes there only once it has replayed the writes
  the client made and the versions the request stands for (``replica.py``).
{%- endif %}
"""

import zope.sqlalchemy
from sqlalchemy import event, text
from sqlalchemy.orm import Session, sessionmaker

from .engine import DatabaseSettings, make_engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadOnlyRequest(RuntimeError):
    """A safe-method (GET/HEAD/OPTIONS) request tried to write."""


def get_tm_session(session_factory, transaction_manager, request=None):
    """A session bound to ``transaction_manager`` (shared by the app and tests)."""
    dbsession = session_factory(info={"request": request})
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


def writes_only(request):
    """``tm.activate_hook``: a transaction only for requests that may write."""
    return request.method not in SAFE_METHODS


def _refuse_writes(session, flush_context, instances):
    raise ReadOnlyRequest(
        "a GET/HEAD/OPTIONS request cannot write; use POST/PUT/PATCH/DELETE"
    )


def make_read_session_factory(engine, class_=Session):
    factory = sessionmaker(bind=engine, class_=class_, expire_on_commit=False)
    event.listen(factory, "before_flush", _refuse_writes)
    return factory


def ping(request):
    """Health check: one round trip to the database the reads go to."""
    request.dbsession.execute(text("SELECT 1"))


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    settings["tm.activate_hook"] = writes_only
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    engine = make_engine(settings)
    replica_url = DatabaseSettings.from_settings(settings).replica_url
    read_engine = make_engine(settings, url=replica_url) if replica_url else engine
    session_factory = sessionmaker(bind=engine, expire_on_commit=False)
    # Reads run in autocommit: no BEGIN and no ROLLBACK round trip per request
    # (with the default READ COMMITTED each statement has its own snapshot
    # inside a transaction too).
    read_session_factory = make_read_session_factory(
        read_engine.execution_options(isolation_level="AUTOCOMMIT")
    )
    config.registry["dbengine"] = engine
    config.registry["dbengine_read"] = read_engine
    config.registry["dbsession_factory"] = session_factory
    config.registry["dbsession_read_factory"] = read_session_factory

    def dbsession(request):
        # Tests hand in a session bound to a doomed transaction through environ.
        session = request.environ.get("app.dbsession")
        if session is not None:
            return session
        if request.method in SAFE_METHODS:
            factory = request.registry["dbsession_read_factory"]
            session = factory(info={"request": request})
            request.add_finished_callback(lambda request: session.close())
            return session
        return get_tm_session(session_factory, request.tm, request=request)

    config.add_request_method(dbsession, reify=True)
{%- if cookiecutter.__database == "postgresql" %}
    config.include(".replica")
{%- endif %}
    config.add_health_check("database", ping)
    config.add_tween(
        "{{ cookiecutter.repo_name }}.db.querystats.db_timing_tween_factory",
        under="{{ cookiecutter.repo_name }}.web.tweens.server_timing_tween_factory",
    )
