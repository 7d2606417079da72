"""A standards-following shared HTTP cache in front of the real production server.

The generated project's own tests check headers with WebTest; this one checks
that an independent RFC 9111 implementation (hishel, configured as a *shared*
cache: a proxy or CDN serving many users) draws the intended conclusions from
them, over real HTTP, against ``python -m <package>.scripts.serve`` with
``production.ini``:

* public pages are reused within ``max-age`` (no request reaches the server),
  then revalidated with ``If-None-Match`` and answered ``304``;
* after ``POST /api/items`` the next revalidation gets ``200``, the new content
  and a new ``ETag``;
* ``/session`` (sets a cookie, reads the session) is never reused, even for
  the same user, and never handed from one user to another.

Requests that reach the server are counted below the cache (a transport that
records what it sends). Instead of sleeping past ``max-age`` the cache's clock
is moved forward. The default project (per-process memory cache: the ETag comes
from one indexed query) and a Redis one (the ETag comes from the generation in
Redis, two workers) are baked, installed by their own Makefile and served.
"""

import os
import secrets
import subprocess
import time
import uuid
from types import SimpleNamespace

import hishel
import hishel.httpx as hishel_httpx
import httpx
import pytest

# Private: where hishel's RFC 9111 code reads the clock (CacheClock). Imported,
# never skipped: a hishel that moved it fails here, in CI too.
from hishel._core import _spec as hishel_spec

from .conftest import bake, flushed_redis_or_skip
from .server import free_port, install, server_command, stop, wait_for

pytestmark = pytest.mark.run

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MAX_AGE = 60  # httpcache.PUBLIC_MAX_AGE in the generated project
LATER = MAX_AGE + 1
COMBINATIONS = {
    "default": {},
    "redis": {"cache_backend": "redis"},
}


def redis_url_or_skip():
    # Its own database number: other suites flush theirs while this one runs.
    return flushed_redis_or_skip(REDIS_URL.rsplit("/", 1)[0] + "/13")


@pytest.fixture(params=sorted(COMBINATIONS))
def origin(request, tmp_path_factory):
    """Base URL of a freshly baked, migrated and seeded production server."""
    answers = COMBINATIONS[request.param]
    cache_url = redis_url_or_skip() if answers.get("cache_backend") else None
    project = bake(
        tmp_path_factory.mktemp("http_cache"),
        repo_name=f"http_cache_{request.param}",
        **answers,
    )
    venv = install(project)
    port = free_port()
    env = {
        **os.environ,
        "APP_INI": "production.ini",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        # The memory cache is per process: one worker, as its README says.
        "WEB_CONCURRENCY": "2" if cache_url else "1",
        "SHUTDOWN_TIMEOUT": "2",  # nothing in flight when the test stops it
    }
    if cache_url:
        env["CACHE_URL"] = cache_url
    run = {"cwd": project, "env": env, "check": True, "capture_output": True}
    subprocess.run([venv / "alembic", "-c", "production.ini", "upgrade", "head"], **run)
    seed = [venv / "python", "-m", f"{project.name}.scripts.seed", "production.ini"]
    subprocess.run([*seed, "--items", "30"], **run)
    log = (project / "server.log").open("wb")
    server = subprocess.Popen(
        server_command(venv / "python", project.name),
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server)
        log.close()


