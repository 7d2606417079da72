"""Rendered-page cache: a warm public page is answered before Pyramid runs.

Opt in next to the view: ``@view_config(..., etag="articles",
page_cache=True)``. It is a separate flag, not implied by ``etag``, because an
ETag is safe for any view while storing the page is a promise by the view's
author that it depends only on its route, its declared parameters and the
data set's version. A view with query parameters declares them, each with the
function that parses it: ``page_cache={"page": parse_page}``. A parameter
named like a route placeholder (``{"id": parse_id}`` on ``/items/{id}``) is
parsed from the path instead.

How a page travels:

1. **Miss.** Pyramid runs as usual: ``conditional.conditional_view`` looks up the
   data set's version, the view renders (naming the scopes it shows with
   ``request.cache.depends_on``), and ``page_cache_view`` (the view deriver
   below) marks the request with that version and the scopes' generations,
   read after the view (``made_at``: not if a write began meanwhile). The
   page's ETag is a digest of its body. ``PageCache``, a WSGI wrapper around
   the Pyramid app, then stores the *finished* response: every final header
   (Cache-Control, ETag, security headers) and the body.
2. **Hit.** ``PageCache`` finds the entry in this process's copy, or reads it
   together with the data sets' current generations in one cache call (a
   single MGET with Redis or Memcached). When the entry was made (or last
   checked) at the current version, or a write since changed none of its
   scopes (one more cache call, then it is re-stamped: ``current``), it
   answers from it, and a matching ``If-None-Match`` gets its 304 there: no
   request object, tweens, routing, transaction machinery or view. On a warm
   page those were the only costs left, several times the cache read.
3. **Undecided.** When the version must come from the database (per-process
   memory cache past ``httpcache.version_ttl``, or the cache is down) or the
   request carries only ``If-Modified-Since``, Pyramid handles it and
   ``page_cache_view`` serves the stored body once it is current: one
   version lookup, no view, no template.

Key (``page_key``): the canonical origin (``web/hosts.py``: scheme and an
allowed host), the route's name, its placeholders and the declared
parameters, each as its parser reads it. Whatever clients send, a route has
one entry per distinct page. A request that would need another key is
answered by Pyramid as usual and never stored: a host that is not allowed (or
an odd port), an undeclared or repeated parameter, or a value not in the form
its parser gives back (``page=01``, ``PAGE=1``, Unicode digits). Answering
beats redirecting to the canonical URL here: it costs nothing, keeps every
URL working (links from elsewhere, a client adding ``utm_`` tags) and an
attacker gains nothing but an uncached request, which the same client could
have made anyway. The entry records the version and the scopes' generations
it was rendered from, so a write retires the stored pages showing what it
changed (all of the data set's, for a write that names no scope): at once in
the writing process, within ``httpcache.version_ttl`` in the others (see
``PageCache``). Entries also expire after ``cache.expiration_time``.

Never looked up nor stored: requests with ``Authorization``. Never stored:
non-200s, anything but GET, responses that read a per-user input
(``personal.py``: cookies, session, credentials, identity, undeclared
headers), set a cookie, are private or ``no-store``, or carry a ``Vary``
header (an input the key would not see).

Memory: each process keeps the pages it served last within
``pagecache.memory_bytes`` (32 MB), apart from the data cache, so pages never
evict data or generations. With Redis or Memcached the pages are also stored
there; a write the server refuses (out of memory, too large) is logged and
skipped (``failopen.py``), it never turns the cache off. ``pagecache.enabled =
false`` (``PAGE_CACHE=0``; the development default) stores nothing.
"""

import functools
import re
import time
from email.utils import formatdate
from typing import NamedTuple
from urllib.parse import parse_qsl

from pyramid.exceptions import ConfigurationError
from pyramid.interfaces import IRoutesMapper
from pyramid.response import Response
from pyramid.settings import asbool

from ..web.hosts import ORIGIN
from . import conditional
from .lru import LockedLRU
from .personal import READS, is_personal
from .renders import RenderOnce

# environ keys shared with ``page_cache_view`` (inside Pyramid)
STORE_AS = "pagecache.store_as"  # (dataset, version tag, depends) of a storable page
KEY = "pagecache.key"  # the page's key, set only when it may be stored
ROUTE = "pagecache.route"  # the route the key was made for
# Added by the server on every response, so never stored.
PER_RESPONSE_HEADERS = {"expires", "date", "server-timing"}
# Not sent with a 304 (RFC 9110 15.4.5): they describe the absent body.
BODY_HEADERS = {"content-type", "content-length"}
HIT_TIMING = ("Server-Timing", 'page;desc="stored"')
QUERY = "QUERY_STRING"
KNOWN_URLS = 10_000  # canonical URLs whose key each process remembers
MEMORY_BYTES = 32 * 1024 * 1024  # pagecache.memory_bytes: pages per process
# Bytes of Python objects around a body and its headers, with its answer's
# header lists (about 1,300 of them with ten headers).
ENTRY_OVERHEAD = 1700
MAX_AGE = re.compile(r"max-age=(\d+)")


