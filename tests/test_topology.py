"""Two app hosts behind nginx: sessions, freshness, a host killed, nothing lost.

For each server-backed combination of the covering set that can run on two
machines (PostgreSQL, and a shared cache or none: a per-process memory cache
is one machine's), a project is baked, installed twice in two directories and
served on 127.0.0.2 and 127.0.0.3 (``topology.py``), nginx on 127.0.0.1 in
front. Run by ``make test-topology`` (``--topology``), not by ``make test``.

Each failure's figures (requests, non-2xx, worst latency, writes lost) are
printed as ``FAILURE ...`` lines (``pytest -s``) for the README's table.
"""

import http.client
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .combinations import COVERING, slug
from .conftest import bake, flushed_redis_or_skip
from .nothing_lost import (
    assert_every_write_answered_and_kept,
    assert_no_acknowledged_write_lost,
    send_writes,
    stored_writes,
    write_bodies,
)
from .test_run import fresh_database
from .topology import BALANCER, FAIL_TIMEOUT, HOST_ADDRESSES, AppHost, Nginx

pytestmark = pytest.mark.topology

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Its own Redis database (other suites flush theirs meanwhile) and PostgreSQL
# database (dropped and made again per combination), both overridable.
CACHE_URL = os.environ.get("TOPOLOGY_CACHE_URL", REDIS_URL.rsplit("/", 1)[0] + "/12")
DATABASE = os.environ.get("TOPOLOGY_DATABASE")
VERSION_TTL = 1.0  # httpcache.version_ttl in production.ini
# A GET load through the balancer while a host dies.
LOAD_CLIENTS = 8
LOAD_SECONDS = 6
PAGES = ["/", "/items", "/items/3", "/api/items", "/api/items/3", "/api/items?page=2"]

TWO_MACHINE_COMBINATIONS = {
    slug(answers): answers
    for answers in COVERING
    if answers["database"] == "postgresql" and answers["cache_backend"] != "memory"
}


@pytest.fixture(params=sorted(TWO_MACHINE_COMBINATIONS))
def topology(request, tmp_path_factory):
    """Two installed hosts serving one database and cache, nginx in front."""
    answers = TWO_MACHINE_COMBINATIONS[request.param]
    name = f"topo_{request.param}"
    env = {
        **os.environ,
        "APP_INI": "production.ini",
        "SECRET_KEY": secrets.token_urlsafe(32),  # the same on both hosts
        "DATABASE_URL": fresh_database(DATABASE or f"pf_{name}"),
        "ALLOWED_HOSTS": ",".join((BALANCER, *HOST_ADDRESSES)),
        "FORWARDED_ALLOW_IPS": BALANCER,
        "WEB_CONCURRENCY": "2",
        "SHUTDOWN_TIMEOUT": "2",
    }
    env.pop("VIRTUAL_ENV", None)
    if answers["cache_backend"] == "redis":
        env["CACHE_URL"] = flushed_redis_or_skip(CACHE_URL)
    project = bake(tmp_path_factory.mktemp("baked"), repo_name=name, **answers)
    hosts = [
        AppHost(project, tmp_path_factory.mktemp(f"host_{number}"), address, env)
        for number, address in enumerate(HOST_ADDRESSES)
    ]
    try:
        for host in hosts:
            host.install()
        hosts[0].run("alembic", "-c", "production.ini", "upgrade", "head")
        hosts[0].run("python", "-m", f"{name}.scripts.seed", "production.ini")
        for host in hosts:
            host.start()
        with Nginx(tmp_path_factory.mktemp("nginx"), hosts) as nginx:
            yield hosts, nginx, env["DATABASE_URL"]
    finally:
        for host in hosts:
            host.stop()


