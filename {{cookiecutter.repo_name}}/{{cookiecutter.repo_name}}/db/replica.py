"""Reads on a streaming replica, with read-your-writes (PostgreSQL).

With ``sqlalchemy.replica_url`` set (``DATABASE_REPLICA_URL``), each statement
of a GET/HEAD/OPTIONS request goes to the hot-standby replica only when the
replica has replayed every write the request must show; else to the primary.
What a request must show is a WAL position:

* **The client's own writes.** A request that commits a write answers with
  the primary's WAL position after the commit (``pg_current_wal_lsn()``) in a
  signed cookie (``readyourwrites.py``), kept
  ``sqlalchemy.read_your_writes_seconds`` (5). Until the replica has replayed
  it, that client reads the primary; after those seconds it reads the replica
  anyway.
* **The versions its caches stand for.** The same position travels in the
  data set's new cache generation (``request.cache.changed``, bumped after
  the commit): a request that read that generation (for an ETag, a stored
  page, a cached value) reads the primary until the replica has replayed the
  commit. So nothing is stored under a version with data older than that
  version, whoever asked, and the page cache never hands the writer a page
  from before its write. (Known gap: two writes to one data set committing
  at the same instant may leave the newer generation naming the older
  position, until the next write.)

Where the replica has replayed to (``pg_last_wal_replay_lsn()``) is one query,
made at most every ``sqlalchemy.replica_check_ms`` (10) per process and only
when a request needs a newer position than the last answer. The replica is
skipped, with ONE warning, for ``sqlalchemy.replica_retry_seconds`` (5) at a
time when it is down (a connection error: the GET is retried on the primary
by pyramid_retry, so the client never sees it) or when a position it must
replay has waited longer than ``sqlalchemy.replica_max_lag_seconds`` (5).
Then one probe: it is used again once it answers and has caught up.
"""

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

from pyramid_retry import mark_error_retryable
from sqlalchemy import event, exc, text
from sqlalchemy.orm import Session

from ..caching.request import COMMIT_POSITION
from . import make_read_session_factory, readyourwrites

log = logging.getLogger(__name__)

# The oldest unreplayed positions a process remembers (for the lag).
WAITING_LIMIT = 64


@dataclass(frozen=True)
class ReplicaSettings:
    read_your_writes_seconds: float
    max_lag_seconds: float
    check_seconds: float
    retry_seconds: float

    @classmethod
    def from_settings(cls, settings):
        return cls(
            read_your_writes_seconds=float(
                settings.get("sqlalchemy.read_your_writes_seconds", 5)
            ),
            max_lag_seconds=float(
                settings.get("sqlalchemy.replica_max_lag_seconds", 5)
            ),
            check_seconds=float(settings.get("sqlalchemy.replica_check_ms", 10)) / 1000,
            retry_seconds=float(settings.get("sqlalchemy.replica_retry_seconds", 5)),
        )


def parse_lsn(text):
    """``'16/B374D848'`` -> an int that orders like the WAL."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


class Replica:
    """This process's view of the replica: how far it replayed, whether to use it."""

    def __init__(self, engine, settings, clock=time.monotonic):
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.replayed = -1  # WAL position of the last answer; -1: not asked yet
        self.asked_at = float("-inf")
        self.skipped_until = float("-inf")
        self.problem = None  # why it is skipped: warned once, cleared when back
        self.waiting = deque()  # (position, first needed at), oldest first
        self._lock = threading.Lock()

    def serves(self, needed):
        """May a read that must show WAL position ``needed`` (0: none) go here?"""
        now = self.clock()
        with self._lock:
            if now < self.skipped_until:
                return False
            if self.problem is None:
                if needed <= self.replayed:
                    return True
                if now - self.asked_at < self.settings.check_seconds:
                    self._wait_for(needed, now)
                    return False
            self.asked_at = now  # one probe at a time per check interval
        replayed = self._ask()
        with self._lock:
            if replayed is None:
                self._skip(now, "is down")
                return False
            if replayed < 0:
                self._skip(now, "is no hot standby (pg_last_wal_replay_lsn() is NULL)")
                return False
            self.replayed = max(self.replayed, replayed)
            while self.waiting and self.waiting[0][0] <= self.replayed:
                self.waiting.popleft()
            if needed > self.replayed:
                self._wait_for(needed, now)
            lag = now - self.waiting[0][1] if self.waiting else 0.0
            if lag > self.settings.max_lag_seconds:
                self._skip(now, f"lags {lag:.1f} s behind a write")
                return False
            if self.problem is not None:
                log.info("read replica: back in use (it %s)", self.problem)
                self.problem = None
            return needed <= self.replayed

    def down(self):
        """A read failed to reach the replica: skip it (the request is retried)."""
        with self._lock:
            self._skip(self.clock(), "is down")

    def _ask(self):
        """The replayed WAL position; -1 on a server that replays none; None: down."""
        try:
            with self.engine.connect() as connection:
                position = connection.scalar(text("SELECT pg_last_wal_replay_lsn()"))
        except exc.DBAPIError:
            return None
        # NULL: not a standby at all (a primary named by mistake, or promoted).
        return parse_lsn(position) if position else -1

    def _wait_for(self, position, now):
        if not self.waiting or position > self.waiting[-1][0]:
            if len(self.waiting) < WAITING_LIMIT:
                self.waiting.append((position, now))
            else:  # keep the oldest waits (the lag), move the newest position
                self.waiting[-1] = (position, self.waiting[-1][1])

    def _skip(self, now, problem):
        self.skipped_until = now + self.settings.retry_seconds
        if self.problem is None:
            log.warning(
                "read replica %s: reads go to the primary; next try in %s s",
                problem,
                self.settings.retry_seconds,
            )
            self.problem = problem


