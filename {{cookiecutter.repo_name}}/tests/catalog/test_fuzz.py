"""Fuzz every route with generated input: no response is ever a 5xx.

The names come from the app, not from a list here: a warm-up sends every
route a few requests through an environ that records the keys the app looks
up (headers among them) and a ``request.GET`` that records the parameters it
asks for, again with every name found until nothing new turns up (``?profile=1``
is what makes the profiler ask for its token). The page cache's declared
parameters and the cookies the app set are added.

Hypothesis then sends those parameters (several at once: ``page`` with
``after``, ``profile=1`` with the profiling token) with values of any size and
invalid UTF-8, those headers plus Host, Cookie, Authorization and the
forwarded ones, from trusted and untrusted peers, with dates far beyond any
calendar; JSON bodies of the wrong shape or nested too deep, huge and binary
bodies, bodies in other charsets. Every answer must be a 2xx, 3xx or 4xx
without a traceback, on both request paths (``client``).
"""

import base64
import json
import re
from typing import NamedTuple
from urllib.parse import parse_qsl, quote, quote_from_bytes, urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from webob import Request
from webob.multidict import GetDict

PATHS = [
    "/",
    "/items",
    "/items/{id}",
    "/api/items",
    "/api/items/{id}",
    "/healthz",
    "/session",
    "/static/app.css",
    "/static/{id}",
    "/{id}",
]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"]
MEDIA_TYPES = [
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "text/plain",
    "",
    "garbage/;;;",
]
CHARSETS = ["utf-8", "UTF8", "latin-1", "utf-16", "ascii", "bogus", "", "utf-8\x7f"]
# Headers sent whether or not the warm-up saw them read.
ALWAYS_SENT = [
    "Host",
    "Cookie",
    "Authorization",
    "If-Modified-Since",
    "X-Forwarded-Proto",
    "X-Forwarded-For",
]
# Peers: a trusted proxy (testing default: 127.0.0.1 ::1), others, garbage.
PEERS = ["127.0.0.1", "::1", "203.0.113.7", "10.1.2.3", "", "not-an-address"]
# Once a 500 each (RecursionError, OverflowError): a test of their own below.
DEEP_JSON = b"[" * 30_000 + b"]" * 30_000
FAR_DATE = "Mon, 01 Jan 99999999999 00:00:00 GMT"
DATE = "If-Modified-Since"
ODD_VALUES = {
    "Accept": ["*/*", "text/html", "application/json;q=abc", ";;,", "\x7f\xff"],
    "Accept-Encoding": ["gzip, br", "identity;q=0", "ü"],
    "If-None-Match": ['"abc"', "*", "W/", '"' * 50],
    "Range": ["bytes=0-1", "bytes=9-1", "bytes=-", "lines=1"],
    "X-Forwarded-Proto": ["https", "http, https", "https, http", "ftp", ",", "HTTPS "],
    "Host": ["[::1]:99", "evil.example", "a b", ":", "[", "ü", "example.com:0"],
    "Authorization": ["Bearer alice", "Basic !!!", "", "Digest", "Basic"],
}


# -- what the app reads --------------------------------------------------------


class AppReads(NamedTuple):
    parameters: list  # query parameter names
    headers: list  # header names
    cookies: dict  # name -> a value the app set
    token: str  # profiling.token
    hosts: list  # app.allowed_hosts


class RecordsReads:
    """Notes in ``self.reads`` each key looked up or tested (a mixin)."""

    def __getitem__(self, key):
        self.reads.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.reads.add(key)
        return super().__contains__(key)


class RecordingEnviron(RecordsReads, dict):
    """A WSGI environ noting each key the app looks up."""

    def __init__(self, environ, reads):
        super().__init__(environ)
        self.reads = reads

    def get(self, key, default=None):
        self.reads.add(key)
        return super().get(key, default)

    def pop(self, key, *default):
        self.reads.add(key)
        return super().pop(key, *default)


class RecordingQuery(RecordsReads, GetDict):
    """``request.GET`` (WebOb's parsed query) noting each parameter asked for."""

    def __init__(self, data, env, reads):
        super().__init__(data, env)
        self.reads = reads

    def getall(self, key):
        self.reads.add(key)
        return super().getall(key)


def header_name(key):
    return key[len("HTTP_") :].replace("_", "-").title()


