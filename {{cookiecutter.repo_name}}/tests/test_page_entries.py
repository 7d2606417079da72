"""The page cache's parts on their own: what is storable, what an entry
keeps, how it is encoded, the key, and the ``page_cache=`` option's checks.

No app and no example: ``make remove-example`` keeps these (the example's
tests, ``tests/catalog/test_pagecache.py``, run the whole path).
"""

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.request import Request
from pyramid.response import Response

from {{ cookiecutter.repo_name }}.caching import conditional, pagecache
from {{ cookiecutter.repo_name }}.caching.store import cache_from_settings


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


PAGE = b"page"
TAG = conditional.body_tag(PAGE)
STORE_AS = ("items", "v1", (("items/*", "g1"), ("items/item:7", "g2")))
FINISHED = [
    ("Content-Type", "text/html; charset=UTF-8"),
    ("Content-Length", "4"),
    ("ETag", f'W/"{TAG}"'),
    ("Cache-Control", "max-age=60"),
    ("Expires", "Wed, 25 Nov 2026 10:00:00 GMT"),
    ("Server-Timing", "app;dur=3.0"),
    ("X-Frame-Options", "DENY"),
]


def test_an_entry_keeps_the_final_headers_but_the_per_response_ones():
    entry = pagecache.entry_from(STORE_AS, "200 OK", FINISHED, PAGE, 300)

    assert entry.headers == (
        ("Content-Type", "text/html; charset=UTF-8"),
        ("Content-Length", "4"),
        ("ETag", f'W/"{TAG}"'),
        ("Cache-Control", "max-age=60"),
        ("X-Frame-Options", "DENY"),
    )
    assert entry[:2] == ("items", TAG)
    assert (entry.max_age, entry.body, entry.stamp, entry.depends) == (
        60,
        PAGE,
        *STORE_AS[1:],
    )


@pytest.mark.parametrize(
    ("status", "extra"),
    [
        pytest.param("404 Not Found", [], id="non-200"),
        pytest.param("200 OK", [("Set-Cookie", "a=b")], id="cookie-set-later"),
        pytest.param("200 OK", [("Vary", "Cookie")], id="vary-added-later"),
        pytest.param("200 OK", [("Cache-Control", "private")], id="made-private"),
        pytest.param("200 OK", [("ETag", 'W/"other"')], id="replaced-response"),
        pytest.param("200 OK", [("ETag", 'W/"v1"')], id="etag-not-of-the-body"),
    ],
)
def test_a_finished_response_changed_after_the_view_is_not_kept(status, extra):
    names = {name for name, _ in extra}
    headers = [header for header in FINISHED if header[0] not in names] + extra

    assert pagecache.entry_from(STORE_AS, status, headers, PAGE, 300) is None


@pytest.mark.parametrize("in_process", [True, False])
@pytest.mark.parametrize("body", [b"<p>page</p>", '{"a":"\u00e9"}'.encode()])
@pytest.mark.parametrize("depends", [STORE_AS[2], None])
def test_entries_round_trip(in_process, body, depends):
    headers = [
        ("ETag", f'W/"{conditional.body_tag(body)}"') if name == "ETag" else (name, v)
        for name, v in FINISHED
    ]
    store_as = (*STORE_AS[:2], depends)
    entry = pagecache.entry_from(store_as, "200 OK", headers, body, 300)

    assert pagecache.decode(pagecache.encode(entry, in_process)) == entry


def test_binary_body_is_not_stored_in_a_byte_backend():
    body = b"\xff"
    headers = [("ETag", f'W/"{conditional.body_tag(body)}"')]
    entry = pagecache.entry_from(STORE_AS, "200 OK", headers, body, 300)

    assert pagecache.encode(entry, in_process=False) is None


def _answer(headers=FINISHED):
    return pagecache.entry_from(STORE_AS, "200 OK", headers, PAGE, 300).answer


def test_a_hit_answer_is_made_once_per_entry_and_per_second():
    entry = pagecache.entry_from(STORE_AS, "200 OK", FINISHED, PAGE, 300)
    answer = entry.answer

    ok, not_modified = answer.headers(1_000_000)

    assert entry.answer is answer
    assert answer.headers(1_000_000) == (ok, not_modified)  # the same second
    assert answer.headers(1_000_000)[0] is ok  # not rebuilt per request
    assert ok == [*entry.headers, ("Expires", pagecache.http_date(1_000_060))]


def test_the_expires_header_follows_the_second_it_is_sent_in():
    answer = _answer()
    answer.headers(1_000_000)

    ok, not_modified = answer.headers(1_000_001)

    expires = ("Expires", pagecache.http_date(1_000_061))  # max-age=60 from now
    assert ok[-1] == not_modified[-1] == expires
    assert [name for name, _ in ok].count("Expires") == 1
    assert answer.headers(1_000_000)[0][-1][1] == pagecache.http_date(1_000_060)


