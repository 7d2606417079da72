"""Writes retire only the stored pages that show what they changed.

A write names what it changed (``request.cache.changed("items", "item:45")``),
a page what it shows (``request.cache.depends_on``): every page that shows a
changed item gets new bytes and a new ETag, and no other page does.
"""

import pytest

from {{ cookiecutter.repo_name }} import catalog
from {{ cookiecutter.repo_name }}.catalog import scopes

from . import test_httpcache, test_pagecache

probe = test_httpcache.probe
version_queries = test_httpcache.version_queries
keeps_data = test_pagecache.keeps_data
reused_versions = test_pagecache.reused_versions

PER_PAGE = 20  # the 120 seeded items make six list pages
LAST = 6
LIST_PAGES = [
    f"{path}?page={number}"
    for path in ("/items", "/api/items")
    for number in range(1, LAST + 1)
]
DETAILS = [f"{path}/{id_}" for path in ("/items", "/api/items") for id_ in (7, 45, 118)]
PAGES = ["/", "/items", "/api/items", *LIST_PAGES, *DETAILS]
NEW_ITEM = {"name": "Teapot", "price_cents": 1999, "category_id": 2, "tags": []}
STORED = 'page;desc="stored"'


# ``reused_versions``: with a per-process cache and testing.ini's
# ``httpcache.version_ttl = 0`` every write would also retire everything (it is
# the check for other workers' writes, see ``caching/datasets.py``).


@pytest.fixture
def small_pages(app, monkeypatch):
    monkeypatch.setattr(app.registry, "catalog_per_page", PER_PAGE)


def crawl(client):
    return {
        url: (response.headers["ETag"], response.body)
        for url in PAGES
        for response in [client.get(url, status=200)]
    }


def pages_changed_by(client, write):
    """The pages whose ETag ``write()`` changed: exactly those whose bytes changed.

    Every page is then compared with a fresh render (all stored pages and data
    retired): no stale page was served.
    """
    before = crawl(client)
    write()
    after = crawl(client)
    new_etags = {url for url in PAGES if after[url][0] != before[url][0]}
    new_bytes = {url for url in PAGES if after[url][1] != before[url][1]}
    assert new_etags == new_bytes
    client.app.registry.cache.bump(catalog.DATASET)  # the whole data set
    assert crawl(client) == after
    return new_etags


def renamed(client, item_id, name):
    """PATCH the item's name; returns a call that puts the old one back."""
    old = client.get(f"/api/items/{item_id}").json["name"]
    assert (
        client.patch_json(f"/api/items/{item_id}", {"name": name}).json["name"] == name
    )
    return lambda: client.patch_json(f"/api/items/{item_id}", {"name": old})


@pytest.mark.parametrize(
    ("item_id", "shown_on"),
    [
        (7, {"/items", "/api/items", "/items?page=1", "/api/items?page=1"}),
        (45, {"/items?page=3", "/api/items?page=3"}),
        (118, {"/", f"/items?page={LAST}", f"/api/items?page={LAST}"}),
    ],
)
def test_a_changed_item_changes_exactly_the_pages_showing_it(
    client, small_pages, keeps_data, reused_versions, item_id, shown_on
):
    restore = []
    try:
        changed = pages_changed_by(
            client, lambda: restore.append(renamed(client, item_id, "Renamed"))
        )
    finally:
        for undo in restore:  # the committing path keeps its writes
            undo()
    assert changed == shown_on | {f"/items/{item_id}", f"/api/items/{item_id}"}


def test_a_new_item_changes_only_home_and_the_last_list_page(
    client, small_pages, keeps_data, reused_versions
):
    changed = pages_changed_by(
        client, lambda: client.post_json("/api/items", NEW_ITEM, status=201)
    )
    assert changed == {"/", f"/items?page={LAST}", f"/api/items?page={LAST}"}


def test_pages_a_write_does_not_touch_stay_stored(
    testapp, small_pages, keeps_data, reused_versions, probe, version_queries
):
    for url in PAGES:
        testapp.get(url)
    renamed(testapp, 45, "Renamed")
    untouched = [url for url in PAGES if "45" not in url and "page=3" not in url]
    probe.renders = probe.queries = 0
    testapp.get(untouched[0])  # the data set's new version: read once, per process

    assert (probe.renders, probe.queries) == (0, version_queries)
    probe.queries = 0
    timings = {testapp.get(url).headers["Server-Timing"] for url in untouched[1:]}
    assert timings == {STORED}
    assert (probe.renders, probe.queries) == (0, 0)


def test_a_page_of_a_write_made_while_it_rendered_is_not_stored(
    app, testapp, keeps_data, probe, monkeypatch
):
    """Its data may predate the write; the scopes it records would not."""
    read = catalog.item_detail

    def read_then_another_process_writes(request, item_id):
        detail = read(request, item_id)
        app.registry.cache.bump(catalog.DATASET, scopes=(scopes.item(item_id),))
        return detail

    # Its own context: undo() would also undo keeps_data's cache (none://).
    with monkeypatch.context() as patch:
        patch.setattr(catalog, "item_detail", read_then_another_process_writes)
        testapp.get("/items/7")
    renders = []
    for _ in range(2):
        probe.renders = 0
        testapp.get("/items/7")
        renders.append(probe.renders)
    assert renders == [1, 0]  # rendered again, then stored


def test_a_page_that_names_no_scope_retires_with_any_write(
    testapp, keeps_data, probe, monkeypatch
):
    """Correct by default: a view that never calls ``depends_on``."""
    monkeypatch.setattr(
        "{{ cookiecutter.repo_name }}.caching.request.RequestCache.depends_on",
        lambda self, dataset, *scopes: None,
    )
    testapp.get("/items/7")
    renamed(testapp, 45, "Renamed")
    probe.renders = 0
    testapp.get("/items/7")
    assert probe.renders == 1
