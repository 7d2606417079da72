"""HTTP caching: exact header policies, and 304s decided before any work."""

import uuid
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import webtest
from pyramid.config import Configurator
from pyramid.events import BeforeRender, NewResponse
from pyramid.session import SignedCookieSessionFactory

from {{ cookiecutter.repo_name }}.caching import conditional, policies

from ..test_datasets import Articles, articles_app

PUBLIC = "max-age=60"
CACHEABLE = ["/", "/items", "/items?page=2", "/items/7", "/api/items", "/api/items/7"]
NEW_ITEM = {"name": "Teapot", "price_cents": 1999, "category_id": 2, "tags": []}


class Probe:
    """Counts template renders and SQL statements while a test runs."""

    def __init__(self):
        self.renders = 0
        self.queries = 0

    def on_render(self, event):
        self.renders += 1

    def on_query(self, *args):
        self.queries += 1


@pytest.fixture
def probe(app):
    probe = Probe()
    app.registry.registerHandler(probe.on_render, (BeforeRender,))
    engine = app.registry.get("dbengine")
    if engine is None:  # no database: nothing to count
        yield probe
    else:
        from sqlalchemy import event

        event.listen(engine, "before_cursor_execute", probe.on_query)
        yield probe
        event.remove(engine, "before_cursor_execute", probe.on_query)
    app.registry.unregisterHandler(probe.on_render, (BeforeRender,))


@pytest.fixture
def version_queries(app):
    """Queries the version lookup costs: none from a shared cache or memory."""
    if app.registry.http_versions.cache_is_shared or "dbengine" not in app.registry:
        return 0
    return 1


@pytest.fixture
def degraded_cache(app, monkeypatch):
    """The cache's circuit breaker is open: versions come from the catalog."""
    breaker = app.registry.cache.breaker
    monkeypatch.setattr(breaker, "retry_after", 600)
    breaker.failed(ConnectionRefusedError("cache server down (test)"))
    yield
    breaker.succeeded()


@pytest.mark.parametrize("url", CACHEABLE)
def test_public_pages_are_shared_cacheable_with_a_weak_etag(testapp, url):
    response = testapp.get(url, status=200)
    assert response.headers["Cache-Control"] == PUBLIC
    assert response.headers["ETag"].startswith('W/"')
    assert "Vary" not in response.headers
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("url", "status"),
    [("/healthz", 200), ("/items/99999", 404), ("/no/such/page", 404)],
)
def test_health_and_errors_are_never_stored(testapp, url, status):
    response = testapp.get(url, status=status)
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_writes_are_never_stored(testapp):
    response = testapp.post_json("/api/items", NEW_ITEM, status=201)
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_a_write_to_one_data_set_leaves_the_others_etags(app_settings):
    """The example's pages and a second data set's ("articles", test_datasets)."""
    articles = Articles()
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    client = articles_app({**app_settings, "cache.namespace": namespace}, articles)

    def item_etags():
        return {client.get(url).headers["ETag"] for url in CACHEABLE}

    items = item_etags()
    # Each page's from its own bytes; with none:// (no page is stored) the
    # data set's version, decided before the view.
    stores_pages = client.app.registry.cache.keeps_data
    assert len(items) == (len(CACHEABLE) if stores_pages else 1)
    first = client.get("/articles").headers["ETag"]
    assert first not in items
    client.post("/articles", {"title": "Second article"})
    second = client.get("/articles").headers["ETag"]
    assert second not in {first, *items}
    assert item_etags() == items  # the articles' write left the items' version
    engine = client.app.registry.get("dbengine")
    if engine is not None:
        engine.dispose()


@pytest.mark.parametrize("url", CACHEABLE)
def test_matching_etag_is_304_without_rendering(testapp, probe, version_queries, url):
    etag = testapp.get(url).headers["ETag"]
    probe.renders = probe.queries = 0
    response = testapp.get(url, headers={"If-None-Match": etag}, status=304)
    assert response.body == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == PUBLIC
    assert (probe.renders, probe.queries) == (0, version_queries)


@pytest.mark.parametrize(
    "header",
    [
        "{strong}",  # weak comparison: "x" matches W/"x"
        '"other", {etag}',
        'W/"a",{etag} , "b"',
        ", {etag},",  # empty list elements are allowed
        "*",
    ],
)
def test_if_none_match_forms_that_match(testapp, probe, header):
    etag = testapp.get("/items").headers["ETag"]
    value = header.format(etag=etag, strong=etag.removeprefix("W/"))
    probe.renders = 0
    testapp.get("/items", headers={"If-None-Match": value}, status=304)
    assert probe.renders == 0


