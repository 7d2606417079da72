"""HTTP caching: per-view policies, and 304s decided before the view runs.

Policies (``@view_config(http_cache=...)``, applied by Pyramid's deriver):

* ``PUBLIC``: browsers and shared caches reuse it for a minute, then revalidate.
* ``REVALIDATE``: stored, but revalidated on every use (cheap with ETag/304).
  Not ``http_cache=0``: Pyramid turns 0 into ``no-store``, which forbids that.
* ``PRIVATE``: only the user's own browser may keep it (sessions, cookies, users).
* ``NO_STORE``: never stored (writes, health checks, errors).

Safety net: a response whose view read the session is made ``private`` with
``Vary: Cookie`` whatever its policy said (and ``security.py`` does the same for
responses that set a cookie), so a shared cache never hands one user's page to
another.

Conditional requests (``@view_config(..., etag=catalog.DATASET)``): the view
deriver below looks up a cheap version of the data set *before* the view runs:
the cache's generation token (no query) when the cache is shared and healthy,
else ``catalog.version()`` (one indexed query, also giving ``Last-Modified``).
A matching ``If-None-Match`` / ``If-Modified-Since`` gets a ``304`` without
querying the data or rendering a template (RFC 9110, section 13).

ETags are weak (``W/``): they stand for the data version plus the code that
renders it, not for exact bytes (a proxy that compresses keeps them valid).

Compression of dynamic responses belongs to the reverse proxy (nginx ``gzip on;
gzip_vary on;``, Caddy ``encode``): it runs in C next to TLS, and keeps the
app's tween chain minimal. Static files are precompressed (see ``assets``).
"""

import functools
import hashlib
import re
import time
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from pyramid.events import NewResponse
from pyramid.httpexceptions import HTTPNotModified

from . import catalog

PUBLIC_MAX_AGE = 60

PUBLIC = (PUBLIC_MAX_AGE, {"public": True})
REVALIDATE = (None, {"no_cache": True})
PRIVATE = (None, {"private": True, "no_cache": True})
NO_STORE = (None, {"no_store": True})

