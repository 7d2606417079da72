"""``request.cache``: the app's cache for one request, and cached fragments."""

from markupsafe import Markup
from pyramid.renderers import render

from ..rendering import TEMPLATES
from .scopes import WHOLE

# environ key: where the request's committed write is in the database's log
# (a fixed-width hex string, so text order is log order), set by the database
# layer after the commit when readers may lag (a replica). The data sets' new
# generations carry it: see ``changed``.
COMMIT_POSITION = "caching.commit_position"


class RequestCache:
    """``request.cache``: the app's cache, reading each generation once per request.

    One request then sees one consistent version of a data set, and a page with
    many cached fragments pays one generation lookup, not one per fragment.
    """

    def __init__(self, cache, request):
        self.cache = cache
        self.request = request
        self.generations = {}
        self.scopes = {}  # dataset -> the parts of it this request's page shows

    @property
    def healthy(self):
        return self.cache.healthy

    def ping(self):
        return self.cache.ping()

    def generation(self, dataset):
        if dataset not in self.generations:
            self.generations[dataset] = self.cache.generation(dataset)
        return self.generations[dataset]

    def bump(self, dataset, position=None, scopes=(WHOLE,)):
        self.generations.pop(dataset, None)
        self.cache.bump(dataset, position, scopes)

    def newest_commit_position(self):
        """The newest commit position named by a generation this request read.

        A reader that stores data or pages under these generations must read
        a copy of the database that has at least this write (``db/replica.py``).
        """
        positions = [token.partition("@")[2] for token in self.generations.values()]
        return max(positions, default="") or None

    def changed(self, dataset, *scopes):
        """A write changed ``dataset``: retire its cached data and pages showing it.

        The one call a write makes. ``scopes`` name the parts it changed, in
        the project's own words (``changed("items", f"item:{id}")``): only
        the stored pages that named one of them (``depends_on``) retire, and
        every ETag follows its page's bytes. No scope: all of the data set
        retires (a delete, a bulk change). The data cache (``get_or_create``,
        ``fragment``) retires whole either way.

        It bumps the generations now, so the rest of this request (and tests,
        whose transaction never commits) see the new version; and, inside a
        transaction (pyramid_tm), again after commit, because another process
        may have cached the old rows under the first new generations before
        the commit made the write visible. The second generation names the
        commit's position (``COMMIT_POSITION``) when the database layer gives
        one.
        """
        scopes = scopes or (WHOLE,)
        self.bump(dataset, scopes=scopes)
        manager = getattr(self.request, "tm", None)  # pyramid_tm, when included
        if manager is None:
            return
        from transaction.interfaces import NoTransaction  # installed with pyramid_tm

        try:
            current = manager.get()
        except NoTransaction:
            return
        current.addAfterCommitHook(
            lambda committed: (
                committed
                and self.bump(
                    dataset, self.request.environ.get(COMMIT_POSITION), scopes
                )
            )
        )

    def depends_on(self, dataset, *scopes):
        """The page being made shows these parts of ``dataset`` (and no other).

        Called while the view runs, with the scopes writes name in
        ``changed``: the stored page then retires only when one of them
        changes (or the whole data set does). A page that names none depends
        on all of its data set.
        """
        self.scopes.setdefault(dataset, set()).update(scopes)

    def get_or_create(self, dataset, key, creator):
        return self.cache.get_or_create(
            dataset, key, creator, generation=self.generation(dataset)
        )

    @property
    def in_process(self):
        return self.cache.in_process

    def get(self, key):
        return self.cache.get(key)

    def set(self, key, value):
        self.cache.set(key, value)

    def fragment(self, dataset, template, key, **values):
        """Render ``template`` with ``values`` once per ``key`` and ``dataset`` version.

        One line in any template engine, e.g. ``request.cache.fragment("items",
        "item_rows.jinja2", item["id"], items=[item])``. The result is ``Markup``, so
        Jinja2, Chameleon and Mako insert it without escaping it again. The key
        holds no host: one fragment serves every host and scheme, so it links
        with paths (``request.route_path``), not absolute URLs.
        """
        spec = template if ":" in template else TEMPLATES + template
        html = self.get_or_create(
            dataset,
            f"fragment:{spec}:{key}",
            lambda: str(render(spec, values, request=self.request)),
        )
        return Markup(html)