class EntryFields(NamedTuple):
    dataset: str
    tag: str  # its ETag's opaque tag: a digest of the body (conditional.body_tag)
    expires_at: float  # time.time() after which the entry is not used
    max_age: int | None  # for a fresh Expires header on each hit; None: no Expires
    headers: tuple  # ((name, value), ...), final, without PER_RESPONSE_HEADERS
    body: bytes
    stamp: str = ""  # the data set's version it is known current at
    # ((scope generation name, generation), ...) it was rendered at, or None:
    # it depends on all of the data set (its view named no scope)
    depends: tuple | None = None


class Entry(EntryFields):
    """A stored page. What a hit sends is worked out once, on its first hit,
    and kept with it (so it leaves memory with the entry)."""

    @functools.cached_property
    def answer(self):
        return Answer(self)


class Answer:
    """A hit's header lists, made from an entry once.

    Per request only ``Expires`` changes, and only once a second: the header
    lists for a 200 and a 304 are rebuilt when the second changes, not per
    request. Callers send copies (a server may append to what it is given).
    """

    def __init__(self, entry):
        self.tag = entry.tag
        # The exact ETag sent: a client echoing it matches without parsing.
        self.etag = next(
            (value for name, value in entry.headers if name.lower() == "etag"), None
        )
        self.max_age = entry.max_age
        self.ok = list(entry.headers)
        # RFC 9110 15.4.5: a 304 leaves out what describes the absent body.
        self.not_modified = [h for h in self.ok if h[0].lower() not in BODY_HEADERS]
        self._now = (None, self.ok, self.not_modified)  # (second, 200, 304)

    def headers(self, second):
        """``(200 headers, 304 headers)`` at ``second`` (int(time.time()))."""
        now = self._now  # one tuple, replaced whole: safe between threads
        if now[0] != second and self.max_age is not None:
            expires = ("Expires", http_date(second + self.max_age))
            now = self._now = (
                second,
                [*self.ok, expires],
                [*self.not_modified, expires],
            )
        return now[1], now[2]

    def matches(self, if_none_match):
        """Does ``If-None-Match`` name this page's version?"""
        return if_none_match == self.etag or conditional.etag_matches(
            if_none_match, self.tag
        )


def entry_size(entry):
    """Approximate bytes ``entry`` holds in this process."""
    headers = sum(len(name) + len(value) for name, value in entry.headers)
    return len(entry.body) + headers + ENTRY_OVERHEAD


class Declared(NamedTuple):
    """What a page-cached route's key is made of."""

    name: str  # the route
    route: object  # pyramid's IRoute, for matching before Pyramid runs
    parameters: dict  # name -> parser(text) whose str() is the canonical text


def declared_parameters(option):
    """``page_cache=True`` or ``{name: parser}`` -> ``{name: parser}``."""
    if option is True:
        return {}
    if isinstance(option, dict) and all(
        isinstance(name, str) and callable(parser) for name, parser in option.items()
    ):
        return dict(option)
    raise ConfigurationError(
        f"page_cache={option!r}: True, or a dict (parameter name: parser) of "
        "the query parameters (and route placeholders) the page depends on"
    )


def canonical(parser, text):
    """``text`` as ``parser`` reads it, or None when it is not written that way."""
    try:
        value = str(parser(text))
    except Exception:  # any refusal: the view answers it (a 4xx), never stored
        return None
    return value if value == text else None


def page_key(environ, declared, matchdict):
    """The key of this request's page, or None if it must not be stored."""
    origin = environ.get(ORIGIN)
    query = environ.get(QUERY, "")
    if origin is None or not query.isascii():
        return None
    parameters = declared.parameters
    if not query and not matchdict:
        return f"page:{origin}|{declared.name}|"
    parts = []
    for name, text in sorted(matchdict.items()):
        parser = parameters.get(name)
        if parser is not None:
            text = canonical(parser, text)
            if text is None:
                return None
        parts.append(f"{name}={text}")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    given = {}
    for name, text in pairs:
        parser = parameters.get(name)
        if parser is None or name in given or name in matchdict:
            return None  # undeclared or repeated
        given[name] = canonical(parser, text)
        if given[name] is None:
            return None
    parts.extend(f"{name}={given[name]}" for name in parameters if name in given)
    return f"page:{origin}|{declared.name}|{'&'.join(parts)}"


