"""A real streaming replica: reads there, writes on the primary, read-your-writes.

A throwaway primary and hot standby (``tests/replication.py``: initdb,
``pg_basebackup -R``) carry the example's tables. The app reads the replica
only once it has replayed what the request must show (``db/replica.py``):

* the writer reads its write at once, even with replay paused
  (``pg_wal_replay_pause()``), and so does any request whose cache versions
  name the write: no page or cached value is stored from older data;
* a client whose process knows nothing of the write reads the replica's
  older data meanwhile (what a lagging replica costs);
* replica stopped: every read from the primary, no error, one warning;
  replica back: used again.

The last test runs the production server through the same failures and
prints the failure table (``pytest -s``). Skips without PostgreSQL's server
binaries (a failure under ``REQUIRE_SERVICES=1``).
"""

import http.client
import json
import logging
import os
import secrets
import subprocess
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import webtest
from sqlalchemy import event
from sqlalchemy.orm import Session

from {{ cookiecutter.repo_name }} import main
from {{ cookiecutter.repo_name }}.catalog.seed import seed
from {{ cookiecutter.repo_name }}.db import readyourwrites
from {{ cookiecutter.repo_name }}.db.engine import make_engine
from {{ cookiecutter.repo_name }}.scripts import serve

from ..conftest import migrate
from ..replication import StreamingReplication
from ..services import free_port

COOKIE = readyourwrites.COOKIE

PROJECT = Path(__file__).resolve().parents[2]
SEEDED_ITEMS = 5
REPLICA_LOG = "{{ cookiecutter.repo_name }}.db.replica"
# Statements the routing itself runs, not the reads it routes.
BOOKKEEPING = ("pg_last_wal_replay_lsn", "pg_current_wal_lsn", "pg_current_xact_id")


@pytest.fixture(scope="module")
def pair(app_settings, ini_file):
    """Primary + replica with the example's tables and a few items."""
    with StreamingReplication() as pair:
        settings = {**app_settings, "sqlalchemy.url": pair.primary.url}
        migrate(ini_file, settings)
        engine = make_engine(settings)
        with Session(engine) as session, session.begin():
            seed(session, SEEDED_ITEMS)
        engine.dispose()
        pair.wait_until_replayed()
        yield pair


@pytest.fixture
def resumed(pair):
    """Whatever a test pauses or stops, the next test finds the replica streaming."""
    yield pair
    if not pair.replica.running:
        pair.replica.start()
    pair.replica.execute("SELECT pg_wal_replay_resume()")
    pair.wait_until_replayed()


@pytest.fixture
def make_app(app_settings, pair):
    """``make(**settings)``: an app (like one server process) on primary + replica."""
    made = []

    def make(**settings):
        app = main(
            {},
            **{
                **app_settings,
                "sqlalchemy.url": pair.primary.url,
                "sqlalchemy.replica_url": pair.replica.url,
                "sqlalchemy.replica_retry_seconds": "0.3",
                "cache.namespace": f"replication-{uuid.uuid4().hex[:8]}",
                **settings,
            },
        )
        made.append(app)
        app.statements = count_statements(app)
        return app

    yield make
    for app in made:
        app.registry.cache.drop_generations()
        app.registry["dbengine"].dispose()
        app.registry["dbengine_read"].dispose()


def count_statements(app):
    counts = Counter()
    for name in ("primary", "replica"):
        engine = app.registry["dbengine" if name == "primary" else "dbengine_read"]

        def count(conn, cursor, statement, *args, name=name):
            if not any(function in statement for function in BOOKKEEPING):
                counts[name] += 1

        event.listen(engine, "before_cursor_execute", count)
    return counts


def client(app):
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})


def new_item():
    name = f"replicated {uuid.uuid4().hex[:8]}"
    return {"name": name, "price_cents": 1250, "category_id": 1, "tags": []}


def test_a_forged_or_expired_marker_is_ignored():
    value = readyourwrites.marker(0x3000060, "s3cret", seconds=5, now=1000)

    def read(cookie, secret="s3cret", now=1004):
        environ = {"HTTP_COOKIE": f"{COOKIE}={cookie}"}
        return readyourwrites.read_marker(environ, secret, now=now)

    assert read(value) == 0x3000060
    assert read(value, now=1006) == 0  # expired
    assert read(value, secret="another") == 0  # signed by someone else
    assert read(value.replace("3000060", "fffffff0")) == 0  # forged position
    assert read("junk") == read("") == read("1.2.3") == 0
    assert readyourwrites.read_marker({}, "s3cret") == 0


