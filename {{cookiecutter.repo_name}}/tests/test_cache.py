"""The cache service: hits, generations and failing open (any backend)."""

import pytest
from dogpile.cache.api import NO_VALUE, CacheBackend

from {{ cookiecutter.repo_name }}.cache import backend_from_url, cache_from_settings


class BrokenBackend(CacheBackend):
    """A backend whose server is gone: every call raises, like a refused socket."""

    calls = 0

    def __init__(self, arguments):
        pass

    def _fail(self, *args):
        BrokenBackend.calls += 1
        raise ConnectionRefusedError("cache server down")

    get = get_multi = set = set_multi = delete = delete_multi = _fail
    get_serialized = get_serialized_multi = _fail
    set_serialized = set_serialized_multi = _fail
    get_mutex = _fail


@pytest.fixture
def memory_cache():
    return cache_from_settings({"cache.url": "memory://", "cache.quiet": "1"}, "t")


def test_get_or_create_hits_after_the_first_call(memory_cache):
    calls = []
    for _ in range(3):
        value = memory_cache.get_or_create("items", "k", lambda: calls.append(1) or 42)
    assert value == 42
    assert len(calls) == 1


def test_bump_invalidates_the_dataset_only(memory_cache):
    memory_cache.get_or_create("items", "k", lambda: "old")
    memory_cache.get_or_create("other", "k", lambda: "kept")
    memory_cache.bump("items")
    assert memory_cache.get_or_create("items", "k", lambda: "new") == "new"
    assert memory_cache.get_or_create("other", "k", lambda: "regenerated") == "kept"


def test_memory_cache_is_bounded():
    cache = cache_from_settings(
        {"cache.url": "memory://", "cache.memory_size": "10", "cache.quiet": "1"}, "t"
    )
    for number in range(50):
        cache.get_or_create("items", str(number), lambda number=number: number)
    assert len(cache.region.backend.proxied._cache) <= 10


def test_broken_backend_fails_open_with_a_circuit_breaker(caplog):
    BrokenBackend.calls = 0
    cache = cache_from_settings(
        {"cache.url": "memory://", "cache.retry_after": "60"}, "t"
    )
    cache.region.backend.proxied = BrokenBackend({})
    results = [cache.get_or_create("items", "k", lambda: "fresh") for _ in range(20)]
    assert results == ["fresh"] * 20
    assert not cache.healthy
    assert BrokenBackend.calls == 1  # then skipped for retry_after seconds
    warnings = [r for r in caplog.records if "cache backend failed" in r.message]
    assert len(warnings) == 1


def test_failed_calls_return_misses(memory_cache):
    memory_cache.region.backend.proxied = BrokenBackend({})
    fail_open = memory_cache.fail_open
    assert fail_open.get("k") is NO_VALUE
    fail_open.open_until = 0
    assert fail_open.get_multi(["a", "b"]) == [NO_VALUE, NO_VALUE]
    fail_open.open_until = 0
    assert fail_open.get_mutex("k") is None


def test_unknown_scheme_is_a_clear_error():
    with pytest.raises(ValueError, match="scheme must be"):
        backend_from_url("redsi://x", expiration_time=1, memory_size=1, timeout=1)
