"""What every shared cache (Redis, Memcached) must do, checked by each one's tests."""

import time
import uuid

from dogpile.cache.api import NO_VALUE

from {{ cookiecutter.repo_name }}.caching.store import cache_from_settings

# The bound documented in cache.py is 2 * cache.timeout per failing call; the
# rest is the request's own time on a busy CI (redis-py's own defaults would
# stall >= 4 s).
TIMEOUT = 0.2
BOUND = 2 * TIMEOUT + 1.5


def bound_after(call):
    """``BOUND`` plus five times what ``call()`` takes now, with the cache up.

    The request's own time on this machine, measured in the same test: a
    loaded CI runner slows it, not the cache's timeouts the bound is about.
    """
    started = time.monotonic()
    call()
    return BOUND + 5 * (time.monotonic() - started)


# Bytes another program (or an older release) may have left under a key.
GARBAGE = (b"\x80\x04garbage", b'{"ct": 1e12, "v": 2}|\x80not json', b"|")
NEW_ITEM = {"name": "Shared", "price_cents": 5, "category_id": 1}


def settings_for(url, **extra):
    """Settings for a cache at ``url``, in a namespace of its own."""
    return {
        "cache.url": url,
        "cache.namespace": f"test-{uuid.uuid4().hex[:8]}",
        "cache.timeout": str(TIMEOUT),
        **extra,
    }


def make_cache(settings):
    return cache_from_settings(settings, settings["cache.namespace"])


def assert_created_once(cache):
    """Repeated reads of one key: the first creates the value, the others hit."""
    calls = []
    for _ in range(3):
        assert cache.get_or_create("items", "k", lambda: calls.append(1) or [1]) == [1]
    assert len(calls) == 1


def assert_corrupt_entries_are_regenerated(cache, store_raw):
    """Each undecodable entry is a miss, regenerated once; the breaker stays closed.

    ``store_raw(key, data)`` writes bytes under a backend key, bypassing the
    cache. Returns that key, holding the regenerated entry.
    """
    key = cache.region.key_mangler(cache.key("items", "k"))
    calls = []

    def regenerate():
        calls.append(1)
        return [1]

    for garbage in GARBAGE:
        store_raw(key, garbage)
        assert cache.get_or_create("items", "k", regenerate) == [1]
        assert cache.healthy
    assert len(calls) == len(GARBAGE)  # once per corrupt entry
    return key


def assert_two_app_instances_share_writes(committing_app, settings):
    """A write through one app instance is read by another at once (no wait)."""
    writer, reader = committing_app(**settings), committing_app(**settings)
    before = reader.get("/api/items?page=3").json["items"]
    assert reader.get("/api/items?page=3").json["items"] == before  # cached

    created = writer.post_json("/api/items", NEW_ITEM).json

    after = reader.get("/api/items?page=3").json["items"]
    assert [item["id"] for item in after] == [item["id"] for item in before] + [
        created["id"]
    ]
    assert reader.get(f"/api/items/{created['id']}").json["name"] == "Shared"


def assert_a_change_retires_only_the_pages_showing_it(committing_app, settings):
    """Another instance's stored pages: those showing the changed item re-render."""
    settings = {**settings, "catalog.per_page": "20"}  # six list pages
    writer, reader = committing_app(**settings), committing_app(**settings)
    pages = [f"/api/items?page={number}" for number in range(1, 7)]
    pages += ["/", "/items?page=3", "/items/45", "/api/items/45", "/items/7"]
    before = {url: reader.get(url).headers["ETag"] for url in pages}
    old_name = writer.get("/api/items/45").json["name"]
    writer.patch_json("/api/items/45", {"name": "Shared"})
    try:
        after = {url: reader.get(url) for url in pages}
    finally:
        writer.patch_json("/api/items/45", {"name": old_name})
    rendered = {
        url
        for url, response in after.items()
        if response.headers["Server-Timing"] != 'page;desc="stored"'
    }
    shows_it = {"/api/items?page=3", "/items?page=3", "/items/45", "/api/items/45"}
    assert rendered == shows_it
    assert {
        url for url in pages if after[url].headers["ETag"] != before[url]
    } == shows_it
    assert after["/api/items/45"].json["name"] == "Shared"


def assert_generations_last_until_a_write(url):
    """Entries lapse on the server (after 2 x cache.expiration_time); a data
    set's generation does not, so its ETags and stored pages stay valid until a
    write. Returns the generation's backend key."""
    cache = make_cache(settings_for(url, **{"cache.expiration_time": "1"}))
    generation = cache.generation("items")
    cache.get_or_create("items", "k", lambda: [1])
    entry = cache.region.key_mangler(cache.key("items", "k", generation))
    deadline = time.monotonic() + 5
    while cache.region.backend.get_serialized(entry) is not NO_VALUE:
        assert time.monotonic() < deadline, "the entry did not lapse on the server"
        time.sleep(0.1)
    assert cache.generation("items") == generation
    cache.bump("items")
    assert cache.generation("items") != generation
    return cache.region.key_mangler(cache._generation_key("items"))