def request_key(environ, routes, known=None):
    """``(key, route name)`` when this request's page may be looked up and stored.

    The first route whose pattern matches the path decides, as in Pyramid
    (route predicates aside: the view that runs must be the route's
    page-cached one, or nothing is stored). ``known`` (a dict) remembers the
    URLs that had a key, up to ``KNOWN_URLS``: a warm page costs one lookup.
    Junk URLs have none, so they never fill it.
    """
    if known is not None:
        url = (environ.get(ORIGIN), environ.get("PATH_INFO"), environ.get(QUERY))
        found = known.get(url)
        if found is None:
            found = request_key(environ, routes)
            if found is not None and len(known) < KNOWN_URLS:
                known[url] = found
        return found
    try:
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None  # Pyramid answers it with a 400
    for route in routes:
        matchdict = route.route.match(path)
        if matchdict is not None:
            if route.parameters is None:
                return None  # a route without a page-cached view
            key = page_key(environ, route, matchdict)
            return None if key is None else (key, route.name)
    return None


# -- storing ---------------------------------------------------------------------


def storable(request, response):
    """What the view's response says, before the rest of Pyramid adds headers."""
    cache_control = response.cache_control
    return (
        request.method == "GET"
        and response.status_code == 200
        and not is_personal(request)  # no cookie, session, user, header read
        and "Set-Cookie" not in response.headers
        and "Vary" not in response.headers
        and not cache_control.private
        and not cache_control.no_store
    )


def entry_from(store_as, status, headers, body, expiration_time):
    """An ``Entry`` of the finished response, or None if it must not be kept."""
    dataset, stamp, depends = store_as
    tag = conditional.body_tag(body)
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
        stamp,
        depends,
    )


def encode(entry, in_process):
    """What the cache stores. Byte backends hold JSON, hence text; None: binary."""
    if in_process:  # the object itself is kept: no copy, no decoding
        return entry
    try:
        text = entry.body.decode("utf-8")  # any body that is valid UTF-8
    except UnicodeDecodeError:
        return None
    depends = None if entry.depends is None else [list(d) for d in entry.depends]
    return [
        *entry[:4],
        [list(header) for header in entry.headers],
        text,
        entry.stamp,
        depends,
    ]


def decode(value):
    """The ``Entry`` in a cached value, or None if it is not one (old format)."""
    if isinstance(value, Entry):
        return value
    try:
        dataset, tag, expires_at, max_age, headers, body, stamp, depends = value
        return Entry(
            dataset,
            tag,
            expires_at,
            max_age,
            tuple((name, header_value) for name, header_value in headers),
            body.encode("utf-8"),
            stamp,
            None if depends is None else tuple((name, gen) for name, gen in depends),
        )
    except (TypeError, ValueError, AttributeError):
        return None


def current(entry, stamp, cache):
    """``entry`` if it is current at the data set's version ``stamp``, else None.

    Within its expiry, and either made at that version (no write since: no
    lookup) or showing none of what changed since: the generations of the
    scopes it depends on are still the ones it was made at (one round trip).
    Then it is returned re-stamped, so the next hit needs no lookup.
    """
    if entry is None or entry.expires_at < time.time():
        return None
    if entry.stamp == stamp:
        return entry
    if entry.depends is None:
        return None
    generations = cache.generations([name for name, _ in entry.depends])
    if any(generations.get(name) != made_at for name, made_at in entry.depends):
        return None
    return entry._replace(stamp=stamp)


class PageStore:
    """Where pages are kept: this process's copy and, if shared, the cache.

    This process's copy is an LRU bounded by bytes (``pagecache.memory_bytes``),
    apart from the data cache. With Redis or Memcached each page is also
    stored there, under the cache's own expiry and memory limits.
    """

    def __init__(self, cache, memory_bytes):
        self.cache = cache
        self.local = LockedLRU(memory_bytes, getsizeof=entry_size)

    @property
    def bytes(self):
        return self.local.currsize

    def kept(self, key):
        """This process's copy (keyed in the cache's namespace too)."""
        return self.local.get((self.cache.namespace, key))

    def keep(self, key, entry):
        self.local[(self.cache.namespace, key)] = entry

    def get(self, key):
        """The entry under ``key`` (this process's copy first), or None."""
        entry = self.kept(key)
        if entry is None and self.cache.shared:
            entry = decode(self.cache.get(key))
        return entry

    def put(self, key, entry):
        if not self.cache.keeps_data:
            return  # none://: nothing is stored anywhere
        if self.cache.shared:
            value = encode(entry, in_process=False)
            if value is None:
                return
            self.cache.set(key, value)
        self.keep(key, entry)