def environ_key(name):
    return "HTTP_" + name.upper().replace("-", "_")


def pyramid_router(app):
    while hasattr(app, "app"):  # the WSGI wrappers (make_app)
        app = app.app
    return app


def call(app, environ):
    """``app``'s status and headers for ``environ``; the body is read whole."""
    answer = []
    chunks = app(environ, lambda status, headers, exc_info=None: answer.extend(headers))
    try:
        b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return answer


def warm_up(client):
    """What ``client``'s app reads, found by asking every route with every
    name found so far until no new name turns up."""
    registry = client.app.registry
    router = pyramid_router(client.app)
    factory = router.request_factory

    def request_over_the_recording(environ):
        # WebOb accepts only a plain dict as environ: skip its type check.
        request = factory.__new__(factory)
        request.__dict__["environ"] = environ
        return request

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(router, "request_factory", request_over_the_recording)
        parameters, keys, cookies = record_reads(client)
    headers = {header_name(key) for key in keys if key.startswith("HTTP_")}
    return AppReads(
        parameters=sorted(parameters),
        headers=sorted(headers | set(ALWAYS_SENT)),
        cookies=cookies,
        token=registry.settings["profiling.token"],
        hosts=sorted(registry.app_settings.allowed_hosts),
    )


def record_reads(client):
    """Query parameters, environ keys and cookies set, over rounds of requests
    that send every name found so far."""
    registry = client.app.registry
    parameters = {
        name for declared in registry.page_cache_routes.values() for name in declared
    }
    keys, cookies = set(), {}
    for _ in range(5):
        known = (len(parameters), len(keys))
        query = urlencode(dict.fromkeys(sorted(parameters), "1"))
        headers = {key: "1" for key in keys if key.startswith("HTTP_")}
        headers.pop("HTTP_HOST", None)
        for path in PATHS:
            for method, extra in (("GET", {}), ("GET", headers), ("POST", headers)):
                environ = Request.blank("/", dict(client.extra_environ)).environ
                environ.update(extra, REQUEST_METHOD=method)
                environ.update(PATH_INFO=path.format(id=1), QUERY_STRING=query)
                recorded = RecordingEnviron(environ, keys)
                recorded["webob._parsed_query_vars"] = (
                    RecordingQuery(Request(environ).GET.items(), recorded, parameters),
                    query,
                )
                for name, value in call(client.app, recorded):
                    if name.lower() == "set-cookie":
                        cookie, _, cookie_value = value.split(";")[0].partition("=")
                        cookies[cookie] = cookie_value
        if (len(parameters), len(keys)) == known:
            return parameters, keys, cookies
    raise AssertionError(f"new names in every round: {parameters} {keys}")


@pytest.fixture
def app_reads(client):
    return warm_up(client)


def test_the_warm_up_finds_what_the_app_reads(app_reads):
    """The recording works: the page cache's parameters, the parameters and
    headers read only once ``profile=1`` is sent, the session cookie."""
    assert {"page", "after"} <= set(app_reads.parameters)
    assert "profile_token" in app_reads.parameters
    assert {"X-Profile-Token", "If-None-Match", "Range"} <= set(app_reads.headers)
    assert "session" in app_reads.cookies


# -- generated input -------------------------------------------------------------

