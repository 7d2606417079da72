"""Rendered-page cache: a warm public page is answered before Pyramid runs.

Opt in next to the view: ``@view_config(..., etag="articles",
page_cache=True)``. It is a separate flag, not implied by ``etag``, because an
ETag is safe for any view while storing the page is a promise by the view's
author that it depends only on its URL and the data set's version (no user, no
session, no request headers).

How a page travels:

1. **Miss.** Pyramid runs as usual: ``conditional.conditional_view`` looks up the
   data set's version, the view renders, and ``page_cache_view`` (the view
   deriver below) marks the request with that version. ``PageCache``, a WSGI
   wrapper around the Pyramid app, then stores the *finished* response: every
   final header (Cache-Control, ETag, security headers) and the body.
2. **Hit.** ``PageCache`` finds the entry in this process's copy, or reads it
   together with the data sets' current generations in one cache call (a
   single MGET with Redis or Memcached). When the entry was made from the
   current version it answers from it, and a matching ``If-None-Match`` gets
   its 304 there: no request object, tweens, routing, transaction machinery or
   view. On a warm page those were the only costs left, several times the
   cache read. Only URLs a page-cached route matches are looked up.
3. **Undecided.** When the version must come from the database (per-process
   memory cache past ``httpcache.version_ttl``, or the cache is down) or the
   request carries only ``If-Modified-Since``, Pyramid handles it and
   ``page_cache_view`` serves the stored body once the version agrees: one
   version lookup, no view, no template.

Key: the full URL (scheme, host, script name, path, query string): pages hold
absolute links. The entry records the version it was rendered from, so a write
(a new generation) retires every stored page of the data set: at once in the
writing process, within ``httpcache.version_ttl`` in the others (see
``PageCache``). Entries also expire after ``cache.expiration_time``.

Never stored: non-200s, anything but GET, responses that read the session, set
a cookie, are private or ``no-store``, or carry a ``Vary`` header (an input the
key would not see).
"""

import functools
import re
import time
from email.utils import formatdate
from typing import NamedTuple

from pyramid.exceptions import ConfigurationError
from pyramid.interfaces import IRoutesMapper
from pyramid.response import Response

from . import conditional
from .lru import LockedLRU

# environ keys shared with ``page_cache_view`` (inside Pyramid)
STORE_AS = "pagecache.store_as"  # (dataset, version tag) of a storable page
KEY = "pagecache.key"
# Added by the server on every response, so never stored.
PER_RESPONSE_HEADERS = {"expires", "date", "server-timing"}
# Not sent with a 304 (RFC 9110 15.4.5): they describe the absent body.
BODY_HEADERS = {"content-type", "content-length"}
HIT_TIMING = ("Server-Timing", 'page;desc="stored"')
# Pages each process keeps at hand (~10 KB each; the memory cache's own objects).
LOCAL_ENTRIES = 1000
MAX_AGE = re.compile(r"max-age=(\d+)")


class Entry(NamedTuple):
    dataset: str
    tag: str  # the data version the page was rendered from
    expires_at: float  # time.time() after which the entry is not used
    max_age: int | None  # for a fresh Expires header on each hit; None: no Expires
    headers: tuple  # ((name, value), ...), final, without PER_RESPONSE_HEADERS
    body: bytes


def page_key(environ):
    """The full URL of the request: the same page for the same key."""
    host = environ.get("HTTP_HOST") or (
        f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    )
    return (
        f"page:{environ['wsgi.url_scheme']}://{host}{environ.get('SCRIPT_NAME', '')}"
        f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    )


# -- storing ---------------------------------------------------------------------


def storable(request, response):
    """What the view's response says, before the rest of Pyramid adds headers."""
    cache_control = response.cache_control
    return (
        request.method == "GET"
        and response.status_code == 200
        and "session" not in request.__dict__  # the reified property never ran
        and "Set-Cookie" not in response.headers
        and "Vary" not in response.headers
        and not cache_control.private
        and not cache_control.no_store
    )


