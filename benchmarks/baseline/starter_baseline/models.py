"""Models over the generated project's tables, starter style (lazy loading)."""

import time
from contextvars import ContextVar

import zope.sqlalchemy
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    engine_from_config,
    event,
)
from sqlalchemy.orm import declarative_base, relationship, sessionmaker

Base = declarative_base()

item_tags = Table(
    "item_tags",
    Base.metadata,
    Column("item_id", ForeignKey("items.id"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id"), primary_key=True),
)


class Category(Base):
    __tablename__ = "categories"
    id = Column(Integer, primary_key=True)
    name = Column(String(100))


class Tag(Base):
    __tablename__ = "tags"
    id = Column(Integer, primary_key=True)
    name = Column(String(50))


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
    name = Column(String(200))
    price_cents = Column(Integer)
    description = Column(Text)
    category_id = Column(ForeignKey("categories.id"))
    category = relationship(Category)
    tags = relationship(Tag, secondary=item_tags)


# Measurement only (the benchmark reads it from Server-Timing, like the
# generated project's own header): statements executed by this request.
QUERIES = ContextVar("queries", default=None)


def _count(conn, cursor, statement, parameters, context, executemany):
    counter = QUERIES.get()
    if counter is not None:
        counter[0] += 1


def get_tm_session(session_factory, transaction_manager, request=None):
    dbsession = session_factory(info={"request": request})
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


def server_timing_tween_factory(handler, registry):
    def tween(request):
        counter = [0]
        token = QUERIES.set(counter)
        start = time.perf_counter()
        try:
            response = handler(request)
        finally:
            QUERIES.reset(token)
        elapsed = (time.perf_counter() - start) * 1000
        response.headers["Server-Timing"] = (
            f'db;desc="{counter[0]} queries", app;dur={elapsed:.1f}'
        )
        return response

    return tween


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    engine = engine_from_config(settings, "sqlalchemy.")
    event.listen(engine, "before_cursor_execute", _count)
    session_factory = sessionmaker(bind=engine)
    config.registry["dbsession_factory"] = session_factory
    config.add_tween("starter_baseline.models.server_timing_tween_factory")

    def dbsession(request):
        dbsession = request.environ.get("app.dbsession")
        if dbsession is None:
            dbsession = get_tm_session(session_factory, request.tm, request=request)
        return dbsession

    config.add_request_method(dbsession, reify=True)