# As a WSGI server hands them over: percent-decoded bytes, as latin-1 text.
latin1_text = st.one_of(
    st.text(min_size=1, max_size=30).map(
        lambda text: text.encode("utf-8", "surrogatepass").decode("latin-1")
    ),
    st.binary(min_size=1, max_size=30).map(lambda raw: raw.decode("latin-1")),
)
ids = st.one_of(
    st.integers(min_value=0, max_value=10**40).map(str),
    st.sampled_from(["0", "-1", "01", "2147483648", "9223372036854775808", "1" * 400]),
    latin1_text,
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
item_fields = st.fixed_dictionaries(
    {},
    optional={
        "name": json_values,
        "price_cents": json_values,
        "category_id": json_values,
        "description": json_values,
        "tags": json_values,
    },
)
bodies = st.one_of(
    st.just(b""),
    json_values.map(lambda value: json.dumps(value).encode()),
    item_fields.map(lambda value: json.dumps(value).encode()),
    item_fields.map(lambda value: json.dumps(value).encode("utf-16")),
    st.binary(max_size=200),  # invalid UTF-8 and worse
    st.sampled_from([64 * 1024 + 1, 1024 * 1024]).map(lambda size: b"x" * size),
    st.sampled_from([DEEP_JSON, DEEP_JSON[:30_000], b'{"a":' * 10_000]),
)
content_types = st.one_of(
    st.sampled_from(MEDIA_TYPES),
    st.tuples(st.sampled_from(MEDIA_TYPES), st.sampled_from(CHARSETS)).map(
        lambda pair: f"{pair[0]}; charset={pair[1]}"
    ),
)
http_dates = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15).map(
        lambda year: f"Mon, 01 Jan {year} 00:00:00 GMT"
    ),
    st.datetimes().map(lambda moment: moment.strftime("%a, %d %b %Y %H:%M:%S GMT")),
    st.sampled_from(
        [FAR_DATE, "Mon, 31 Feb 2020 00:00:00 GMT", "yesterday", "0", "-1", ""]
    ),
)
addresses = st.one_of(st.ip_addresses().map(str), st.sampled_from(PEERS), latin1_text)


def query_strings(reads):
    """Query strings of the parameters the app reads, several at once."""
    values = st.one_of(
        st.just("1"), st.just(reads.token), ids, st.sampled_from(["", "&", "=", "+"])
    )
    pair = st.tuples(st.sampled_from([*reads.parameters, "utm_source"]), values)
    # Every parameter at once (``page`` with ``after``, ``profile=1`` with the
    # token), from a vocabulary small enough to hit the combinations.
    vocabulary = st.sampled_from(["1", reads.token])
    every = st.fixed_dictionaries(dict.fromkeys(reads.parameters, vocabulary))
    return st.one_of(
        every.map(urlencode),
        every.map(urlencode),  # twice: the profiler answers one draw in four
        st.lists(pair, max_size=5).map(
            lambda pairs: "&".join(
                f"{quote(name)}={quote_from_bytes(value.encode('latin-1'))}"
                for name, value in pairs
            )
        ),
        st.lists(pair, max_size=3).map(  # unencoded, as some clients send
            lambda pairs: "&".join(f"{name}={value}" for name, value in pairs)
        ),
        st.binary(max_size=40).map(lambda raw: raw.decode("latin-1")),
    )


def header_values(name, reads):
    """Values for header ``name``: the ones it is about, and any text."""
    special = {
        "Host": st.sampled_from(reads.hosts).flatmap(
            lambda host: st.sampled_from(
                [host, host.upper(), f"{host}.", f"{host}:80", f"[{host}]", host + ":x"]
            )
        ),
        "Cookie": st.one_of(
            st.sampled_from(sorted(reads.cookies.items())).flatmap(
                lambda cookie: st.sampled_from(
                    [
                        f"{cookie[0]}={cookie[1]}",
                        f"{cookie[0]}={cookie[1][:-3]}xyz",
                        f"{cookie[0]}={'a' * 5000}",
                        f"{cookie[0]}={cookie[1]}; {cookie[0]}=x",
                    ]
                )
            ),
            st.sampled_from(["=;;=", "ü=ü", "a" * 5000]),
        ),
        "Authorization": st.one_of(
            st.binary(max_size=30).map(
                lambda raw: "Basic " + base64.b64encode(raw).decode()
            ),
            latin1_text.map(lambda text: "Bearer " + text),
        ),
        "X-Forwarded-For": st.lists(addresses, min_size=1, max_size=4).map(", ".join),
        "X-Profile-Token": st.just(reads.token),
    }
    if name.startswith("If-") and name.endswith("-Since"):
        special[name] = http_dates
    return st.one_of(
        special.get(name, st.nothing()),
        st.sampled_from(ODD_VALUES.get(name, ["1"])),
        latin1_text,
    )


def header_lists(reads):
    return st.lists(
        st.sampled_from(reads.headers).flatmap(
            lambda name: st.tuples(st.just(name), header_values(name, reads))
        ),
        max_size=5,
    )


def is_profile(response):
    return response.content_type == "text/html" and b"pyinstrument" in response.body