def entry_from(store_as, status, headers, body, expiration_time):
    """An ``Entry`` of the finished response, or None if it must not be kept."""
    dataset, tag = store_as
    if not status.startswith("200 "):
        return None
    kept, max_age, has_expires, etag = [], None, False, None
    for name, value in headers:
        lower = name.lower()
        if lower in ("set-cookie", "vary"):
            return None
        if lower == "cache-control":
            if "private" in value or "no-store" in value:
                return None
            match = MAX_AGE.search(value)
            max_age = int(match.group(1)) if match else None
        elif lower == "etag":
            etag = value
        if lower == "expires":
            has_expires = True
        elif lower not in PER_RESPONSE_HEADERS:
            kept.append((name, value))
    if etag != f'W/"{tag}"':  # replaced on the way out (an error page, a profile)
        return None
    return Entry(
        dataset,
        tag,
        time.time() + expiration_time,
        max_age if has_expires else None,
        tuple(kept),
        body,
    )


def encode(entry, in_process):
    """What the cache stores. Byte backends hold JSON, hence text; None: binary."""
    if in_process:  # the object itself is kept: no copy, no decoding
        return entry
    try:
        text = entry.body.decode("utf-8")  # any body that is valid UTF-8
    except UnicodeDecodeError:
        return None
    return [*entry[:4], [list(header) for header in entry.headers], text]


def decode(value):
    """The ``Entry`` in a cached value, or None if it is not one (old format)."""
    if isinstance(value, Entry):
        return value
    try:
        dataset, tag, expires_at, max_age, headers, body = value
        return Entry(
            dataset,
            tag,
            expires_at,
            max_age,
            tuple((name, header_value) for name, header_value in headers),
            body.encode("utf-8"),
        )
    except (TypeError, ValueError, AttributeError):
        return None


def usable(entry, tag):
    """Was ``entry`` rendered from version ``tag``, and is it within its expiry?"""
    return entry is not None and entry.tag == tag and entry.expires_at >= time.time()


def stored_body(request, tag):
    """The stored page for this request at version ``tag``, or None."""
    key = request.environ.get(KEY) or page_key(request.environ)
    entry = decode(request.cache.get(key))
    if not usable(entry, tag):
        return None
    content_type = next(
        (value for name, value in entry.headers if name.lower() == "content-type"),
        "application/octet-stream",
    )
    return Response(body=entry.body, headerlist=[("Content-Type", content_type)])


def page_cache_view(view, info):
    """View deriver for ``page_cache=True`` (inside ``conditional_view``)."""
    if not info.options.get("page_cache"):
        return view
    dataset = info.options.get("etag")
    if dataset is None:
        raise ConfigurationError("page_cache=True needs etag=<data set>")
    info.registry.page_cache_datasets.add(dataset)
    info.registry.page_cache_routes.add(info.options.get("route_name"))

    def page_cached(context, request):
        version = request.environ.get(conditional.VERSION)
        if version is None:  # not GET or HEAD: no version was looked up
            return view(context, request)
        response = stored_body(request, version[1])
        if response is None:
            response = view(context, request)
            if storable(request, response):
                request.environ[STORE_AS] = version
        return response

    return page_cached


page_cache_view.options = ("page_cache",)


# -- serving ---------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def http_date(second):
    return formatdate(second, usegmt=True)