def stored_body(request, stamp):
    """The stored page for this request at version ``stamp``, or None."""
    store = request.registry.page_store
    key = request.environ[KEY]
    entry = current(store.get(key), stamp, store.cache)
    if entry is None:
        return None
    store.keep(key, entry)
    content_type = next(
        (value for name, value in entry.headers if name.lower() == "content-type"),
        "application/octet-stream",
    )
    return Response(body=entry.body, headerlist=[("Content-Type", content_type)])


def page_cache_view(view, info):
    """View deriver for ``page_cache=`` (inside ``conditional_view``)."""
    option = info.options.get("page_cache")
    if not option:
        return view
    dataset = info.options.get("etag")
    if dataset is None:
        raise ConfigurationError("page_cache= needs etag=<data set>")
    route_name = info.options.get("route_name")
    if route_name is None:
        raise ConfigurationError("page_cache= needs a route_name (the page's key)")
    parameters = declared_parameters(option)
    routes = info.registry.page_cache_routes
    if routes.setdefault(route_name, parameters) != parameters:
        raise ConfigurationError(
            f"route {route_name!r}: its page-cached views declare different "
            "page_cache= parameters"
        )
    info.registry.page_cache_datasets.add(dataset)
    if not info.registry.page_cache_enabled:
        return view

    def page_cached(context, request):
        version = request.environ.get(conditional.VERSION)
        route = request.matched_route
        if (
            version is None  # not GET or HEAD: no version was looked up
            or KEY not in request.environ  # not a key of its own: never stored
            or route is None
            or route.name != request.environ.get(ROUTE)
        ):
            return view(context, request)
        response = stored_body(request, version[1])
        if response is None:
            before = request.cache.generation(dataset)  # read with the version
            response = view(context, request)
            if storable(request, response):
                store_as = made_at(request, dataset, version[1], before)
                if store_as is not None:
                    request.environ[STORE_AS] = store_as
        return response

    return page_cached


page_cache_view.options = ("page_cache",)


def made_at(request, dataset, stamp, before):
    """``STORE_AS`` of a page just rendered, or None if a write may have raced it.

    The generations of the scopes the view named are read after it ran, then
    the data set's generation again: unchanged since before the view means no
    write began meanwhile (``Cache.bump`` replaces it first and last), so the
    page shows the data of the scope generations it records. A page that
    named no scope needs no check: its stamp, read before the view, is
    already older than any write made while it rendered.
    """
    cache = request.registry.cache
    scopes = request.cache.scopes.get(dataset)
    if not scopes or not cache.healthy:
        # The version read before the view alone: any write retires the page.
        # (With the cache down, generations are made up on each read.)
        return dataset, stamp, None
    depends = tuple(sorted(cache.scope_generations(dataset, scopes).items()))
    if cache.generation(dataset) != before or not cache.healthy:
        return None
    return dataset, stamp, depends


# -- serving ---------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def http_date(second):
    return formatdate(second, usegmt=True)