def test_a_304_answer_has_no_body_headers():
    _, not_modified = _answer().headers(1_000_000)

    assert [name for name, _ in not_modified] == [
        "ETag",
        "Cache-Control",
        "X-Frame-Options",
        "Expires",
    ]


def test_a_page_sent_without_expires_gets_none_on_a_hit():
    headers = [header for header in FINISHED if header[0] != "Expires"]

    ok, not_modified = _answer(headers).headers(1_000_000)

    assert "Expires" not in dict(ok) and "Expires" not in dict(not_modified)


@pytest.mark.parametrize(
    ("if_none_match", "matches"),
    [
        (f'W/"{TAG}"', True),  # echoed as sent
        (f'"{TAG}"', True),  # weak comparison
        (f'"a", W/"{TAG}"', True),
        ("*", True),
        ('W/"v2"', False),
        (f"W/{TAG}", False),  # malformed
        ("", False),
    ],
)
def test_if_none_match_is_compared_to_the_entry_tag(if_none_match, matches):
    assert _answer().matches(if_none_match) is matches


@pytest.mark.parametrize(
    "value",
    [None, "page", [1, 2], ["a", "b", 0, None, 5, "x"], ["a", "b", 0, None, [], "x"]],
)
def test_anything_else_in_the_cache_is_not_an_entry(value):
    assert pagecache.decode(value) is None


def _declared(**parameters):
    route = Configurator().get_routes_mapper().connect("item", "/items/{id}")
    return pagecache.Declared("item", route, parameters)


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("", "page:https://example.com/shop|item|id=7"),
        ("v=2", "page:https://example.com/shop|item|id=7&v=2"),
        ("v=02", None),
        ("v=2&v=2", None),
        ("w=2", None),
        ("v=%FF", None),
        ("v=\xe9", None),
        ("id=7", None),
    ],
)
def test_key_is_origin_route_and_canonical_parameters(query, key):
    environ = {"app.origin": "https://example.com/shop", "QUERY_STRING": query}
    declared = _declared(v=int)

    assert pagecache.page_key(environ, declared, {"id": "7"}) == key


def test_a_declared_placeholder_must_be_canonical_too():
    declared = _declared(id=int)
    environ = {"app.origin": "http://example.com", "QUERY_STRING": ""}

    assert pagecache.page_key(environ, declared, {"id": "007"}) is None
    assert pagecache.page_key({"QUERY_STRING": ""}, declared, {"id": "7"}) is None


def _config_with_page_cache():
    config = Configurator(settings={"cache.url": "none://"})
    config.registry.cache = cache_from_settings(config.get_settings(), "t")
    config.add_view_deriver(conditional.conditional_view)
    config.include(pagecache)
    return config


def test_page_cache_needs_the_etag_option_and_a_route():
    config = _config_with_page_cache()
    config.add_view(lambda request: Response(), name="x", page_cache=True)
    with pytest.raises(ConfigurationError, match="page_cache= needs etag"):
        config.commit()


@pytest.mark.parametrize("option", [("page",), {"page": "int"}, "yes"])
def test_page_cache_parameters_are_checked(option):
    with pytest.raises(ConfigurationError, match="page_cache="):
        pagecache.declared_parameters(option)


def _entry_showing(cache, *scopes):
    depends = tuple(sorted(cache.scope_generations("items", scopes).items()))
    return pagecache.entry_from(("items", "v1", depends), "200 OK", FINISHED, PAGE, 300)


def test_an_entry_outlives_writes_to_what_it_does_not_show():
    cache = cache_from_settings({"cache.url": "memory://", "cache.quiet": "1"}, "t")
    entry = _entry_showing(cache, "item:7", "new")
    assert pagecache.current(entry, "v1", cache) is entry  # no write: no lookup

    cache.bump("items", scopes=("item:8",))
    restamped = pagecache.current(entry, "v2", cache)
    assert restamped == entry._replace(stamp="v2")

    cache.bump("items", scopes=("item:7",))
    assert pagecache.current(restamped, "v3", cache) is None


def test_a_write_naming_no_scope_retires_every_entry():
    cache = cache_from_settings({"cache.url": "memory://", "cache.quiet": "1"}, "t")
    entry = _entry_showing(cache, "item:7")
    no_scopes = entry._replace(depends=None)
    cache.bump("items", scopes=("item:8",))
    assert pagecache.current(no_scopes, "v2", cache) is None  # depends on all
    assert pagecache.current(entry, "v2", cache) is not None

    cache.bump("items")
    assert pagecache.current(entry, "v3", cache) is None