def test_gets_read_the_replica_and_writes_the_primary(make_app, resumed):
    app = make_app()
    reader = client(app)
    assert len(reader.get("/api/items", status=200).json["items"]) >= SEEDED_ITEMS
    assert app.statements["replica"] > 0
    assert app.statements["primary"] == 0
    writer = client(app)

    created = writer.post_json("/api/items", new_item(), status=201)

    assert app.statements["primary"] > 0
    assert COOKIE in writer.cookies
    assert "Secure" not in created.headers["Set-Cookie"]  # testing: plain HTTP
    # The marker is not a per-user read: the page stays shareable.
    page = writer.get(f"/api/items/{created.json['id']}", status=200)
    assert "private" not in page.headers["Cache-Control"]


def test_the_writer_reads_its_write_while_replay_is_paused(make_app, resumed):
    app = make_app()
    # Another process whose cache shares nothing with this one (cache none://):
    # only the replica tells it what exists.
    elsewhere = client(make_app(**{"cache.url": "none://"}))
    resumed.replica.execute("SELECT pg_wal_replay_pause()")
    writer = client(app)

    created = writer.post_json("/api/items", new_item(), status=201).json
    path = f"/api/items/{created['id']}"

    # Another client first, without the marker: the versions it reads (shared
    # with the writer's process) name the write, so it reads the primary, and
    # the page and cached values it stores under them show the write. (With
    # cache none:// there are no versions, and nothing is stored.)
    readers = [writer, writer]
    if app.registry.cache.keeps_data:
        readers.insert(0, client(app))
    for reader in readers:
        assert reader.get(path, status=200).json["name"] == created["name"]
        listing = reader.get("/api/items?page=1", status=200).json
        assert created["id"] in [item["id"] for item in listing["items"]]
    # The paused replica has not replayed the write: a process that shares
    # no versions with the writer's and has no marker reads the older data.
    elsewhere.get(path, status=404)
    resumed.replica.execute("SELECT pg_wal_replay_resume()")
    resumed.wait_until_replayed()
    assert elsewhere.get(path, status=200).json["name"] == created["name"]
    before = app.statements["replica"]
    writer.get("/api/items?page=2", status=200)  # replayed: the replica again
    assert app.statements["replica"] > before


def test_the_writer_gets_no_page_another_process_kept_from_before_its_write(
    make_app, resumed
):
    shared = {"cache.namespace": f"replication-{uuid.uuid4().hex[:8]}"}
    # Each process reuses a generation it read for httpcache.version_ttl.
    here = make_app(**shared, **{"httpcache.version_ttl": "30"})
    there = make_app(**shared, **{"httpcache.version_ttl": "30"})
    if not here.registry.cache.shared:
        # No shared generation to reuse: each process asks its own (or none).
        pytest.skip("a per-process cache: other processes' writes come from the db")
    before = client(there).get("/api/items?page=1", status=200).json
    writer = client(here)

    created = writer.post_json("/api/items", new_item(), status=201).json

    # The writer's next request lands on the other process, which keeps the
    # page from before the write and a generation read less than 30 s ago.
    writer_there = client(there)
    writer_there.set_cookie(COOKIE, writer.cookies[COOKIE])
    listing = writer_there.get("/api/items?page=1", status=200).json
    assert created["id"] in [item["id"] for item in listing["items"]]
    assert created["id"] not in [item["id"] for item in before["items"]]


def test_a_stopped_replica_costs_no_error_and_is_used_again(make_app, resumed, caplog):
    app = make_app(**{"cache.url": "none://"})  # every GET reads the database
    reader = client(app)
    reader.get("/api/items", status=200)  # a pooled connection to the replica
    caplog.set_level(logging.INFO, logger=REPLICA_LOG)
    resumed.replica.stop()
    try:
        before = app.statements["primary"]
        pages = [f"/api/items?page={n % 3 + 1}" for n in range(20)]
        statuses = [reader.get(page).status_int for page in pages]
        assert statuses == [200] * 20
        assert app.statements["primary"] > before  # all from the primary
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and "down" in warnings[0].getMessage()
    finally:
        resumed.replica.start()
    resumed.wait_until_replayed()
    time.sleep(0.35)  # sqlalchemy.replica_retry_seconds
    before = app.statements["replica"]
    reader.get("/api/items?page=1", status=200)
    assert app.statements["replica"] > before
    assert any("back in use" in r.getMessage() for r in caplog.records)


def test_a_replica_lagging_past_the_limit_is_skipped(make_app, resumed, caplog):
    app = make_app(
        **{"sqlalchemy.replica_max_lag_seconds": "0.2", "cache.url": "none://"}
    )
    replica = app.registry["dbreplica"]
    caplog.set_level(logging.WARNING, logger=REPLICA_LOG)
    resumed.replica.execute("SELECT pg_wal_replay_pause()")
    writer = client(app)
    created = writer.post_json("/api/items", new_item(), status=201).json
    writer.get(f"/api/items/{created['id']}", status=200)
    time.sleep(0.25)

    for _ in range(5):
        writer.get(f"/api/items/{created['id']}", status=200)

    assert not replica.serves(0)  # skipped even for reads that need nothing
    warnings = [r for r in caplog.records if r.name == REPLICA_LOG]
    assert len(warnings) == 1 and "lags" in warnings[0].getMessage()
    resumed.replica.execute("SELECT pg_wal_replay_resume()")
    resumed.wait_until_replayed()
    time.sleep(0.35)
    assert replica.serves(0)


