"""The cache service with any backend: hits, generations, failing open.

Server-specific behaviour (sharing between processes, a server stopped in the
middle of a run) is in ``catalog/test_cache_redis.py`` /
``catalog/test_cache_memcached.py``; fragments and the example's pages in
``catalog/test_cache_pages.py``.
"""

import logging
import sys
import time

import pytest
from dogpile.cache import make_region
from dogpile.cache.api import NO_VALUE, CacheBackend, CantDeserializeException

from {{ cookiecutter.repo_name }}.caching import backends, store
from {{ cookiecutter.repo_name }}.caching.backends import (
    backend_from_url,
    deserialize,
    serialize,
)
from {{ cookiecutter.repo_name }}.caching.failopen import (
    CircuitBreaker,
    FailOpen,
    FailOpenMutex,
    well_formed,
)
from {{ cookiecutter.repo_name }}.caching.store import Cache, cache_from_settings


class BrokenBackend(CacheBackend):
    """A backend whose server is gone: every call raises, like a refused socket."""

    def __init__(self, arguments=None):
        self.calls = 0

    def _fail(self, *args):
        self.calls += 1
        raise ConnectionRefusedError("cache server down")

    get = get_multi = set = set_multi = delete = delete_multi = _fail
    get_serialized = get_serialized_multi = _fail
    set_serialized = set_serialized_multi = _fail
    get_mutex = _fail


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def memory(**settings):
    return cache_from_settings(
        {"cache.url": "memory://", "cache.quiet": "1", **settings}, "t"
    )


@pytest.fixture
def memory_cache():
    return memory()


@pytest.fixture
def broken_cache():
    """A memory cache whose backend is broken, with a clock the test moves."""
    cache = memory(**{"cache.retry_after": "5"})
    working = cache.region.backend.proxied
    cache.region.backend.proxied = BrokenBackend()
    cache.breaker.clock = FakeClock()
    cache.working_backend = working
    return cache


def test_get_or_create_hits_after_the_first_call(memory_cache):
    calls = []
    for _ in range(3):
        value = memory_cache.get_or_create("items", "k", lambda: calls.append(1) or 42)
    assert value == 42
    assert len(calls) == 1


def test_entries_expire(memory_cache):
    cache = memory(**{"cache.expiration_time": "1"})
    assert cache.get_or_create("items", "k", lambda: "old") == "old"
    time.sleep(1.1)
    assert cache.get_or_create("items", "k", lambda: "new") == "new"


def test_bump_invalidates_the_dataset_only(memory_cache):
    memory_cache.get_or_create("items", "k", lambda: "old")
    memory_cache.get_or_create("other", "k", lambda: "kept")
    memory_cache.bump("items")
    assert memory_cache.get_or_create("items", "k", lambda: "new") == "new"
    assert memory_cache.get_or_create("other", "k", lambda: "regenerated") == "kept"


def test_memory_cache_is_bounded():
    cache = memory(**{"cache.memory_size": "10"})
    for number in range(50):
        cache.get_or_create("items", str(number), lambda number=number: number)
    assert len(cache.region.backend.proxied._cache) <= 10


def test_the_generations_a_process_remembers_are_bounded(monkeypatch, memory_cache):
    monkeypatch.setattr(store, "RECENT_LIMIT", 10)
    for number in range(25):  # a scope per row: as many as the rows touched
        memory_cache.bump("items", scopes=(f"item:{number}",))
        assert memory_cache.recent_generation("items", max_age=60) is not None
    assert len(memory_cache._recent) <= 10
    # A forgotten generation is read again from the cache, unchanged.
    generations = memory_cache.scope_generations("items", ["item:0"])
    assert memory_cache.scope_generations("items", ["item:0"]) == generations


def test_memory_backend_says_it_is_per_process(caplog):
    logger = "{{ cookiecutter.repo_name }}.caching.store"
    with caplog.at_level(logging.INFO, logger=logger):
        cache_from_settings({"cache.url": "memory://"}, "t")
    assert "per process" in caplog.text


def test_broken_backend_fails_open_with_one_warning(broken_cache, caplog):
    results = [
        broken_cache.get_or_create("items", "k", lambda: "fresh") for _ in range(20)
    ]
    assert results == ["fresh"] * 20
    assert not broken_cache.healthy
    assert broken_cache.region.backend.proxied.calls == 1  # then skipped
    warnings = [r for r in caplog.records if "cache backend failed" in r.message]
    assert len(warnings) == 1


def test_breaker_probes_once_per_interval_and_recovers(broken_cache, caplog):
    broken = broken_cache.region.backend.proxied
    broken_cache.get_or_create("items", "k", lambda: 1)
    broken_cache.breaker.clock.now += 5
    for _ in range(10):
        broken_cache.get_or_create("items", "k", lambda: 1)
    assert broken.calls == 2  # one probe in the second interval, failed
    assert len([r for r in caplog.records if "failed" in r.message]) == 2
    broken_cache.region.backend.proxied = broken_cache.working_backend
    broken_cache.breaker.clock.now += 5
    assert broken_cache.get_or_create("items", "k", lambda: "cached") == "cached"
    assert broken_cache.healthy
    assert broken_cache.get_or_create("items", "k", lambda: "again") == "cached"
    assert "caching resumed" in caplog.text