def assert_answered(client, method, path, query, body, content_type, headers, peer):
    """``client``'s app answers the request with a 2xx, 3xx or 4xx."""
    request = Request.blank("/", dict(client.extra_environ), method=method)
    request.environ["PATH_INFO"] = path
    request.environ["QUERY_STRING"] = query
    request.environ["REMOTE_ADDR"] = peer
    if method not in ("GET", "HEAD"):
        request.body = body
        request.environ["CONTENT_TYPE"] = content_type
    for name, value in headers:
        request.environ[environ_key(name)] = value
    response = request.get_response(client.app)
    assert response.status_int < 500, (response.status, response.body[:500])
    if is_profile(response):  # for the token's holder: the app's code, named
        return response
    assert b"Traceback (most recent call last)" not in response.body
    assert b"predicate" not in response.body  # Pyramid's message names the view
    if response.status_int == 405:
        assert "Allow" in response.headers
    return response


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    method=st.one_of(st.just("GET"), st.sampled_from(METHODS)),
    path=st.sampled_from(PATHS),
    item_id=ids,
    body=bodies,
    content_type=content_types,
    peer=st.sampled_from(PEERS),
    data=st.data(),
)
def test_no_input_makes_a_server_error(
    client, app_reads, method, path, item_id, body, content_type, peer, data
):
    query = data.draw(query_strings(app_reads), label="query")
    headers = data.draw(header_lists(app_reads), label="headers")
    response = assert_answered(
        client,
        method,
        path.format(id=item_id),
        query,
        body,
        content_type,
        headers,
        peer,
    )
    event(f"status {response.status_int}")
    sent = {name for name, _ in parse_qsl(query)} | {name for name, _ in headers}
    if {"page", "after"} <= sent:
        event("page and after")
    if "X-Forwarded-Proto" in sent and peer in ("127.0.0.1", "::1"):
        event("X-Forwarded-Proto from a trusted proxy")
    if is_profile(response):
        event("profiled")


# Inputs that were once a 500, tried on every run.
FORM = "application/x-www-form-urlencoded"
ONCE_A_500 = [
    {"method": "POST", "path": "/api/items", "body": DEEP_JSON},
    {
        "method": "POST",
        "path": "/api/items",
        "content_type": "application/json; charset=bogus",  # LookupError
    },
    {
        "method": "POST",
        "path": "/session",
        "content_type": f"{FORM}; charset=latin-1",
    },
    {"method": "GET", "path": "/items/1", "headers": [(DATE, FAR_DATE)]},
    # Python's codecs call these UTF-8, WebOb does not (DeprecationWarning).
    {"method": "POST", "path": "/session", "content_type": f"{FORM};charset=utf_8"},
    {"method": "POST", "path": "/session", "content_type": f"{FORM};charset=utf-8\x7f"},
]


@pytest.mark.parametrize(
    "shape",
    ONCE_A_500,
    ids=["deep-json", "bogus-json", "latin-1-form", "far-date", "utf_8", "utf-8-del"],
)
def test_an_input_that_was_once_a_500_is_answered(client, shape):
    defaults = {
        "query": "",
        "body": b"note=x",
        "content_type": "application/json",
        "headers": [],
        "peer": "127.0.0.1",
    }
    assert_answered(client, **{**defaults, **shape})


def test_ids_beyond_any_database_integer_are_not_found(testapp):
    for item_id in ("2147483648", "9223372036854775808", "9" * 400):
        testapp.get(f"/items/{item_id}", status=404)
        testapp.get(f"/api/items/{item_id}", status=404)


@pytest.mark.parametrize("path", ["/", "/items", "/items/1", "/api/items/1"])
@pytest.mark.parametrize("name", ["If-Modified-Since", "If-Unmodified-Since"])
def test_a_date_beyond_any_calendar_is_ignored(testapp, path, name):
    response = testapp.get(path, headers={name: FAR_DATE})
    assert response.status_int == 200 and response.body


def test_json_nested_too_deep_is_a_400(testapp):
    response = testapp.post(
        "/api/items", DEEP_JSON, content_type="application/json", status=400
    )
    assert response.json["errors"] == {"body": "must be valid JSON (UTF-8)"}


def test_a_malformed_range_is_ignored(testapp):
    href = re.search(r'href="http://example.com(/static/[^"]+)"', testapp.get("/").text)
    response = testapp.get(href.group(1), headers={"Range": "bytes=-"})
    assert response.status_int == 200 and response.body
