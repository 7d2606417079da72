"""The performance machinery, for any data set the project registers.

Infrastructure only: nothing here names a data set. The order below is the
order each part needs the one before it:

1. ``store``: ``registry.cache`` (one dogpile.cache region from ``cache.url``,
   fail-open, generations) and ``request.cache``.
2. ``datasets``: ``config.add_cache_dataset(name, version=...)`` and the
   versions ETags stand for.
3. ``personal``: the request records reads of per-user inputs (cookies,
   session, credentials, identity, headers); ``policies``: Cache-Control
   policies, and what read a per-user input goes private.
4. ``conditional``: the ``etag=<data set>`` view option (304 before the view).
5. ``pagecache``: the ``page_cache=True`` view option; ``pagecache.wrap`` in
   ``main()`` answers warm pages before Pyramid runs.
"""


def includeme(config):
    config.include(".store")
    config.include(".datasets")
    config.include(".personal")
    config.include(".policies")
    config.include(".conditional")
    config.include(".pagecache")
