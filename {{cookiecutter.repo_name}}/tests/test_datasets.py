"""A data set of the project's own gets what the example gets.

The data set here ("articles") is built inside the test, through the same
directive a project uses (``config.add_cache_dataset``), over a source of
truth of the test's own. Nothing of it ships as app code, and nothing here
imports the example: ``make remove-example`` keeps this test.
"""

import threading
import time
import uuid

import pytest
import webtest
from pyramid.exceptions import ConfigurationError

from {{ cookiecutter.repo_name }} import make_app, make_config
from {{ cookiecutter.repo_name }}.caching import policies

ARTICLES = "articles"


class Articles:
    """The source of truth: rows, a revision that every write changes, and a
    count of the times the list view ran."""

    def __init__(self):
        self.rows = ["First article"]
        self.revision = 1
        self.renders = 0
        self.gate = None  # a threading.Event the list view waits for, if set

    def version(self, request):
        return str(self.revision), None


def articles_app(settings, articles):
    """The project's app plus the articles data set, a cached list and a write."""
    config = make_config(settings)
    config.add_cache_dataset(ARTICLES, version=articles.version)
    config.add_route("articles", "/articles")

    def list_articles(request):
        articles.renders += 1
        if articles.gate is not None:
            articles.gate.wait(10)
        return {
            "articles": request.cache.get_or_create(
                ARTICLES, "all", lambda: list(articles.rows)
            )
        }

    def add_article(request):
        articles.rows.append(request.POST["title"])
        articles.revision += 1
        request.cache.changed(ARTICLES)  # the one call a write makes
        return {"added": request.POST["title"]}

    config.add_view(
        list_articles,
        route_name="articles",
        request_method="GET",
        renderer="json",
        http_cache=policies.PUBLIC,
        etag=ARTICLES,
        page_cache=True,
    )
    config.add_view(
        add_article,
        route_name="articles",
        request_method="POST",
        renderer="json",
        http_cache=policies.NO_STORE,
        require_csrf=False,
    )
    return webtest.TestApp(make_app(config), extra_environ={"HTTP_HOST": "example.com"})


@pytest.fixture
def articles():
    return Articles()


@pytest.fixture
def instances(app_settings, articles):
    """``make()``: another app instance (a process) sharing one cache namespace
    (and, with Redis or Memcached, one cache), versions checked on every request."""
    namespace = f"articles-{uuid.uuid4().hex[:8]}"
    built = []

    def make():
        settings = {
            **app_settings,
            "cache.namespace": namespace,
            "httpcache.version_ttl": "0",
        }
        built.append(articles_app(settings, articles))
        return built[-1]

    yield make
    for client in built:
        client.app.registry.cache.drop_generations()
        engine = client.app.registry.get("dbengine")
        if engine is not None:
            engine.dispose()


def keeps_pages(client):
    return client.app.registry.cache.keeps_data


def test_matching_etag_is_304_before_the_view_runs(instances, articles):
    client = instances()
    etag = client.get("/articles").headers["ETag"]
    renders = articles.renders
    response = client.get("/articles", headers={"If-None-Match": etag}, status=304)
    assert response.body == b""
    assert articles.renders == renders  # decided before the view


def test_warm_page_is_served_from_the_page_cache(instances, articles):
    client = instances()
    first = client.get("/articles")
    assert articles.renders == 1
    again = client.get("/articles")
    assert again.body == first.body
    assert articles.renders == (1 if keeps_pages(client) else 2)


def test_a_write_retires_pages_and_etags_in_this_process(instances, articles):
    client = instances()
    before = client.get("/articles")
    client.post("/articles", {"title": "Second article"})
    after = client.get("/articles")
    assert after.json == {"articles": ["First article", "Second article"]}
    assert after.headers["ETag"] != before.headers["ETag"]
    client.get(
        "/articles", headers={"If-None-Match": before.headers["ETag"]}, status=200
    )


def test_a_write_in_one_instance_is_seen_by_another(instances, articles):
    writer, reader = instances(), instances()
    stale = reader.get("/articles")
    reader.get("/articles")  # warm in the reader
    writer.post("/articles", {"title": "Second article"})
    fresh = reader.get("/articles")
    assert fresh.json == {"articles": ["First article", "Second article"]}
    assert fresh.headers["ETag"] != stale.headers["ETag"]


def test_a_retired_page_is_rendered_once_for_concurrent_requests(
    app_settings, articles
):
    """A stampede: requests for a busy page that a write just retired wait
    for one render of it instead of each rendering it."""
    settings = {**app_settings, "cache.namespace": f"stampede-{uuid.uuid4().hex[:8]}"}
    client = articles_app(settings, articles)
    try:
        client.get("/articles")  # stored
        client.post("/articles", {"title": "Second article"})  # retired
        renders = articles.renders
        articles.gate = threading.Event()  # each render waits for the gate
        bodies = []
        readers = [
            threading.Thread(target=lambda: bodies.append(client.get("/articles").body))
            for _ in range(6)
        ]
        for reader in readers:
            reader.start()
        time.sleep(0.3)  # all six under way: one rendering, five waiting
        articles.gate.set()
        for reader in readers:
            reader.join(10)
        assert articles.renders - renders == (1 if keeps_pages(client) else 6)
        assert len(bodies) == 6 and len(set(bodies)) == 1
        assert b"Second article" in bodies[0]
    finally:
        client.app.registry.cache.drop_generations()


def test_etag_for_an_unregistered_data_set_fails_at_start_up(app_settings):
    config = make_config(app_settings)
    config.add_route("typo", "/typo")
    config.add_view(
        lambda request: {}, route_name="typo", renderer="json", etag="artcles"
    )
    with pytest.raises(ConfigurationError, match="add_cache_dataset"):
        config.commit()