class PageCache:
    """WSGI wrapper: answers warm pages from the cache, stores the ones Pyramid makes.

    Each process keeps the pages it served last (``PageStore``) and reuses a
    data set's generation for ``httpcache.version_ttl`` seconds (1 in
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
        self.store = app.registry.page_store
        self.versions = app.registry.http_versions
        self.datasets = tuple(sorted(app.registry.page_cache_datasets))
        self.routes = declared_routes(app.registry)
        self.known_urls = {}  # (origin, path, query) -> (key, route)
        # Appended to each hit's headers (a new list per response).
        self.trailer = [HIT_TIMING] if app.registry.app_settings.server_timing else []
        # A client that just wrote (the database layer's read-your-writes
        # cookie) gets pages of the current generations, never of one this
        # process reused from up to ``version_ttl`` ago.
        self.wrote_marker = getattr(app.registry, "read_your_writes_cookie", None)
        self.renders = RenderOnce()
        app.registry.page_cache = self  # for tests and introspection

    def __call__(self, environ, start_response):
        if (
            environ["REQUEST_METHOD"] not in ("GET", "HEAD")
            or "HTTP_AUTHORIZATION" in environ  # per user: never looked up
        ):
            return self.app(environ, start_response)
        found = request_key(environ, self.routes, self.known_urls)
        if found is None:  # static files, /healthz, odd hosts or parameters...
            return self.app(environ, start_response)
        key, environ[ROUTE] = found
        environ[KEY] = key
        if "HTTP_IF_MODIFIED_SINCE" in environ and "HTTP_IF_NONE_MATCH" not in environ:
            # A date comparison: Pyramid's conditional_view decides (its 304
            # carries the ETag, made from the stored body when it is current).
            return self._render_and_store(environ, start_response, key)
        entry = self._stored_entry(environ, key)
        if entry is None:
            return self._render_once(environ, start_response, key)
        return self._answer(entry, environ, start_response)

    def _stored_entry(self, environ, key):
        """The stored page for ``key`` if it is current, else None."""
        entry = None if self._wrote_recently(environ) else self._local_entry(key)
        return entry if entry is not None else self._shared_entry(key)

    def _render_once(self, environ, start_response, key):
        """Render a page, or wait for the render of it already under way.

        Only a page this process stored before, now retired, waits: one never
        stored (per-user, or ``none://``) may never be, and renders at once;
        so does a request that must see its own write.
        """
        if self.store.kept(key) is None or self._wrote_recently(environ):
            return self._render_and_store(environ, start_response, key)
        if self.renders.lead(key):
            try:
                return self._render_and_store(environ, start_response, key)
            finally:
                self.renders.done(key)
        entry = self._stored_entry(environ, key)
        if entry is None:  # not stored (a write raced it), or the wait ran out
            return self._render_and_store(environ, start_response, key)
        return self._answer(entry, environ, start_response)

    def _wrote_recently(self, environ):
        marker = self.wrote_marker
        return marker is not None and f"{marker}=" in environ.get("HTTP_COOKIE", "")

    def _local_entry(self, key):
        """This process's copy, if its version is known to be current.

        No round trip, unless a write since it was stamped makes it check its
        scopes (once per write: it is re-stamped).
        """
        entry = self.store.kept(key)
        if entry is None:
            return None
        generation = self.cache.recent_generation(
            entry.dataset, self.versions.version_ttl
        )
        found = self._current(entry, generation)
        if found is not None and found is not entry:  # re-stamped
            self.store.keep(key, found)
        return found

    def _shared_entry(self, key):
        """The entry and the current generations, in one round trip if shared."""
        if not self.cache.shared:
            entry = self.store.kept(key)
            if entry is None:
                return None
            generations, _ = self.cache.peek((entry.dataset,), None)
        else:
            generations, value = self.cache.peek(self.datasets, key)
            entry = None if value is None else decode(value)
        if entry is None:
            return None
        entry = self._current(entry, generations.get(entry.dataset))
        if entry is not None:
            self.store.keep(key, entry)
        return entry

    def _current(self, entry, generation):
        """``entry`` (maybe re-stamped) if current at the data set's ``generation``."""
        if generation is None:
            return None
        stamp = self.versions.known(entry.dataset, generation)
        return None if stamp is None else current(entry, stamp, self.cache)

    def _answer(self, entry, environ, start_response):
        answer = entry.answer
        ok, not_modified = answer.headers(int(time.time()))
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None and answer.matches(if_none_match):
            start_response("304 Not Modified", not_modified + self.trailer)
            return []
        start_response("200 OK", ok + self.trailer)
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
        if environ.get(READS):  # read a per-user input after the view
            return [body]
        entry = entry_from(store_as, *started, body, self.cache.expiration_time)
        if entry is not None:
            self.store.put(key, entry)
        return [body]


def declared_routes(registry):
    """Every route, in matching order, with its page-cache declaration or None."""
    mapper = registry.queryUtility(IRoutesMapper)
    declarations = registry.page_cache_routes
    return [
        Declared(route.name, route, declarations.get(route.name))
        for route in (mapper.get_routes() if mapper is not None else ())
    ]


def wrap(app):
    """``app`` behind a ``PageCache``, or unchanged when no view stores pages.

    With ``cache.url = none://`` nothing is ever stored: each GET costs one
    in-process lookup that misses.
    """
    registry = app.registry
    if registry.page_cache_enabled and registry.page_cache_datasets:
        return PageCache(app)
    return app


def includeme(config):
    settings = config.get_settings()
    registry = config.registry
    registry.page_cache_enabled = asbool(settings.get("pagecache.enabled", True))
    registry.page_store = PageStore(
        registry.cache, int(settings.get("pagecache.memory_bytes", MEMORY_BYTES))
    )
    registry.page_cache_datasets = set()
    registry.page_cache_routes = {}
    config.add_view_deriver(
        page_cache_view, under="conditional_view", over="rendered_view"
    )
