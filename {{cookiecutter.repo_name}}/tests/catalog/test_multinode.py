"""Two production servers behind an imaginary load balancer, one Redis, one PostgreSQL.

What running N stateless app servers relies on, checked on real processes:

* a write through one server is read fresh through the other: the cache
  generations live in Redis, not in a process; a page the other server keeps
  in memory shows the write within ``httpcache.version_ttl`` (1 s);
* a session and its CSRF token issued by one server are accepted by the other:
  a signed cookie and the same ``SECRET_KEY``, no sticky sessions;
* killing a server (SIGKILL to its process group, like a machine dying) loses
  no acknowledged write: the 201 is sent only after the commit.

The servers start exactly as in production ({{ "granian" if cookiecutter.concurrency == "threads" else "gunicorn with gevent's WSGI server" }},
``production.ini``, settings from the environment) against a throwaway
``<test database>_multinode`` database, migrated and seeded by the commands a
deployment runs. Skips unless PostgreSQL and Redis are reachable
(``REQUIRE_SERVICES=1`` makes that a failure).
"""

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, make_url, text

from {{ cookiecutter.repo_name }}.scripts import serve

from ..services import require, url_reachable

PROJECT = Path(__file__).resolve().parents[2]
SEEDED_ITEMS = 30
NEW_ITEM = {"name": "", "price_cents": 1234, "category_id": 1}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Reply:
    def __init__(self, response):
        self.status = response.status
        self.cookies = response.headers.get_all("Set-Cookie") or []
        self.body = response.read()

    @property
    def json(self):
        return json.loads(self.body)


class Server:
    """One production server process on its own port and process group."""

    def __init__(self, env, log_path):
        self.port = free_port()
        self.log = open(log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            serve.COMMAND,  # the production command; settings from env
            cwd=PROJECT,
            env={**env, "HOST": "127.0.0.1", "PORT": str(self.port)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the server and its workers, killable at once
        )
        self.log_path = log_path
        self.wait_until_ready()

    def wait_until_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"server exited:\n{self.log_path.read_text()}")
            try:
                if self.request("GET", "/healthz").status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"server not ready in {timeout}s:\n{self.log_path.read_text()}")

    def request(self, method, path, *, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            return Reply(connection.getresponse())
        finally:
            connection.close()

    def post_json(self, path, data):
        return self.request(
            "POST",
            path,
            body=json.dumps(data),
            headers={"Content-Type": "application/json"},
        )

    def kill(self, sig=signal.SIGKILL):
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)

    def stop(self):
        self.kill(signal.SIGTERM)
        self.log.close()


