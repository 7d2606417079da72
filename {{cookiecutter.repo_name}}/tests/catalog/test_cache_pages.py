"""Cached fragments and the example's pages: rendered once per version, fresh
after a committed write."""

{% if cookiecutter.orm == "sqlalchemy" -%}
import threading
import uuid

{% endif -%}
import pytest
from markupsafe import Markup
from pyramid.scripting import prepare

from {{ cookiecutter.repo_name }}.caching.request import RequestCache
from {{ cookiecutter.repo_name }}.caching.store import cache_from_settings

FRAGMENT = {
    "pt": "item_rows.pt",
    "jinja2": "item_rows.jinja2",
    "mako": "item_rows#item_rows.mako",
}["{{ cookiecutter.__template_ext }}"]
ITEM = {"id": 1, "name": "Teapot", "category": {"id": 2, "name": "Kitchen"}, "tags": []}


def memory():
    return cache_from_settings({"cache.url": "memory://", "cache.quiet": "1"}, "t")


# -- rendered fragments ----------------------------------------------------------


@pytest.fixture
def fragment_request(app):
    env = prepare(registry=app.registry)
    yield env["request"]
    env["closer"]()


def test_fragment_is_rendered_once_per_key_and_version(fragment_request):
    cache = RequestCache(memory(), fragment_request)
    first = cache.fragment("items", FRAGMENT, 1, items=[ITEM])
    assert isinstance(first, Markup)
    assert ">Teapot</a>" in first and "Kitchen" in first
    renamed = {**ITEM, "name": "Kettle"}
    assert cache.fragment("items", FRAGMENT, 1, items=[renamed]) == first
    cache.bump("items")
    assert ">Kettle</a>" in cache.fragment("items", FRAGMENT, 1, items=[renamed])


def test_home_page_inserts_cached_rows_unescaped(client):
    for _ in range(2):  # a miss, then a hit
        page = client.get("/", status=200).text
        assert '<li class="item"><a href="/items/' in page
        assert "&lt;li" not in page


# -- invalidation after a committed write --------------------------------------

NEW_ITEM = {"name": "Fresh teapot", "price_cents": 999, "category_id": 2}


def test_post_invalidates_lists_pages_and_home(committing_app):
    client = committing_app()
    before = client.get("/api/items?page=3").json
    home = client.get("/").text
    assert "Fresh teapot" not in home
    created = client.post_json("/api/items", NEW_ITEM, status=201).json
    after = client.get("/api/items?page=3").json
    assert len(after["items"]) == len(before["items"]) + 1
    assert after["items"][-1]["id"] == created["id"]
    assert "Fresh teapot" in client.get("/").text
    assert client.get(f"/api/items/{created['id']}").json["name"] == "Fresh teapot"
{%- if cookiecutter.orm == "sqlalchemy" %}


def test_a_read_between_flush_and_commit_is_retired_by_the_commit(
    app, committing_app, monkeypatch
):
    """Old rows cached by another process before the commit: the commit retires them.

    ``request.cache.changed`` bumps the generation at once, then again after the
    commit. Between the two, another app instance reads under the new
    generation what its own transaction sees, the rows before the write, and
    caches it. Without the bump after commit that list and that page stay
    stale for ``cache.expiration_time``. With a per-process cache the other
    reader is another thread of this instance, and the database's version is
    reused for a long ``httpcache.version_ttl``: the commit's bump alone must
    retire it.
    """
    settings = {"cache.namespace": f"test-{uuid.uuid4().hex[:8]}"}
    if not app.registry.cache.shared:
        settings["cache.url"] = "memory://"
        settings["cache.quiet"] = "1"
        settings["httpcache.version_ttl"] = "60"
    writer = committing_app(**settings)
    reader = committing_app(**settings) if app.registry.cache.shared else writer
    before = [item["id"] for item in reader.get("/api/items?page=3").json["items"]]
    in_flight = {}

    def read():
        in_flight["ids"] = [
            item["id"] for item in reader.get("/api/items?page=3").json["items"]
        ]
        in_flight["home"] = reader.get("/").text

    changed = RequestCache.changed

    def changed_then_another_process_reads(self, dataset, *scopes):
        changed(self, dataset, *scopes)  # flushed and bumped; the commit is to come
        other = threading.Thread(target=read)
        other.start()
        other.join()

    monkeypatch.setattr(RequestCache, "changed", changed_then_another_process_reads)
    created = writer.post_json("/api/items", NEW_ITEM, status=201).json
    monkeypatch.undo()

    assert in_flight["ids"] == before  # the race happened: the old rows were read
    assert "Fresh teapot" not in in_flight["home"]
    after = [item["id"] for item in reader.get("/api/items?page=3").json["items"]]
    assert after == [*before, created["id"]]
    assert "Fresh teapot" in reader.get("/").text
{%- endif %}
