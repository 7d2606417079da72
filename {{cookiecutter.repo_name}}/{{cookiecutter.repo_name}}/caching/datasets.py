"""Data sets: what the cache, ETags and the page cache are versioned by.

A data set is a named body of data that pages are made from ("articles",
"items"). The project registers each one with how to read its cheap version::

    config.add_cache_dataset("articles", version=articles_version)

where ``articles_version(request)`` returns ``(token, last_modified or None)``
from the source of truth (one indexed query such as ``max(id)`` and
``max(updated_at)``). Then ``etag="articles"``, ``page_cache=True``,
``request.cache.get_or_create("articles", ...)`` and ``request.cache.fragment``
work for it, and a write retires it with one call::

    request.cache.changed("articles")  # all of it (a delete, a bulk change)
    request.cache.changed("articles", f"article:{article.id}")  # only that

*Scopes* name parts of the data set, in the project's own words (opaque
strings here, ``scopes.py``). A stored page names the ones it shows while the
view runs::

    request.cache.depends_on("articles", f"article:{article_id}", "new")

and retires only when a write names one of them (or none: the whole data
set); a page that names nothing depends on all of it. The data cache
(``get_or_create``, ``fragment``) retires whole on any write.

Each scope has a generation in the cache next to the data set's own (so it
works across processes and hosts with Redis or Memcached). A stored page
records the data set's version it was checked at, and its scopes'
generations: while nothing was written its check costs nothing more; after a
write it reads its scopes' generations in one cache call, and stays if none
changed (``pagecache.current``).

Which version an ETag stands for (``Versions.current``): the cache's
generation token (no query) when the cache is shared and healthy, else the
registered version function. Page-cached views take their ETag from their
bytes instead (``conditional.body_tag``).
"""

import functools
import hashlib
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from pyramid.exceptions import ConfigurationError
from pyramid.interfaces import PHASE1_CONFIG

from .conditional import release_token

PACKAGE_DIR = Path(__file__).parents[1]  # the project's package: code and templates


class DataSet(NamedTuple):
    name: str
    version: Callable  # request -> (token, last_modified or None)


class DataSets:
    """The registered data sets (``registry.cache_datasets``)."""

    def __init__(self):
        self._by_name = {}

    def add(self, name, version):
        self._by_name[name] = DataSet(name, version)

    def __contains__(self, name):
        return name in self._by_name

    def __getitem__(self, name):
        try:
            return self._by_name[name]
        except KeyError:
            raise ConfigurationError(
                f"no cache data set {name!r}: register it with "
                f"config.add_cache_dataset({name!r}, version=...)"
            ) from None

    def __iter__(self):
        return iter(sorted(self._by_name))


def add_cache_dataset(config, name, version):
    """``config.add_cache_dataset(name, version=callable or dotted name)``.

    ``version(request)`` returns ``(token, last_modified or None)``; the token
    must change whenever the data does (a delete included: bump it with
    ``request.cache.changed(name)``). Registered before any view, so
    ``etag=name`` can be checked at start-up.
    """
    version = config.maybe_dotted(version)
    if not callable(version):
        raise ConfigurationError(
            f"add_cache_dataset({name!r}): version must be callable"
        )

    def register():
        config.registry.cache_datasets.add(name, version)

    config.action(("cache_dataset", name), register, order=PHASE1_CONFIG)


class Versions:
    """Where the current version of a data set comes from."""

    def __init__(self, release, cache_is_shared, version_ttl=0.0):
        self.release = release
        self.cache_is_shared = cache_is_shared  # ``Cache.shared``
        self.version_ttl = version_ttl
        self._seen = {}  # dataset -> SourceVersion last read by this process
        # dataset -> (tag, time.monotonic()) when this process last compared
        # the source's version with the one before, for others' writes
        self._checked = {}

    def current(self, request, dataset):
        """``(opaque_tag, last_modified or None)`` for ``dataset``."""
        cache = request.cache
        # A per-process cache (memory) has per-process generations: every
        # worker would hand out different ETags and never see others' writes.
        if self.cache_is_shared and cache.healthy:
            token = cache.generation(dataset)
            if cache.healthy:  # the lookup itself did not just fail
                return self._tag(dataset, "g" + token), None
            return self._from_source(request, dataset)
        if self.cache_is_shared:
            return self._from_source(request, dataset)
        return self._from_source_per_process(request, dataset)

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
        """This process's last source version, if no write and no TTL retired it."""
        seen = self._seen.get(dataset)
        if seen and seen.generation == generation and now < seen.expires:
            return seen
        return None

    def _from_source(self, request, dataset):
        token, last_modified = request.registry.cache_datasets[dataset].version(request)
        return self._tag(dataset, "v" + token), last_modified

    def _from_source_per_process(self, request, dataset):
        """The registered version function's answer, reused for ``version_ttl`` seconds.

        Safe with the per-process (memory) cache: a write in this process bumps
        its generations, which retires the reused version at once (read your own
        writes, scope by scope); another worker's write is seen within
        ``version_ttl`` (default 1 s, far below the one-minute ``PUBLIC``
        max-age browsers already reuse). Which parts another worker changed is
        not known here: a version that changed since this process last checked
        (at most once per ``version_ttl``) retires all of the data set in this
        process (its whole generation), instead of living
        ``cache.expiration_time``. A re-read caused by this process's own write
        within that time is not a check: it cannot tell whether only this
        process wrote, so the next check still compares with the version from
        before it.
        """
        generation = request.cache.generation(dataset)
        now = time.monotonic()
        reusable = self._reusable(dataset, generation, now)
        if reusable:
            return reusable.tag, reusable.last_modified
        token, last_modified = request.registry.cache_datasets[dataset].version(request)
        tag = self._tag(dataset, "v" + token)
        checked = self._checked.get(dataset)
        if checked is None or now >= checked[1] + self.version_ttl:
            if checked is not None and checked[0] != tag:
                request.cache.bump(dataset)  # its whole generation: everything
                generation = request.cache.generation(dataset)
            self._checked[dataset] = (tag, now)
        self._seen[dataset] = SourceVersion(
            tag, last_modified, generation, now + self.version_ttl
        )
        return tag, last_modified

    def _tag(self, dataset, version):
        return version_tag(self.release, dataset, version)


@functools.lru_cache(maxsize=256)
def version_tag(release, dataset, version):
    digest = hashlib.sha256(f"{release}|{dataset}|{version}".encode())
    return digest.hexdigest()[:20]


class SourceVersion(NamedTuple):
    tag: str
    last_modified: datetime | None
    generation: str
    expires: float


def includeme(config):
    settings = config.get_settings()
    release = settings.get("httpcache.release") or release_token(PACKAGE_DIR)
    config.registry.cache_datasets = DataSets()
    config.registry.http_versions = Versions(
        release,
        config.registry.cache.shared,
        version_ttl=float(settings.get("httpcache.version_ttl", "1")),
    )
    config.add_directive("add_cache_dataset", add_cache_dataset)
