"""Queries per request: count, time, slow-query log, and a test assertion.

Two engine events (``before_cursor_execute`` / ``after_cursor_execute``) add
each statement to the ``QueryStats`` of the current context. The context is a
``ContextVar``: every thread and every greenlet (greenlet >= 1.0 gives each its
own context) counts only its own request's queries.

* ``collect()`` opens a count; the ``db`` tween wraps each request in one and
  reports it as ``Server-Timing: db;dur=12.3;desc="2 queries"``.
* ``assert_max_queries(n)`` fails a test that runs more than ``n`` queries.
* Statements slower than ``sqlalchemy.slow_query_ms`` are logged, with their
  plan when ``sqlalchemy.slow_query_plan`` is on (development).
"""

import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import event

from .explain import explain_prefix, plan_lines

log = logging.getLogger(__name__)


@dataclass
class QueryStats:
    count: int = 0
    seconds: float = 0.0
    statements: list = field(default_factory=list)
    parent: "QueryStats | None" = None

    @property
    def milliseconds(self):
        return self.seconds * 1000

    def add(self, statement, seconds):
        stats = self
        while stats is not None:  # nested counts see their inner queries too
            stats.count += 1
            stats.seconds += seconds
            stats.statements.append(statement)
            stats = stats.parent


_current: ContextVar[QueryStats | None] = ContextVar("query_stats", default=None)


@contextmanager
def collect():
    """Count the queries run in this context (thread or greenlet) meanwhile."""
    stats = QueryStats(parent=_current.get())
    token = _current.set(stats)
    try:
        yield stats
    finally:
        _current.reset(token)


@contextmanager
def assert_max_queries(limit):
    """Fail when the block runs more than ``limit`` queries (lists them)."""
    with collect() as stats:
        yield stats
    if stats.count > limit:
        listing = "\n".join(f"  {sql}" for sql in stats.statements)
        raise AssertionError(
            f"{stats.count} queries, at most {limit} expected:\n{listing}"
        )


def instrument(engine, *, slow_query_ms, explain_slow_queries):
    """Count and time every statement ``engine`` runs; log the slow ones."""
    slow_seconds = slow_query_ms / 1000 if slow_query_ms > 0 else None

    @event.listens_for(engine, "before_cursor_execute")
    def _started(conn, cursor, statement, parameters, context, executemany):
        conn.info["query_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _finished(conn, cursor, statement, parameters, context, executemany):
        seconds = time.perf_counter() - conn.info.pop("query_started")
        stats = _current.get()
        if stats is not None:
            stats.add(statement, seconds)
        if slow_seconds is not None and seconds >= slow_seconds:
            plan = ""
            if explain_slow_queries and not executemany:
                plan = _plan(conn, statement, parameters)
            shown = statement if len(statement) <= 500 else statement[:500] + " ..."
            log.warning("slow query (%.1f ms): %s%s", seconds * 1000, shown, plan)


def _plan(conn, statement, parameters):
    """The plan of a slow SELECT, for the development log (best effort)."""
    if not statement.lstrip().upper().startswith("SELECT"):
        return ""
    dialect_name = conn.dialect.name
    cursor = conn.connection.cursor()  # a second cursor: keep the results unread
    try:
        cursor.execute(explain_prefix(dialect_name) + statement, parameters)
        lines = plan_lines(dialect_name, cursor.fetchall())
    except Exception as error:  # a log line must never break the request
        return f"\n  (no plan: {error!r})"
    finally:
        cursor.close()
    return "".join(f"\n  {line}" for line in lines)


def db_timing_tween_factory(handler, registry):
    """Adds ``db;dur=<ms>;desc="<n> queries"`` to ``Server-Timing`` when enabled."""
    from ..web.tweens import add_server_timing

    if not registry.app_settings.server_timing:
        return handler  # disabled: not in the chain, zero cost per request

    def db_timing_tween(request):
        with collect() as stats:
            response = handler(request)
        add_server_timing(
            response, f'db;dur={stats.milliseconds:.1f};desc="{stats.count} queries"'
        )
        return response

    return db_timing_tween
