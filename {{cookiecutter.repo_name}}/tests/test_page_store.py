"""The page store's byte budget and the page cache's off switch."""

import os

from pyramid.paster import get_appsettings

from {{ cookiecutter.repo_name }}.caching import pagecache
from {{ cookiecutter.repo_name }}.caching.store import cache_from_settings

from .test_datasets import Articles, articles_app


def _entry(size, tag="t"):
    headers = (("Content-Type", "text/html"),)
    return pagecache.Entry("pages", tag, 10**10, None, headers, b"x" * size)


def test_this_process_keeps_pages_within_its_byte_budget():
    cache = cache_from_settings({"cache.url": "memory://", "cache.quiet": "1"}, "t")
    store = pagecache.PageStore(cache, memory_bytes=50_000)
    for number in range(200):
        store.put(f"page:{number}", _entry(1000))

    assert 40_000 < store.bytes <= 50_000
    assert store.get("page:199") is not None and store.get("page:0") is None
    store.put("page:huge", _entry(60_000))  # larger than the whole budget
    assert store.get("page:huge") is None
    assert store.bytes <= 50_000


def test_pages_never_take_the_data_caches_room():
    cache = cache_from_settings({"cache.url": "memory://", "cache.quiet": "1"}, "t")
    store = pagecache.PageStore(cache, memory_bytes=50_000)
    cache.set("data", "kept")
    for number in range(20_000):  # twice cache.memory_size
        store.put(f"page:{number}", _entry(10))

    assert cache.get("data") == "kept"


def test_a_cache_that_keeps_nothing_stores_no_page():
    cache = cache_from_settings({"cache.url": "none://"}, "t")
    store = pagecache.PageStore(cache, memory_bytes=50_000)
    store.put("page:1", _entry(10))

    assert store.get("page:1") is None


def test_the_off_switch_stores_nothing(app_settings):
    articles = Articles()
    client = articles_app({**app_settings, "pagecache.enabled": "false"}, articles)
    client.get("/articles")
    client.get("/articles")

    assert articles.renders == 2
    assert getattr(client.app.registry, "page_cache", None) is None
    assert "ETag" in client.get("/articles").headers  # ETags keep working
    engine = client.app.registry.get("dbengine")
    if engine is not None:
        engine.dispose()


def test_development_turns_the_page_cache_off(ini_file):
    development = os.path.join(os.path.dirname(ini_file), "development.ini")
    settings = get_appsettings(development)

    assert settings["pagecache.enabled"] == "false"  # the toolbar rewrites pages