def test_a_replica_url_naming_no_standby_is_skipped(make_app, pair, caplog):
    app = make_app(
        **{"sqlalchemy.replica_url": pair.primary.url, "cache.url": "none://"}
    )
    caplog.set_level(logging.WARNING, logger=REPLICA_LOG)
    for _ in range(3):
        client(app).get("/api/items", status=200)
    assert app.statements["replica"] == 0
    warnings = [r for r in caplog.records if r.name == REPLICA_LOG]
    assert len(warnings) == 1 and "no hot standby" in warnings[0].getMessage()


# -- the production server ---------------------------------------------------------


class Server:
    """The production command (``scripts/serve.py``) on a free port."""

    def __init__(self, env, log_path):
        self.port = free_port()
        self.log_path = log_path
        self.log = open(log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            serve.COMMAND,
            cwd=PROJECT,
            env={**env, "HOST": "127.0.0.1", "PORT": str(self.port)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"server exited:\n{log_path.read_text()}")
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"server not ready:\n{log_path.read_text()}")
                time.sleep(0.1)

    def request(self, method, path, body=None, cookie=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if cookie:
            headers["Cookie"] = cookie
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("Set-Cookie"), response.read()
        finally:
            connection.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()


class Load:
    """Two clients reading pages in a loop: requests, non-2xx, worst latency."""

    def __init__(self, server):
        self.server = server
        self.requests = self.failures = 0
        self.worst = 0.0
        self.running = False
        self.threads = []
        self.lock = threading.Lock()

    def __enter__(self):
        self.running = True
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in (1, 2)]
        for thread in self.threads:
            thread.start()
        return self

    def _run(self, n):
        while self.running:
            started = time.monotonic()
            try:
                status = self.server.request("GET", f"/api/items?page={n}")[0]
            except OSError:
                status = 0
            elapsed = time.monotonic() - started
            with self.lock:
                self.requests += 1
                self.failures += not 200 <= status < 300
                self.worst = max(self.worst, elapsed)

    def __exit__(self, *exc_info):
        self.running = False
        for thread in self.threads:
            thread.join()


def test_production_server_through_replica_failures(pair, tmp_path):
    env = {
        **os.environ,
        "APP_INI": "production.ini",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": pair.primary.url,
        "DATABASE_REPLICA_URL": pair.replica.url,
        # Every request reads the database: no stored pages, no cached data.
        "CACHE_URL": "none://",
        "PAGE_CACHE": "0",
        "WEB_CONCURRENCY": "2",
    }
    server = Server(env, tmp_path / "server.log")
    table = []

    def phase(name, action, settle=1.0):
        with Load(server) as load:
            time.sleep(0.3)
            action()
            time.sleep(settle)
        table.append((name, load.requests, load.failures, load.worst))
        return load

    def write_and_read():
        """POST, then read it back at once with the marker; True if it showed."""
        body = json.dumps(new_item())
        status, cookie, body = server.request("POST", "/api/items", body)
        assert status == 201, body
        item = json.loads(body)
        marker = cookie.split(";")[0]
        path = f"/api/items/{item['id']}"
        status, _, body = server.request("GET", path, cookie=marker)
        return status == 200 and json.loads(body)["name"] == item["name"]

    try:
        assert write_and_read()  # write then read at once through the server
        phase("nothing (baseline)", lambda: None)
        pair.replica.execute("SELECT pg_wal_replay_pause()")
        writes = []
        phase(
            "replay paused, 10 writes read back",
            lambda: writes.extend(write_and_read() for _ in range(10)),
        )
        assert writes == [True] * 10
        pair.replica.execute("SELECT pg_wal_replay_resume()")
        pair.wait_until_replayed()
        phase("replica stopped (pg_ctl -m fast)", pair.replica.stop)
        phase("replica started again", pair.replica.start, settle=6.0)
        connections = pair.replica.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )[0]
    finally:
        server.stop()
        if not pair.replica.running:
            pair.replica.start()
    print("\n| what failed | requests | non-2xx | worst latency |")
    print("|---|---|---|---|")
    for name, requests, failures, worst in table:
        print(f"| {name} | {requests} | {failures} | {worst * 1000:.0f} ms |")
    assert [row[2] for row in table] == [0] * len(table)
    assert connections > 0  # the server reads the replica again
