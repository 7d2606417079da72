"""Redis as the cache, against real servers: sharing, failing open, Sentinel.

The shared server is ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``);
tests that stop or pause a server start their own ``redis-server`` on a free
port. Without them the tests skip, or fail with ``REQUIRE_SERVICES=1``.
"""

import os
import time

import pytest
import redis

from {{ cookiecutter.repo_name }}.caching.store import cache_from_settings

from ..services import (
    ThrowawayServer,
    redis_server,
    require,
    url_reachable,
)
from . import shared_cache
from .shared_cache import bound_after, make_cache, settings_for

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url():
    require(url_reachable(REDIS_URL, 6379), f"Redis not reachable at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def throwaway_redis():
    with redis_server() as server:
        yield server


def test_hit_miss_and_server_side_expiry(redis_url):
    cache = make_cache(settings_for(redis_url, **{"cache.expiration_time": "30"}))
    shared_cache.assert_created_once(cache)
    client = redis.Redis.from_url(redis_url)
    key = cache.region.key_mangler(cache.key("items", "k"))
    assert 30 < client.ttl(key) <= 60  # Redis keeps it past dogpile's expiry


def test_generations_never_expire(redis_url):
    key = shared_cache.assert_generations_last_until_a_write(redis_url)
    assert redis.Redis.from_url(redis_url).ttl(key) == -1  # no expiry


def test_scope_generations_never_expire(redis_url):
    cache = make_cache(settings_for(redis_url, **{"cache.expiration_time": "30"}))
    cache.bump("items", scopes=("item:7",))
    cache.scope_generations("items", ["item:8"])  # created on first use
    client = redis.Redis.from_url(redis_url)
    for scope in ("item:7", "item:8"):
        key = cache.region.key_mangler(cache._generation_key(f"items/{scope}"))
        assert client.ttl(key) == -1
    cache.drop_generations()


def test_logical_expiry_regenerates(redis_url):
    cache = make_cache(settings_for(redis_url, **{"cache.expiration_time": "1"}))
    assert cache.get_or_create("items", "k", lambda: "old") == "old"
    time.sleep(1.1)
    assert cache.get_or_create("items", "k", lambda: "new") == "new"


def test_corrupt_entries_are_regenerated(redis_url):
    cache = make_cache(settings_for(redis_url))
    client = redis.Redis.from_url(redis_url)
    key = shared_cache.assert_corrupt_entries_are_regenerated(cache, client.set)
    assert client.get(key).endswith(b"|[1]")


def test_two_app_instances_share_writes(redis_url, committing_app):
    shared_cache.assert_two_app_instances_share_writes(
        committing_app, settings_for(redis_url)
    )


def test_a_change_retires_only_the_pages_showing_it_everywhere(
    redis_url, committing_app
):
    shared_cache.assert_a_change_retires_only_the_pages_showing_it(
        committing_app, settings_for(redis_url)
    )


def test_server_stopped_mid_run_fails_open_and_recovers(
    throwaway_redis, committing_app, caplog
):
    url = f"redis://127.0.0.1:{throwaway_redis.port}/0"
    client = committing_app(**settings_for(url, **{"cache.retry_after": "60"}))
    breaker = client.app.registry.cache.breaker
    assert client.get("/items").status_int == 200
    assert redis.Redis(port=throwaway_redis.port).dbsize() > 0  # cached there
    bound = bound_after(lambda: client.get("/items/3"))

    throwaway_redis.stop()
    for path in ["/", "/items", "/items/3", "/api/items", "/api/items/3"] * 4:
        started = time.monotonic()
        assert client.get(path).status_int == 200
        assert time.monotonic() - started < bound
    assert client.get("/healthz").json["checks"]["cache"] == "degraded"
    assert caplog.text.count("cache backend failed") == 1

    throwaway_redis.start()  # same port, empty: no restart of the app
    breaker.clock = lambda: time.monotonic() + 60  # the next call probes
    assert client.get("/items").status_int == 200
    assert client.get("/healthz").json["checks"]["cache"] == "ok"
    assert redis.Redis(port=throwaway_redis.port).dbsize() > 0
    assert "caching resumed" in caplog.text


def test_server_that_stops_answering_costs_one_timeout(throwaway_redis, committing_app):
    url = f"redis://127.0.0.1:{throwaway_redis.port}/0"
    client = committing_app(**settings_for(url, **{"cache.retry_after": "60"}))
    client.get("/items")
    bound = bound_after(lambda: client.get("/items"))
    throwaway_redis.pause()  # port open, no answers: every call would time out
    durations = []
    for _ in range(10):
        started = time.monotonic()
        assert client.get("/items").status_int == 200
        durations.append(time.monotonic() - started)
    assert durations[0] < bound  # the call that opened the breaker
    assert sum(durations[1:]) < bound  # the rest skip the server


def fill(port):
    """Make Redis full: used memory over ``maxmemory`` (``noeviction``), so
    every write is refused while reads go on."""
    client = redis.Redis(port=port)
    for number in range(20):
        client.set(f"junk:{number}", b"x" * 100_000)
    client.config_set("maxmemory", "1mb")
    with pytest.raises(redis.exceptions.ResponseError, match="maxmemory"):
        client.set("probe", b"1")


def test_a_refused_write_is_skipped_and_never_opens_the_breaker(
    throwaway_redis, committing_app, caplog
):
    url = f"redis://127.0.0.1:{throwaway_redis.port}/0"
    client = committing_app(**settings_for(url, **{"cache.retry_after": "60"}))
    registry = client.app.registry
    warm = client.get("/items/3").text
    client.get("/items/3")
    fill(throwaway_redis.port)
    registry.page_store.local.clear()  # read the warm page from Redis

    assert client.get("/items/3").text == warm
    for path in ["/", "/items", "/items?page=2", "/api/items/4"]:
        assert client.get(path).status_int == 200  # rendered, not stored
    cache = registry.cache
    assert cache.get_or_create("items", "new", lambda: [2]) == [2]  # lock refused
    assert cache.healthy and not cache.breaker.skipping
    assert client.get("/healthz").json["checks"]["cache"] == "ok"
    assert caplog.text.count("cache server refused a write") == 1
    assert "cache backend failed" not in caplog.text


# -- Sentinel ------------------------------------------------------------------


@pytest.fixture
def sentinel(throwaway_redis, tmp_path):
    config = tmp_path / "sentinel.conf"
    config.write_text(
        f"sentinel monitor cachemaster 127.0.0.1 {throwaway_redis.port} 1\n"
        "sentinel down-after-milliseconds cachemaster 1000\n"
    )
    command = ["redis-server", str(config), "--sentinel", "--port", "{port}"]
    with ThrowawayServer(command) as server:
        yield server


def test_sentinel_url_finds_the_master(sentinel, throwaway_redis, committing_app):
    url = f"redis+sentinel://127.0.0.1:{sentinel.port}/cachemaster/0"
    cache = make_cache(settings_for(url))
    shared_cache.assert_created_once(cache)
    master = redis.Redis(port=throwaway_redis.port)
    assert master.dbsize() > 0
    assert master.ttl(cache.region.key_mangler(cache._generation_key("items"))) == -1
    shared_cache.assert_two_app_instances_share_writes(
        committing_app, settings_for(url)
    )


def test_sentinel_master_down_fails_open(sentinel, throwaway_redis, committing_app):
    url = f"redis+sentinel://127.0.0.1:{sentinel.port}/cachemaster/0"
    client = committing_app(**settings_for(url))
    client.get("/items")
    bound = bound_after(lambda: client.get("/items"))
    throwaway_redis.stop()
    started = time.monotonic()
    assert client.get("/items").status_int == 200
    assert time.monotonic() - started < bound
    assert client.get("/healthz").json["checks"]["cache"] == "degraded"


# -- Cluster ---------------------------------------------------------------------


@pytest.fixture
def one_node_cluster(tmp_path):
    """A Redis Cluster of one node owning every slot (enough for the client)."""
    with redis_server(
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        str(tmp_path / "n.conf"),
        highest=55535,  # the cluster bus listens on port + 10000
    ) as server:
        node = redis.Redis(port=server.port)
        node.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        deadline = time.monotonic() + 10
        while b"cluster_state:ok" not in node.execute_command("CLUSTER", "INFO"):
            assert time.monotonic() < deadline, "cluster did not become ready"
            time.sleep(0.05)
        yield server


def test_cluster_url(one_node_cluster):
    url = f"redis+cluster://127.0.0.1:{one_node_cluster.port}"
    cache = make_cache(settings_for(url))
    shared_cache.assert_created_once(cache)
    cache.set("page:x", "stored")
    # The page cache's single read spans hash slots (plain MGET refuses those).
    assert cache.peek(["items"], "page:x") == (
        {"items": cache.generation("items")},
        "stored",
    )
    node = redis.Redis(port=one_node_cluster.port)
    assert node.ttl(cache.region.key_mangler(cache._generation_key("items"))) == -1
    assert cache.healthy
    one_node_cluster.stop()
    assert cache.get_or_create("items", "k2", lambda: "fresh") == "fresh"
    assert not cache.healthy


def test_cluster_down_at_start_up_does_not_stop_the_app():
    cache = make_cache(settings_for("redis+cluster://127.0.0.1:1"))
    assert cache.get_or_create("items", "k", lambda: "fresh") == "fresh"
    assert not cache.healthy


def test_sentinel_url_needs_a_service_name():
    with pytest.raises(ValueError, match="service_name"):
        cache_from_settings({"cache.url": "redis+sentinel://127.0.0.1:26379"}, "t")


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:1/0",
        "rediss://127.0.0.1:1/0",
        "redis+sentinel://127.0.0.1:1/mymaster/0",
        "redis+cluster://127.0.0.1:1",
    ],
)
def test_every_redis_form_is_shared(url):
    """One place decides (the backend object): ETags and invalidations then use
    the shared generations, whichever form the URL takes. No server is needed
    to build the cache: clients connect on first use."""
    cache = cache_from_settings({"cache.url": url}, "t")
    assert (cache.shared, cache.in_process, cache.keeps_data) == (True, False, True)
