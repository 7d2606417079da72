"""ETag/304 decided before the view runs: the ``etag=<data set>`` view option.

``@view_config(..., etag="articles")``: the view deriver below looks up a cheap
version of the registered data set (``datasets.py``) *before* the view runs. A
matching ``If-None-Match`` / ``If-Modified-Since`` gets a ``304`` without
querying the data or rendering a template (RFC 9110, section 13).

ETags are weak (``W/``): they stand for the data version plus the code that
renders it, not for exact bytes (a proxy that compresses keeps them valid).

A page-cached view (``page_cache=``, page cache enabled) is stored per page
and retires per scope (``datasets.py``), so its ETag comes from its bytes
instead: a digest of the body (``body_tag``), the same in every worker, host
and cache mode, new exactly when the page's bytes change. A warm page answers
``If-None-Match`` from its stored entry (``pagecache.py``); a cold one is
rendered, and a matching ``If-None-Match`` still gets its ``304``.
"""

import hashlib
import re
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

from pyramid.httpexceptions import HTTPNotModified

# One entity-tag of an If-None-Match list: W/"opaque" or "opaque".
ENTITY_TAG = re.compile(r'(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
ANY = "*"
# environ key: (data set, version tag) of a GET/HEAD, for pagecache.py
VERSION = "caching.version"


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
    except (TypeError, ValueError, IndexError, OverflowError):  # year 99999999999
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


def body_tag(body):
    """The opaque ETag of a page-cached page: a digest of its bytes."""
    return hashlib.blake2b(body, digest_size=10).hexdigest()


def conditional_view(view, info):
    """View deriver for the ``etag=<data set>`` option."""
    dataset = info.options.get("etag")
    if dataset is None:
        return view
    info.registry.cache_datasets[dataset]  # unregistered: an error at start-up
    versions = info.registry.http_versions
    by_body = bool(info.options.get("page_cache")) and getattr(
        info.registry, "page_cache_enabled", False
    )

    def conditional(context, request):
        if request.method not in ("GET", "HEAD"):
            return view(context, request)
        opaque_tag, last_modified = versions.current(request, dataset)
        # The version stamps the stored page and its bytes make the ETag; with
        # a cache that keeps nothing (none://) no page is ever stored, so the
        # version decides the 304 before the view instead.
        if by_body and request.registry.cache.keeps_data:
            request.environ[VERSION] = (dataset, opaque_tag)
            response = view(context, request)
            if response.status_code != 200:
                return response
            opaque_tag = body_tag(response.body)
            if not_modified(request, opaque_tag, last_modified):
                response = HTTPNotModified()
        elif not_modified(request, opaque_tag, last_modified):
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


def includeme(config):
    config.add_view_deriver(conditional_view)