def request(host, port, method, path, body=None, headers=None):
    """``(status, headers, body)``; ``(None, {}, error)`` when no answer came."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request(method, path, body, headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    except (OSError, http.client.HTTPException) as error:
        return None, {}, repr(error)
    finally:
        connection.close()


def test_two_hosts_behind_nginx(topology):
    """One test per combination: the hosts are installed and started once."""
    hosts, nginx, database_url = topology
    sessions_and_csrf_tokens_work_across_hosts(hosts)
    a_write_through_one_host_is_read_fresh_through_the_other(hosts)
    nothing_lost_through_the_balancer(nginx, database_url)
    a_killed_host_costs_no_failed_request(hosts, nginx)
    a_host_stopped_for_a_deploy_loses_no_write(hosts, nginx, database_url)
    no_acknowledged_write_lost_when_a_host_dies(hosts, nginx, database_url)


def sessions_and_csrf_tokens_work_across_hosts(hosts):
    """The session is a signed cookie: any host with the SECRET_KEY reads it."""
    a, b = hosts
    status, headers, body = request(a.address, a.port, "GET", "/session")
    assert status == 200
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    token = json.loads(body)["csrf_token"]
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}

    status, headers, body = request(
        b.address,
        b.port,
        "POST",
        "/session",
        "note=across",
        {**form, "X-CSRF-Token": token},
    )
    assert status == 200, body
    state = json.loads(body)
    assert (state["visits"], state["note"], state["csrf_token"]) == (1, "across", token)
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    status, _, body = request(
        a.address, a.port, "GET", "/session", headers={"Cookie": cookie}
    )
    assert json.loads(body)["note"] == "across"  # host B's write, read by host A

    # The token is checked on either host: without it, or with another, refused.
    for wrong in ({}, {"X-CSRF-Token": "forged"}):
        status, _, _ = request(
            b.address, b.port, "POST", "/session", "note=x", {**form, **wrong}
        )
        assert status in (400, 403)


def create_item(host, name):
    status, _, body = request(
        host.address,
        host.port,
        "POST",
        "/api/items",
        json.dumps({"name": name, "price_cents": 1, "category_id": 1}),
        {"Content-Type": "application/json"},
    )
    assert status == 201, body
    return json.loads(body)["id"]


def a_write_through_one_host_is_read_fresh_through_the_other(hosts):
    """Host B's cached listing shows host A's write within the version TTL."""
    a, b = hosts
    newest = create_item(a, f"before-{secrets.token_hex(4)}")
    listing = f"/api/items?after={newest}"  # the items after it: none yet
    for _ in range(4):  # B's workers cache the empty listing (and its page)
        status, _, body = request(b.address, b.port, "GET", listing)
        assert status == 200 and json.loads(body)["items"] == []
    name = f"fresh-{secrets.token_hex(4)}"
    create_item(a, name)
    written = time.monotonic()
    seen_after = None
    while seen_after is None and time.monotonic() - written < VERSION_TTL + 5:
        # A new connection per read: either of B's workers answers.
        status, _, body = request(b.address, b.port, "GET", listing)
        assert status == 200
        if [item["name"] for item in json.loads(body)["items"]] == [name]:
            seen_after = time.monotonic() - written
        else:
            time.sleep(0.05)
    assert seen_after is not None, "host B never showed host A's write"
    print(f"\nFRESH host A's write read on host B after {seen_after * 1000:.0f} ms")


def nothing_lost_through_the_balancer(nginx, database_url):
    """The run tier's nothing-lost check, through nginx to both hosts."""
    bodies = write_bodies("balanced")
    results = send_writes(nginx.port, bodies, host=BALANCER)
    assert_every_write_answered_and_kept(
        bodies, results, stored_writes(database_url, "balanced")
    )


