"""Rendered-page cache: a warm public page is answered before Pyramid runs."""

import uuid
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import pytest
from pyramid.events import NewRequest
from pyramid.request import Request, apply_request_extensions

from {{ cookiecutter.repo_name }} import catalog
from {{ cookiecutter.repo_name }}.caching import datasets, pagecache
from {{ cookiecutter.repo_name }}.caching.store import cache_from_settings

from . import test_httpcache

# The same counting fixtures as the HTTP caching tests.
probe = test_httpcache.probe
version_queries = test_httpcache.version_queries

PAGES = ["/", "/items", "/items?page=2", "/items/7", "/api/items", "/api/items/7"]
NEW_ITEM = {"name": "Teapot", "price_cents": 1999, "category_id": 2, "tags": []}
# Set by the server per response: never compared between a miss and a hit.
PER_RESPONSE = {"Date", "Expires", "Server-Timing"}


@pytest.fixture
def keeps_data(app, monkeypatch):
    """A cache that keeps pages; with ``none://``, a memory cache for the test.

    ``cache.url`` is a setting: the page cache ships, and is tested, in every
    project, whatever backend it was generated with.
    """
    if app.registry.cache.keeps_data:
        return
    settings = {"cache.url": "memory://", "cache.quiet": "true"}
    memory = cache_from_settings(settings, f"test-{uuid.uuid4().hex[:8]}")
    monkeypatch.setattr(app.registry, "cache", memory)
    monkeypatch.setattr(app.registry.page_cache, "cache", memory)
    monkeypatch.setattr(app.registry.page_store, "cache", memory)


@pytest.fixture
def requests_seen(app):
    """How many requests reached Pyramid (a page-cache hit never does)."""
    seen = []

    def count(event):
        seen.append(event.request.path_qs)

    app.registry.registerHandler(count, (NewRequest,))
    yield seen
    app.registry.unregisterHandler(count, (NewRequest,))


@pytest.fixture
def reused_versions(app, monkeypatch):
    """Production's reuse of a data version (``httpcache.version_ttl``), here 60 s.

    testing.ini sets 0 (ask every time), which with the memory cache sends
    every request to Pyramid for the version query.
    """
    monkeypatch.setattr(app.registry.http_versions, "version_ttl", 60)


def comparable(headers):
    return {name: value for name, value in headers.items() if name not in PER_RESPONSE}


@pytest.mark.parametrize("url", PAGES)
def test_warm_page_is_served_without_view_template_or_query(
    testapp, probe, version_queries, url, keeps_data
):
    first = testapp.get(url)
    probe.renders = probe.queries = 0

    again = testapp.get(url)

    assert (probe.renders, probe.queries) == (0, version_queries)
    assert again.body == first.body
    assert comparable(again.headers) == comparable(first.headers)


@pytest.mark.parametrize("url", PAGES)
def test_warm_page_never_enters_pyramid(
    testapp, probe, requests_seen, reused_versions, url, keeps_data
):
    first = testapp.get(url)
    probe.queries = 0

    again = testapp.get(url)

    assert requests_seen == [url]  # the first request only
    assert probe.queries == 0
    assert again.body == first.body
    assert comparable(again.headers) == comparable(first.headers)
    assert again.headers["Server-Timing"] == 'page;desc="stored"'


def test_a_hit_gets_a_fresh_expires_header(testapp, reused_versions, keeps_data):
    testapp.get("/items")

    hit = testapp.get("/items")

    expires = parsedate_to_datetime(hit.headers["Expires"])
    ahead = (expires - datetime.now(timezone.utc)).total_seconds()
    assert 55 <= ahead <= 61  # max-age=60 from now, not from when it was stored


def test_if_none_match_gets_its_304_before_pyramid(
    testapp, requests_seen, reused_versions, keeps_data
):
    etag = testapp.get("/items").headers["ETag"]

    response = testapp.get("/items", headers={"If-None-Match": etag}, status=304)
    other = testapp.get("/items", headers={"If-None-Match": 'W/"other"'})

    assert requests_seen == ["/items"]
    assert response.body == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "max-age=60"
    assert "Content-Type" not in response.headers
    assert other.status_int == 200 and other.headers["ETag"] == etag


def _raw_get(app, url, **environ):
    """``(status, header list, body)`` of one WSGI call, as a server sees them."""
    request = Request.blank(url, environ={"HTTP_HOST": "example.com", **environ})
    started = []

    def start_response(status, headers, exc_info=None):
        started[:] = [status, headers]
        headers.append(("X-Added-By", "server"))  # what a server may do

    body = b"".join(app(request.environ, start_response))
    return started[0], started[1], body


@pytest.mark.usefixtures("reused_versions", "keeps_data")
def test_a_hit_sends_its_own_header_list_and_a_304_no_body_headers(app, testapp):
    etag = testapp.get("/items").headers["ETag"]

    first = _raw_get(app, "/items")
    again = _raw_get(app, "/items")
    status, headers, body = _raw_get(app, "/items", HTTP_IF_NONE_MATCH=etag)

    assert first[1] == again[1]  # a server's additions never reach the next hit
    assert [name for name, _ in again[1]].count("X-Added-By") == 1
    assert (status, body) == ("304 Not Modified", b"")
    names = {name.lower() for name, _ in headers}
    assert not names & {"content-type", "content-length"}
    assert {"etag", "cache-control", "expires", "x-frame-options"} <= names