@pytest.mark.parametrize(
    "header",
    ['"nope"', 'W/"nope", "other"', "abc", '"unterminated', 'W/"x" junk', "W/x", ""],
)
def test_if_none_match_that_does_not_match_or_is_malformed_is_200(testapp, header):
    testapp.get("/items")
    response = testapp.get("/items", headers={"If-None-Match": header}, status=200)
    assert response.headers["ETag"].startswith('W/"')


def test_head_with_matching_etag_is_304(testapp, probe):
    etag = testapp.head("/api/items").headers["ETag"]
    assert testapp.get("/api/items").headers["ETag"] == etag  # and stores the page
    probe.renders = 0
    testapp.head("/api/items", headers={"If-None-Match": etag}, status=304)
    assert probe.renders == 0


def test_post_ignores_if_none_match(testapp):
    response = testapp.post_json(
        "/api/items", NEW_ITEM, headers={"If-None-Match": "*"}, status=201
    )
    assert response.json["name"] == "Teapot"


def test_version_changes_after_a_write(testapp):
    etag = testapp.get("/api/items?page=3").headers["ETag"]
    created = testapp.post_json("/api/items", NEW_ITEM, status=201).json
    response = testapp.get("/api/items?page=3", headers={"If-None-Match": etag})
    assert response.status_int == 200
    assert response.headers["ETag"] != etag
    assert created["id"] in [item["id"] for item in response.json["items"]]


def test_degraded_cache_falls_back_to_the_catalog_version(
    testapp, probe, degraded_cache
):
    response = testapp.get("/items")
    assert response.headers["Last-Modified"]
    probe.renders = probe.queries = 0
    testapp.get(
        "/items", headers={"If-None-Match": response.headers["ETag"]}, status=304
    )
    assert probe.renders == 0
    assert probe.queries <= 1


def test_if_modified_since(testapp, probe, degraded_cache):
    last_modified = testapp.get("/items").headers["Last-Modified"]
    probe.renders = 0
    headers = {"If-Modified-Since": last_modified}
    testapp.get("/items", headers=headers, status=304)
    assert probe.renders == 0
    modified = datetime.strptime(last_modified, "%a, %d %b %Y %H:%M:%S GMT")
    earlier = format_datetime(
        modified.replace(tzinfo=timezone.utc) - timedelta(seconds=1), usegmt=True
    )
    testapp.get("/items", headers={"If-Modified-Since": earlier}, status=200)


@pytest.mark.parametrize(
    "since",
    [
        "yesterday",
        "",
        "Mon, 99 Foo 2024 00:00:00 GMT",
        "Mon, 01 Jan 2024 00:00:00",  # no zone
        format_datetime(datetime.now(timezone.utc) + timedelta(days=1), usegmt=True),
    ],
)
def test_malformed_or_future_if_modified_since_is_ignored(
    testapp, degraded_cache, since
):
    testapp.get("/items", headers={"If-Modified-Since": since}, status=200)


def test_if_none_match_takes_precedence_over_if_modified_since(testapp, degraded_cache):
    last_modified = testapp.get("/items").headers["Last-Modified"]
    headers = {"If-None-Match": '"stale"', "If-Modified-Since": last_modified}
    testapp.get("/items", headers=headers, status=200)


def test_release_token_follows_code_and_templates(tmp_path):
    (tmp_path / "views.py").write_text("x = 1")
    (tmp_path / "app.sqlite").write_text("data, not code")
    before = conditional.release_token(tmp_path)
    (tmp_path / "app.sqlite").write_text("other data")
    assert conditional.release_token(tmp_path) == before
    (tmp_path / "page.jinja2").write_text("<p>")
    assert conditional.release_token(tmp_path) != before


@pytest.fixture
def session_app():
    """A tiny app with the safety net and a public view that reads the session."""
    config = Configurator()
    config.set_session_factory(SignedCookieSessionFactory("s" * 32))
    config.add_subscriber(policies.make_personal_pages_private, NewResponse)

    def greeting(request):
        request.response.text = "Hello " + request.session.get("name", "stranger")
        return request.response

    config.add_route("greeting", "/greeting")
    config.add_view(greeting, route_name="greeting", http_cache=policies.PUBLIC)
    config.add_route("health", "/health")
    config.add_view(greeting, route_name="health", http_cache=policies.NO_STORE)
    return webtest.TestApp(config.make_wsgi_app())


def test_a_public_page_that_reads_the_session_becomes_private(session_app):
    response = session_app.get("/greeting")
    assert response.headers["Cache-Control"] == "max-age=60, private"
    assert response.headers["Vary"] == "Cookie"


def test_no_store_stays_no_store_when_the_session_is_read(session_app):
    response = session_app.get("/health")
    assert response.headers["Cache-Control"] == "no-store"
