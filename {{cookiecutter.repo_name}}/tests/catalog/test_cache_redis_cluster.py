"""Redis Cluster as the cache: three masters with a replica each, for real.

Six throwaway ``redis-server`` processes joined by ``redis-cli --cluster
create`` (``services.ThrowawayCluster``), stopped whatever the outcome.

Keys are spread over the 16384 hash slots by their sha1 (no hash tags): a
data set's entries land on every master, so a hot data set loads them all.
The one call that reads several keys at once, the page cache's ``peek`` (the
generations of a page's data sets and the page itself), reads them per slot
(``mget_nonatomic``); so does deleting several generations. Hash tags would
put a whole data set on one master and buy nothing here: every other call
reads one key.
"""

import threading
import time

import pytest
import redis

from ..services import ThrowawayCluster
from . import shared_cache
from .shared_cache import bound_after, make_cache, settings_for

PATHS = ["/", "/items", "/items/3", "/api/items", "/api/items/3", "/api/items?page=2"]
# A failed call skips the cluster this long, then one probe call goes through.
RETRY_AFTER = 0.5


@pytest.fixture
def cluster(tmp_path):
    with ThrowawayCluster(tmp_path, masters=3, replicas=1) as cluster:
        yield cluster


def stored_on(cluster, key):
    """The port of the master holding ``key`` (a backend key, as mangled)."""
    port = cluster.client().get_node_from_key(key).port
    assert redis.Redis(port=port).exists(key)
    return port


def test_cache_generations_and_locks_work_across_slots(cluster):
    cache = make_cache(settings_for(cluster.url))
    other = make_cache(settings_for(cluster.url))  # another process
    other.namespace = cache.namespace
    shared_cache.assert_created_once(cache)
    keys = [f"k{number}" for number in range(30)]
    for key in keys:
        cache.get_or_create("items", key, lambda key=key: key)
    mangled = [cache.region.key_mangler(cache.key("items", key)) for key in keys]
    holders = {stored_on(cluster, key) for key in mangled}
    assert len(holders) == 3  # one data set's entries are on every master

    # A generation never expires, on whichever master holds it.
    generation_key = cache.region.key_mangler(cache._generation_key("items"))
    holder = redis.Redis(port=stored_on(cluster, generation_key))
    assert holder.ttl(generation_key) == -1

    # The page cache's one read spans slots: plain MGET refuses it.
    for dataset in ("items", "categories", "tags"):
        cache.generation(dataset)
    cache.set("page:x", "stored")
    read = [
        cache.region.key_mangler(cache._generation_key(dataset))
        for dataset in ("items", "categories", "tags")
    ] + [cache.region.key_mangler(f"{cache.namespace}:page:x")]
    client = cluster.client()
    assert len({client.keyslot(key) for key in read}) > 1
    with pytest.raises(redis.exceptions.RedisClusterException):
        client.mget(read)
    generations, value = other.peek(["items", "categories", "tags"], "page:x")
    assert value == "stored"
    assert generations == {
        dataset: cache.generation(dataset)
        for dataset in ("items", "categories", "tags")
    }

    # A write in one process is seen by the other at once, whichever master.
    before = other.get_or_create("items", "k0", lambda: "unused")
    cache.bump("items")
    assert other.get_or_create("items", "k0", lambda: "after the write") != before

    # Deleting several generations (spread over slots) in one call.
    cache.drop_generations()
    assert not any(client.exists(key) for key in read[:3])

    # The distributed lock: one creator across processes for a key.
    calls = []

    def slow_creator():
        calls.append(1)
        time.sleep(0.5)
        return "made once"

    threads = [
        threading.Thread(
            target=lambda each=each: each.get_or_create("items", "slow", slow_creator)
        )
        for each in (cache, other, cache, other)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert cache.healthy and other.healthy


def test_master_killed_fails_open_then_the_promoted_replica_is_used(
    cluster, committing_app, caplog
):
    """SIGKILL to a master under requests: every page is served (from the
    database while its slots are down), then the same app, not restarted,
    caches again on the cluster with the promoted replica."""
    client = committing_app(
        **settings_for(cluster.url, **{"cache.retry_after": str(RETRY_AFTER)})
    )
    registry = client.app.registry
    for path in PATHS:
        assert client.get(path).status_int == 200
    bound = bound_after(lambda: client.get("/items/3"))
    masters = cluster.masters()
    victim = masters[0]
    assert redis.Redis(port=victim.port).dbsize() > 0  # it held part of the cache

    victim.stop()  # SIGKILL: no goodbye to the cluster
    killed = time.monotonic()
    statuses, worst, promoted_after = [], 0.0, None
    # Serve through the failover: the replica is promoted within seconds.
    while promoted_after is None or time.monotonic() - killed < promoted_after + 2:
        for path in PATHS:
            registry.page_store.local.clear()  # every request asks the cluster
            started = time.monotonic()
            statuses.append(client.get(path, expect_errors=True).status_int)
            worst = max(worst, time.monotonic() - started)
        if promoted_after is None and len(cluster.masters()) == 3:
            promoted_after = time.monotonic() - killed
        assert time.monotonic() - killed < 30, "no replica took over"
    assert "cache backend failed" in caplog.text
    assert set(statuses) == {200}
    assert worst < bound

    new_masters = cluster.wait_until_ok()
    assert victim not in new_masters
    time.sleep(RETRY_AFTER)  # the breaker lets its next probe through
    for path in PATHS:
        assert client.get(path).status_int == 200
    assert client.get("/healthz").json["checks"]["cache"] == "ok"
    # Same app, no restart: new entries land on the promoted replica too.
    (promoted,) = set(new_masters) - set(masters)
    cache = registry.cache
    keys = [f"after-{number}" for number in range(30)]
    for key in keys:
        cache.get_or_create("items", key, lambda key=key: key)
    mangled = [cache.region.key_mangler(cache.key("items", key)) for key in keys]
    assert promoted.port in {stored_on(cluster, key) for key in mangled}
    shared_cache.assert_created_once(cache)
    assert cache.healthy
    print(
        f"\nFAILURE redis-cluster master killed: {len(statuses)} requests, "
        f"{sum(status >= 300 for status in statuses)} non-2xx, worst "
        f"{worst * 1000:.0f} ms, promoted after {promoted_after:.1f} s"
    )
