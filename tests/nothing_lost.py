"""Nothing lost: concurrent ``POST /api/items`` against the real production server.

Run by the run tier (``test_run.py``) for every PostgreSQL project it installs,
so both concurrency modes (granian threads, gunicorn gevent) are covered: the
project is migrated and seeded into a fresh database and served the way
``make serve`` does. Many clients then create items at once, a few of them
invalid on purpose. Every acknowledged (201) write must be in the database
exactly once with the id it was acknowledged with; every refused write must be
absent; nothing may be in the database that no client was told about.
"""

import http.client
import json
import os
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg

from .server import free_port, server_command, stop, wait_for

REQUESTS = 300
CLIENTS = 32


def post_item(port, body, host="127.0.0.1"):
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request(
            "POST",
            "/api/items",
            json.dumps(body),
            {"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    except (OSError, http.client.HTTPException, ValueError) as error:
        return None, repr(error)  # unknown outcome: reported, never assumed
    finally:
        connection.close()


def assert_nothing_lost(project, concurrency, database_url):
    """Serve ``project`` (installed in its .venv) and check every write."""
    bin_dir = project / ".venv" / "bin"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
    }
    run = {"cwd": project, "env": env, "check": True, "capture_output": True}
    subprocess.run(
        [bin_dir / "alembic", "-c", "production.ini", "upgrade", "head"], **run
    )
    subprocess.run(
        [bin_dir / "python", "-m", f"{project.name}.scripts.seed", "production.ini"],
        **run,
    )
    server = subprocess.Popen(
        server_command(bin_dir / "python", project.name),
        cwd=project,
        env=env,
    )
    try:
        wait_for(port, server)
        bodies = write_bodies("nothing-lost")
        results = send_writes(port, bodies)
    finally:
        stop(server)
    assert_every_write_answered_and_kept(
        bodies, results, stored_writes(database_url, "nothing-lost")
    )


def write_bodies(prefix, count=REQUESTS):
    """``count`` new items, every tenth naming a missing category (refused, 400)."""
    return [
        {
            "name": f"{prefix}-{n}-{uuid.uuid4().hex[:8]}",
            "price_cents": n,
            "category_id": 999_999 if n % 10 == 0 else 1 + n % 5,
        }
        for n in range(count)
    ]


def send_writes(port, bodies, clients=CLIENTS, host="127.0.0.1"):
    """``(status, reply)`` per body, posted by ``clients`` concurrent clients."""
    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(lambda body: post_item(port, body, host), bodies))


def stored_writes(database_url, prefix):
    """``{name: id}`` of the items whose name starts with ``prefix``."""
    with psycopg.connect(database_url.replace("+psycopg", "")) as db:
        stored = db.execute(
            "SELECT name, id FROM items WHERE name LIKE %s", (f"{prefix}-%",)
        ).fetchall()
    names = [name for name, _ in stored]
    assert len(names) == len(set(names)), "a write was stored twice"
    return dict(stored)


def assert_no_acknowledged_write_lost(bodies, results, stored_ids):
    """Every 201 stored once with its id, every refusal (4xx) absent, nothing
    stored that no client sent. Writes without an answer (the server died with
    them in flight, a proxy's 502) may have been stored or not: returned, with
    how many of them were."""
    acknowledged = {
        body["name"]: reply["id"]
        for body, (status, reply) in zip(bodies, results, strict=True)
        if status == 201
    }
    refused = [
        body["name"]
        for body, (status, _) in zip(bodies, results, strict=True)
        if status is not None and 400 <= status < 500
    ]
    unknown = [
        body["name"]
        for body, (status, _) in zip(bodies, results, strict=True)
        if status is None or status >= 500
    ]
    assert {name: stored_ids.get(name) for name in acknowledged} == acknowledged
    assert not set(refused) & set(stored_ids), "a refused write was stored"
    assert set(stored_ids) <= set(acknowledged) | set(unknown), "a write nobody sent"
    return unknown, [name for name in unknown if name in stored_ids]


def assert_every_write_answered_and_kept(bodies, results, stored_ids):
    """All servers up: every write answered, 201 or 400 as expected, and kept."""
    statuses = [status for status, _ in results]
    unknown = [reply for status, reply in results if status is None]
    assert not unknown, f"requests without an answer: {unknown[:3]}"
    valid = len(bodies) - len(bodies[::10])  # write_bodies: every tenth refused
    assert statuses.count(201) == valid, sorted(set(statuses))
    assert_no_acknowledged_write_lost(bodies, results, stored_ids)
    assert len(stored_ids) == valid, "a write nobody was told about"