def test_if_modified_since_alone_is_decided_by_pyramid(
    testapp, requests_seen, reused_versions, keeps_data
):
    testapp.get("/items")

    testapp.get(
        "/items", headers={"If-Modified-Since": "Sat, 01 Jan 2000 10:00:00 GMT"}
    )

    assert requests_seen == ["/items", "/items"]


def test_head_is_served_from_the_stored_page(
    testapp, probe, requests_seen, reused_versions, keeps_data
):
    body = testapp.get("/items").body
    probe.renders = 0

    response = testapp.head("/items")

    assert (probe.renders, requests_seen) == (0, ["/items"])
    assert response.body == b""
    assert response.headers["Content-Length"] == str(len(body))


def test_key_is_the_route_and_its_parsed_parameters(
    testapp, requests_seen, reused_versions, keeps_data
):
    page_two = testapp.get("/items?page=2").text
    assert testapp.get("/items?page=2").text == page_two
    after = page_two.split("after=")[1].split('"')[0]
    testapp.get(f"/items?page=3&after={after}")
    testapp.get(f"/items?after={after}&page=3")  # the same page: the same key

    assert requests_seen == ["/items?page=2", f"/items?page=3&after={after}"]
    assert page_two != testapp.get("/items?page=1").text


@pytest.mark.parametrize(
    "url",
    [
        "/items?page=01",
        "/items?PAGE=1",
        "/items?page=1&x=1",
        "/items?page=1&page=1",
        "/items?page=%D9%A1",  # ARABIC-INDIC DIGIT ONE
        "/items?page=1&utm_source=mail",
        "/items/007",
        "/api/items/07",
    ],
)
def test_non_canonical_urls_are_answered_but_never_stored(
    testapp, requests_seen, reused_versions, keeps_data, url
):
    first = testapp.get(url, status="*")
    second = testapp.get(url, status="*")

    assert first.status_int == second.status_int < 500
    assert len(requests_seen) == 2  # both reached Pyramid: nothing was stored


def test_an_unknown_host_is_answered_with_its_links_but_never_stored(
    testapp, requests_seen, reused_versions, keeps_data
):
    other = {"HTTP_HOST": "b.example"}  # not in app.allowed_hosts (testing)
    page = testapp.get("/items?page=2", extra_environ=other).text
    testapp.get("/items?page=2", extra_environ=other)

    assert "http://b.example/items" in page
    assert len(requests_seen) == 2


def test_links_and_keys_use_the_canonical_origin(
    testapp, requests_seen, reused_versions, keeps_data
):
    page = testapp.get("/items", extra_environ={"HTTP_HOST": "EXAMPLE.com.:80"}).text
    testapp.get("/items")

    assert "http://example.com/items" in page and "EXAMPLE" not in page
    assert requests_seen == ["/items"]  # one entry for both spellings


def test_authorization_is_never_looked_up_nor_stored(
    testapp, requests_seen, reused_versions, keeps_data
):
    testapp.get("/items")
    credentials = {"Authorization": "Bearer carol"}
    testapp.get("/items", headers=credentials)
    testapp.get("/items", headers=credentials)

    assert requests_seen == ["/items"] * 3


@pytest.mark.usefixtures("keeps_data", "reused_versions")
def test_a_flood_of_junk_urls_and_hosts_stores_nothing_and_evicts_nothing(
    app, testapp, requests_seen
):
    warm = ["/", "/items", "/items?page=2", "/api/items/7"]
    for url in warm:
        testapp.get(url)
    store = app.registry.page_store
    stored_bytes, entries = store.bytes, len(store.local)

    for number in range(3000):
        testapp.get(f"/api/items/7?x={number}")
    for number in range(300):
        testapp.get("/api/items/7", extra_environ={"HTTP_HOST": f"h{number}.ex"})
    del requests_seen[:]
    for url in warm:
        testapp.get(url)

    assert (store.bytes, len(store.local)) == (stored_bytes, entries)
    assert requests_seen == []  # every warm page is still a hit


@pytest.mark.usefixtures("keeps_data")
@pytest.mark.parametrize("version_ttl", [0, 60])
def test_a_write_retires_the_stored_pages_showing_it(
    testapp, probe, app, monkeypatch, version_ttl
):
    """Which pages stay stored: ``test_scoped_pages.py``."""
    monkeypatch.setattr(app.registry.http_versions, "version_ttl", version_ttl)
    assert "Teapot" not in testapp.get("/").text
    testapp.get("/api/items?page=3")  # the last page
    probe.renders = 0

    testapp.post_json("/api/items", NEW_ITEM, status=201)
    probe.renders = 0

    assert "Teapot" in testapp.get("/").text  # this process's write: at once
    assert probe.renders > 0
    probe.renders = 0
    assert testapp.get("/api/items?page=3").json["items"][-1]["name"] == "Teapot"
    assert probe.renders == 1