def test_failed_calls_return_misses(broken_cache):
    fail_open = broken_cache.region.backend
    breaker = broken_cache.breaker
    assert fail_open.get("k") is NO_VALUE
    breaker.clock.now += 5
    assert fail_open.get_multi(["a", "b"]) == [NO_VALUE, NO_VALUE]
    breaker.clock.now += 5
    assert fail_open.get_serialized_multi(["a", "b"]) == [NO_VALUE, NO_VALUE]
    breaker.clock.now += 5
    assert fail_open.get_mutex("k") is None
    breaker.clock.now += 5
    fail_open.delete_multi(["a"])
    assert not breaker.healthy


def test_partial_failure_degrades_health_without_skipping_the_backend(caplog):
    breaker = CircuitBreaker(retry_after=5, clock=FakeClock())
    breaker.report(OSError("one server of the pool"))
    breaker.report(OSError("one server of the pool"))
    assert breaker.allow()
    assert not breaker.healthy
    assert caplog.text.count("partly degraded") == 1
    breaker.clock.now += 5
    assert breaker.healthy


class BrokenLock:
    def acquire(self, wait=True):
        raise ConnectionRefusedError("lock server down")

    release = acquire

    def locked(self):
        raise ConnectionRefusedError("lock server down")


def test_a_lock_on_a_dead_server_lets_the_creator_run():
    breaker = CircuitBreaker(retry_after=5, clock=FakeClock())
    mutex = FailOpenMutex(BrokenLock(), breaker)
    assert mutex.acquire(False) is True
    assert not breaker.healthy
    assert mutex.acquire(False) is True  # skipped while the breaker is open
    mutex.release()
    assert mutex.locked() is False
    breaker.clock.now += 5
    mutex.release()
    assert mutex.locked() is False


def test_undecodable_entries_are_misses():
    with pytest.raises(CantDeserializeException):
        deserialize(b"\x80\x04 pickled by an older release")
    assert deserialize(b'{"a": [1, 2]}') == {"a": [1, 2]}
    assert not well_formed(b"no metadata")
    assert not well_formed(b"{not json|1")
    assert not well_formed("text")
    assert well_formed(b'{"ct": 1.0, "v": 2}|1')


def test_corrupt_serialized_entries_are_regenerated():
    """A byte backend (as Redis and Memcached are) holding garbage: misses."""
    cache = Cache(
        make_region(serializer=serialize, deserializer=deserialize).configure(
            "dogpile.cache.memory", wrap=[FailOpen(CircuitBreaker(retry_after=5))]
        ),
        CircuitBreaker(retry_after=5),
        "t",
    )
    cache.get_or_create("items", "k", lambda: "cached")
    stored = cache.region.backend.proxied._cache
    for garbage in (b"\x80\x04pickle", b"no frame", b'{"ct": 1e12, "v": 2}|\x80'):
        for key in list(stored):
            if not key.endswith(":gen:items"):
                stored[key] = garbage
        assert cache.get_or_create("items", "k", lambda: "fresh") == "fresh"
    fail_open = cache.region.backend
    assert fail_open.get_serialized_multi(list(stored)) == [
        stored[key] for key in stored
    ]


def test_unknown_scheme_is_a_clear_error():
    with pytest.raises(ValueError, match="scheme must be"):
        backend_from_url(
            "redsi://x", expiration_time=1, memory_size=1, timeout=1, breaker=None
        )


@pytest.mark.parametrize(
    ("url", "extra"), [("redis://x", "redis"), ("memcached://x", "memcached")]
)
def test_backend_without_its_client_library_names_the_extra(monkeypatch, url, extra):
    """Every backend's module ships; the client library comes with an extra."""
    library = {"redis": "redis", "memcached": "pymemcache"}[extra]
    monkeypatch.setitem(sys.modules, library, None)  # as if not installed
    with pytest.raises(ValueError, match=rf"pip install -e '\.\[{extra}\]'"):
        backend_from_url(url, expiration_time=1, memory_size=1, timeout=1, breaker=None)


@pytest.mark.parametrize(
    ("url", "keeps_data"), [("memory://", True), ("none://", False)]
)
def test_in_process_backends_are_not_shared(url, keeps_data):
    cache = cache_from_settings({"cache.url": url, "cache.quiet": "true"}, "t")
    assert (cache.shared, cache.in_process, cache.keeps_data) == (
        False,
        True,
        keeps_data,
    )


def test_none_keeps_generations_and_no_data():
    """none://: nothing is stored, but a data set's generation stays put until
    a write in this process bumps it (ETag versions are reused as with memory)."""
    cache = cache_from_settings({"cache.url": "none://", "cache.quiet": "true"}, "t")
    assert cache.get_or_create("items", "page", lambda: 1) == 1
    assert cache.get_or_create("items", "page", lambda: 2) == 2  # not stored
    generation = cache.generation("items")
    assert cache.generation("items") == generation
    cache.bump("items")
    bumped = cache.generation("items")
    assert bumped != generation
    cache.drop_generations()
    assert cache.generation("items") != bumped  # deleted: a new one is made


def test_none_keeps_a_bounded_number_of_generations(monkeypatch):
    monkeypatch.setattr(backends, "NONE_GENERATIONS", 5)
    cache = cache_from_settings({"cache.url": "none://", "cache.quiet": "true"}, "t")
    for number in range(20):  # a scope per row a page names
        cache.scope_generations("items", [f"item:{number}"])
    assert len(cache.region.backend.proxied._generations) <= 5


def test_healthz_reports_a_degraded_cache(testapp, app, monkeypatch):
    breaker = CircuitBreaker(retry_after=60)
    breaker.failed(ConnectionRefusedError("down"))
    monkeypatch.setattr(app.registry.cache, "breaker", breaker)
    body = testapp.get("/healthz", status=200).json
    assert body["checks"]["cache"] == "degraded"
    assert body["status"] == "degraded"
