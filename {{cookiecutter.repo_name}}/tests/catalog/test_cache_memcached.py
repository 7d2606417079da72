"""Memcached as the cache, against real servers: sharing, failing open, a pool.

The shared server is ``TEST_MEMCACHED_URL`` (default
``memcached://127.0.0.1:11211``); tests that kill a server start their own
``memcached`` processes on free ports. Without them the tests skip, or fail
with ``REQUIRE_SERVICES=1``.
"""

import contextlib
import os
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
from pymemcache.client.base import Client

from {{ cookiecutter.repo_name }}.caching.backend_memcached import servers

from ..services import memcached_server, require, url_reachable
from . import shared_cache
from .shared_cache import bound_after, make_cache, settings_for

MEMCACHED_URL = os.environ.get("TEST_MEMCACHED_URL", "memcached://127.0.0.1:11211")
# A failed server is retried after this long (tests wait for it, not 5 s).
RETRY_AFTER = 0.3
PAGES = ["/", "/items", "/items/3", "/api/items", "/api/items/3", "/api/items?page=2"]


@pytest.fixture
def memcached_url():
    require(
        url_reachable(MEMCACHED_URL, 11211),
        f"Memcached not reachable at {MEMCACHED_URL}",
    )
    return MEMCACHED_URL


@pytest.fixture
def throwaway_memcached():
    with memcached_server() as server:
        yield server


@pytest.fixture
def two_memcached():
    with memcached_server() as first, memcached_server() as second:
        yield first, second


@pytest.fixture
def three_memcached():
    with contextlib.ExitStack() as servers:
        yield [servers.enter_context(memcached_server()) for _ in range(3)]


def test_a_value_too_large_is_skipped_and_never_opens_the_breaker(memcached_url):
    cache = make_cache(settings_for(memcached_url))
    value = "x" * 1_500_000  # memcached's item limit is 1 MB by default
    large = counted(value)

    assert cache.get_or_create("items", "large", large) == value
    assert cache.get_or_create("items", "large", large) == value
    assert len(large.calls) == 2  # not stored, regenerated
    small = counted("small")
    cache.get_or_create("items", "small", small)
    cache.get_or_create("items", "small", small)
    assert len(small.calls) == 1  # the server keeps working
    assert cache.healthy and not cache.breaker.skipping


def client_for(url_or_port):
    if isinstance(url_or_port, int):
        return Client(("127.0.0.1", url_or_port))
    host, _, port = url_or_port.split("://")[1].split(",")[0].partition(":")
    return Client((host, int(port or 11211)))


def counted(value):
    """A creator that records its calls: a call is a miss."""
    calls = []

    def creator():
        calls.append(1)
        return value

    creator.calls = calls
    return creator


def server_ttl(url, key):
    """The seconds Memcached still keeps ``key`` (meta get ``mg <key> t``)."""
    host, _, port = url.split("://")[1].split(",")[0].partition(":")
    with socket.create_connection((host, int(port or 11211)), timeout=5) as sock:
        sock.sendall(f"mg {key} t\r\n".encode())
        reply = sock.recv(256).decode()
    assert reply.startswith("HD t"), reply  # "HD t<seconds>"; -1: never expires
    return int(reply.split()[1][1:])


def test_hit_miss_and_server_side_expiry(memcached_url):
    cache = make_cache(settings_for(memcached_url, **{"cache.expiration_time": "30"}))
    shared_cache.assert_created_once(cache)
    key = cache.region.key_mangler(cache.key("items", "k"))
    client = client_for(memcached_url)
    # JSON in memcached, not pickle: readable by any deploy of the app.
    assert client.get(key).endswith(b"|[1]")
    # Memcached keeps the entry past dogpile's expiry (one process regenerates
    # while the others serve the old value), twice as long, then drops it.
    assert 30 < server_ttl(memcached_url, key) <= 60

    short = make_cache(settings_for(memcached_url, **{"cache.expiration_time": "1"}))
    short.get_or_create("items", "k", lambda: [1])
    key = short.region.key_mangler(short.key("items", "k"))
    assert client.get(key) is not None
    deadline = time.monotonic() + 10  # a 2 s server TTL, on a loaded machine
    while client.get(key) is not None:
        assert time.monotonic() < deadline, "Memcached still holds the entry"
        time.sleep(0.1)


def test_generations_never_expire(memcached_url):
    key = shared_cache.assert_generations_last_until_a_write(memcached_url)
    # memcached's meta get: the seconds left, -1 for none
    assert client_for(memcached_url).raw_command(f"mg {key} t") == b"HD t-1"


def test_logical_expiry_regenerates(memcached_url):
    cache = make_cache(settings_for(memcached_url, **{"cache.expiration_time": "1"}))
    assert cache.get_or_create("items", "k", lambda: "old") == "old"
    assert cache.get_or_create("items", "k", lambda: "new") == "old"
    time.sleep(1.1)
    assert cache.get_or_create("items", "k", lambda: "new") == "new"