SHARED_CACHE_SCHEMES = ("redis", "memcached")
# One entity-tag of an If-None-Match list: W/"opaque" or "opaque".
ENTITY_TAG = re.compile(r'(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
ANY = "*"
# environ key: (data set, version tag) of a GET/HEAD, for pagecache.py
VERSION = "httpcache.version"


def parse_if_none_match(value):
    """``ANY``, a set of opaque tags, or None when the header is malformed."""
    value = value.strip(" \t")
    if value == ANY:
        return ANY
    tags, position = set(), 0
    while True:
        while position < len(value) and value[position] in ", \t":
            position += 1
        if position == len(value):
            return tags
        match = ENTITY_TAG.match(value, position)
        if match is None:
            return None
        tags.add(match.group(1))
        position = match.end()
        while position < len(value) and value[position] in " \t":
            position += 1
        if position < len(value) and value[position] != ",":
            return None


def parse_http_date(value, now):
    """An aware datetime, or None when invalid or in the future (RFC 9110 13.1.3)."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None or moment > now:
        return None
    return moment


def etag_matches(if_none_match, opaque_tag):
    """Weak comparison: W/"x" and "x" match; a malformed list matches nothing."""
    tags = parse_if_none_match(if_none_match)
    return tags == ANY or (tags is not None and opaque_tag in tags)


def not_modified(request, opaque_tag, last_modified):
    """RFC 9110 13.2.2 for GET/HEAD: If-None-Match first, else If-Modified-Since."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return etag_matches(if_none_match, opaque_tag)
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since is None or last_modified is None:
        return False
    since = parse_http_date(if_modified_since, datetime.now(timezone.utc))
    return since is not None and last_modified.replace(microsecond=0) <= since


class Versions:
    """Where the current version of a data set comes from."""

    def __init__(self, release, cache_is_shared, version_ttl=0.0):
        self.release = release
        self.cache_is_shared = cache_is_shared
        self.version_ttl = version_ttl
        self._seen = {}  # dataset -> CatalogVersion last read by this process

    def current(self, request, dataset):
        """``(opaque_tag, last_modified or None)`` for ``dataset``."""
        cache = request.cache
        # A per-process cache (memory) has per-process generations: every
        # worker would hand out different ETags and never see others' writes.
        if self.cache_is_shared and cache.healthy:
            token = cache.generation(dataset)
            if cache.healthy:  # the lookup itself did not just fail
                return self._tag(dataset, "g" + token), None
            return self._from_catalog(request, dataset)
        if self.cache_is_shared:
            return self._from_catalog(request, dataset)
        return self._from_catalog_per_process(request, dataset)

    def known(self, dataset, generation):
        """The tag of ``dataset`` at cache ``generation`` when it needs no query.

        For ``pagecache.PageCache``, which runs before Pyramid builds a request:
        None means "ask ``current``" (the version must come from the database).
        """
        if self.cache_is_shared:
            return self._tag(dataset, "g" + generation)
        reusable = self._reusable(dataset, generation, time.monotonic())
        return reusable.tag if reusable else None

    def _reusable(self, dataset, generation, now):
        """This process's last catalog version, if no write and no TTL retired it."""
        seen = self._seen.get(dataset)
        if seen and seen.generation == generation and now < seen.expires:
            return seen
        return None

    def _from_catalog(self, request, dataset):
        token, last_modified = catalog.version(request)
        return self._tag(dataset, "v" + token), last_modified

    def _from_catalog_per_process(self, request, dataset):
        """The catalog's version, reused for ``version_ttl`` seconds.

        Safe with the per-process (memory) cache: a write in this process bumps
        its generation, which retires the reused version at once (read your own
        writes); another worker's write is seen within ``version_ttl`` (default
        1 s, far below the one-minute ``PUBLIC`` max-age browsers already
        reuse). A version that changed under this process (another worker
        wrote) bumps this process's generation, so its cached data and pages
        of the set are dropped too, instead of living ``cache.expiration_time``.
        """
        generation = request.cache.generation(dataset)
        now = time.monotonic()
        reusable = self._reusable(dataset, generation, now)
        if reusable:
            return reusable.tag, reusable.last_modified
        seen = self._seen.get(dataset)
        token, last_modified = catalog.version(request)
        tag = self._tag(dataset, "v" + token)
        if seen is not None and seen.tag != tag:
            request.cache.bump(dataset)
            generation = request.cache.generation(dataset)
        self._seen[dataset] = CatalogVersion(
            tag, last_modified, generation, now + self.version_ttl
        )
        return tag, last_modified

    def _tag(self, dataset, version):
        return version_tag(self.release, dataset, version)


@functools.lru_cache(maxsize=256)
def version_tag(release, dataset, version):
    digest = hashlib.sha256(f"{release}|{dataset}|{version}".encode())
    return digest.hexdigest()[:20]


class CatalogVersion(NamedTuple):
    tag: str
    last_modified: datetime | None
    generation: str
    expires: float


def conditional_view(view, info):
    """View deriver for the ``etag=<data set>`` option."""
    dataset = info.options.get("etag")
    if dataset is None:
        return view
    versions = info.registry.http_versions

    def conditional(context, request):
        if request.method not in ("GET", "HEAD"):
            return view(context, request)
        opaque_tag, last_modified = versions.current(request, dataset)
        if not_modified(request, opaque_tag, last_modified):
            response = HTTPNotModified()
        else:
            request.environ[VERSION] = (dataset, opaque_tag)  # for the page cache
            response = view(context, request)
            if response.status_code != 200:
                return response
        response.headers["ETag"] = f'W/"{opaque_tag}"'
        if last_modified is not None:
            response.headers["Last-Modified"] = format_datetime(
                last_modified.astimezone(timezone.utc), usegmt=True
            )
        return response

    return conditional


conditional_view.options = ("etag",)


RELEASE_SUFFIXES = {".py", ".pt", ".jinja2", ".mako", ".json"}


def release_token(package_dir):
    """A digest of the code, templates and asset manifest that make the pages.

    The same in every worker and on every machine running the same release, so
    ETags survive restarts and load balancing, but change with each deploy.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(package_dir).rglob("*")):
        if path.suffix in RELEASE_SUFFIXES and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def make_session_pages_private(event):
    """A response built from the session depends on the cookie: never shared.

    (``security.py`` does the same for responses that set a cookie.)
    """
    if "session" not in event.request.__dict__:  # the reified property never ran
        return
    response = event.response
    cache_control = response.cache_control
    if cache_control.no_store:
        return
    cache_control.public = False
    cache_control.s_maxage = None
    cache_control.private = True
    response.vary = tuple(dict.fromkeys([*(response.vary or ()), "Cookie"]))


def includeme(config):
    settings = config.get_settings()
    scheme = urlsplit(settings.get("cache.url", "memory://")).scheme
    release = settings.get("httpcache.release") or release_token(Path(__file__).parent)
    config.registry.http_versions = Versions(
        release,
        scheme in SHARED_CACHE_SCHEMES,
        version_ttl=float(settings.get("httpcache.version_ttl", "1")),
    )
    config.add_view_deriver(conditional_view)
    config.add_subscriber(make_session_pages_private, NewResponse)
