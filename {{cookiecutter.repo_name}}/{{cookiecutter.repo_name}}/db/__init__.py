"""Database wiring: engine, session factory, transactions (pyramid_tm).

``request.dbsession`` is a session joined to the request's transaction:
pyramid_tm commits it when the view returns and aborts it on an exception;
pyramid_retry replays requests that hit a transient error (serialization
failure, deadlock).
"""

import zope.sqlalchemy
from sqlalchemy.orm import sessionmaker

from .engine import make_engine


def get_tm_session(session_factory, transaction_manager, request=None):
    """A session bound to ``transaction_manager`` (shared by the app and tests)."""
    dbsession = session_factory(info={"request": request})
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    config.include(".unavailable")

    engine = make_engine(settings)
    session_factory = sessionmaker(bind=engine, expire_on_commit=False)
    config.registry["dbengine"] = engine
    config.registry["dbsession_factory"] = session_factory

    def dbsession(request):
        # Tests hand in a session bound to a doomed transaction through environ.
        session = request.environ.get("app.dbsession")
        if session is None:
            session = get_tm_session(session_factory, request.tm, request=request)
        return session

    config.add_request_method(dbsession, reify=True)