class RoutedReadSession(Session):
    """A read session whose every statement picks the replica or the primary."""

    def get_bind(self, mapper=None, clause=None, **kw):
        return self.info["route"]()


def needed_position(request, secret):
    """The newest WAL position this request must show: its client's, its versions'."""
    position = request.environ.get("db.marker")
    if position is None:
        position = request.environ["db.marker"] = readyourwrites.read_marker(
            request.environ, secret
        )
    cache = request.__dict__.get("cache")  # only if the request used its cache
    newest = cache.newest_commit_position() if cache is not None else None
    return max(position, int(newest, 16) if newest else 0)


def route(request, replica, primary, secret):
    """The engine for the next statement of a read request."""
    if replica.serves(needed_position(request, secret)):
        return replica.engine
    return primary


def write_position(primary):
    """The primary's WAL position now (after a commit), or None."""
    try:
        with primary.connect() as connection:
            return parse_lsn(connection.scalar(text("SELECT pg_current_wal_lsn()")))
    except exc.DBAPIError:
        log.warning("read-your-writes: no WAL position after a commit", exc_info=True)
        return None


def includeme(config):
    """Route reads to the replica when it has what they must show (module doc)."""
    registry = config.registry
    primary, replica_engine = registry["dbengine"], registry["dbengine_read"]
    if replica_engine is primary:
        return  # no sqlalchemy.replica_url: every read goes to the primary
    settings = ReplicaSettings.from_settings(config.get_settings())
    replica = Replica(replica_engine, settings)
    registry["dbreplica"] = replica
    app_settings = registry.app_settings
    secret = app_settings.secret_key
    registry.read_your_writes_cookie = readyourwrites.COOKIE  # for the page cache

    read_factory = make_read_session_factory(None, class_=RoutedReadSession)

    def read_session(**kw):
        request = kw["info"]["request"]
        kw["info"]["route"] = lambda: route(request, replica, primary, secret)
        return read_factory(**kw)

    registry["dbsession_read_factory"] = read_session

    @event.listens_for(replica_engine, "handle_error")
    def replica_unreachable(context):
        error = context.original_exception
        state = getattr(error, "sqlstate", None) or ""
        if context.is_disconnect or not state or state.startswith(("08", "57P")):
            replica.down()
            mark_error_retryable(context.sqlalchemy_exception)
        elif state == "40001":  # cancelled by a conflict with replay: run it again
            mark_error_retryable(context.sqlalchemy_exception)

    write_factory = registry["dbsession_factory"]

    @event.listens_for(write_factory, "before_commit")
    def note_if_it_wrote(session):
        # A transaction id is assigned only when the transaction writes.
        wrote = session.connection().scalar(
            text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")
        )
        session.info["wrote"] = wrote

    @event.listens_for(write_factory, "after_commit")
    def publish_position(session):
        request = session.info.get("request")
        if not session.info.pop("wrote", False) or request is None:
            return
        position = write_position(primary)
        if position is None:
            return
        # Named by the data sets' new generations (caching/request.py)...
        request.environ[COMMIT_POSITION] = f"{position:016x}"
        # ...and by the client's marker.
        request.add_response_callback(
            lambda request, response: readyourwrites.set_marker(
                response,
                position,
                secret,
                settings.read_your_writes_seconds,
                secure=app_settings.production,
            )
        )