@pytest.fixture(scope="module")
def environment(app_settings):
    """Production settings for the servers: one database, one Redis, one secret."""
    url = make_url(app_settings["sqlalchemy.url"])
    cache_url = app_settings["cache.url"]
    require(url_reachable(cache_url, 6379), f"Redis not reachable at {cache_url}")
    database = f"{url.database}_multinode"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    env = {
        **os.environ,
        "APP_INI": "production.ini",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": url.set(database=database).render_as_string(
            hide_password=False
        ),
        "CACHE_URL": cache_url,
        "WEB_CONCURRENCY": "1",
    }
    # Once per deployment, from one machine, before the servers start.
    for command in (
        [sys.executable, "-m", "alembic", "-c", "production.ini", "upgrade", "head"],
        [
            sys.executable,
            "-m",
            "{{ cookiecutter.repo_name }}.scripts.seed",
            "production.ini",
            "--items",
            str(SEEDED_ITEMS),
        ],
    ):
        subprocess.run(command, cwd=PROJECT, env=env, check=True, capture_output=True)
    yield env
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def database(environment):
    engine = create_engine(environment["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def servers(environment, tmp_path_factory):
    logs = tmp_path_factory.mktemp("servers")
    started = []
    try:
        for name in ("a", "b"):
            started.append(Server(environment, logs / f"{name}.log"))
        yield started
    finally:
        for server in started:
            server.stop()


def next_item_ids(database, count):
    with database.connect() as connection:
        last = connection.scalar(text("SELECT max(id) FROM items"))
    return range(last + 1, last + 1 + count)


def test_a_write_through_one_server_is_read_fresh_through_the_other(servers, database):
    a, b = servers
    # B caches "no such item" (in Redis) for the next ids a write can take.
    candidates = next_item_ids(database, 5)
    for item_id in candidates:
        assert b.request("GET", f"/api/items/{item_id}").status == 404
        assert b.request("GET", f"/api/items/{item_id}").status == 404
    name = f"multinode {uuid.uuid4().hex[:8]}"

    created = a.post_json("/api/items", {**NEW_ITEM, "name": name})

    assert created.status == 201
    assert created.json["id"] in candidates
    fresh = b.request("GET", f"/api/items/{created.json['id']}")
    assert fresh.status == 200
    assert fresh.json["name"] == name


def test_a_page_kept_by_the_other_server_shows_a_write_within_a_second(servers):
    a, b = servers

    def names_on_b():
        reply = b.request("GET", "/api/items?page=1")  # every item: page 1 of 50
        return [item["name"] for item in reply.json["items"]]

    names_on_b()  # B stores the page in Redis and keeps it in memory
    name = f"page {uuid.uuid4().hex[:8]}"

    assert a.post_json("/api/items", {**NEW_ITEM, "name": name}).status == 201

    written = time.monotonic()
    while name not in names_on_b():
        # production.ini: httpcache.version_ttl = 1, plus a busy machine's slack
        assert time.monotonic() - written < 3, "B kept serving the old page"
        time.sleep(0.05)


def session_cookie(reply):
    (cookie,) = [c for c in reply.cookies if c.startswith("session=")]
    return cookie.split(";", 1)[0]


def test_a_session_and_csrf_token_from_one_server_work_on_the_other(servers):
    a, b = servers
    issued = a.request("GET", "/session")
    cookie = session_cookie(issued)
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}

    updated = b.request(
        "POST",
        "/session",
        body=urlencode({"note": "set on b", "csrf_token": issued.json["csrf_token"]}),
        headers=form,
    )

    assert updated.status == 200
    assert updated.json["visits"] == 1
    seen_on_a = a.request(
        "GET", "/session", headers={"Cookie": session_cookie(updated)}
    )
    assert seen_on_a.json == {**updated.json, "visits": 2}
    forged = b.request(
        "POST",
        "/session",
        body=urlencode({"note": "x", "csrf_token": "forged"}),
        headers=form,
    )
    assert forged.status == 400


def test_killing_a_server_loses_no_acknowledged_write(
    servers, environment, database, tmp_path
):
    _, survivor = servers
    victim = Server(environment, tmp_path / "victim.log")
    prefix = f"kill {uuid.uuid4().hex[:8]}"
    acknowledged, errors = {}, []
    lock = threading.Lock()

    def write_until_the_server_dies(worker):
        for number in range(10_000):
            name = f"{prefix} {worker}-{number}"
            try:
                reply = victim.post_json("/api/items", {**NEW_ITEM, "name": name})
            except OSError:  # refused or reset: the server is gone
                return
            with lock:
                if reply.status != 201:
                    errors.append((reply.status, reply.body))
                    return
                acknowledged[reply.json["id"]] = name

    writers = [
        threading.Thread(target=write_until_the_server_dies, args=(worker,))
        for worker in range(4)
    ]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 40 and not errors and time.monotonic() < deadline:
        time.sleep(0.01)
    victim.kill()  # mid-stream: other writes are in flight
    for writer in writers:
        writer.join(timeout=30)
    victim.log.close()

    assert errors == []
    assert len(acknowledged) >= 40
    with database.connect() as connection:
        stored = dict(
            connection.execute(
                text("SELECT id, name FROM items WHERE name LIKE :prefix"),
                {"prefix": f"{prefix} %"},
            ).all()
        )
    # Every acknowledged write is committed; unacknowledged ones may be too.
    assert acknowledged.items() <= stored.items()
    for item_id, name in list(acknowledged.items())[-5:]:
        reply = survivor.request("GET", f"/api/items/{item_id}")
        assert (reply.status, reply.json["name"]) == (200, name)
    assert survivor.request("GET", "/healthz").status == 200