class CountingTransport(httpx.HTTPTransport):
    """Below the cache: every request here reaches the server."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def handle_request(self, request):
        response = super().handle_request(request)
        self.sent.append(
            (
                request.url.path,
                request.headers.get("If-None-Match"),
                response.status_code,
            )
        )
        return response


class CacheClock:
    """The cache's notion of now (``time.time`` in hishel's RFC 9111 code)."""

    def __init__(self, monkeypatch):
        self.offset = 0
        monkeypatch.setattr(
            hishel_spec, "time", SimpleNamespace(time=lambda: time.time() + self.offset)
        )


@pytest.fixture
def shared_cache(tmp_path, monkeypatch):
    """One shared cache; ``user()`` gives a client with its own cookie jar."""
    upstream = CountingTransport()
    transport = hishel_httpx.CacheTransport(
        next_transport=upstream,
        storage=hishel.SqliteStorage(database_path=tmp_path / "cache.db"),
        rfc=hishel.CacheOptions(shared=True),
    )
    clients = []

    def user(base_url):
        client = httpx.Client(base_url=base_url, transport=transport, timeout=10)
        clients.append(client)
        return client

    cache = SimpleNamespace(user=user, upstream=upstream, clock=CacheClock(monkeypatch))
    yield cache
    for client in clients:
        client.close()  # closes the shared transport too (idempotent)


def caching(response):
    status = response.extensions["caching"]
    return status["from_cache"], status["revalidated"]


def test_shared_cache_in_front_of_the_production_server(origin, shared_cache):
    """One test per combination: a server is baked, installed and started once."""
    public_pages_are_reused_then_revalidated_and_refreshed_by_a_write(
        origin, shared_cache
    )
    session_responses_are_never_reused_across_users(origin, shared_cache)


def public_pages_are_reused_then_revalidated_and_refreshed_by_a_write(
    origin, shared_cache
):
    alice, bob = shared_cache.user(origin), shared_cache.user(origin)
    sent = shared_cache.upstream.sent

    first = alice.get("/")
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == f"max-age={MAX_AGE}"
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert sent == [("/", None, 200)]

    # Within max-age: served by the cache to anyone, the server sees nothing.
    again = bob.get("/")
    assert caching(again) == (True, False)
    assert again.text == first.text
    assert len(sent) == 1

    # Past max-age: revalidated with the stored ETag; 304, body from the cache.
    shared_cache.clock.offset = LATER
    revalidated = alice.get("/")
    assert sent[1:] == [("/", etag, 304)]
    assert revalidated.status_code == 200
    assert caching(revalidated) == (True, True)
    assert revalidated.text == first.text

    # hishel keeps the replaced entry next to the new one and picks the most
    # recent by Date (RFC 9111 section 4), which has a one-second resolution:
    # let the clock tick so the new page's Date is later than the stored one's.
    time.sleep(1.05 - time.time() % 1)
    name = f"http-cache-{uuid.uuid4().hex[:8]}"
    created = httpx.post(
        f"{origin}/api/items",
        json={"name": name, "price_cents": 4200, "category_id": 1},
    )
    assert created.status_code == 201

    # A shared cache may serve the old page until max-age ends: that is the
    # price of PUBLIC's minute; REVALIDATE pages would ask every time.
    shared_cache.clock.offset = 0
    stale_but_fresh = bob.get("/")
    assert caching(stale_but_fresh) == (True, False)
    assert name not in stale_but_fresh.text
    assert len(sent) == 2

    # The write changed the version: the revalidation gets the new page, once
    # the other worker's reuse of the old one (httpcache.version_ttl, 1 s) ends.
    time.sleep(1.1)
    shared_cache.clock.offset = LATER
    refreshed = bob.get("/")
    assert sent[2:] == [("/", etag, 200)]
    assert name in refreshed.text
    assert refreshed.headers["ETag"] != etag

    shared_cache.clock.offset = 0
    reused = alice.get("/")
    assert caching(reused) == (True, False)
    assert reused.text == refreshed.text
    assert len(sent) == 3


def session_visit(client, cookie=None):
    """GET /session as a browser behind TLS would send it.

    Production cookies are ``Secure``: over this plain-HTTP test httpx would
    not send them back, so each user carries its own cookie explicitly.
    """
    headers = {"Cookie": f"session={cookie}"} if cookie else {}
    response = client.get("/session", headers=headers)
    return response, response.cookies.get("session", cookie)


def session_responses_are_never_reused_across_users(origin, shared_cache):
    alice, bob = shared_cache.user(origin), shared_cache.user(origin)
    shared_cache.clock.offset = 0
    sent = shared_cache.upstream.sent
    del sent[:]

    alice_first, alice_cookie = session_visit(alice)
    alice_second, alice_cookie = session_visit(alice, alice_cookie)
    bob_first, bob_cookie = session_visit(bob)

    # Every request reached the server: nothing was stored, nothing reused.
    assert [path for path, _, _ in sent] == ["/session"] * 3
    for response in (alice_first, alice_second, bob_first):
        assert response.status_code == 200
        assert caching(response) == (False, False)
        assert "no-store" in response.headers["Cache-Control"]
        assert "public" not in response.headers["Cache-Control"]
        assert "session=" in response.headers["Set-Cookie"]
    assert [alice_first.json()["visits"], alice_second.json()["visits"]] == [1, 2]
    assert bob_first.json()["visits"] == 1
    assert bob_first.json()["csrf_token"] != alice_first.json()["csrf_token"]
    assert bob_cookie != alice_cookie
