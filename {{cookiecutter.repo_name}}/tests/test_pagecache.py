"""Rendered-page cache: a warm public page runs no view, no template, no query."""

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.request import Request, apply_request_extensions
from pyramid.response import Response

from {{ cookiecutter.repo_name }} import catalog, httpcache, pagecache

from . import test_httpcache

# The same counting fixtures as the HTTP caching tests.
probe = test_httpcache.probe
version_queries = test_httpcache.version_queries

PAGES = ["/", "/items", "/items?page=2", "/items/7", "/api/items", "/api/items/7"]
NEW_ITEM = {"name": "Teapot", "price_cents": 1999, "category_id": 2, "tags": []}


@pytest.fixture
def keeps_data(app):
    """For tests of what the cache keeps: ``none://`` keeps nothing, pages included."""
    if app.registry.settings["cache.url"].startswith("none:"):
        pytest.skip("cache.url = none:// keeps nothing: every request renders")


@pytest.mark.parametrize("url", PAGES)
def test_warm_page_is_served_without_view_template_or_query(
    testapp, probe, version_queries, url, keeps_data
):
    first = testapp.get(url)
    probe.renders = probe.queries = 0

    again = testapp.get(url)

    assert (probe.renders, probe.queries) == (0, version_queries)
    assert again.body == first.body
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert again.headers.get("Last-Modified") == first.headers.get("Last-Modified")


def test_head_is_served_from_the_stored_page(testapp, probe, keeps_data):
    body = testapp.get("/items").body
    probe.renders = 0

    response = testapp.head("/items")

    assert probe.renders == 0
    assert response.headers["Content-Length"] == str(len(body))


def test_key_varies_by_query_string_and_host(testapp, probe):
    page_one = testapp.get("/items?page=1").text
    page_two = testapp.get("/items?page=2").text
    other_host = testapp.get("/items?page=2", extra_environ={"HTTP_HOST": "b.example"})

    assert page_one != page_two
    assert probe.renders == 3  # each is its own entry
    assert "http://b.example/" in other_host.text
    assert "http://example.com/" not in other_host.text


def test_a_write_retires_the_stored_pages(testapp, probe):
    assert "Teapot" not in testapp.get("/").text
    testapp.get("/api/items?page=1")
    probe.renders = 0

    testapp.post_json("/api/items", NEW_ITEM, status=201)
    probe.renders = 0

    assert "Teapot" in testapp.get("/").text
    assert probe.renders > 0
    probe.renders = 0
    testapp.get("/api/items?page=1")
    assert probe.renders == 1


def test_errors_are_never_stored(testapp, probe):
    testapp.get("/items/999999", status=404)
    testapp.get("/items/999999", status=404)

    assert probe.renders == 2  # the 404 page, rendered both times


def _request(method="GET"):
    return Request.blank("/page", method=method)


def _page(**headers):
    response = Response(body=b"<p>page</p>", content_type="text/html")
    response.headers.update(headers)
    return response


@pytest.mark.parametrize(
    "request_, response",
    [
        pytest.param(_request("POST"), _page(), id="POST"),
        pytest.param(_request(), Response(status=203), id="non-200"),
        pytest.param(_request(), _page(**{"Set-Cookie": "a=b"}), id="sets-cookie"),
        pytest.param(_request(), _page(**{"Vary": "Accept"}), id="vary"),
        pytest.param(_request(), _page(**{"Cache-Control": "private"}), id="private"),
        pytest.param(_request(), _page(**{"Cache-Control": "no-store"}), id="no-store"),
    ],
)
def test_private_or_unusual_responses_are_not_storable(request_, response):
    assert not pagecache.storable(request_, response)


def test_a_page_that_read_the_session_is_not_storable():
    request = _request()
    request.__dict__["session"] = {}  # what the reified property leaves behind

    assert not pagecache.storable(request, _page())
    assert pagecache.storable(_request(), _page())


@pytest.mark.parametrize("in_process", [True, False])
@pytest.mark.parametrize(
    "response",
    [
        _page(),
        Response(body='{"a":"é"}'.encode(), content_type="application/json"),
    ],
)
def test_entries_round_trip(in_process, response):
    entry = pagecache.encode(response, in_process)

    again = pagecache.decode(entry)

    assert again.body == response.body
    assert again.headers["Content-Type"] == response.headers["Content-Type"]


def test_binary_body_is_not_stored_in_a_byte_backend():
    response = Response(body=b"\xff", content_type="image/png", charset=None)

    assert pagecache.encode(response, in_process=False) is None


def test_page_cache_needs_the_etag_option():
    with Configurator() as config:
        config.add_view_deriver(httpcache.conditional_view)
        config.add_view(lambda request: Response(), name="x", page_cache=True)
        with pytest.raises(ConfigurationError, match="page_cache=True needs etag"):
            config.commit()


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
    versions = httpcache.Versions("r", cache_is_shared=False, catalog_ttl=60)

    first, queries = _catalog_queries(app, probe, versions, blank_request)
    assert queries == 1
    again, queries = _catalog_queries(app, probe, versions, blank_request)
    assert (again, queries) == (first, 0)

    blank_request.cache.bump(catalog.DATASET)  # this process wrote
    del blank_request.__dict__["cache"]
    _, queries = _catalog_queries(app, probe, versions, blank_request)
    assert queries == 1


def test_another_workers_write_drops_this_process_data(app, blank_request):
    versions = httpcache.Versions("r", cache_is_shared=False, catalog_ttl=0)
    versions.current(blank_request, catalog.DATASET)
    generation = blank_request.cache.generation(catalog.DATASET)
    # What this process saw last, as if another worker changed the data since.
    versions._seen[catalog.DATASET] = versions._seen[catalog.DATASET]._replace(
        tag="older"
    )

    versions.current(blank_request, catalog.DATASET)

    assert blank_request.cache.generation(catalog.DATASET) != generation