def test_corrupt_entries_are_regenerated(memcached_url):
    cache = make_cache(settings_for(memcached_url))
    client = client_for(memcached_url)

    def store_raw(key, data):
        client.set(key, data, noreply=False)  # stored before the cache reads it

    key = shared_cache.assert_corrupt_entries_are_regenerated(cache, store_raw)
    assert client.get(key).endswith(b"|[1]")


def test_two_app_instances_share_writes(memcached_url, committing_app):
    shared_cache.assert_two_app_instances_share_writes(
        committing_app, settings_for(memcached_url)
    )


def test_a_change_retires_only_the_pages_showing_it_everywhere(
    memcached_url, committing_app
):
    shared_cache.assert_a_change_retires_only_the_pages_showing_it(
        committing_app, settings_for(memcached_url)
    )


def test_server_killed_mid_run_fails_open_and_recovers(
    throwaway_memcached, committing_app, caplog
):
    port = throwaway_memcached.port
    settings = settings_for(
        f"memcached://127.0.0.1:{port}", **{"cache.retry_after": str(RETRY_AFTER)}
    )
    client = committing_app(**settings)
    assert client.get("/items").status_int == 200
    assert int(client_for(port).stats()[b"curr_items"]) > 0  # cached there
    bound = bound_after(lambda: client.get("/items/3"))

    throwaway_memcached.stop()
    stopped = time.monotonic()
    for path in ["/", "/items", "/items/3", "/api/items", "/api/items/3"] * 4:
        started = time.monotonic()
        assert client.get(path).status_int == 200
        assert time.monotonic() - started < bound
    assert client.get("/healthz").json["checks"]["cache"] == "degraded"
    # One warning per retry_after interval, not one per call.
    intervals = (time.monotonic() - stopped) / RETRY_AFTER
    assert 1 <= caplog.text.count("cache partly degraded") <= intervals + 1

    throwaway_memcached.start()  # same port, empty: no restart of the app
    time.sleep(2 * RETRY_AFTER)  # the dead server is due for a retry
    deadline = time.monotonic() + 5
    while not int(client_for(port).stats()[b"curr_items"]):
        assert time.monotonic() < deadline, "caching did not resume"
        assert client.get("/items").status_int == 200
        time.sleep(RETRY_AFTER / 3)
    time.sleep(RETRY_AFTER)  # the degraded mark runs out
    assert client.get("/healthz").json["checks"]["cache"] == "ok"


def test_server_that_stops_answering_costs_bounded_time(
    throwaway_memcached, committing_app
):
    # A long timeout here, so that skipping the server is told apart from a
    # slow (busy CI) request: ten calls that each waited would take 10 s.
    timeout = 1.0
    url = f"memcached://127.0.0.1:{throwaway_memcached.port}"
    client = committing_app(
        **settings_for(url, **{"cache.retry_after": "60", "cache.timeout": "1"})
    )
    client.get("/items")
    throwaway_memcached.pause()  # port open, no answers: calls time out
    durations = []
    for _ in range(10):
        started = time.monotonic()
        assert client.get("/items").status_int == 200
        durations.append(time.monotonic() - started)
    assert durations[0] < 2 * timeout + 1.5  # the calls that found it silent
    assert sum(durations[1:]) < 3 * timeout  # the rest skip it


# -- a pool of servers -------------------------------------------------------------


def test_pool_spreads_keys_and_survives_one_dead_server(two_memcached, caplog):
    first, second = two_memcached
    url = f"memcached://127.0.0.1:{first.port},127.0.0.1:{second.port}"
    cache = make_cache(settings_for(url, **{"cache.retry_after": "60"}))
    keys = [f"k{number}" for number in range(40)]
    for key in keys:
        cache.get_or_create("items", key, lambda key=key: key)

    def stored_on(server):
        client = client_for(server.port)
        return {
            key
            for key in keys
            if client.get(cache.region.key_mangler(cache.key("items", key)))
        }

    on_first, on_second = stored_on(first), stored_on(second)
    assert on_first and on_second, "consistent hashing uses both servers"
    assert on_first | on_second == set(keys) and not on_first & on_second

    generation_key = cache.region.key_mangler(cache._generation_key("items"))
    generation_on_second = client_for(second.port).get(generation_key) is not None
    bound = bound_after(lambda: cache.get_or_create("items", keys[0], counted(0)))
    second.stop()
    missed = set()
    for key in keys:
        started = time.monotonic()
        creator = counted(key)
        assert cache.get_or_create("items", key, creator) == key
        assert time.monotonic() - started < bound
        if creator.calls:
            missed.add(key)
    # The dead server's share misses; the other server keeps hitting. If the
    # generation token was on the dead server, a new token makes every key
    # miss once instead: still correct, never stale.
    assert missed == (set(keys) if generation_on_second else on_second)
    assert not cache.healthy
    assert not cache.ping()  # /healthz: degraded
    assert caplog.text.count("cache partly degraded") == 1

    # Once the dead server is out of the ring its keys move to the live one.
    for key in on_second:
        assert cache.get_or_create("items", key, counted(key)) == key
        creator = counted(key)
        assert cache.get_or_create("items", key, creator) == key
        assert not creator.calls