class Load:
    """``LOAD_CLIENTS`` threads reading pages through the balancer until stopped.

    Each answer is sorted as ``ANSWERED`` (a 2xx, whole), ``FAILED`` (no
    answer, or an error status) or ``CUT``: the status line came, then the
    body stopped short of its Content-Length (``IncompleteRead``).
    """

    def __init__(self, port):
        self.port = port
        self.results = []  # (outcome, seconds)
        self.running = True
        self.threads = [
            threading.Thread(target=self.client) for _ in range(LOAD_CLIENTS)
        ]

    def client(self):
        number = 0
        while self.running:
            path = PAGES[number % len(PAGES)]
            number += 1
            started = time.monotonic()
            outcome = self.read(path)
            self.results.append((outcome, time.monotonic() - started))

    def read(self, path):
        connection = http.client.HTTPConnection(BALANCER, self.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return ANSWERED if 200 <= response.status < 300 else FAILED
        except http.client.IncompleteRead:
            return CUT
        except (OSError, http.client.HTTPException):
            return FAILED
        finally:
            connection.close()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.running = False
        for thread in self.threads:
            thread.join()

    def count(self, outcome):
        return sum(1 for each, _ in self.results if each == outcome)

    def worst(self):
        return max(seconds for _, seconds in self.results)


ANSWERED, FAILED, CUT = "answered", "failed", "cut"
# nginx's line for a host that died after its response headers had been
# passed on (as against "... while reading response header from upstream",
# which nginx retries on the other host).
BODY_CUT = " while reading upstream, "


def a_killed_host_costs_no_failed_request(hosts, nginx):
    """SIGKILL to host B (server and workers) under load: nginx retries each
    request that found it dead on host A, so no client gets an error or no
    answer. The one loss no proxy can mend is a response host B was sending
    when it died: nginx had passed its headers on, so it cannot retry it. The
    client sees each such response cut short of its Content-Length (never a
    short page taken as whole), nginx logged each one, and there can be no
    more of them than requests in flight."""
    with Load(nginx.port) as load:
        time.sleep(LOAD_SECONDS / 3)
        hosts[1].kill()
        time.sleep(LOAD_SECONDS)
    failed, cut = load.count(FAILED), load.count(CUT)
    print(
        f"\nFAILURE app host killed (GET load): {len(load.results)} requests, "
        f"{failed} non-2xx, {cut} cut mid-body, worst {load.worst() * 1000:.0f} ms"
    )
    errors = nginx.errors()
    assert failed == 0, errors[-2000:]
    assert cut == errors.count(BODY_CUT) <= LOAD_CLIENTS, errors[-2000:]
    hosts[1].start()  # back; nginx tries it again after FAIL_TIMEOUT
    time.sleep(FAIL_TIMEOUT + 0.5)


def writes_while(nginx, prefix, event):
    """``write_bodies(prefix)`` sent through nginx; ``event()`` meanwhile."""
    bodies = write_bodies(prefix)
    results = []
    writer = threading.Thread(
        target=lambda: results.extend(send_writes(nginx.port, bodies, host=BALANCER))
    )
    writer.start()
    time.sleep(0.3)  # writes in flight on both hosts
    event()
    writer.join()
    return bodies, results


def a_host_stopped_for_a_deploy_loses_no_write(hosts, nginx, database_url):
    """A deploy under writes: host B is taken out of nginx (marked ``down``,
    reloaded: requests in flight finish), then stopped with SIGTERM. Every
    write is answered and kept; then B comes back into the rotation."""

    def deploy():
        nginx.take_out(hosts[1])
        hosts[1].stop()

    started = time.monotonic()
    bodies, results = writes_while(nginx, "host-drained", deploy)
    assert_every_write_answered_and_kept(
        bodies, results, stored_writes(database_url, "host-drained")
    )
    print(
        f"\nFAILURE app host taken out, then stopped (POST load): {len(results)} "
        f"writes, 0 unanswered, 0 lost, {time.monotonic() - started:.1f} s"
    )
    hosts[1].start()
    nginx.put_back(hosts[1])


def no_acknowledged_write_lost_when_a_host_dies(hosts, nginx, database_url):
    """Writes through nginx while host A dies: every acknowledged write is
    kept. nginx does not retry a POST the dead host had received (it may have
    been done): those few answer 502, and may or may not have been stored."""
    bodies, results = writes_while(nginx, "host-killed", hosts[0].kill)
    unknown, stored_anyway = assert_no_acknowledged_write_lost(
        bodies, results, stored_writes(database_url, "host-killed")
    )
    acknowledged = sum(status == 201 for status, _ in results)
    print(
        f"\nFAILURE app host killed (POST load): {len(results)} writes, "
        f"{acknowledged} acknowledged, {len(unknown)} unanswered (502), "
        f"{len(stored_anyway)} of those stored, 0 acknowledged lost"
    )
    assert acknowledged > 0


# -- the cache topologies, in the covering set's shared-cache projects ---------

CACHE_TOPOLOGY_TESTS = {
    "redis": ["tests/catalog/test_cache_redis_cluster.py"],
    "memcached": ["tests/catalog/test_cache_memcached.py", "-k", "pool_of_three"],
}
SHARED_CACHE_COMBINATIONS = {
    slug(answers): answers
    for answers in COVERING
    if answers["cache_backend"] in CACHE_TOPOLOGY_TESTS
}


@pytest.mark.parametrize("combination", sorted(SHARED_CACHE_COMBINATIONS))
def test_cache_topology(combination, tmp_path):
    """The project's own Redis Cluster (three masters, a replica each) or
    Memcached pool (three servers) tests, run in that baked project."""
    answers = SHARED_CACHE_COMBINATIONS[combination]
    project = bake(tmp_path, repo_name=f"topo_{combination}", **answers)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "REQUIRE_SERVICES": "1",  # a missing redis-server or memcached fails
    }
    env.pop("VIRTUAL_ENV", None)
    if answers["database"] == "postgresql":  # the example's rows
        env["TEST_DATABASE_URL"] = fresh_database(DATABASE or f"pf_{project.name}")
    subprocess.run(
        ["make", ".venv/.installed-testing"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [
            *(project / ".venv/bin/python", "-m", "pytest"),
            *CACHE_TOPOLOGY_TESTS[answers["cache_backend"]],
            *("-p", "no:cacheprovider", "-s", "-q"),
            f"--basetemp={tmp_path / 'pytest'}",  # where the servers' files go
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in output and " skipped" not in output, output[-3000:]
    print("\n" + "\n".join(line for line in output.splitlines() if "FAILURE" in line))