class PageCache:
    """WSGI wrapper: answers warm pages from the cache, stores the ones Pyramid makes.

    Each process also keeps the pages it served last (``LOCAL_ENTRIES``) and
    reuses a data set's generation for ``httpcache.version_ttl`` seconds (1 in
    production) before asking the cache again: with Redis or Memcached a round
    trip costs more than the whole answer. A write in this process shows at
    once, another process's write within that second (the pages are
    ``PUBLIC``: browsers and proxies may reuse them for a minute anyway).
    ``version_ttl = 0``: ask the cache every time.
    """

    def __init__(self, app):
        self.app = app
        self.registry = app.registry
        self.cache = app.registry.cache
        self.versions = app.registry.http_versions
        self.datasets = tuple(sorted(app.registry.page_cache_datasets))
        self.routes = page_cache_routes(app.registry)
        self.server_timing = app.registry.app_settings.server_timing
        self.local = LockedLRU(LOCAL_ENTRIES)
        app.registry.page_cache = self  # for tests and introspection

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD") or (
            "HTTP_IF_MODIFIED_SINCE" in environ and "HTTP_IF_NONE_MATCH" not in environ
        ):  # a date comparison: Pyramid's conditional_view decides
            return self.app(environ, start_response)
        if self.routes is not None and not may_be_stored(environ, self.routes):
            return self.app(environ, start_response)  # static files, /healthz...
        key = environ[KEY] = page_key(environ)
        entry = self._local_entry(key)
        if entry is None:
            entry = self._shared_entry(key)
        if entry is None:
            return self._render_and_store(environ, start_response, key)
        return self._answer(entry, environ, start_response)

    def _local_entry(self, key):
        """This process's copy, if its version is known to be current: no round trip."""
        entry = self.local.get(key)
        if entry is None:
            return None
        generation = self.cache.recent_generation(
            entry.dataset, self.versions.version_ttl
        )
        if generation is None or not self._current(entry, generation):
            return None
        return entry

    def _shared_entry(self, key):
        """The cache's entry and current generations, in one round trip."""
        generations, value = self.cache.peek(self.datasets, key)
        entry = None if value is None else decode(value)
        if entry is None or not self._current(entry, generations.get(entry.dataset)):
            return None
        self.local[key] = entry
        return entry

    def _current(self, entry, generation):
        return generation is not None and usable(
            entry, self.versions.known(entry.dataset, generation)
        )

    def _answer(self, entry, environ, start_response):
        headers = list(entry.headers)
        if entry.max_age is not None:
            headers.append(("Expires", http_date(int(time.time()) + entry.max_age)))
        if self.server_timing:
            headers.append(HIT_TIMING)
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None and conditional.etag_matches(
            if_none_match, entry.tag
        ):
            headers = [h for h in headers if h[0].lower() not in BODY_HEADERS]
            start_response("304 Not Modified", headers)
            return []
        start_response("200 OK", headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]

    def _render_and_store(self, environ, start_response, key):
        started = []

        def capture(status, headers, exc_info=None):
            started[:] = [status, headers]
            return start_response(status, headers, exc_info)

        app_iter = self.app(environ, capture)
        store_as = environ.get(STORE_AS)
        if store_as is None or not started:
            return app_iter
        try:
            body = b"".join(app_iter)
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()
        entry = entry_from(store_as, *started, body, self.cache.expiration_time)
        value = None if entry is None else encode(entry, self.cache.in_process)
        if value is not None:
            self.cache.set(key, value)
            self.local[key] = entry
        return [body]


def page_cache_routes(registry):
    """The routes of page-cached views; None: any URL may have a page (traversal)."""
    names = registry.page_cache_routes
    mapper = registry.queryUtility(IRoutesMapper)
    if None in names or mapper is None:
        return None
    return [mapper.get_route(name) for name in sorted(names)]


def may_be_stored(environ, routes):
    """Only URLs a page-cached route matches are looked up: no cache call for others."""
    try:
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
    except UnicodeError:
        return False  # Pyramid answers it with a 400
    return any(route.match(path) is not None for route in routes)


def wrap(app):
    """``app`` behind a ``PageCache``, or unchanged when no view has ``page_cache``.

    With ``cache.url = none://`` nothing is ever stored: each GET costs one
    in-process lookup that misses.
    """
    return PageCache(app) if app.registry.page_cache_datasets else app


def includeme(config):
    config.registry.page_cache_datasets = set()
    config.registry.page_cache_routes = set()
    config.add_view_deriver(
        page_cache_view, under="conditional_view", over="rendered_view"
    )