def test_pool_of_three_one_down_then_back(three_memcached, committing_app, caplog):
    """One of three servers dies: pages keep coming (fail-open), the two others
    keep their keys; once it is back (empty, same port) it gets its share again."""
    url = "memcached://" + ",".join(f"127.0.0.1:{s.port}" for s in three_memcached)
    # A killed server refuses at once; a generous timeout keeps a live server
    # that is merely slow on a loaded machine from being taken for dead.
    settings = settings_for(url, **{"cache.retry_after": "0.3", "cache.timeout": "5"})
    client = committing_app(**settings)
    registry = client.app.registry
    cache = registry.cache
    keys = [f"k{number}" for number in range(60)]

    def stored_on(server):
        probe = client_for(server.port)
        return {
            key
            for key in keys
            if probe.get(cache.region.key_mangler(cache.key("items", key)))
        }

    for key in keys:
        cache.get_or_create("items", key, lambda key=key: key)
    shares = [stored_on(server) for server in three_memcached]
    assert all(shares) and set().union(*shares) == set(keys)
    for path in PAGES:
        assert client.get(path).status_int == 200
    bound = bound_after(lambda: client.get("/items/3"))
    generation_key = cache.region.key_mangler(cache._generation_key("items"))
    holder = next(
        number
        for number, server in enumerate(three_memcached)
        if client_for(server.port).get(generation_key) is not None
    )
    dead = (holder + 1) % 3  # not the generation's server: its keys stay valid
    three_memcached[dead].stop()

    statuses, worst = [], 0.0
    for _ in range(10):
        for path in PAGES:
            registry.page_store.local.clear()  # every request asks the pool
            started = time.monotonic()
            statuses.append(client.get(path, expect_errors=True).status_int)
            worst = max(worst, time.monotonic() - started)
    assert set(statuses) == {200} and worst < bound
    missed = set()
    for key in keys:
        creator = counted(key)
        assert cache.get_or_create("items", key, creator) == key
        if creator.calls:
            missed.add(key)
    assert missed == shares[dead]  # the live servers' keys kept hitting
    assert client.get("/healthz").json["checks"]["cache"] == "degraded"
    assert "cache partly degraded" in caplog.text

    three_memcached[dead].start()  # same port, empty
    time.sleep(2 * RETRY_AFTER)  # due for a retry: back in the ring
    for key in keys:
        cache.get_or_create("items", key, lambda key=key: key)
    assert stored_on(three_memcached[dead]) == shares[dead]  # its share again
    time.sleep(RETRY_AFTER)  # the degraded mark runs out
    assert client.get("/healthz").json["checks"]["cache"] == "ok"
    print(
        f"\nFAILURE memcached 1 of 3 killed: {len(statuses)} requests, "
        f"{sum(status >= 300 for status in statuses)} non-2xx, "
        f"worst {worst * 1000:.0f} ms, {len(missed)}/{len(keys)} keys missed"
    )


def test_pool_url_parsing():
    assert servers(urlsplit("memcached://a,b:11212,c:1")) == [
        "a:11211",
        "b:11212",
        "c:1",
    ]


# -- connections ---------------------------------------------------------------


def total_connections(probe):
    """Connections the server accepted since it started."""
    return int(probe.stats()[b"total_connections"])


def in_fresh_thread(function):
    """Run ``function`` the way the gevent server runs a request: in a new
    greenlet that then ends (here a thread; per-thread state behaves the same)."""
    worker = threading.Thread(target=function)
    worker.start()
    worker.join()


def test_requests_in_new_greenlets_reuse_pooled_connections(throwaway_memcached):
    """dogpile keeps one memcached client per thread (threading.local): under
    gevent, one per greenlet, i.e. a new connection per request. Not here."""
    port = throwaway_memcached.port
    probe = client_for(port)  # one connection, kept open: counted once
    # A generous timeout: on a loaded machine a timed-out call drops its
    # connection and opens a new one, which is right but not what is counted.
    cache = make_cache(
        settings_for(f"memcached://127.0.0.1:{port}", **{"cache.timeout": "5"})
    )
    cache.get_or_create("items", "first", str)  # opens the pooled connection
    before = total_connections(probe)
    for number in range(50):
        in_fresh_thread(lambda number=number: cache.get_or_create("items", number, str))
    assert total_connections(probe) == before  # all 50 reused the pooled one