def test_another_process_sees_a_write_once_its_version_ages(app, committing_app):
    if not app.registry.http_versions.cache_is_shared:
        pytest.skip("a per-process cache: other processes' writes come from the db")
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    reader = committing_app(
        **{"cache.namespace": namespace, "httpcache.version_ttl": "60"}
    )
    writer = committing_app(**{"cache.namespace": namespace})
    cache = reader.app.registry.cache

    def last_page_ids():  # the seeded items end on page 3; a new one joins them
        return [item["id"] for item in reader.get("/api/items?page=3").json["items"]]

    before = last_page_ids()
    created = writer.post_json("/api/items", NEW_ITEM, status=201).json

    # Within version_ttl the reader may reuse its page (the documented trade-off).
    assert last_page_ids() == before
    cache.clock = lambda: 10**9  # version_ttl later
    assert last_page_ids() == [*before, created["id"]]


def test_errors_are_never_stored(testapp, probe):
    testapp.get("/items/999999", status=404)
    testapp.get("/items/999999", status=404)

    assert probe.renders == 2  # the 404 page, rendered both times


@pytest.mark.usefixtures("keeps_data")
def test_a_corrupt_or_expired_entry_is_a_miss(testapp, app, probe):
    key = "page:http://example.com|items|"
    cache, store = app.registry.cache, app.registry.page_store
    testapp.get("/items")
    if cache.shared:
        cache.set(key, ["not", "an", "entry"])
        store.local.clear()
        probe.renders = 0
        assert testapp.get("/items").status_int == 200
        assert probe.renders == 1
    expired = store.get(key)._replace(expires_at=0)
    store.put(key, expired)
    probe.renders = 0

    assert testapp.get("/items").status_int == 200
    assert probe.renders == 1


def test_urls_of_no_page_cached_route_cost_no_cache_call(
    app, testapp, monkeypatch, keeps_data
):
    page_cache, looked_up = app.registry.page_cache, []

    def lookup(key):
        looked_up.append(key)

    monkeypatch.setattr(page_cache, "_local_entry", lookup)
    monkeypatch.setattr(page_cache, "_shared_entry", lookup)
    for url in ["/healthz", "/session", "/static/missing.css", "/no/such/page"]:
        testapp.get(url, status="*")

    assert looked_up == []
    testapp.get("/items?page=2")
    assert looked_up == ["page:http://example.com|items|page=2"] * 2
    not_utf8 = {"PATH_INFO": "/items/\xff"}  # WSGI: bytes as latin-1
    assert pagecache.request_key(not_utf8, page_cache.routes) is None  # a 400


def test_a_cache_that_keeps_nothing_renders_every_time(app, testapp, probe):
    if app.registry.cache.keeps_data:
        pytest.skip(f"{app.registry.settings['cache.url']} keeps pages")
    testapp.get("/items")
    testapp.get("/items")

    assert probe.renders == 2


# -- the per-process version (memory cache) -----------------------------------


@pytest.fixture
def blank_request(app, request):
    environ = {}
    if "dbengine" in app.registry:  # a session in the test's rolled-back transaction
        environ["app.dbsession"] = request.getfixturevalue("dbsession")
    request = Request.blank("/", environ=environ)
    request.registry = app.registry
    apply_request_extensions(request)
    return request


def _catalog_queries(app, probe, versions, request):
    probe.queries = 0
    tag = versions.current(request, catalog.DATASET)
    del request.__dict__["cache"]  # the next "request" starts afresh
    return tag, probe.queries


def test_version_is_reused_briefly_until_this_process_writes(
    app, probe, blank_request, version_queries, keeps_data
):
    if version_queries == 0:
        pytest.skip("versions come from the shared cache or memory: no query")
    versions = datasets.Versions("r", cache_is_shared=False, version_ttl=60)

    first, queries = _catalog_queries(app, probe, versions, blank_request)
    assert queries == 1
    again, queries = _catalog_queries(app, probe, versions, blank_request)
    assert (again, queries) == (first, 0)

    blank_request.cache.bump(catalog.DATASET)  # this process wrote
    del blank_request.__dict__["cache"]
    _, queries = _catalog_queries(app, probe, versions, blank_request)
    assert queries == 1


def test_a_changed_source_version_drops_this_process_data(app, blank_request):
    """The mechanism, in one process: a version that differs from the one this
    process checked last bumps its generation. Two real app instances sharing the
    data: tests/test_datasets.py (a write in one instance is seen by another)
    and test_multinode.py (two production servers)."""
    versions = datasets.Versions("r", cache_is_shared=False, version_ttl=0)
    versions.current(blank_request, catalog.DATASET)
    generation = blank_request.cache.generation(catalog.DATASET)
    # Rewrite what this process checked last, so the source's version now differs.
    versions._checked[catalog.DATASET] = ("older", 0.0)

    versions.current(blank_request, catalog.DATASET)

    assert blank_request.cache.generation(catalog.DATASET) != generation
