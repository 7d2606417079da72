"""Static files: fingerprinted URLs, cached for a year, served precompressed.

Templates call ``request.static_url(package + ":static/app.css")``; the manifest
cache buster turns that into ``/static/app.<hash>.css`` (``fingerprint.py``
builds the files and the manifest). A new content gets a new URL, so browsers
and CDNs may keep every file for a year without asking again (``immutable``).
Pyramid serves ``app.<hash>.css.gz`` to clients that accept gzip, with
``Vary: Accept-Encoding``.
"""

from pyramid.events import NewResponse
from pyramid.static import ManifestCacheBuster

ONE_YEAR = 365 * 24 * 3600
# WebOb has no "immutable" property (it drops it): set the header as a string.
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"
STATIC_ROUTE = "__static/"  # the route name add_static_view("static", ...) uses
PACKAGE = "{{ cookiecutter.repo_name }}"


def mark_immutable(event):
    route = getattr(event.request, "matched_route", None)
    served = event.response.status_code in (200, 304)
    if served and route is not None and route.name == STATIC_ROUTE:
        event.response.headers["Cache-Control"] = IMMUTABLE


def includeme(config):
    config.add_static_view(
        "static",
        f"{PACKAGE}:static/",
        cache_max_age=ONE_YEAR,
        content_encodings=["gzip"],
    )
    development = config.registry.app_settings.environment == "development"
    config.add_cache_buster(
        f"{PACKAGE}:static/",
        # Development re-reads the manifest after `make assets`; else read once.
        ManifestCacheBuster(f"{PACKAGE}:static-manifest.json", reload=development),
    )
    config.add_subscriber(mark_immutable, NewResponse)
